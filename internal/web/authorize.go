package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// The OpenID Connect authorize continuation. The provider (package
// openid) keeps the authorization request and sends the browser to
// /ui/authorize?auth_request=<id>; the pages find out who is signed in,
// ask for sign-in or consent when needed, and hand the answer back
// through AuthRequests. The provider decides what is needed (View); the
// pages only show it.

// SignedIn is the person a browser session stands for.
type SignedIn struct {
	UserID, SessionID, ACR string
	AMR                    []string
	AuthTime               time.Time
}

// AuthRequestView is what the pages need to know of an authorization
// request.
type AuthRequestView struct {
	ID, ClientID, ClientName string
	Scopes                   []string // as requested, e.g. openid profile email offline_access
	// NeedsLogin: nobody signed in, prompt=login, or max_age exceeded.
	NeedsLogin bool
	// NeedsConsent: a third-party client without a covering grant, or
	// prompt=consent.
	NeedsConsent bool
	// PromptNone: prompt=none; never show a page, deny with login_required
	// or consent_required.
	PromptNone bool
	LoginHint  string
	UILocales  []string
}

// ErrAuthRequestNotFound is an authorization request that is unknown or
// has expired.
var ErrAuthRequestNotFound = errors.New("web: the sign-in request is unknown or has expired")

// AuthRequests is the provider's side of the continuation.
type AuthRequests interface {
	View(ctx context.Context, id string, who *SignedIn) (AuthRequestView, error)
	// Approve records who authorised the request (and the consent given,
	// if any) and returns the URL to send the browser to.
	Approve(ctx context.Context, id string, who SignedIn, consented bool) (string, error)
	// Deny ends the request with an OAuth error code (access_denied,
	// login_required, consent_required) and returns the URL to send the
	// browser to.
	Deny(ctx context.Context, id, oauthError string) (string, error)
}

// who returns the browser's signed-in person, or nil.
func (h *Handlers) who(r *http.Request) (*SignedIn, error) {
	ses, err := h.signedIn(r)
	if errors.Is(err, errNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &SignedIn{UserID: ses.UserID, SessionID: ses.ID, ACR: ses.ACR,
		AMR: slices.Clone(ses.AMR), AuthTime: ses.AuthTime}, nil
}

// consentData is what the consent page shows.
type consentData struct {
	ID, ClientName string
	Scopes         []string // message keys explaining each scope
}

// authorize continues an authorization request: deny at once under
// prompt=none when a page would be needed, send the browser to sign in,
// show the consent page, or approve and send it back to the client.
func (h *Handlers) authorize(w http.ResponseWriter, r *http.Request) error {
	if h.AuthRequests == nil {
		return httpx.NewProblem(http.StatusNotFound, httpx.CodeNotFound,
			"OpenID Connect is not enabled on this node")
	}
	ctx, id := r.Context(), r.URL.Query().Get("auth_request")
	who, err := h.who(r)
	if err != nil {
		return err
	}
	v, err := h.AuthRequests.View(ctx, id, who)
	if errors.Is(err, ErrAuthRequestNotFound) || (err == nil && id == "") {
		return h.errorPage(w, r, http.StatusBadRequest, "auth_request_unknown")
	}
	if err != nil {
		return err
	}
	if v.PromptNone && (v.NeedsLogin || v.NeedsConsent) {
		code := "login_required"
		if !v.NeedsLogin {
			code = "consent_required"
		}
		return h.deny(w, r, id, code)
	}
	if v.NeedsLogin {
		q := url.Values{"auth_request": {id}}
		if v.LoginHint != "" {
			q.Set("login_hint", v.LoginHint)
		}
		if lang, ok := authLang(r, v.UILocales); ok {
			q.Set("lang", shortLang(lang))
		}
		http.Redirect(w, r, "/ui/login?"+q.Encode(), http.StatusSeeOther)
		return nil
	}
	if v.NeedsConsent {
		return h.consentPage(w, r, v)
	}
	target, err := h.AuthRequests.Approve(ctx, id, *who, false)
	if err != nil {
		return h.requestGone(w, r, err)
	}
	// #nosec G710 -- target is the client's registered redirect URI (exact
	// match), built by the provider.
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (h *Handlers) deny(w http.ResponseWriter, r *http.Request, id, code string) error {
	target, err := h.AuthRequests.Deny(r.Context(), id, code)
	if err != nil {
		return h.requestGone(w, r, err)
	}
	// #nosec G710 -- target is the client's registered redirect URI (exact
	// match), built by the provider.
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (h *Handlers) requestGone(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, ErrAuthRequestNotFound) {
		return h.errorPage(w, r, http.StatusBadRequest, "auth_request_unknown")
	}
	return err
}

// consentPage asks the person whether the client may have what it asks
// for, each scope explained in words.
func (h *Handlers) consentPage(w http.ResponseWriter, r *http.Request,
	v AuthRequestView) error {
	p, err := h.newPage(w, r, "consent_title")
	if err != nil {
		return err
	}
	if lang, ok := authLang(r, v.UILocales); ok {
		p.Lang, p.msgs = lang, messages[lang]
		p.Title = p.T("consent_title")
	}
	c := &consentData{ID: v.ID, ClientName: v.ClientName}
	if c.ClientName == "" {
		c.ClientName = v.ClientID
	}
	for _, s := range v.Scopes {
		key := "scope_" + s
		if _, known := p.msgs[key]; !known {
			key = "scope_other"
		}
		if !slices.Contains(c.Scopes, key) {
			c.Scopes = append(c.Scopes, key)
		}
	}
	p.Consent = c
	// The answer redirects to the client's redirect URI, which browsers
	// check against form-action (CSP 3): allow https and loopback http
	// (native and development clients, RFC 8252 section 7.3) on this page
	// only.
	w.Header().Set("Content-Security-Policy", httpx.PagePolicy+
		" https: http://localhost:* http://127.0.0.1:* http://[::1]:*")
	return h.render(w, http.StatusOK, "consent", p)
}

// authorizeAnswer takes the consent page's Approve or Deny.
func (h *Handlers) authorizeAnswer(w http.ResponseWriter, r *http.Request) error {
	if h.AuthRequests == nil {
		return httpx.NewProblem(http.StatusNotFound, httpx.CodeNotFound,
			"OpenID Connect is not enabled on this node")
	}
	id := r.PostFormValue("auth_request")
	switch r.PostFormValue("decision") {
	case "deny":
		return h.deny(w, r, id, "access_denied")
	case "approve":
	default:
		return httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"decision must be approve or deny")
	}
	who, err := h.who(r)
	if err != nil {
		return err
	}
	if who == nil {
		// The session ended while the page was open: start again.
		http.Redirect(w, r, "/ui/authorize?auth_request="+url.QueryEscape(id),
			http.StatusSeeOther)
		return nil
	}
	target, err := h.AuthRequests.Approve(r.Context(), id, *who, true)
	if err != nil {
		return h.requestGone(w, r, err)
	}
	// #nosec G710 -- target is the client's registered redirect URI (exact
	// match), built by the provider.
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}
