// Package login is the password sign-in endpoint: it checks the password
// with package accounts and, when it is right, starts a session with
// package sessions. Multi-factor authentication will slot in between the
// two: a correct password for an account with a factor will answer with a
// challenge instead of a session.
package login

import (
	"errors"
	"net/http"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// Handlers serves sign-in and sign-out.
type Handlers struct {
	Accounts *accounts.Service
	Sessions *sessions.Service
}

// Routes registers the public routes. logout must sit behind the session
// middleware; the caller passes it wrapped.
func (h *Handlers) Routes(r *httpx.Router, requireSession func(http.Handler) http.Handler) {
	r.HandleFunc("POST /v1/auth/login", h.login)
	r.Handle("POST /v1/auth/logout", requireSession(httpx.HandlerFunc(h.logout)))
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// TokenResponse is the answer to a login and to a refresh, shaped like an
// RFC 6749 section 5.1 token response so OAuth clients read it as one.
type TokenResponse struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	SessionID             string `json:"session_id"`
	// MustChangePassword asks the client to send the person to change
	// their password before anything else.
	MustChangePassword bool               `json:"must_change_password,omitempty"`
	User               *accounts.UserJSON `json:"user,omitempty"`
}

// NewTokenResponse renders issued tokens as of now.
func NewTokenResponse(is sessions.Issued, now time.Time) TokenResponse {
	return TokenResponse{
		AccessToken:           is.AccessToken,
		TokenType:             "Bearer",
		ExpiresIn:             int64(is.AccessExpiresAt.Sub(now).Round(time.Second) / time.Second),
		RefreshToken:          is.RefreshToken,
		RefreshTokenExpiresIn: int64(is.RefreshExpiresAt.Sub(now).Round(time.Second) / time.Second),
		SessionID:             is.Session.ID,
	}
}

func (h *Handlers) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}

	m := accounts.MetaOf(r)
	res, err := h.Accounts.Authenticate(r.Context(), req.Email, req.Password, m)
	if err != nil {
		return accounts.Problem(r, err)
	}
	is, err := h.Sessions.Create(r.Context(), sessions.CreateInput{UserID: res.User.ID,
		ACR: "pwd", AMR: []string{"pwd"}}, sessions.Meta(m))
	if errors.Is(err, sessions.ErrSessionLimit) {
		return httpx.NewProblem(http.StatusConflict, "session_limit",
			"you have as many active sessions as allowed; end one first")
	}
	if err != nil {
		return err
	}

	out := NewTokenResponse(is, time.Now())
	out.MustChangePassword = res.MustChangePassword
	u := res.User.JSON()
	out.User = &u
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) error {
	ses, ok := sessions.FromContext(r.Context())
	if !ok {
		return httpx.NewProblem(http.StatusUnauthorized, "missing_token", "sign in first")
	}
	m := sessions.Meta(accounts.MetaOf(r))
	if err := h.Sessions.End(r.Context(), ses.UserID, ses.ID, "logout", m); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
