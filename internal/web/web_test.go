package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/internal/tokens"
	"github.com/cerrojo/cerrojo/sdk"
)

// minter stands in for package tokens: a token is "at.", the session id, ".",
// the subject.
type minter struct{ clock clock.Clock }

func (m minter) Mint(_ context.Context, c tokens.Claims) (string, time.Time, error) {
	return "at." + c.SessionID + "." + c.Subject, m.clock.Now().Add(5 * time.Minute), nil
}

// verifier accepts the minter's tokens, as sdk.Verifier accepts signed ones.
type verifier struct{}

func (verifier) Verify(_ context.Context, token string) (*sdk.Claims, error) {
	rest, ok := strings.CutPrefix(token, "at.")
	sid, sub, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return nil, errors.New("bad token")
	}
	return &sdk.Claims{SessionID: sid, Subject: sub}, nil
}

type fixture struct {
	h        *Handlers
	srv      http.Handler
	db       *storage.DB
	sessions *sessions.Service
	auth     *fakeRequests
	origin   string
}

func newFixture(t *testing.T, db *storage.DB, publicURL string) *fixture {
	t.Helper()
	fake := clock.NewFake(time.Now())
	master := make([]byte, 32)
	rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	ses := sessions.New(sessions.Options{DB: db, Minter: minter{fake}, AccessTTL: 5 * time.Minute,
		Audit: log, Clock: fake, Config: sessions.DefaultConfig()})
	auth := &fakeRequests{views: map[string]AuthRequestView{}}
	h, err := New(Options{DB: db, Ring: ring, Verifier: verifier{}, Sessions: ses,
		AuthRequests: auth, PublicURL: publicURL, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter()
	h.Routes(r)
	u, _ := url.Parse(publicURL)
	return &fixture{h: h, srv: httpx.SecurityHeaders(r), db: db, sessions: ses, auth: auth,
		origin: u.Scheme + "://" + u.Host}
}

// browser is a cookie jar and the CSRF token of the last page it loaded.
type browser struct {
	f       *fixture
	cookies map[string]*http.Cookie
	csrf    string
}

func (f *fixture) browser() *browser { return &browser{f: f, cookies: map[string]*http.Cookie{}} }

func (b *browser) do(req *http.Request) *httptest.ResponseRecorder {
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.f.srv.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

var csrfMeta = `name="csrf-token" content="`

func (b *browser) get(t *testing.T, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", b.f.origin+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := b.do(req)
	body := w.Body.String()
	if i := strings.Index(body, csrfMeta); i >= 0 {
		rest := body[i+len(csrfMeta):]
		b.csrf = rest[:strings.IndexByte(rest, '"')]
	}
	return w
}

// post sends a same-origin POST the way the pages' scripts do, unless hdr
// overrides the headers.
func (b *browser) post(t *testing.T, path string, form url.Values,
	hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest("POST", b.f.origin+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req.Header.Set(csrfHeader, b.csrf)
	}
	req.Header.Set("Origin", b.f.origin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	return b.do(req)
}

// signIn creates a cerrojo session for a new user and turns it into a
// browser session as the sign-in page does.
func (b *browser) signIn(t *testing.T, user string) sessions.Issued {
	t.Helper()
	storagetest.AddUser(t, b.f.db, user, "customer", "active")
	is, err := b.f.sessions.Create(context.Background(), sessions.CreateInput{UserID: user,
		ACR: "pwd", AMR: []string{"pwd"}}, sessions.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	b.get(t, "/ui/login")
	w := b.post(t, "/ui/session", nil, "Authorization", "Bearer "+is.AccessToken)
	if w.Code != http.StatusNoContent {
		t.Fatalf("POST /ui/session: %d %s", w.Code, w.Body)
	}
	return is
}

func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, code, what string) {
	t.Helper()
	var p struct{ Code string }
	json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != status || p.Code != code ||
		w.Header().Get("Content-Type") != httpx.ContentTypeProblem {
		t.Errorf("%s: %d %s %q, want %d %s problem", what, w.Code,
			w.Header().Get("Content-Type"), w.Body, status, code)
	}
}

// TestCSRFRefusals: a POST under /ui/ passes only with the token of its
// own browser's cookie and from cerrojo's origin; each missing piece is a
// 403 problem, before the handler runs.
func TestCSRFRefusals(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), "http://localhost:8080")
	b := f.browser()
	b.signIn(t, "usr_csrf")
	other := f.browser()
	other.get(t, "/ui/login")

	for _, tc := range []struct {
		what string
		hdr  []string
	}{
		{"no token", []string{csrfHeader, ""}},
		{"another browser's token", []string{csrfHeader, other.csrf}},
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}},
		{"same-site fetch", []string{"Sec-Fetch-Site", "same-site"}},
		{"another origin", []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}},
		{"null origin", []string{"Sec-Fetch-Site", "", "Origin", "null"}},
		{"neither origin header", []string{"Sec-Fetch-Site", "", "Origin", ""}},
	} {
		for _, path := range []string{"/ui/token", "/ui/logout", "/ui/session",
			"/ui/authorize"} {
			wantProblem(t, b.post(t, path, nil, tc.hdr...), 403, CodeCSRF, tc.what+" "+path)
		}
	}
	// Without its CSRF cookie the browser's token means nothing.
	noCookie := &browser{f: f, cookies: map[string]*http.Cookie{}, csrf: b.csrf}
	for name, c := range b.cookies {
		if !strings.Contains(name, csrfCookie) {
			noCookie.cookies[name] = c
		}
	}
	wantProblem(t, noCookie.post(t, "/ui/token", nil), 403, CodeCSRF, "no CSRF cookie")
	// A form post carries the token in a field.
	w := b.post(t, "/ui/token", url.Values{csrfField: {b.csrf}})
	if w.Code != 200 {
		t.Errorf("form post with the token: %d %s", w.Code, w.Body)
	}
	// A form post under Referrer-Policy no-referrer sends Origin: null;
	// Sec-Fetch-Site vouches for it.
	w = b.post(t, "/ui/token", nil, "Origin", "null")
	if w.Code != 200 {
		t.Errorf("same-origin fetch with Origin null: %d %s", w.Code, w.Body)
	}
	wantProblem(t, b.post(t, "/ui/token", nil, "Origin", "https://evil.example"), 403, CodeCSRF,
		"same-origin fetch metadata with a foreign Origin")
	// Origin alone (browsers without Fetch Metadata) is enough with the token.
	w = b.post(t, "/ui/token", nil, "Sec-Fetch-Site", "")
	if w.Code != 200 {
		t.Errorf("same origin without Sec-Fetch-Site: %d %s", w.Code, w.Body)
	}
}

// TestCookies: the session cookie is HttpOnly, SameSite=Lax, Path=/, a
// browser-session cookie, Secure with __Host- under https; the database
// holds only its SHA-256.
func TestCookies(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		for _, tc := range []struct {
			url, prefix string
			secure      bool
		}{{"http://localhost:8080", "", false}, {"https://id.ejemplo.co", hostPrefix, true}} {
			f := newFixture(t, db, tc.url)
			b := f.browser()
			b.signIn(t, "usr_cookie_"+map[bool]string{true: "s", false: "p"}[tc.secure])
			for _, name := range []string{sessionCookie, csrfCookie} {
				c, ok := b.cookies[tc.prefix+name]
				if !ok {
					t.Fatalf("%s: no cookie %s%s in %v", tc.url, tc.prefix, name, b.cookies)
				}
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
					c.Secure != tc.secure || c.Domain != "" || c.MaxAge != 0 {
					t.Errorf("%s: cookie %s: %+v", tc.url, c.Name, c)
				}
				if len(c.Value) < 43 {
					t.Errorf("cookie %s holds %d characters, want 256 bits", c.Name, len(c.Value))
				}
			}
			value := b.cookies[tc.prefix+sessionCookie].Value
			var stored []byte
			err := db.QueryRowContext(context.Background(),
				db.Rebind(`SELECT cookie_hash FROM web_sessions WHERE cookie_hash = ?`),
				cookieHash(value)).Scan(&stored)
			sum := sha256.Sum256([]byte(value))
			if err != nil || !bytes.Equal(stored, sum[:]) {
				t.Errorf("stored hash: %x, %v", stored, err)
			}
			var n int
			if err := db.QueryRowContext(context.Background(), db.Rebind(
				`SELECT COUNT(*) FROM web_sessions WHERE cookie_hash = ? OR session_id = ?`),
				[]byte(value), value).Scan(&n); err != nil || n != 0 {
				t.Errorf("the cookie value itself is stored (%d rows, %v)", n, err)
			}
		}
	})
}

// TestBrowserSession: /ui/session takes only a valid token of a live
// session; the cookie then buys access tokens of that session until it
// ends, whoever ends it; logout ends it and clears the cookie.
func TestBrowserSession(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "http://localhost:8080")
		b := f.browser()
		b.get(t, "/ui/login")
		wantProblem(t, b.post(t, "/ui/session", nil), 401, "missing_token", "no bearer")
		wantProblem(t, b.post(t, "/ui/session", nil, "Authorization", "Bearer forged"), 401,
			"invalid_token", "forged bearer")
		wantProblem(t, b.post(t, "/ui/token", nil), 401, "not_signed_in", "token unsigned")
		if w := b.get(t, "/ui/account"); w.Code != 303 ||
			!strings.HasPrefix(w.Header().Get("Location"), "/ui/login?next=") {
			t.Errorf("account page without a session: %d %s", w.Code, w.Header())
		}

		is := b.signIn(t, "usr_browser")
		// A token naming that session for someone else sets no cookie.
		other := f.browser()
		other.get(t, "/ui/login")
		wantProblem(t, other.post(t, "/ui/session", nil, "Authorization",
			"Bearer at."+is.Session.ID+".usr_other"), 401, "invalid_token",
			"another subject's token for the session")
		w := b.post(t, "/ui/token", nil)
		var tok tokenJSON
		json.Unmarshal(w.Body.Bytes(), &tok)
		if w.Code != 200 || tok.SessionID != is.Session.ID || tok.AccessToken == "" ||
			w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("POST /ui/token: %d %s", w.Code, w.Body)
		}
		if w := b.get(t, "/ui/account"); w.Code != 200 {
			t.Errorf("account page with a session: %d", w.Code)
		}

		// Ending the session through the API ends the browser session.
		if err := f.sessions.End(ctx, "usr_browser", is.Session.ID, "logout",
			sessions.Meta{}); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, b.post(t, "/ui/token", nil), 401, "not_signed_in", "after End")
		// ... and a token of an ended session makes none.
		wantProblem(t, b.post(t, "/ui/session", nil, "Authorization", "Bearer "+is.AccessToken),
			401, "invalid_token", "ended session's token")

		// Logout.
		is2 := b.signIn(t, "usr_browser2")
		w = b.post(t, "/ui/logout", url.Values{csrfField: {b.csrf}})
		if w.Code != 303 || w.Header().Get("Location") != "/ui/signed-out" {
			t.Errorf("logout: %d %s", w.Code, w.Header())
		}
		if _, ok := b.cookies[sessionCookie]; ok {
			t.Errorf("logout left the session cookie")
		}
		if _, err := f.sessions.Check(ctx, is2.Session.ID); !errors.Is(err,
			sessions.ErrSessionEnded) {
			t.Errorf("logout left the session active: %v", err)
		}
	})
}

// TestContentSecurityPolicy: pages under /ui/ carry the pages' policy,
// which allows no inline script; the API keeps its own.
func TestContentSecurityPolicy(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), "http://localhost:8080")
	b := f.browser()
	for _, path := range []string{"/ui/login", "/ui/signup", "/ui/reset", "/ui/reset?token=x",
		"/ui/verify-email?token=x", "/ui/signed-out", "/ui/static/login.js"} {
		w := b.get(t, path)
		csp := w.Header().Get("Content-Security-Policy")
		if w.Code != 200 || csp != httpx.PagePolicy {
			t.Errorf("%s: %d, CSP %q", path, w.Code, csp)
		}
		for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*"} {
			if strings.Contains(csp, bad) {
				t.Errorf("%s: CSP allows %s", path, bad)
			}
		}
		if !strings.Contains(csp, "script-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	if w := b.get(t, "/ui/static/"); w.Code != 404 {
		t.Errorf("static directory listing: %d", w.Code)
	}
}

// TestNoInlineScript parses every template, and every page as served,
// and fails on inline script, event-handler attributes, javascript: URLs
// and inline styles, none of which the pages' policy would run.
func TestNoInlineScript(t *testing.T) {
	check := func(name string, src []byte) {
		doc, err := html.Parse(bytes.NewReader(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				src := ""
				for _, a := range n.Attr {
					k := strings.ToLower(a.Key)
					switch {
					case strings.HasPrefix(k, "on"):
						t.Errorf("%s: <%s %s=...>: event-handler attribute", name, n.Data, a.Key)
					case k == "style":
						t.Errorf("%s: <%s style=...>: inline style", name, n.Data)
					case strings.HasPrefix(strings.TrimSpace(strings.ToLower(a.Val)),
						"javascript:"):
						t.Errorf("%s: <%s %s=%q>", name, n.Data, a.Key, a.Val)
					case k == "src":
						src = a.Val
					}
				}
				if n.Data == "script" && (src == "" || n.FirstChild != nil) {
					t.Errorf("%s: inline <script>", name)
				}
				if n.Data == "style" {
					t.Errorf("%s: inline <style>", name)
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}
	files, _ := fs.Glob(templateFS, "templates/*.html")
	if len(files) < len(pageNames)+1 {
		t.Fatalf("templates: %v", files)
	}
	for _, name := range files {
		src, _ := templateFS.ReadFile(name)
		check(name, src)
	}

	f := newFixture(t, storagetest.SQLite(t), "http://localhost:8080")
	b := f.browser()
	b.signIn(t, "usr_pages")
	f.auth.views["ar_1"] = AuthRequestView{ID: "ar_1", ClientName: "Tienda", NeedsConsent: true,
		Scopes: []string{"openid", "email", "custom"}}
	for _, path := range []string{"/ui/login", "/ui/signup", "/ui/reset", "/ui/reset?token=x",
		"/ui/verify-email", "/ui/signed-out", "/ui/account", "/ui/authorize?auth_request=ar_1",
		"/ui/authorize?auth_request=gone", "/ui/login?lang=en"} {
		w := b.get(t, path)
		if w.Code >= 300 && w.Code < 400 {
			t.Errorf("%s: %d", path, w.Code)
		}
		check(path, w.Body.Bytes())
	}
	// The scripts build the page with textContent, never innerHTML.
	scripts, _ := fs.Glob(staticFS, "static/*.js")
	for _, name := range scripts {
		src, _ := staticFS.ReadFile(name)
		for _, bad := range []string{"innerHTML", "outerHTML", "eval(", "document.write",
			"new Function", "localStorage", "sessionStorage"} {
			if bytes.Contains(src, []byte(bad)) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

// TestLanguages: Spanish of Colombia by default, English by ?lang=en or
// Accept-Language.
func TestLanguages(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), "http://localhost:8080")
	b := f.browser()
	for _, tc := range []struct {
		path, accept, lang, text string
	}{
		{"/ui/login", "", "es-CO", "Contraseña"},
		{"/ui/login", "en-US,en;q=0.9", "en", "Password"},
		{"/ui/login", "es-CO,es;q=0.9,en;q=0.5", "es-CO", "Ingresar"},
		{"/ui/login", "fr-FR", "es-CO", "Ingresar"},
		{"/ui/login?lang=en", "es-CO", "en", "Sign in"},
		{"/ui/signup?lang=es", "en", "es-CO", "Crear una cuenta"},
	} {
		w := b.get(t, tc.path, "Accept-Language", tc.accept)
		body := w.Body.String()
		if !strings.Contains(body, `<html lang="`+tc.lang+`">`) ||
			!strings.Contains(body, tc.text) || w.Header().Get("Content-Language") != tc.lang {
			t.Errorf("%s (Accept-Language %q): want %s with %q", tc.path, tc.accept, tc.lang,
				tc.text)
		}
	}
	// A chosen language sticks to the page's links.
	if body := b.get(t, "/ui/login?lang=en").Body.String(); !strings.Contains(body,
		`href="/ui/signup?lang=en"`) {
		t.Errorf("links do not keep ?lang=en")
	}
}

// TestEmailLinks: the paths of the links in cerrojo's emails lead to the
// pages, token and all.
func TestEmailLinks(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), "http://localhost:8080")
	b := f.browser()
	for from, to := range map[string]string{
		"/reset-password?token=abc": "/ui/reset?token=abc",
		"/verify-email?token=xyz":   "/ui/verify-email?token=xyz",
		"/confirm-email?token=def":  "/ui/confirm-email?token=def",
	} {
		if w := b.get(t, from); w.Code != 303 || w.Header().Get("Location") != to {
			t.Errorf("%s: %d %s, want 303 to %s", from, w.Code, w.Header().Get("Location"), to)
		}
	}
}

// fakeRequests stands in for the OpenID provider (package openid).
type fakeRequests struct {
	views    map[string]AuthRequestView
	seen     *SignedIn
	approved []string
	denied   []string
}

func (f *fakeRequests) View(_ context.Context, id string, who *SignedIn) (AuthRequestView,
	error) {
	v, ok := f.views[id]
	if !ok {
		return AuthRequestView{}, ErrAuthRequestNotFound
	}
	f.seen = who
	if who == nil {
		v.NeedsLogin = true
	}
	return v, nil
}

func (f *fakeRequests) Approve(_ context.Context, id string, who SignedIn,
	consented bool) (string, error) {
	if _, ok := f.views[id]; !ok {
		return "", ErrAuthRequestNotFound
	}
	f.approved = append(f.approved, id+" "+who.UserID+" "+map[bool]string{true: "consented",
		false: "-"}[consented])
	return "https://tienda.example/cb?code=c-" + id, nil
}

func (f *fakeRequests) Deny(_ context.Context, id, oauthError string) (string, error) {
	f.denied = append(f.denied, id+" "+oauthError)
	return "https://tienda.example/cb?error=" + oauthError, nil
}

// TestAuthorize walks the continuation: sign-in first, prompt=none,
// consent page, approve and deny, and a request that needs no page.
func TestAuthorize(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), "http://localhost:8080")
	b := f.browser()
	f.auth.views["ar_c"] = AuthRequestView{ID: "ar_c", ClientID: "cli_1", ClientName: "Tienda",
		Scopes: []string{"openid", "profile", "offline_access"}, NeedsConsent: true,
		LoginHint: "ana@ejemplo.co"}
	f.auth.views["ar_none"] = AuthRequestView{ID: "ar_none", PromptNone: true}
	f.auth.views["ar_ok"] = AuthRequestView{ID: "ar_ok", ClientID: "cli_first"}

	w := b.get(t, "/ui/authorize?auth_request=ar_c")
	if w.Code != 303 || w.Header().Get("Location") !=
		"/ui/login?auth_request=ar_c&login_hint=ana%40ejemplo.co" {
		t.Fatalf("not signed in: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = b.get(t, "/ui/authorize?auth_request=ar_none")
	if w.Code != 303 || !strings.HasSuffix(w.Header().Get("Location"), "error=login_required") {
		t.Errorf("prompt=none signed out: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := b.get(t, "/ui/authorize?auth_request=nope"); w.Code != 400 {
		t.Errorf("unknown request: %d", w.Code)
	}

	b.signIn(t, "usr_oidc")
	w = b.get(t, "/ui/authorize?auth_request=ar_c")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Tienda") ||
		!strings.Contains(body, messages[langES]["scope_offline_access"]) ||
		!strings.Contains(body, `name="csrf_token"`) {
		t.Fatalf("consent page: %d %s", w.Code, body)
	}
	if f.auth.seen == nil || f.auth.seen.UserID != "usr_oidc" {
		t.Errorf("View saw %+v", f.auth.seen)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp,
		"form-action 'self' https:") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("consent page CSP: %q", csp)
	}
	// Prompt=none with consent needed is denied with consent_required.
	f.auth.views["ar_none"] = AuthRequestView{ID: "ar_none", PromptNone: true, NeedsConsent: true}
	w = b.get(t, "/ui/authorize?auth_request=ar_none")
	if !strings.HasSuffix(w.Header().Get("Location"), "error=consent_required") {
		t.Errorf("prompt=none without consent: %s", w.Header().Get("Location"))
	}

	// The consent form's answer, which must carry the CSRF token.
	wantProblem(t, b.post(t, "/ui/authorize", url.Values{"auth_request": {"ar_c"},
		"decision": {"approve"}}), 403, CodeCSRF, "consent without token")
	w = b.post(t, "/ui/authorize", url.Values{"auth_request": {"ar_c"},
		"decision": {"approve"}, csrfField: {b.csrf}})
	if w.Code != 303 || w.Header().Get("Location") != "https://tienda.example/cb?code=c-ar_c" {
		t.Errorf("approve: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = b.post(t, "/ui/authorize", url.Values{"auth_request": {"ar_c"},
		"decision": {"deny"}, csrfField: {b.csrf}})
	if !strings.HasSuffix(w.Header().Get("Location"), "error=access_denied") {
		t.Errorf("deny: %d %s", w.Code, w.Header().Get("Location"))
	}
	// Signed in, nothing to ask: straight back to the client.
	w = b.get(t, "/ui/authorize?auth_request=ar_ok")
	if w.Code != 303 || w.Header().Get("Location") != "https://tienda.example/cb?code=c-ar_ok" {
		t.Errorf("no page needed: %d %s", w.Code, w.Header().Get("Location"))
	}
	want := []string{"ar_c usr_oidc consented", "ar_ok usr_oidc -"}
	if strings.Join(f.auth.approved, ",") != strings.Join(want, ",") {
		t.Errorf("approved %v, want %v", f.auth.approved, want)
	}
}

// TestAuthorizeOff: without a provider /ui/authorize is not there.
func TestAuthorizeOff(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), "http://localhost:8080")
	f.h.AuthRequests = nil
	b := f.browser()
	if w := b.get(t, "/ui/authorize?auth_request=x"); w.Code != 404 {
		t.Errorf("GET /ui/authorize without a provider: %d", w.Code)
	}
}
