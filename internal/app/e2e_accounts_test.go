package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/mail/mailtest"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// apiClient speaks to a node the way a marketplace's app would.
type apiClient struct {
	t    *testing.T
	base string
	// bearer is sent when a call names none (the admin listener's operator).
	bearer string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c apiClient) do(method, path, body, bearer string, hdr ...string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer == "" {
		bearer = c.bearer
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	noteSecrets(r.body)
	return r
}

func (c apiClient) form(path string, values url.Values, user, pass string) reply {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	noteSecrets(r.body)
	return r
}

func (r reply) want(t *testing.T, status int, what string) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %d %s, want %d", what, r.status, r.raw, status)
	}
	return r
}

func (r reply) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

var sixDigits = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)
var linkToken = regexp.MustCompile(`token=([A-Za-z0-9%._~-]+)`)

// withSMTP points a configuration at an in-process SMTP server.
func withSMTP(cfg *config.Config, s *mailtest.Server) {
	cfg.Mail.SMTP.Host = s.Host
	cfg.Mail.SMTP.Port = s.Port
	cfg.Mail.SMTP.TLS = "none"
	cfg.Mail.SMTP.Timeout = config.Duration(5 * time.Second)
}

// TestAccountJourney follows a customer through the API on both databases:
// register, confirm the email from the message an SMTP server received,
// sign in, use and refresh tokens, introspect them as a resource server,
// change the password, sign out, and reset a forgotten password.
func TestAccountJourney(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			cfg := embeddedConfig(t)
			if dialect == "postgres" {
				cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
				key, _ := keyring.NewMasterKey()
				cfg.MasterKey.Value = config.Secret(key)
			}
			smtp := mailtest.Start(t)
			withSMTP(&cfg, smtp)
			n := start(t, cfg)
			api := apiClient{t: t, base: n.url}
			journey(t, n, api, smtp)
		})
	}
}

func journey(t *testing.T, n *node, api apiClient, smtp *mailtest.Server) {
	const email = "Camila.Rojas@Ejemplo.co"
	const pw = "mi tienda de café 2026"

	// 1. Register; the answer does not say whether the address was new.
	reg := api.do("POST", "/v1/accounts", `{"email":"`+email+`","password":"`+pw+
		`","name":"Camila Rojas","phone":"300 123 4567","kind":"vendor"}`, "").
		want(t, 202, "register")
	again := api.do("POST", "/v1/accounts", `{"email":"camila.rojas@ejemplo.co","password":"`+
		`otra clave muy larga 9","name":"Impostor","kind":"customer"}`, "").
		want(t, 202, "register again")
	if reg.raw != again.raw {
		t.Errorf("registration answers differ for a new and a taken address:\n%s\n%s", reg.raw,
			again.raw)
	}
	weak := api.do("POST", "/v1/accounts", `{"email":"x@ejemplo.co","password":"123456789",`+
		`"name":"X","kind":"customer"}`, "").want(t, 400, "weak password")
	if !strings.Contains(weak.raw, `"code":"common"`) {
		t.Errorf("weak password problem lacks the common code: %s", weak.raw)
	}

	// 2. Verify the address with the code from the email.
	msg := smtp.WaitFor(t, email, "Confirme su correo", 10*time.Second)
	m := sixDigits.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("no code in the verification email:\n%s", msg.Text)
	}
	verify := func(code string) reply {
		return api.do("POST", "/v1/accounts/email-verification",
			`{"email":"`+email+`","code":"`+code+`"}`, "")
	}
	verify("000000x").want(t, 400, "malformed code")
	verify(m[1]).want(t, 200, "verify email")
	smtp.WaitFor(t, "camila.rojas@ejemplo.co", "", 10*time.Second) // the owner's notice

	// 3. Sign in.
	bad := api.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"wrong"}`, "").
		want(t, 401, "wrong password")
	unknown := api.do("POST", "/v1/auth/login",
		`{"email":"nadie@ejemplo.co","password":"wrong"}`, "").want(t, 401, "unknown email")
	if stripRequestID(bad.raw) != stripRequestID(unknown.raw) {
		t.Errorf("login failures differ:\n%s\n%s", bad.raw, unknown.raw)
	}
	login := api.do("POST", "/v1/auth/login",
		`{"email":"camila.rojas@ejemplo.co","password":"`+pw+`"}`, "").want(t, 200, "login")
	access, refresh := login.str("access_token"), login.str("refresh_token")
	if login.str("token_type") != "Bearer" || access == "" ||
		!strings.HasPrefix(refresh, "crj_rt_") {
		t.Fatalf("login answer: %s", login.raw)
	}
	me := api.do("GET", "/v1/me", "", access).want(t, 200, "me")
	if me.body["email_verified"] != true || me.str("phone") != "+573001234567" ||
		me.str("kind") != "vendor" {
		t.Errorf("me: %s", me.raw)
	}
	api.do("GET", "/v1/me", "", "").want(t, 401, "me without a token")
	api.do("GET", "/v1/me", "", access+"x").want(t, 401, "me with a tampered token")

	// 4. Refresh through the OAuth token endpoint; the old token is spent.
	tok := api.form("/oauth2/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {refresh}, "client_id": {"cerrojo"}}, "", "").want(t, 200, "refresh")
	access2, refresh2 := tok.str("access_token"), tok.str("refresh_token")
	if refresh2 == refresh || access2 == "" {
		t.Fatalf("refresh did not rotate: %s", tok.raw)
	}
	pwGrant := api.form("/oauth2/token", url.Values{"grant_type": {"password"},
		"username": {email}, "password": {pw}, "client_id": {"cerrojo"}}, "", "").
		want(t, 400, "password grant")
	if pwGrant.str("error") != "unsupported_grant_type" {
		t.Errorf("password grant: %s", pwGrant.raw)
	}

	// 5. A resource server introspects with its own credentials.
	rs, secret, err := n.app.Clients.Create(context.Background(), clients.NewClient{
		Name: "catalog-service", Type: clients.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	intro := api.form("/oauth2/introspect", url.Values{"token": {access2}}, rs.ID, secret).
		want(t, 200, "introspect")
	if intro.body["active"] != true || intro.str("sub") != me.str("id") {
		t.Fatalf("introspection of a live token: %s", intro.raw)
	}
	api.form("/oauth2/introspect", url.Values{"token": {access2}}, rs.ID, secret+"x").
		want(t, 401, "introspect with a wrong secret")
	api.form("/oauth2/introspect", url.Values{"token": {access2}, "client_id": {"cerrojo"}},
		"", "").want(t, 401, "introspect as a public client")

	// 6. Sessions: list, and sign out.
	list := api.do("GET", "/v1/me/sessions", "", access2).want(t, 200, "list sessions")
	if sessions, _ := list.body["sessions"].([]any); len(sessions) != 1 {
		t.Fatalf("sessions: %s", list.raw)
	}
	api.do("POST", "/v1/auth/logout", "", access2).want(t, 204, "logout")
	intro = api.form("/oauth2/introspect", url.Values{"token": {access2}}, rs.ID, secret).
		want(t, 200, "introspect after logout")
	if intro.body["active"] != false {
		t.Errorf("token still active after logout: %s", intro.raw)
	}
	api.do("GET", "/v1/me", "", access2).want(t, 401, "me after logout")
	gone := api.form("/oauth2/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {refresh2}, "client_id": {"cerrojo"}}, "", "").
		want(t, 400, "refresh after logout")
	if gone.str("error") != "invalid_grant" {
		t.Errorf("refresh after logout: %s", gone.raw)
	}
	revs := api.do("GET", "/v1/sessions/revocations", "", "").want(t, 200, "revocation list")
	if !strings.Contains(revs.raw, login.str("session_id")) {
		t.Errorf("the ended session is not on the revocation list: %s", revs.raw)
	}
	api.do("GET", "/v1/sessions/revocations", "", "", "If-None-Match", revs.header.Get("ETag")).
		want(t, 304, "revocation list unchanged")

	// 7. Forgotten password: a link by email, then a new password.
	forgot := api.do("POST", "/v1/accounts/password-reset", `{"email":"`+email+`"}`, "").
		want(t, 202, "forgot")
	nobody := api.do("POST", "/v1/accounts/password-reset", `{"email":"nadie@ejemplo.co"}`, "").
		want(t, 202, "forgot for an unknown email")
	if forgot.raw != nobody.raw {
		t.Errorf("recovery answers differ for a known and an unknown email:\n%s\n%s", forgot.raw,
			nobody.raw)
	}
	reset := smtp.WaitFor(t, email, "Restablezca su contraseña", 10*time.Second)
	lt := linkToken.FindStringSubmatch(reset.Text)
	if lt == nil {
		t.Fatalf("no link in the reset email:\n%s", reset.Text)
	}
	secretTok, _ := url.QueryUnescape(lt[1])
	api.do("POST", "/v1/accounts/password-reset/complete", `{"token":"`+secretTok+
		`","password":"una clave nueva y larga","end_other_sessions":true}`, "").
		want(t, 200, "reset")
	api.do("POST", "/v1/auth/login",
		`{"email":"`+email+`","password":"una clave nueva y larga"}`, "").
		want(t, 200, "login with the new password")
	api.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"`+pw+`"}`, "").
		want(t, 401, "login with the old password")
}

var requestIDField = regexp.MustCompile(`"request_id":"[^"]*"`)

func stripRequestID(s string) string { return requestIDField.ReplaceAllString(s, "") }
