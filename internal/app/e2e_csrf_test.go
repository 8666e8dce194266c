package app

import (
	"net/http"
	"strings"
	"testing"
)

// TestNoCookieAuthenticates backs the CSRF section of docs/security.md:
// cross-site request forgery needs a credential the browser attaches on its
// own, and cerrojo's API takes none. An access token offered in a cookie,
// under any usual name, is ignored on reads and on state-changing routes,
// and no response of a sign-in sets a cookie. The day a route authenticates
// with cookies (the hosted pages), this test is where its CSRF defence must
// be shown.
func TestNoCookieAuthenticates(t *testing.T) {
	n := start(t, embeddedConfig(t))
	api := apiClient{t: t, base: n.url}
	p := signUp(t, api, "galleta@ejemplo.co", "customer")
	login := api.do("POST", "/v1/auth/login", credentials("galleta@ejemplo.co"), "")
	if c := login.header.Values("Set-Cookie"); len(c) != 0 {
		t.Fatalf("sign-in set cookies: %v", c)
	}
	api.do("GET", "/v1/me", "", p.token).want(t, 200, "the bearer token")
	var cookies []string
	for _, name := range []string{"access_token", "token", "session", "cerrojo",
		"Authorization", "__Host-session"} {
		cookies = append(cookies, name+"="+p.token)
	}
	cookie := strings.Join(cookies, "; ")
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/me", ""},
		{"POST", "/v1/me/sessions/end-others", ""},
		{"POST", "/v1/me/habeas-data/requests", `{"type":"access","description":"x"}`},
		{"POST", "/v1/me/consents", `{"policy_version":"1","decisions":[]}`},
	} {
		r := api.do(tc.method, tc.path, tc.body, "", "Cookie", cookie,
			"Origin", "https://evil.example")
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s %s with the token in cookies: %d, want 401", tc.method, tc.path,
				r.status)
		}
	}
}
