package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// signedIn returns the active cerrojo session behind the request's page
// cookie, or errNoSession. A cookie whose session ended is forgotten.
func (h *Handlers) signedIn(r *http.Request) (sessions.Session, error) {
	value, id, err := h.cookieSession(r)
	if err != nil {
		return sessions.Session{}, err
	}
	ses, err := h.Sessions.Check(r.Context(), id)
	if errors.Is(err, sessions.ErrSessionEnded) {
		return sessions.Session{}, h.forget(r, value)
	}
	if err != nil {
		return sessions.Session{}, err
	}
	return ses, nil
}

// cookieSession returns the page cookie's value and the id of the cerrojo
// session it stands for, without checking that session; errNoSession when
// the browser has no known cookie.
func (h *Handlers) cookieSession(r *http.Request) (value, id string, err error) {
	c, err := r.Cookie(h.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		return "", "", errNoSession
	}
	id, err = h.store.Lookup(r.Context(), c.Value)
	return c.Value, id, err
}

// forget deletes the row of a cookie whose session ended, and answers
// errNoSession.
func (h *Handlers) forget(r *http.Request, value string) error {
	if err := h.store.Delete(r.Context(), value); err != nil {
		return err
	}
	return errNoSession
}

func meta(r *http.Request) sessions.Meta {
	return sessions.Meta{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

// createSession turns a sign-in the page's script completed through the
// API into a browser session: it takes the access token (Authorization:
// Bearer), verifies it in process, checks its session is active and
// belongs to the token's subject, and sets a new cookie for it. A new
// value at each sign-in prevents session fixation (ASVS 5.0 7.2.4).
func (h *Handlers) createSession(w http.ResponseWriter, r *http.Request) error {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return httpx.NewProblem(http.StatusUnauthorized, "missing_token",
			"send the access token of the sign-in as a bearer token")
	}
	claims, err := h.Verifier.Verify(r.Context(), token)
	if err != nil || claims.SessionID == "" {
		return httpx.NewProblem(http.StatusUnauthorized, "invalid_token",
			"the access token is not valid")
	}
	ses, err := h.Sessions.Check(r.Context(), claims.SessionID)
	if errors.Is(err, sessions.ErrSessionEnded) || (err == nil && ses.UserID != claims.Subject) {
		return httpx.NewProblem(http.StatusUnauthorized, "invalid_token",
			"the session has ended; sign in again")
	}
	if err != nil {
		return err
	}
	if old, err := r.Cookie(h.cookieName(sessionCookie)); err == nil && old.Value != "" {
		if err := h.store.Delete(r.Context(), old.Value); err != nil {
			return err
		}
	}
	value, err := randomValue()
	if err != nil {
		return err
	}
	if err := h.store.Create(r.Context(), value, ses.ID, h.now()); err != nil {
		return err
	}
	// A browser-session cookie: the server-side session decides how long
	// it is good for (idle and absolute timeouts).
	http.SetCookie(w, h.cookie(sessionCookie, value, 0))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tokenJSON is what POST /ui/token answers: a short-lived access token and
// no refresh token.
type tokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	SessionID   string `json:"session_id"`
}

// token hands the account page's script a fresh access token of the
// browser's session, so it can call /v1/me/... like any client.
//
// Reissue checks the session (one read, as every page call makes), so the
// cookie is only looked up here.
func (h *Handlers) token(w http.ResponseWriter, r *http.Request) error {
	value, id, err := h.cookieSession(r)
	if errors.Is(err, errNoSession) {
		return httpx.NewProblem(http.StatusUnauthorized, "not_signed_in",
			"this browser is not signed in")
	}
	if err != nil {
		return err
	}
	is, err := h.Sessions.Reissue(r.Context(), id)
	if errors.Is(err, sessions.ErrSessionEnded) {
		if err := h.forget(r, value); !errors.Is(err, errNoSession) {
			return err
		}
		return httpx.NewProblem(http.StatusUnauthorized, "not_signed_in",
			"the session has ended; sign in again")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, tokenJSON{AccessToken: is.AccessToken,
		TokenType: "Bearer", SessionID: id,
		ExpiresIn: int64(is.AccessExpiresAt.Sub(h.now()).Round(time.Second) / time.Second)})
}

// logout ends the browser's session, everywhere its tokens are honoured,
// and clears the cookie (ASVS 5.0 7.4.1).
func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) error {
	ses, err := h.signedIn(r)
	switch {
	case err == nil:
		if err := h.Sessions.End(r.Context(), ses.UserID, ses.ID, "logout",
			meta(r)); err != nil && !errors.Is(err, sessions.ErrNotFound) {
			return err
		}
		if err := h.store.DeleteSession(r.Context(), ses.ID); err != nil {
			return err
		}
	case !errors.Is(err, errNoSession):
		return err
	}
	http.SetCookie(w, h.cookie(sessionCookie, "", -1))
	target := "/ui/signed-out"
	if lang, explicit := pickLang(r); explicit {
		target += "?lang=" + shortLang(lang)
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		return httpx.WriteJSON(w, http.StatusOK, map[string]string{"redirect": target})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// ClearSessionCookie is the Set-Cookie that removes the pages' session
// cookie; the OpenID provider's RP-initiated logout sends it with the
// redirect, after ending the session the cookie named.
func (h *Handlers) ClearSessionCookie() *http.Cookie {
	return h.cookie(sessionCookie, "", -1)
}
