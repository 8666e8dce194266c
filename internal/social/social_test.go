package social

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/audit/audittest"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/counters"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/password"
	"github.com/cerrojo/cerrojo/internal/social/socialtest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// notes records the account mails, for the reset link.
type notes struct {
	mu    sync.Mutex
	links map[string]string // email -> last reset link
	sent  []string
}

func (n *notes) add(kind string, u accounts.User, link string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, kind+":"+u.Email.Address)
	if kind == "reset" {
		n.links[u.Email.Address] = link
	}
	return nil
}
func (n *notes) VerifyEmail(_ context.Context, u accounts.User, _, link string) error {
	return n.add("verify", u, link)
}
func (n *notes) EmailAlreadyRegistered(_ context.Context, u accounts.User) error {
	return n.add("already", u, "")
}
func (n *notes) PasswordReset(_ context.Context, u accounts.User, link string) error {
	return n.add("reset", u, link)
}
func (n *notes) PasswordChanged(_ context.Context, u accounts.User) error {
	return n.add("changed", u, "")
}
func (n *notes) AccountLocked(_ context.Context, u accounts.User, _ time.Time) error {
	return n.add("locked", u, "")
}
func (n *notes) EmailChangeRequested(_ context.Context, u accounts.User, _ string) error {
	return n.add("change_requested", u, "")
}
func (n *notes) EmailChanged(_ context.Context, u accounts.User, _ string) error {
	return n.add("changed_email", u, "")
}

var (
	hasherOnce sync.Once
	hasher     *password.Hasher
)

type fixture struct {
	t        *testing.T
	db       *storage.DB
	clock    *clock.Fake
	accts    *accounts.Service
	svc      *Service
	audit    *audittest.Recorder
	mail     *notes
	site     string
	passkeys int
}

const (
	clientID     = "cerrojo-test"
	clientSecret = "s3cret-of-the-client"
	goodPassword = "una frase larga y rara 7"
)

// newFixture runs cerrojo's social routes on loopback with the providers
// that providers returns.
func newFixture(t *testing.T, db *storage.DB, providers ...config.SocialProvider) *fixture {
	t.Helper()
	hasherOnce.Do(func() {
		var err error
		if hasher, err = password.NewHasher(password.Config{}); err != nil {
			t.Fatal(err)
		}
	})
	f := &fixture{t: t, db: db, clock: clock.NewFake(time.Now()), audit: &audittest.Recorder{},
		mail: &notes{links: map[string]string{}}}
	master := make([]byte, 32)
	rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(httpx.WithRequestInfo(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) })))
	t.Cleanup(srv.Close)
	f.site = srv.URL
	f.accts = accounts.New(accounts.Options{Store: accounts.NewStore(db), Hasher: hasher,
		Policy: password.DefaultPolicy(), Counters: counters.NewSQL(db, f.clock), Ring: ring,
		Audit: f.audit, Notifier: f.mail, Clock: f.clock,
		Config: accounts.Config{LockoutThreshold: 10, LockoutWindow: time.Hour,
			LockoutDuration: time.Hour, IPThreshold: 100, BaseURL: f.site}})
	t.Cleanup(f.accts.Wait)
	f.svc, err = New(Options{DB: db, Ring: ring, Accounts: f.accts, Audit: f.audit,
		Passkeys:  func(context.Context, string) (int, error) { return f.passkeys, nil },
		PublicURL: f.site, Providers: providers, Clock: f.clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rt := httpx.NewRouter()
	deny := func(http.Handler) http.Handler {
		return httpx.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
			return httpx.NewProblem(http.StatusUnauthorized, "missing_token", "sign in first")
		})
	}
	(&Handlers{Service: f.svc, SignIn: fakeSignIn}).Routes(rt, deny, deny)
	handler = rt
	return f
}

// fakeSignIn stands for login.Handlers.CompleteFirstFactor.
func fakeSignIn(w http.ResponseWriter, _ *http.Request, u accounts.User, amr []string,
	authTime time.Time) error {
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"signed_in": u.ID, "amr": amr,
		"auth_time": authTime.Unix()})
}

func oidcProvider(p *socialtest.Provider) config.SocialProvider {
	return config.SocialProvider{Name: "ejemplo", Kind: config.SocialOIDC, Issuer: p.Issuer,
		ClientID: clientID, ClientSecret: config.Secret(clientSecret)}
}

func (f *fixture) startURL(provider string) string {
	return f.site + "/v1/auth/social/" + provider + "/start?return_to=%2Fui%2Flogin%3Fnext%3Dcart"
}

// signIn runs a browser through the flow and returns the callback's step.
func (f *fixture) signIn(b *socialtest.Browser, provider string) socialtest.Step {
	f.t.Helper()
	steps, err := b.SignIn(f.startURL(provider))
	if err != nil {
		f.t.Fatalf("sign-in: %v", err)
	}
	return steps[len(steps)-1]
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func (f *fixture) post(path, body string) answer {
	f.t.Helper()
	resp, err := http.Post(f.site+path, "application/json", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	json.Unmarshal(raw, &a.body)
	return a
}

func (f *fixture) result(handle string) answer {
	f.t.Helper()
	return f.post("/v1/auth/social/result", `{"handle":"`+handle+`"}`)
}

// handleOf checks that a callback answered 303 to return_to with a handle.
func handleOf(t *testing.T, s socialtest.Step) string {
	t.Helper()
	h := socialtest.Fragment(s.Location, "social_result")
	if s.Status != http.StatusSeeOther || h == "" ||
		!strings.HasPrefix(s.Location, "/ui/login?next=cart#") {
		t.Fatalf("callback: %d %q %s", s.Status, s.Location, s.Body)
	}
	return h
}

func (f *fixture) user(id string) accounts.User {
	f.t.Helper()
	u, err := f.accts.Store.UserByID(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) actions(action string, outcome audit.Outcome) []audit.Event {
	var out []audit.Event
	for _, e := range f.audit.Events() {
		if e.Action == action && e.Outcome == outcome {
			out = append(out, e)
		}
	}
	return out
}

var meta = accounts.Meta{IP: "203.0.113.9", UserAgent: "test", RequestID: "req-1"}

// TestOIDCFlow follows a person through a generic OpenID provider: the
// first sign-in opens a customer account with no password and the
// provider's verified email; the next signs in to the same account; a
// provider that does not vouch for the email leaves it unverified;
// password sign-in fails for such an account and a reset gives it one.
func TestOIDCFlow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret})
		f := newFixture(t, db, oidcProvider(p))
		p.SetUser(socialtest.User{Subject: "248289761001", Email: "Ana.Social@Ejemplo.co",
			EmailVerified: socialtest.Bool(true), Name: "Ana Social"})

		b := socialtest.NewBrowser(f.site)
		step := f.signIn(b, "ejemplo")
		c := b.Cookies[CookieName]
		if c == nil || !c.HttpOnly || c.Path != "/v1/auth/social" ||
			c.SameSite != http.SameSiteLaxMode || c.Secure {
			t.Fatalf("binding cookie: %+v", c)
		}
		r := f.result(handleOf(t, step))
		id, _ := r.body["signed_in"].(string)
		if r.status != 200 || id == "" || !slices.Equal(toStrings(r.body["amr"]),
			[]string{"fed"}) {
			t.Fatalf("first result: %d %s", r.status, r.raw)
		}
		u := f.user(id)
		if u.Kind != accounts.KindCustomer || !u.EmailVerified || u.HasPassword() ||
			u.Email.Address != "Ana.Social@Ejemplo.co" || u.Name != "Ana Social" {
			t.Errorf("new account: %+v", u)
		}
		if len(f.actions("account.register", audit.OutcomeSuccess)) != 1 ||
			len(f.actions("login.social", audit.OutcomeSuccess)) != 1 {
			t.Errorf("audit: %v", f.audit.Actions())
		}

		// The same identity again, with another email at the provider:
		// still the same account (keyed by subject, not email).
		p.SetUser(socialtest.User{Subject: "248289761001", Email: "otra@ejemplo.co",
			EmailVerified: socialtest.Bool(true)})
		r = f.result(handleOf(t, f.signIn(b, "ejemplo")))
		if r.status != 200 || r.body["signed_in"] != id {
			t.Fatalf("second result: %d %s, want %s", r.status, r.raw, id)
		}
		ids, _ := f.svc.Identities(context.Background(), id)
		if len(ids) != 1 || ids[0].LastUsedAt == nil || ids[0].Provider != "ejemplo" {
			t.Errorf("identities: %+v", ids)
		}

		// Password sign-in of an account without a password fails like a
		// wrong password; a reset sets one.
		ctx := context.Background()
		if _, err := f.accts.Authenticate(ctx, "ana.social@ejemplo.co", "", meta); !errors.Is(err,
			accounts.ErrInvalidCredentials) {
			t.Fatalf("password sign-in without a password: %v", err)
		}
		if err := f.accts.RequestPasswordReset(ctx, "ana.social@ejemplo.co", meta); err != nil {
			t.Fatal(err)
		}
		f.accts.Wait()
		link, _ := url.Parse(f.mail.links["Ana.Social@Ejemplo.co"])
		if err := f.accts.ResetPassword(ctx, accounts.ResetInput{
			Token: link.Query().Get("token"), Password: goodPassword}, nil, meta); err != nil {
			t.Fatalf("reset: %v", err)
		}
		if l, err := f.accts.Authenticate(ctx, "ana.social@ejemplo.co", goodPassword,
			meta); err != nil || l.User.ID != id {
			t.Fatalf("password sign-in after a reset: %v", err)
		}

		// A provider that does not say the email is verified.
		p.SetUser(socialtest.User{Subject: "otro-sujeto", Email: "sin.verificar@ejemplo.co",
			EmailVerified: socialtest.Bool(false), Name: "Sin Verificar"})
		r = f.result(handleOf(t, f.signIn(socialtest.NewBrowser(f.site), "ejemplo")))
		if r.status != 200 {
			t.Fatalf("unverified: %d %s", r.status, r.raw)
		}
		if u := f.user(r.body["signed_in"].(string)); u.EmailVerified {
			t.Errorf("email_verified false marked the email verified")
		}
		f.accts.Wait()
		if !slices.Contains(f.mail.sent, "verify:sin.verificar@ejemplo.co") {
			t.Errorf("no verification mail for the unverified address: %v", f.mail.sent)
		}

		// Email only from UserInfo.
		p.SetUser(socialtest.User{Subject: "ui-only", Email: "userinfo@ejemplo.co",
			EmailVerified: socialtest.Bool(true), EmailOnlyInUserInfo: true})
		r = f.result(handleOf(t, f.signIn(socialtest.NewBrowser(f.site), "ejemplo")))
		if r.status != 200 || f.user(r.body["signed_in"].(string)).Email.Address !=
			"userinfo@ejemplo.co" {
			t.Fatalf("userinfo email: %d %s", r.status, r.raw)
		}
	})
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestFacebookFlow signs in through the Graph API: the account's email is
// never marked verified, since Facebook does not say.
func TestFacebookFlow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		fb := socialtest.NewFacebook(t, "fb-app", "fb-secret")
		f := newFixture(t, db, config.SocialProvider{Name: "facebook", Kind: config.SocialFacebook,
			ClientID: "fb-app", ClientSecret: "fb-secret", AuthURL: fb.AuthURL,
			TokenURL: fb.TokenURL, UserInfoURL: fb.Me})
		fb.SetUser(socialtest.FacebookUser{ID: "10158", Name: "Carlos Face",
			Email: "carlos@ejemplo.co"})
		b := socialtest.NewBrowser(f.site)
		r := f.result(handleOf(t, f.signIn(b, "facebook")))
		id, _ := r.body["signed_in"].(string)
		if r.status != 200 || id == "" {
			t.Fatalf("result: %d %s", r.status, r.raw)
		}
		if u := f.user(id); u.EmailVerified || u.Name != "Carlos Face" {
			t.Errorf("facebook account: %+v", u)
		}
		r = f.result(handleOf(t, f.signIn(b, "facebook")))
		if r.body["signed_in"] != id {
			t.Fatalf("second sign-in: %s", r.raw)
		}
		// A wrong app secret: the token endpoint refuses, the page hears of
		// it, and nothing is signed in.
		f.svc.providers["facebook"].cfg.ClientSecret = "wrong"
		s := f.signIn(b, "facebook")
		if socialtest.Fragment(s.Location, "social_error") != "invalid_response" {
			t.Fatalf("wrong secret: %d %q", s.Status, s.Location)
		}
	})
}

// TestMicrosoftMultiTenant checks Microsoft's common endpoint: the
// discovery document's issuer is a template, and each token's iss must be
// its own tenant's.
func TestMicrosoftMultiTenant(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret, MultiTenant: true})
		f := newFixture(t, db, config.SocialProvider{Name: "microsoft",
			Kind: config.SocialMicrosoft, Issuer: p.Issuer, ClientID: clientID,
			ClientSecret: clientSecret})
		const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		p.SetUser(socialtest.User{Subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
			Email: "luisa@contoso.co", EmailVerified: socialtest.Bool(true), TenantID: tenant})
		r := f.result(handleOf(t, f.signIn(socialtest.NewBrowser(f.site), "microsoft")))
		id, _ := r.body["signed_in"].(string)
		if r.status != 200 || id == "" {
			t.Fatalf("result: %d %s", r.status, r.raw)
		}
		ids, _ := f.svc.Identities(context.Background(), id)
		if len(ids) != 1 || !strings.HasPrefix(ids[0].Subject, tenant+"/") {
			t.Errorf("identity: %+v", ids)
		}
		if f.user(id).EmailVerified {
			t.Errorf("a Microsoft email was marked verified")
		}

		for name, tamper := range map[string]func(map[string]any){
			"another tenant's issuer": func(c map[string]any) {
				c["iss"] = p.URL + "/0bc2f1cb-0000-0000-0000-000000000000/v2.0"
			},
			"the template as issuer": func(c map[string]any) {
				c["iss"] = p.URL + "/{tenantid}/v2.0"
			},
			"no tid": func(c map[string]any) { delete(c, "tid") },
		} {
			p.Tamper(tamper)
			s := f.signIn(socialtest.NewBrowser(f.site), "microsoft")
			if socialtest.Fragment(s.Location, "social_error") != "invalid_response" {
				t.Errorf("%s: %d %q", name, s.Status, s.Location)
			}
		}
	})
}

// writeP8 writes a key as Apple's .p8 files hold it.
func writeP8(t *testing.T, k *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "AuthKey_KEY1234567.p8")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY",
		Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAppleFormPost signs in with Apple's shape: the answer is a
// cross-site POST (form_post) with a SameSite=None binding cookie, the
// client secret is an ES256 JWT the provider checks, and email_verified
// comes as a string.
func TestAppleFormPost(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: "co.ejemplo.web",
			Alg: "ES256", AppleKey: &key.PublicKey, AppleTeamID: "TEAM123456",
			AppleKeyID: "KEY1234567"})
		f := newFixture(t, db, config.SocialProvider{Name: "apple", Kind: config.SocialApple,
			Issuer: p.Issuer, ClientID: "co.ejemplo.web", TeamID: "TEAM123456",
			KeyID: "KEY1234567", PrivateKeyFile: writeP8(t, key)})
		p.SetUser(socialtest.User{Subject: "001234.abcdef", Email: "x7k2@privaterelay.appleid.com",
			Name: "María Manzana"})
		p.Tamper(func(c map[string]any) { c["email_verified"] = "true" })

		b := socialtest.NewBrowser(f.site)
		steps, err := b.SignIn(f.startURL("apple"))
		if err != nil {
			t.Fatal(err)
		}
		last := steps[len(steps)-1]
		if last.Method != http.MethodPost {
			t.Fatalf("the callback came by %s", last.Method)
		}
		c := b.Cookies[CookieNameFormPost]
		if c == nil || c.SameSite != http.SameSiteNoneMode || !c.Secure || !c.HttpOnly {
			t.Fatalf("form_post binding cookie: %+v", c)
		}
		r := f.result(handleOf(t, last))
		id, _ := r.body["signed_in"].(string)
		if r.status != 200 || id == "" || p.TokenRequests() != 1 {
			t.Fatalf("result: %d %s (token requests %d)", r.status, r.raw, p.TokenRequests())
		}
		if u := f.user(id); !u.EmailVerified || u.Name != "María Manzana" {
			t.Errorf("apple account: %+v", u)
		}
		// Apple's callback takes POST only.
		s, _ := b.Do(http.MethodGet, f.site+"/v1/auth/social/apple/callback?state=x&code=y", nil)
		if s.Status != http.StatusMethodNotAllowed {
			t.Errorf("GET callback for apple: %d", s.Status)
		}
	})
}

// callbackURL runs the flow up to the provider's answer and returns the
// callback URL the browser would follow, without following it.
func callbackURL(t *testing.T, f *fixture, b *socialtest.Browser, provider string) string {
	t.Helper()
	s, err := b.Do(http.MethodGet, f.startURL(provider), nil)
	if err != nil || s.Status != http.StatusFound {
		t.Fatalf("start: %v %d %s", err, s.Status, s.Body)
	}
	a, err := b.Do(http.MethodGet, s.Location, nil)
	if err != nil || a.Status != http.StatusFound {
		t.Fatalf("authorize: %v %d %s", err, a.Status, a.Body)
	}
	return a.Location
}

// TestCallbackRefusals goes through what an attacker or a broken provider
// can send, and checks that none yields a result handle.
func TestCallbackRefusals(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret})
		other := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret})
		second := oidcProvider(other)
		second.Name = "otro"
		f := newFixture(t, db, oidcProvider(p), second)
		user := socialtest.User{Subject: "sujeto-1", Email: "victima@ejemplo.co",
			EmailVerified: socialtest.Bool(true)}
		p.SetUser(user)
		other.SetUser(user)

		invalidState := func(what string, s socialtest.Step) {
			t.Helper()
			if s.Status != http.StatusBadRequest || !strings.Contains(s.Body, "invalid_state") ||
				s.Location != "" {
				t.Errorf("%s: %d %q %s", what, s.Status, s.Location, s.Body)
			}
		}

		// 1. A state nobody issued.
		b := socialtest.NewBrowser(f.site)
		cb := callbackURL(t, f, b, "ejemplo")
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "not-the-state")
		s, _ := b.Do(http.MethodGet, f.site+u.Path+"?"+q.Encode(), nil)
		invalidState("wrong state", s)

		// 2. Login CSRF: the attacker's callback URL opened in the victim's
		// browser, which has no binding cookie, or its own.
		cb = callbackURL(t, f, socialtest.NewBrowser(f.site), "ejemplo")
		s, _ = socialtest.NewBrowser(f.site).Do(http.MethodGet, cb, nil)
		invalidState("no cookie", s)
		victim := socialtest.NewBrowser(f.site)
		callbackURL(t, f, victim, "ejemplo") // the victim has a cookie of their own
		cb = callbackURL(t, f, socialtest.NewBrowser(f.site), "ejemplo")
		s, _ = victim.Do(http.MethodGet, cb, nil)
		invalidState("another browser's cookie", s)
		if got := f.actions("login.social", audit.OutcomeFailure); len(got) < 3 ||
			got[len(got)-1].Details["reason"] != "other_browser" {
			t.Errorf("refusals audited: %v", got)
		}

		// 3. A replayed state: the first use works, the second does not.
		b = socialtest.NewBrowser(f.site)
		cb = callbackURL(t, f, b, "ejemplo")
		s, _ = b.Do(http.MethodGet, cb, nil)
		handleOf(t, s)
		s, _ = b.Do(http.MethodGet, cb, nil)
		invalidState("replayed state", s)

		// 4. An expired state.
		cb = callbackURL(t, f, b, "ejemplo")
		f.clock.Advance(StateTTL + time.Second)
		s, _ = b.Do(http.MethodGet, cb, nil)
		invalidState("expired state", s)
		f.clock.Set(time.Now())

		// 5. A state made for another provider (mix-up).
		cb = callbackURL(t, f, b, "otro")
		s, _ = b.Do(http.MethodGet, strings.Replace(cb, "/otro/", "/ejemplo/", 1), nil)
		invalidState("another provider's state", s)

		// 6. The provider refuses.
		p.FailAuthorize("access_denied")
		s = f.signIn(b, "ejemplo")
		if s.Status != http.StatusSeeOther ||
			socialtest.Fragment(s.Location, "social_error") != "access_denied" ||
			socialtest.Fragment(s.Location, "social_result") != "" {
			t.Errorf("access_denied: %d %q", s.Status, s.Location)
		}
		p.FailAuthorize("<script>")
		if s = f.signIn(b, "ejemplo"); socialtest.Fragment(s.Location, "social_error") !=
			"provider_error" {
			t.Errorf("unknown error code passed on: %q", s.Location)
		}
		p.FailAuthorize("")

		// 7. ID tokens that must not verify.
		for name, tamper := range map[string]func(map[string]any){
			"mismatched nonce": func(c map[string]any) { c["nonce"] = "otro-nonce" },
			"no nonce":         func(c map[string]any) { delete(c, "nonce") },
			"wrong audience":   func(c map[string]any) { c["aud"] = "another-client" },
			"several audiences without azp": func(c map[string]any) {
				c["aud"] = []string{clientID, "another-client"}
			},
			"expired": func(c map[string]any) {
				c["exp"] = time.Now().Add(-time.Minute).Unix()
			},
			"another issuer": func(c map[string]any) { c["iss"] = other.Issuer },
		} {
			p.Tamper(tamper)
			s := f.signIn(socialtest.NewBrowser(f.site), "ejemplo")
			if socialtest.Fragment(s.Location, "social_error") != "invalid_response" ||
				socialtest.Fragment(s.Location, "social_result") != "" {
				t.Errorf("%s: %d %q", name, s.Status, s.Location)
			}
		}
		p.Tamper(nil)
		p.SignWithUnpublishedKey(t, true)
		if s := f.signIn(socialtest.NewBrowser(f.site), "ejemplo"); socialtest.Fragment(
			s.Location, "social_error") != "invalid_response" {
			t.Errorf("signed by another key: %q", s.Location)
		}
		p.SignWithUnpublishedKey(t, false)

		// 8. Malformed callbacks and unknown providers.
		for _, path := range []string{"/v1/auth/social/ejemplo/callback?code=x",
			"/v1/auth/social/ejemplo/callback?state=a&state=b&code=c",
			"/v1/auth/social/ejemplo/callback?state=a",
		} {
			if s, _ := b.Do(http.MethodGet, f.site+path, nil); s.Status != 400 {
				t.Errorf("%s: %d", path, s.Status)
			}
		}
		if s, _ := b.Do(http.MethodGet, f.site+"/v1/auth/social/nadie/start", nil); s.Status !=
			404 {
			t.Errorf("unknown provider: %d", s.Status)
		}
		for _, rt := range []string{"https://evil.example/x", "//evil.example/x", "/\\evil",
			"javascript:alert(1)", "ui/login"} {
			s, _ := b.Do(http.MethodGet, f.site+"/v1/auth/social/ejemplo/start?return_to="+
				url.QueryEscape(rt), nil)
			if s.Status != 400 {
				t.Errorf("return_to %q: %d", rt, s.Status)
			}
		}
	})
}

// TestResultHandleIsSingleUse checks that a handle works once, within
// ResultTTL.
func TestResultHandleIsSingleUse(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret})
		f := newFixture(t, db, oidcProvider(p))
		p.SetUser(socialtest.User{Subject: "s", Email: "uno@ejemplo.co"})
		b := socialtest.NewBrowser(f.site)
		h := handleOf(t, f.signIn(b, "ejemplo"))
		if r := f.result(h); r.status != 200 {
			t.Fatalf("first use: %d %s", r.status, r.raw)
		}
		if r := f.result(h); r.status != 400 || r.body["code"] != "invalid_handle" {
			t.Errorf("replayed handle: %d %s", r.status, r.raw)
		}
		h = handleOf(t, f.signIn(b, "ejemplo"))
		f.clock.Advance(ResultTTL + time.Second)
		if r := f.result(h); r.status != 400 || r.body["code"] != "invalid_handle" {
			t.Errorf("expired handle: %d %s", r.status, r.raw)
		}
		for _, body := range []string{`{}`, `{"handle":"x","extra":1}`, `{"handle":1}`} {
			if r := f.post("/v1/auth/social/result", body); r.status != 400 {
				t.Errorf("%s: %d", body, r.status)
			}
		}
	})
}

// TestExistingEmailNeedsLinking checks that an identity whose email has a
// password account is never signed in to it by email: the answer is a
// link token, which only that account can use.
func TestExistingEmailNeedsLinking(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret})
		f := newFixture(t, db, oidcProvider(p))
		ctx := context.Background()
		for _, e := range []string{"duena@ejemplo.co", "otra.persona@ejemplo.co"} {
			if err := f.accts.Register(ctx, accounts.RegisterInput{Email: e,
				Password: goodPassword, Name: "Persona", Kind: accounts.KindCustomer},
				meta); err != nil {
				t.Fatal(err)
			}
		}
		owner, _ := f.accts.Store.UserByEmail(ctx, "duena@ejemplo.co")
		stranger, _ := f.accts.Store.UserByEmail(ctx, "otra.persona@ejemplo.co")
		p.SetUser(socialtest.User{Subject: "google-7", Email: "DUENA@ejemplo.co",
			EmailVerified: socialtest.Bool(true)})

		b := socialtest.NewBrowser(f.site)
		r := f.result(handleOf(t, f.signIn(b, "ejemplo")))
		token, _ := r.body["link_token"].(string)
		if r.status != 200 || r.body["link_required"] != true || token == "" ||
			r.body["signed_in"] != nil || r.body["provider"] != "ejemplo" ||
			r.body["email"] != "DUENA@ejemplo.co" {
			t.Fatalf("existing email: %d %s", r.status, r.raw)
		}
		// Refused for another account's email; the token is then spent.
		_, err := f.svc.Link(ctx, stranger.ID, token, meta)
		var pr *httpx.Problem
		if !errors.As(err, &pr) || pr.Code != "email_mismatch" {
			t.Fatalf("link to another account: %v", err)
		}
		if _, err := f.svc.Link(ctx, owner.ID, token, meta); !errors.As(err, &pr) ||
			pr.Code != "invalid_link_token" {
			t.Fatalf("spent link token: %v", err)
		}
		// The owner, with a fresh token, links; then the identity signs in
		// to the owner's account.
		token = f.result(handleOf(t, f.signIn(b, "ejemplo"))).body["link_token"].(string)
		id, err := f.svc.Link(ctx, owner.ID, token, meta)
		if err != nil || id.Provider != "ejemplo" {
			t.Fatalf("link: %v", err)
		}
		if r := f.result(handleOf(t, f.signIn(b, "ejemplo"))); r.body["signed_in"] != owner.ID {
			t.Fatalf("sign-in after linking: %s", r.raw)
		}
		if len(f.actions("account.social_link", audit.OutcomeSuccess)) != 1 ||
			len(f.actions("account.social_link", audit.OutcomeFailure)) != 2 {
			t.Errorf("link audit: %v", f.audit.Actions())
		}
		// The same identity cannot be linked to a second account.
		p.SetUser(socialtest.User{Subject: "google-8", Email: "otra.persona@ejemplo.co"})
		token = f.result(handleOf(t, f.signIn(b, "ejemplo"))).body["link_token"].(string)
		if _, err := f.svc.Link(ctx, stranger.ID, token, meta); err != nil {
			t.Fatal(err)
		}
		// A disabled account's identity does not sign in.
		if err := f.accts.Store.SetState(ctx, stranger.ID, accounts.StateDisabled,
			time.Time{}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if r := f.result(handleOf(t, f.signIn(b, "ejemplo"))); r.status != 403 {
			t.Errorf("disabled account: %d %s", r.status, r.raw)
		}
		// Nor does a locked one until its lock runs out.
		now := f.clock.Now()
		if err := f.accts.Store.SetState(ctx, stranger.ID, accounts.StateLocked,
			now.Add(time.Hour), now); err != nil {
			t.Fatal(err)
		}
		if r := f.result(handleOf(t, f.signIn(b, "ejemplo"))); r.status != 403 ||
			r.body["code"] != "account_unavailable" {
			t.Errorf("locked account: %d %s", r.status, r.raw)
		}
		if err := f.accts.Store.SetState(ctx, stranger.ID, accounts.StateLocked,
			now.Add(-time.Second), now); err != nil {
			t.Fatal(err)
		}
		if r := f.result(handleOf(t, f.signIn(b, "ejemplo"))); r.status != 200 ||
			r.body["signed_in"] != stranger.ID {
			t.Errorf("account whose lock ran out: %d %s", r.status, r.raw)
		}
	})
}

// TestUnlinkLastMethod checks that nobody can remove their only way to
// sign in.
func TestUnlinkLastMethod(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret})
		f := newFixture(t, db, oidcProvider(p))
		ctx := context.Background()
		p.SetUser(socialtest.User{Subject: "solo", Email: "solo@ejemplo.co"})
		r := f.result(handleOf(t, f.signIn(socialtest.NewBrowser(f.site), "ejemplo")))
		uid := r.body["signed_in"].(string)
		ids, _ := f.svc.Identities(ctx, uid)
		var pr *httpx.Problem
		err := f.svc.Unlink(ctx, uid, ids[0].ID, meta)
		if !errors.As(err, &pr) || pr.Status != 409 || pr.Code != "last_sign_in_method" {
			t.Fatalf("unlink of the last method: %v", err)
		}
		if got := f.actions("account.social_unlink", audit.OutcomeFailure); len(got) != 1 {
			t.Errorf("refusal not audited: %v", f.audit.Actions())
		}
		if err := f.svc.Unlink(ctx, uid, "sci_nope", meta); !errors.As(err, &pr) ||
			pr.Status != 404 {
			t.Errorf("unknown identity: %v", err)
		}
		// With a passkey it may go.
		f.passkeys = 1
		if err := f.svc.Unlink(ctx, uid, ids[0].ID, meta); err != nil {
			t.Fatalf("unlink beside a passkey: %v", err)
		}
		if ids, _ := f.svc.Identities(ctx, uid); len(ids) != 0 {
			t.Errorf("identity still listed: %+v", ids)
		}
		if len(f.actions("account.social_unlink", audit.OutcomeSuccess)) != 1 {
			t.Errorf("unlink not audited")
		}
	})
}

func TestCheckReturnTo(t *testing.T) {
	for in, want := range map[string]string{"": DefaultReturnTo, "/ui/login": "/ui/login",
		"/a?b=c": "/a?b=c"} {
		if got, err := checkReturnTo(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"//x", "/\\x", "x", "http://x/", "/a#b", "/a\nb",
		strings.Repeat("/a", MaxReturnToBytes)} {
		if _, err := checkReturnTo(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := New(Options{PublicURL: "http://x", Providers: []config.SocialProvider{{
		Name: "apple", Kind: config.SocialApple, PrivateKeyFile: "/nonexistent.p8"}}})
	if err == nil || !strings.Contains(err.Error(), "private_key_file") {
		t.Errorf("missing .p8: %v", err)
	}
	s, err := New(Options{PublicURL: "http://127.0.0.1:1", Providers: []config.SocialProvider{{
		Name: "caido", Kind: config.SocialOIDC, Issuer: "http://127.0.0.1:1",
		ClientID: "c", ClientSecret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Start(context.Background(), "caido", "", "")
	var pr *httpx.Problem
	if !errors.As(err, &pr) || pr.Code != "provider_unavailable" {
		t.Errorf("unreachable provider: %v", err)
	}
}

// TestProviderAnswersAreCapped checks that a provider cannot make the node
// read an unbounded body.
func TestProviderAnswersAreCapped(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"issuer":"`))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range (MaxProviderBodyBytes / len(chunk)) + 2 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(big.Close)
	c := &http.Client{Transport: limitedTransport{next: http.DefaultTransport}}
	resp, err := c.Get(big.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if !errors.Is(err, errBodyTooLarge) || n > MaxProviderBodyBytes {
		t.Fatalf("read %d bytes, error %v", n, err)
	}
}

// TestFacebookErrorHidesProof: when the Graph API cannot be reached, the
// error (which the callback logs) names the cause, not the request URL,
// whose query holds the appsecret_proof derived from the app secret.
func TestFacebookErrorHidesProof(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := &provider{cfg: config.SocialProvider{Name: "facebook", Kind: config.SocialFacebook,
		ClientSecret: "app-secret", UserInfoURL: "http://" + addr + "/me"}}
	_, err = p.facebookMe(context.Background(), http.DefaultClient, "user-access-token")
	if err == nil {
		t.Fatal("a refused connection gave no error")
	}
	if msg := err.Error(); strings.Contains(msg, "appsecret_proof") ||
		strings.Contains(msg, "/me?") {
		t.Fatalf("the error names the request URL: %s", msg)
	}
}

// TestSweep: the periodic sweep deletes sign-ins in flight and results
// once they expire, and keeps those still valid.
func TestSweep(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: clientID,
			ClientSecret: clientSecret})
		f := newFixture(t, db, oidcProvider(p))
		p.SetUser(socialtest.User{Subject: "sweep-1", Email: "barrido@ejemplo.co",
			EmailVerified: socialtest.Bool(true), Name: "Barrido"})
		b := socialtest.NewBrowser(f.site)
		f.signIn(b, "ejemplo") // leaves a result waiting
		if _, err := b.Do("GET", f.startURL("ejemplo"), nil); err != nil {
			t.Fatal(err) // and a state in flight
		}
		count := func() (states, results int) {
			ctx := context.Background()
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM social_states`).
				Scan(&states); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM social_results`).
				Scan(&results); err != nil {
				t.Fatal(err)
			}
			return
		}
		if err := f.svc.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s, r := count(); s != 1 || r != 1 {
			t.Fatalf("before expiry: %d states, %d results; want 1 and 1", s, r)
		}
		f.clock.Advance(StateTTL + time.Second)
		if err := f.svc.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s, r := count(); s != 0 || r != 0 {
			t.Fatalf("after expiry: %d states, %d results; want none", s, r)
		}
	})
}
