package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestFirstRunSetup follows the first-run link: it works from loopback
// only, with its token only, once; a weak password is refused without
// spending it; the account it makes is a super admin who must enrol a
// second factor at once; and after that there is no link and no page.
func TestFirstRunSetup(t *testing.T) {
	n := start(t, embeddedConfig(t))
	ctx := context.Background()
	link, err := n.app.SetupLink(ctx)
	if err != nil || !strings.HasPrefix(link, n.app.Config.PublicURL+"/setup?token=") {
		t.Fatalf("setup link %q, %v", link, err)
	}
	u, _ := url.Parse(link)
	token := u.Query().Get("token")
	if len(token) < 43 {
		t.Fatalf("token %q is shorter than 256 bits", token)
	}

	get := func(q string) *http.Response {
		t.Helper()
		resp, err := http.Get(n.url + "/setup?" + q)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	post := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := http.PostForm(n.url+"/setup", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if r := get("token=wrong"); r.StatusCode != 404 {
		t.Fatalf("a wrong token: %d", r.StatusCode)
	}
	r := get("token=" + url.QueryEscape(token))
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(string(body), `name="token" value="`+token) ||
		!strings.Contains(r.Header.Get("Content-Security-Policy"), "form-action 'self'") ||
		strings.Contains(r.Header.Get("Content-Security-Policy"), "script") ||
		r.Header.Get("Cache-Control") != "no-store" ||
		r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("the page: %d %v\n%s", r.StatusCode, r.Header, body)
	}

	// From another machine, even with the token.
	req := httptest.NewRequest("GET", "/setup?token="+url.QueryEscape(token), nil)
	req.RemoteAddr = "203.0.113.7:40000"
	w := httptest.NewRecorder()
	n.app.Server.Handler().ServeHTTP(w, req)
	if w.Code != 403 {
		t.Fatalf("from a non-loopback address: %d", w.Code)
	}

	resp, err := http.Post(n.url+"/setup", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != 415 {
		t.Fatalf("a JSON body: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if code, _ := post(url.Values{"token": {token}, "name": {strings.Repeat("n", 20<<10)}}); code !=
		413 {
		t.Fatalf("a form over 16 KiB: %d", code)
	}
	form := url.Values{"token": {token}, "email": {"jefa@ejemplo.co"},
		"name": {"Jefa"}, "password": {"corta"}}
	if code, page := post(form); code != 400 || !strings.Contains(page, "too_short") {
		t.Fatalf("a weak password: %d\n%s", code, page)
	}
	// Two submissions at once: exactly one makes the account.
	form.Set("password", journeyPassword)
	codes := make(chan int, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { c, _ := post(form); codes <- c })
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[201] != 1 || got[410] != 1 {
		t.Fatalf("two submissions: %v", got)
	}
	if code, _ := post(form); code != 410 {
		t.Fatalf("after the super admin exists: %d", code)
	}
	if again, err := n.app.SetupLink(ctx); err != nil || again != "" {
		t.Fatalf("a link after setup: %q %v", again, err)
	}

	api := apiClient{t: t, base: n.url}
	login := api.do("POST", "/v1/auth/login", credentials("jefa@ejemplo.co"), "").
		want(t, 200, "the super admin signs in")
	if login.body["mfa_enrollment_required"] != true || login.str("access_token") != "" {
		t.Fatalf("the first sign-in must enrol a factor: %s", login.raw)
	}
	roles, err := n.app.Authz.Roles(ctx, strings.TrimSpace(userIDOf(t, n, "jefa@ejemplo.co")))
	if err != nil || !slices.Contains(roles, "super_admin") {
		t.Fatalf("roles %v %v", roles, err)
	}
}

func userIDOf(t *testing.T, n *node, email string) string {
	t.Helper()
	var id string
	if err := n.app.DB.QueryRowContext(context.Background(), n.app.DB.Rebind(
		`SELECT id FROM users WHERE email_normalized = ?`), email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
