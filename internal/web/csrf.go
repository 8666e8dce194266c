package web

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// CSRF defence (OWASP ASVS 5.0 3.5.1, 3.5.2; OWASP CSRF Prevention Cheat
// Sheet, "signed double-submit cookie" and "Fetch Metadata"). A browser
// gets a random 256-bit value in an HttpOnly cookie the first time it
// loads a page; pages carry HMAC(key ring, "web-csrf", value) in a meta
// tag and hidden fields. A POST under /ui/ must bring the token (header
// X-CSRF-Token or form field csrf_token) matching its own cookie, and must
// come from cerrojo's own origin: Sec-Fetch-Site same-origin when the
// browser sends Fetch Metadata, and an Origin, when one is sent, equal to
// public_url's (or "null" beside Sec-Fetch-Site same-origin). A
// request with neither header is refused, so only a browser on one of
// cerrojo's own pages can post. Another site can neither read the token
// (same-origin policy) nor forge the origin headers.

const (
	csrfPurpose = "web-csrf"
	csrfHeader  = "X-CSRF-Token"
	csrfField   = "csrf_token"
	// CodeCSRF is the problem code of a refused POST.
	CodeCSRF = "csrf_failed"
)

// randomValue is 256 random bits, base64url.
func randomValue() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (h *Handlers) csrfFor(value string) string {
	return base64.RawURLEncoding.EncodeToString(h.Ring.MAC(csrfPurpose, []byte(value)))
}

// csrfToken returns the token for the browser's CSRF cookie, setting a new
// cookie when it has none.
func (h *Handlers) csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(h.cookieName(csrfCookie)); err == nil && len(c.Value) >= 43 {
		return h.csrfFor(c.Value), nil
	}
	v, err := randomValue()
	if err != nil {
		return "", err
	}
	// The cookie lives as long as the browser: it identifies nobody and
	// is worth nothing without the key ring.
	http.SetCookie(w, h.cookie(csrfCookie, v, 0))
	// The request may go on to set the session cookie; make the new value
	// visible to it.
	// #nosec G124 -- added to the request being served, never sent.
	r.AddCookie(&http.Cookie{Name: h.cookieName(csrfCookie), Value: v})
	return h.csrfFor(v), nil
}

// cookie builds one of the pages' cookies (ASVS 5.0 3.3.1, 3.3.2, 3.3.4):
// HttpOnly, SameSite=Lax (sent on the top-level navigation back from an
// OpenID client, never on another site's subrequests or POSTs), Path=/,
// Secure with the __Host- prefix under https. maxAge 0 makes a browser-
// session cookie, negative deletes it.
func (h *Handlers) cookie(base, value string, maxAge int) *http.Cookie {
	// #nosec G124 -- Secure whenever public_url is https; an http public_url
	// (localhost development) cannot keep a Secure cookie.
	return &http.Cookie{Name: h.cookieName(base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
}

// checkCSRF enforces the rules above on a POST.
func (h *Handlers) checkCSRF(r *http.Request) error {
	refuse := func(detail string) error {
		return httpx.NewProblem(http.StatusForbidden, CodeCSRF, detail)
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); {
	case site != "":
		if site != "same-origin" {
			return refuse("the request did not come from one of cerrojo's pages")
		}
	case r.Header.Get("Origin") == "":
		return refuse("the request carries neither Sec-Fetch-Site nor Origin")
	}
	// Under the pages' Referrer-Policy no-referrer, browsers send Origin:
	// null with form posts (Fetch, "serializing a request origin"); the
	// Sec-Fetch-Site header, which pages cannot set, then vouches alone.
	o := r.Header.Get("Origin")
	nullOK := o == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin"
	if o != "" && !nullOK && !strings.EqualFold(o, h.origin) {
		return refuse("the request came from another origin")
	}
	c, err := r.Cookie(h.cookieName(csrfCookie))
	if err != nil || c.Value == "" {
		return refuse("the browser has no CSRF cookie; reload the page")
	}
	sent := r.Header.Get(csrfHeader)
	if sent == "" && strings.HasPrefix(r.Header.Get("Content-Type"),
		"application/x-www-form-urlencoded") {
		sent = r.PostFormValue(csrfField)
	}
	if sent == "" || !hmac.Equal([]byte(sent), []byte(h.csrfFor(c.Value))) {
		return refuse("the CSRF token is missing or does not match; reload the page")
	}
	return nil
}

// guard runs next only for POSTs that pass checkCSRF.
func (h *Handlers) guard(next httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := h.checkCSRF(r); err != nil {
			return err
		}
		return next(w, r)
	}
}
