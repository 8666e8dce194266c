package oauth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/sdk"
)

func metaOf(r *http.Request) sessions.Meta {
	return sessions.Meta{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

// introspection is RFC 7662 section 2.2.
type introspection struct {
	Active    bool         `json:"active"`
	Scope     string       `json:"scope,omitempty"`
	ClientID  string       `json:"client_id,omitempty"`
	TokenType string       `json:"token_type,omitempty"`
	Exp       int64        `json:"exp,omitempty"`
	Iat       int64        `json:"iat,omitempty"`
	Nbf       int64        `json:"nbf,omitempty"`
	Sub       string       `json:"sub,omitempty"`
	Aud       sdk.Audience `json:"aud,omitempty"`
	Iss       string       `json:"iss,omitempty"`
	Jti       string       `json:"jti,omitempty"`
	SID       string       `json:"sid,omitempty"`
	ACR       string       `json:"acr,omitempty"`
	AMR       []string     `json:"amr,omitempty"`
	AuthTime  int64        `json:"auth_time,omitempty"`
	Roles     []string     `json:"roles,omitempty"`
}

// introspect answers whether a token is active. Only confidential clients
// (resource servers) may ask (RFC 7662 section 2.1), so the endpoint cannot
// be used to test stolen tokens. An access token is active when it verifies
// and its session has not ended: after logout or revocation the answer is
// active:false at once, though the JWT's exp has not passed.
func (h *Handlers) introspect(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(r)
	if err != nil {
		write(w, r, err)
		return
	}
	c, err := h.authenticateClient(r, form, "")
	if err == nil && !c.authenticated {
		err = fail(http.StatusUnauthorized, "invalid_client",
			"introspection needs a confidential client's credentials")
	}
	if err != nil {
		write(w, r, err)
		return
	}

	token := form.Get("token")
	if token == "" {
		write(w, r, fail(http.StatusBadRequest, "invalid_request", "token is required"))
		return
	}
	if hasPrefix(token, "crj_rt_") {
		writeJSON(w, h.introspectRefresh(r, token))
		return
	}
	writeJSON(w, h.introspectAccess(r, token))
}

func (h *Handlers) introspectAccess(r *http.Request, token string) introspection {
	claims, err := h.Verifier.Verify(r.Context(), token)
	if err != nil {
		return introspection{Active: false}
	}
	if claims.SessionID != "" {
		if _, err := h.Sessions.Check(r.Context(), claims.SessionID); err != nil {
			return introspection{Active: false}
		}
	}
	return introspection{Active: true, Scope: claims.Scope, ClientID: claims.ClientID,
		TokenType: "Bearer", Exp: int64(claims.Expiry), Iat: int64(claims.IssuedAt),
		Nbf: int64(claims.NotBefore), Sub: claims.Subject, Aud: claims.Audience,
		Iss: claims.Issuer, Jti: claims.ID, SID: claims.SessionID, ACR: claims.ACR,
		AMR: claims.AMR, AuthTime: int64(claims.AuthTime), Roles: claims.Roles}
}

func (h *Handlers) introspectRefresh(r *http.Request, token string) introspection {
	t, ses, err := h.Sessions.LookupRefresh(r.Context(), token)
	if err != nil {
		return introspection{Active: false}
	}
	return introspection{Active: true, ClientID: t.ClientID, TokenType: "refresh_token",
		Exp: t.ExpiresAt.Unix(), Iat: t.CreatedAt.Unix(), Sub: ses.UserID, SID: ses.ID}
}

// revoke implements RFC 7009. A refresh token revokes its family and ends
// its session; an access token ends its session (so the token stops working
// everywhere that checks the revocation list). The answer is 200 whether or
// not the token was known (section 2.2), so it cannot be used to test
// tokens.
func (h *Handlers) revoke(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(r)
	if err != nil {
		write(w, r, err)
		return
	}
	c, err := h.authenticateClient(r, form, h.Sessions.Config.DefaultClientID)
	if err != nil {
		write(w, r, err)
		return
	}
	token := form.Get("token")
	if token == "" {
		write(w, r, fail(http.StatusBadRequest, "invalid_request", "token is required"))
		return
	}
	// token_type_hint is only a hint (RFC 7009 section 2.1): the token's
	// own form says what it is, so an unknown hint changes nothing.

	var sesID, userID string
	if strings.HasPrefix(token, "crj_rt_") {
		t, ses, err := h.Sessions.LookupRefresh(r.Context(), token)
		// A client may only revoke its own tokens (section 2.1).
		if err == nil && t.ClientID == c.id {
			sesID, userID = ses.ID, ses.UserID
		}
	} else if claims, err := h.Verifier.Verify(r.Context(), token); err == nil &&
		claims.ClientID == c.id {
		sesID, userID = claims.SessionID, claims.Subject
	}
	if sesID != "" {
		err := h.Sessions.End(r.Context(), userID, sesID, "revoked_by_client", metaOf(r))
		if err != nil && !errors.Is(err, sessions.ErrNotFound) {
			write(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
