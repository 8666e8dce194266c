package app

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestNoCookieAuthenticates backs the CSRF section of docs/security.md:
// cross-site request forgery needs a credential the browser attaches on its
// own, and cerrojo's API takes none. An access token offered in a cookie,
// under any usual name, is ignored on reads and on state-changing routes,
// and no response of a sign-in sets a cookie. The hosted pages' session
// cookie, which authenticates /ui/ routes only, is sent to every /v1 route
// and changes no answer; package web's tests show the pages' CSRF defence.
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
		"Authorization", "__Host-session",
		// Social login's browser-binding cookies authenticate nothing either;
		// TestSocialSignInKeepsMFA tries a real binding value on these routes.
		"cerrojo_social", "cerrojo_social_fp"} {
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

	// The hosted pages' session cookie (docs/hosted-pages.md) authenticates
	// /ui/ routes only: sent with their CSRF token and a same-origin
	// Origin to every /v1 route, it changes no answer.
	uiCookie, csrf := uiSession(t, n, p.token)
	if r := api.do("POST", "/ui/token", "", "", "Cookie", uiCookie, "X-CSRF-Token", csrf,
		"Origin", n.app.Config.PublicURL); r.status != http.StatusOK {
		t.Fatalf("POST /ui/token with the page cookie: %d %s", r.status, r.raw)
	}
	for _, pattern := range n.app.Server.Router().Patterns() {
		method, path, _ := strings.Cut(pattern, " ")
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		path = pathParam.ReplaceAllString(path, "x")
		body := ""
		if method == "POST" || method == "PUT" || method == "PATCH" {
			body = "{}"
		}
		plain := api.do(method, path, body, "")
		with := api.do(method, path, body, "", "Cookie", uiCookie, "X-CSRF-Token", csrf,
			"Origin", n.app.Config.PublicURL, "Sec-Fetch-Site", "same-origin")
		if with.status != plain.status || (with.status >= 200 && with.status < 300 &&
			plain.status == http.StatusUnauthorized) {
			t.Errorf("%s with the page cookie: %d, without: %d", pattern, with.status,
				plain.status)
		}
	}
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\.*\}`)

// uiSession signs a browser into the hosted pages with an access token, as
// the sign-in page's script does, and returns its cookies and CSRF token.
func uiSession(t *testing.T, n *node, token string) (string, string) {
	t.Helper()
	resp, err := http.Get(n.url + "/ui/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("GET /ui/login: %d, no CSRF token", resp.StatusCode)
	}
	var cookies []string
	for _, c := range resp.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	req, _ := http.NewRequest("POST", n.url+"/ui/session", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-CSRF-Token", string(m[1]))
	req.Header.Set("Origin", n.app.Config.PublicURL)
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /ui/session: %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	return strings.Join(cookies, "; "), string(m[1])
}
