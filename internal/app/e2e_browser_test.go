package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/mail/mailtest"
	"github.com/cerrojo/cerrojo/internal/social/socialtest"
)

// The browser tests drive the hosted pages (docs/hosted-pages.md) in a
// headless Chromium with chromedp, against a node on a loopback port whose
// public_url is http://localhost:<port>: the passkey RP ID of a loopback
// public_url is localhost (webAuthnParties). Each page visited is kept as a
// PNG under artifacts/screenshots/ at the repository root.
//
// Without chromium on PATH they skip, except under CI=true, where they
// fail: scripts/test installs Debian's chromium when it can.

// browserTimeout bounds each browser test, stepTimeout each step of one.
const (
	browserTimeout = 3 * time.Minute
	stepTimeout    = 30 * time.Second
)

// chromiumPath finds Chromium, or skips the test (fails it under CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed and CI=true: the browser tests must run " +
			"(scripts/test installs it with apt-get when run as root)")
	}
	t.Skip("chromium is not installed; the browser tests skip (scripts/test installs it)")
	return ""
}

// browserNode starts a node, with an SMTP server, whose public_url is
// http://localhost:<port> on the port it listens on.
func browserNode(t *testing.T, edit func(*config.Config)) (*node, *mailtest.Server) {
	t.Helper()
	cfg := embeddedConfig(t)
	cfg.Accounts.FailureDelay = 0
	smtp := mailtest.Start(t)
	withSMTP(&cfg, smtp)
	if edit != nil {
		edit(&cfg)
	}
	return startOwnURL(t, cfg, "localhost"), smtp
}

// chrome is one headless Chromium with a fresh profile.
type chrome struct {
	t   *testing.T
	ctx context.Context
	n   *node
}

func newChrome(t *testing.T, n *node) *chrome {
	t.Helper()
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 1100),
		// Colombian Spanish, the pages' first language.
		chromedp.Flag("lang", "es-CO"),
		chromedp.Flag("accept-lang", "es-CO,es"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first Do starts the browser; it must not carry the timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(cancel)
	return &chrome{t: t, ctx: tctx, n: n}
}

// do runs steps, failing the test with what with the page's state.
func (b *chrome) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + what)
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		errText, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`(document.getElementById("error")||{}).textContent||""`))
		b.t.Fatalf("%s: %v (at %s, error shown: %q)", what, err, loc, errText)
	}
}

// text returns the text of the element with the given id.
func (b *chrome) text(id string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("text of #%s: %v", id, err)
	}
	return s
}

// screenshotDir is artifacts/screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "artifacts", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot keeps a PNG of the whole page as a test artifact.
func (b *chrome) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(screenshotDir(b.t), name+".png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
}

func (b *chrome) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.n.url+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// virtualAuthenticator gives the browser Chromium's virtual authenticator:
// CTAP 2.1, platform, resident keys, user verification, presence
// simulated.
func (b *chrome) virtualAuthenticator() {
	b.t.Helper()
	b.do("virtual authenticator", chromedp.Func(func(ctx context.Context,
		tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator,
			webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			}})
		return err
	}))
}

// linkIn finds the link that contains marker in an email's text, checks
// it points at the node, and returns its path and query.
func linkIn(t *testing.T, n *node, text, marker string) string {
	t.Helper()
	for _, f := range strings.Fields(text) {
		if !strings.Contains(f, marker) {
			continue
		}
		u, err := url.Parse(f)
		if err != nil || !strings.HasPrefix(f, n.url+"/") {
			t.Fatalf("link %q does not point at the node %s", f, n.url)
		}
		return u.RequestURI()
	}
	t.Fatalf("no link with %q in the email:\n%s", marker, text)
	return ""
}

// signInWithPassword fills the sign-in form.
func (b *chrome) signInWithPassword(email, password string) {
	b.t.Helper()
	b.do("sign in form",
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-submit")))
}

// signOut presses the account page's sign-out button and waits for the
// signed-out page's own status line: the account page has one too (with
// id status), so waiting on any status would race the navigation.
func (b *chrome) signOut() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]:not(#status)`)))
}

// waitAccount waits for the account page to finish loading.
func (b *chrome) waitAccount() {
	b.t.Helper()
	b.do("account page", chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"]`)))
}

func (b *chrome) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// TestBrowserSignUpAndSignIn: a person signs up on the page, confirms the
// address with the emailed code, signs in with the password, sees their
// account page, and signs out; the page's session cookie then stops
// working.
func TestBrowserSignUpAndSignIn(t *testing.T) {
	n, smtp := browserNode(t, nil)
	b := newChrome(t, n)
	const email = "lucia.browser@ejemplo.co"

	b.open("/ui/signup")
	b.shot("signup")
	b.do("sign up",
		chromedp.SendKeys(chromedp.ID("name"), "Lucía Gómez"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), journeyPassword),
		chromedp.Click(chromedp.ID("signup-submit")),
		chromedp.WaitVisible(chromedp.ID("step-verify")))
	b.shot("signup-verify")
	msg := smtp.WaitFor(t, email, "Confirme su correo", 10*time.Second)
	code := sixDigits.FindStringSubmatch(msg.Text)
	if code == nil {
		t.Fatalf("no code in the verification email:\n%s", msg.Text)
	}
	b.do("verify",
		chromedp.SendKeys(chromedp.ID("verify-code"), code[1]),
		chromedp.Click(chromedp.ID("verify-submit")),
		chromedp.WaitVisible(chromedp.ID("step-done")))
	b.shot("signup-done")

	b.open("/ui/login")
	b.shot("login")
	b.signInWithPassword(email, journeyPassword)
	b.waitAccount()
	b.shot("account")
	if got := b.text("profile-email"); got != email {
		t.Errorf("account page shows %q, want %s", got, email)
	}
	if !strings.Contains(b.text("sessions"), "(esta sesión)") {
		t.Errorf("the sessions list does not mark the current one: %q", b.text("sessions"))
	}
	if !strings.Contains(b.text("apps"), "No ha conectado") {
		t.Errorf("connected apps of a person who connected none: %q", b.text("apps"))
	}

	b.signOut()
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/signed-out") {
		t.Errorf("after signing out: %s", loc)
	}
	b.shot("signed-out")
	// The account page now sends the browser to sign in.
	b.open("/ui/account")
	if loc := b.location(); !strings.Contains(loc, "/ui/login?next=") {
		t.Errorf("account page after sign-out: %s", loc)
	}

	// English on request.
	b.open("/ui/login?lang=en")
	b.shot("login-en")
	if got := b.text("title"); got != "Sign in" {
		t.Errorf("English title: %q", got)
	}
}

// TestBrowserTOTP: a person with an authenticator app signs in with the
// password and then the app's code, computed here from the secret the
// enrolment returned.
func TestBrowserTOTP(t *testing.T) {
	n, _ := browserNode(t, nil)
	api := apiClient{t: t, base: n.url}
	const email = "mateo.totp@ejemplo.co"
	p := signUp(t, api, email, "customer")
	t0 := time.Now()
	secret, _, _ := enrollTOTP(t, api, p.token, t0)

	b := newChrome(t, n)
	b.open("/ui/login")
	b.signInWithPassword(email, journeyPassword)
	b.do("MFA step", chromedp.WaitVisible(chromedp.ID("step-mfa")))
	b.shot("mfa-challenge")
	// The activation spent this time step's code: type the next one.
	b.do("wrong code",
		chromedp.SendKeys(chromedp.ID("mfa-code"), "000000"),
		chromedp.Click(chromedp.ID("mfa-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#error:not(:empty)`)))
	b.shot("mfa-wrong-code")
	b.do("right code",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("mfa-code").value = ""`),
		chromedp.SendKeys(chromedp.ID("mfa-code"), codeAt(t, secret, t0.Add(30*time.Second))),
		chromedp.Click(chromedp.ID("mfa-submit")))
	b.waitAccount()
	if got := b.text("factors"); !strings.Contains(got, "Aplicación de autenticación") {
		t.Errorf("factors on the account page: %q", got)
	}
}

// TestBrowserPasswordReset: a person asks for a reset link on the page,
// opens the link from the email (the path the email carries), sets a new
// password and signs in with it.
func TestBrowserPasswordReset(t *testing.T) {
	n, smtp := browserNode(t, nil)
	api := apiClient{t: t, base: n.url}
	const email = "sofia.reset@ejemplo.co"
	const newPassword = "una frase nueva y larga 2026"
	signUp(t, api, email, "customer")

	b := newChrome(t, n)
	b.open("/ui/reset")
	b.shot("reset-request")
	b.do("ask for a link",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.ID("request-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#status:not(:empty)`)))
	msg := smtp.WaitFor(t, email, "Restablezca su contraseña", 10*time.Second)
	b.open(linkIn(t, n, msg.Text, "/reset-password?token="))
	b.do("new password form", chromedp.WaitVisible(chromedp.ID("step-new")))
	if loc := b.location(); strings.Contains(loc, "token=") {
		t.Errorf("the token stayed in the address bar: %s", loc)
	}
	b.shot("reset-new-password")
	b.do("set the password",
		chromedp.SendKeys(chromedp.ID("new-password"), newPassword),
		chromedp.Click(chromedp.ID("new-submit")),
		chromedp.WaitVisible(chromedp.ID("step-done")))
	b.shot("reset-done")

	b.open("/ui/login")
	b.signInWithPassword(email, newPassword)
	b.waitAccount()
}

// TestBrowserPasskey: a person adds a passkey on the account page with
// Chromium's virtual authenticator (CTAP2, platform, resident key, user
// verification), signs out, and signs in with the passkey alone.
func TestBrowserPasskey(t *testing.T) {
	n, _ := browserNode(t, nil)
	api := apiClient{t: t, base: n.url}
	const email = "valentina.passkey@ejemplo.co"
	signUp(t, api, email, "customer")

	b := newChrome(t, n)
	b.virtualAuthenticator()

	b.open("/ui/login")
	b.signInWithPassword(email, journeyPassword)
	b.waitAccount()
	b.do("add a passkey",
		chromedp.Click(chromedp.ID("add-passkey")),
		chromedp.WaitVisible(chromedp.CSS(`#status:not(:empty)`)))
	if got := b.text("status"); got != "Llave de acceso añadida." {
		t.Fatalf("adding a passkey: status %q, error %q", got, b.text("error"))
	}
	b.do("factors list", chromedp.Poll[chromedp.Void](
		`document.getElementById("factors").textContent.includes("Llave de acceso")`))
	b.shot("account-passkey")
	b.signOut()

	b.open("/ui/login")
	b.do("passkey sign-in", chromedp.Click(chromedp.ID("passkey-login")))
	b.waitAccount()
	if got := b.text("profile-email"); got != email {
		t.Errorf("signed in with the passkey as %q, want %s", got, email)
	}
}

// TestBrowserOpenIDConsent: a third-party application (golang.org/x/oauth2
// and coreos/go-oidc) sends a signed-out browser to /oauth2/authorize; the
// person signs in on the hosted page, is shown the consent page naming the
// application, approves, and the application exchanges the code with its
// PKCE verifier and verifies the ID token. The account page then lists the
// application among the connected ones. The application's RP-initiated
// logout ends the browser's sign-in at cerrojo too; signed in again, the
// person withdraws the application's access on the account page, which
// ends what the application held.
func TestBrowserOpenIDConsent(t *testing.T) {
	n, _ := browserNode(t, nil)
	api := apiClient{t: t, base: n.url}
	const email = "camila.oidc@ejemplo.co"
	p := signUp(t, api, email, "customer")
	ctx := context.Background()

	backs := make(chan url.Values, 1)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			select {
			case backs <- r.URL.Query():
			default:
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>Tienda</title><p id="back">ok</p>`)
	}))
	t.Cleanup(shop.Close)
	redirect := shop.URL + "/callback"
	c, secret, err := n.app.Clients.Create(ctx, clients.NewClient{Name: "Tienda Aliada",
		Type: clients.Confidential, RedirectURIs: []string{redirect},
		PostLogoutRedirectURIs: []string{shop.URL + "/bye"},
		GrantTypes:             []string{"authorization_code"}, Scopes: []string{"orders:read"}})
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, n.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: c.ID, ClientSecret: secret, Endpoint: provider.Endpoint(),
		RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "email", "orders:read"}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("estado-b", oauth2.S256ChallengeOption(verifier),
		oidc.Nonce("nonce-b"))

	b := newChrome(t, n)
	b.do("authorize", chromedp.Navigate(authURL), chromedp.WaitVisible(chromedp.ID("email")))
	if loc := b.location(); !strings.Contains(loc, "/ui/login?auth_request=") {
		t.Fatalf("a signed-out browser was sent to %s, want the sign-in page", loc)
	}
	b.shot("authorize-login")
	b.signInWithPassword(email, journeyPassword)
	b.do("consent page", chromedp.WaitVisible(chromedp.ID("approve")))
	if got := b.text("client-name"); got != "Tienda Aliada" {
		t.Errorf("the consent page names %q", got)
	}
	b.shot("consent")
	b.do("approve", chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(chromedp.ID("back")))

	var back url.Values
	select {
	case back = <-backs:
	case <-time.After(stepTimeout):
		t.Fatal("the application's redirect URI was never reached")
	}
	if back.Get("state") != "estado-b" || back.Get("code") == "" {
		t.Fatalf("redirect back: %v", back)
	}
	tok, err := conf.Exchange(ctx, back.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: c.ID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != "nonce-b" || idt.Subject != p.id {
		t.Fatalf("ID token: nonce %q, subject %q, want %s", idt.Nonce, idt.Subject, p.id)
	}

	b.open("/ui/account")
	b.waitAccount()
	b.do("connected apps", chromedp.Poll[chromedp.Void](
		`document.getElementById("apps").textContent.includes("Tienda Aliada")`))
	b.shot("account-apps")

	var disc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&disc); err != nil {
		t.Fatal(err)
	}
	logout := disc.EndSession + "?" + url.Values{"id_token_hint": {rawID},
		"post_logout_redirect_uri": {shop.URL + "/bye"}, "state": {"adios"}}.Encode()
	b.do("RP-initiated logout", chromedp.Navigate(logout),
		chromedp.WaitVisible(chromedp.ID("back")))
	if loc := b.location(); !strings.HasPrefix(loc, shop.URL+"/bye?") ||
		!strings.Contains(loc, "state=adios") {
		t.Fatalf("after logout the browser is at %s", loc)
	}
	b.open("/ui/account")
	if loc := b.location(); !strings.Contains(loc, "/ui/login?next=") {
		t.Errorf("account page after the application's logout: %s", loc)
	}

	// A second authorization, then the person withdraws it on the page.
	authURL = conf.AuthCodeURL("estado-c", oauth2.S256ChallengeOption(verifier),
		oidc.Nonce("nonce-c"))
	b.do("authorize again", chromedp.Navigate(authURL), chromedp.WaitVisible(chromedp.ID("email")))
	b.signInWithPassword(email, journeyPassword)
	// Consent was given once and is remembered: straight back.
	b.do("back without consent", chromedp.WaitVisible(chromedp.ID("back")))
	select {
	case back = <-backs:
	case <-time.After(stepTimeout):
		t.Fatal("the second authorization never came back")
	}
	tok, err = conf.Exchange(ctx, back.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("second exchange: %v", err)
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatalf("userinfo before the withdrawal: %v", err)
	}
	b.open("/ui/account")
	b.waitAccount()
	if got := b.text("sessions"); !strings.Contains(got, "Tienda Aliada") {
		t.Errorf("the application's session is not named after it: %q", got)
	}
	b.do("withdraw access", chromedp.Click(chromedp.CSS(`#apps button`)),
		chromedp.Poll[chromedp.Void](
			`document.getElementById("apps").textContent.includes("No ha conectado")`))
	b.shot("account-apps-withdrawn")
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("the application's token still reaches userinfo after the withdrawal")
	}
	b.do("sessions reloaded", chromedp.Poll[chromedp.Void](
		`!document.getElementById("sessions").textContent.includes("Tienda Aliada")`))
}

// TestBrowserEmailChangeLink: a person asks to change their address; the
// link in the email to the new address (/confirm-email) opens the hosted
// page, which confirms the change, and the new address signs in.
func TestBrowserEmailChangeLink(t *testing.T) {
	n, smtp := browserNode(t, nil)
	api := apiClient{t: t, base: n.url}
	const email, newEmail = "lucia.antes@ejemplo.co", "lucia.despues@ejemplo.co"
	p := signUp(t, api, email, "customer")
	api.do("POST", "/v1/me/email", `{"email":"`+newEmail+`"}`, p.token).want(t, 202,
		"the change request")
	msg := smtp.WaitFor(t, newEmail, "Confirme su correo", 10*time.Second)

	b := newChrome(t, n)
	b.open(linkIn(t, n, msg.Text, "/confirm-email?token="))
	b.do("confirmed", chromedp.WaitVisible(chromedp.ID("step-done")))
	if got := b.text("status"); got != "Su cuenta ya usa el correo nuevo." {
		t.Errorf("status %q, error %q", got, b.text("error"))
	}
	if loc := b.location(); strings.Contains(loc, "token=") {
		t.Errorf("the token stayed in the address bar: %s", loc)
	}
	b.shot("email-change-confirmed")

	b.open("/ui/login")
	b.signInWithPassword(newEmail, journeyPassword)
	b.waitAccount()
	if got := b.text("profile-email"); got != newEmail {
		t.Errorf("signed in as %q, want %s", got, newEmail)
	}
}

// TestBrowserSocialSignIn: the sign-in page shows a button for the
// configured OpenID provider (a local one, socialtest); a person new to
// cerrojo follows it, the provider sends the browser back, and the page
// finishes the sign-in on the account page. When the person cancels at the
// provider, the page says so and stays on the sign-in form.
func TestBrowserSocialSignIn(t *testing.T) {
	p := socialtest.NewProvider(t, socialtest.Options{ClientID: "cerrojo-web",
		ClientSecret: "web-secret"})
	n, _ := browserNode(t, func(c *config.Config) {
		c.Social.Providers = []config.SocialProvider{{Name: "ejemplo",
			DisplayName: "Ejemplo ID", Kind: config.SocialOIDC, Issuer: p.Issuer,
			ClientID: "cerrojo-web", ClientSecret: "web-secret"}}
	})
	const email = "mateo.social@ejemplo.co"
	p.SetUser(socialtest.User{Subject: "web-1", Email: email,
		EmailVerified: socialtest.Bool(true), Name: "Mateo"})

	b := newChrome(t, n)
	b.open("/ui/login")
	button := chromedp.CSS(`#social a[href^="/v1/auth/social/ejemplo/start"]`)
	b.do("social button", chromedp.WaitVisible(button))
	if got, err := chromedp.Run(b.ctx, chromedp.Text(button)); err != nil ||
		got != "Ingresar con Ejemplo ID" {
		t.Errorf("the social button reads %q (%v)", got, err)
	}
	b.shot("login-social")
	b.do("sign in at the provider", chromedp.Click(button))
	b.waitAccount()
	if got := b.text("profile-email"); got != email {
		t.Errorf("signed in as %q, want %s", got, email)
	}
	b.signOut()

	p.FailAuthorize("access_denied")
	b.open("/ui/login")
	b.do("cancelled at the provider", chromedp.WaitVisible(button), chromedp.Click(button),
		chromedp.WaitVisible(chromedp.CSS(`#error:not(:empty)`)))
	if got := b.text("error"); got != "Se canceló el ingreso con esa cuenta." {
		t.Errorf("error after a cancelled social sign-in: %q", got)
	}
	if loc := b.location(); strings.Contains(loc, "social_error") {
		t.Errorf("the error code stayed in the address bar: %s", loc)
	}
	b.shot("login-social-cancelled")
}

// TestBrowserSocialLink: a person who has a password account meets the
// same address at the provider; the page does not sign them in by the
// email alone (ASVS 5.0 6.8.1) but asks for the account's own password,
// and that sign-in links the identity, so the next social sign-in goes
// straight to the account.
func TestBrowserSocialLink(t *testing.T) {
	p := socialtest.NewProvider(t, socialtest.Options{ClientID: "cerrojo-web",
		ClientSecret: "web-secret"})
	n, _ := browserNode(t, func(c *config.Config) {
		c.Social.Providers = []config.SocialProvider{{Name: "ejemplo",
			DisplayName: "Ejemplo ID", Kind: config.SocialOIDC, Issuer: p.Issuer,
			ClientID: "cerrojo-web", ClientSecret: "web-secret"}}
	})
	api := apiClient{t: t, base: n.url}
	const email = "irene.vinculo@ejemplo.co"
	person := signUp(t, api, email, "customer")
	p.SetUser(socialtest.User{Subject: "web-link-1", Email: email,
		EmailVerified: socialtest.Bool(true), Name: "Irene"})

	b := newChrome(t, n)
	b.open("/ui/login")
	button := chromedp.CSS(`#social a[href^="/v1/auth/social/ejemplo/start"]`)
	b.do("social sign-in of a known address", chromedp.WaitVisible(button),
		chromedp.Click(button), chromedp.WaitVisible(chromedp.CSS(`#error:not(:empty)`)))
	if got := b.text("error"); !strings.Contains(got, "Ingrese con su contraseña") {
		t.Fatalf("a known address at the provider: %q", got)
	}
	b.shot("login-social-link")
	b.signInWithPassword(email, journeyPassword)
	b.waitAccount()

	ids := api.do("GET", "/v1/me/identities", "", loginToken(t, api, email)).
		want(t, 200, "identities")
	if !strings.Contains(ids.raw, `"provider":"ejemplo"`) {
		t.Fatalf("the identity was not linked: %s", ids.raw)
	}
	b.signOut()
	b.open("/ui/login")
	b.do("social sign-in once linked", chromedp.WaitVisible(button), chromedp.Click(button))
	b.waitAccount()
	if got := b.text("profile-email"); got != email {
		t.Errorf("signed in as %q, want %s (account %s)", got, email, person.id)
	}
}

// TestBrowserStepUpSignsInAgain: adding a passkey needs a recent sign-in
// (mfa.step_up_max_age). When the page's sign-in is older, the account page
// ends it and sends the person to sign in again, saying why, and back on
// the account page the passkey is added.
func TestBrowserStepUpSignsInAgain(t *testing.T) {
	n, _ := browserNode(t, nil)
	api := apiClient{t: t, base: n.url}
	const email = "tomas.reciente@ejemplo.co"
	p := signUp(t, api, email, "customer")

	b := newChrome(t, n)
	b.virtualAuthenticator()
	b.open("/ui/login")
	b.signInWithPassword(email, journeyPassword)
	b.waitAccount()
	if _, err := n.app.DB.ExecContext(context.Background(), n.app.DB.Rebind(
		`UPDATE sessions SET auth_time = ? WHERE user_id = ?`),
		time.Now().Add(-time.Hour).UTC(), p.id); err != nil {
		t.Fatal(err)
	}
	b.do("add a passkey on an old sign-in", chromedp.Click(chromedp.ID("add-passkey")),
		chromedp.WaitVisible(chromedp.ID("login-submit")))
	if loc := b.location(); !strings.Contains(loc, "/ui/login?reauth=1") {
		t.Fatalf("an old sign-in sent the browser to %s", loc)
	}
	if got := b.text("status"); got != "Por seguridad, ingrese de nuevo para continuar." {
		t.Errorf("the sign-in page says %q", got)
	}
	b.shot("login-reauth")
	b.signInWithPassword(email, journeyPassword)
	b.waitAccount()
	b.do("add a passkey on a fresh sign-in", chromedp.Click(chromedp.ID("add-passkey")),
		chromedp.WaitVisible(chromedp.CSS(`#status:not(:empty)`)))
	if got := b.text("status"); got != "Llave de acceso añadida." {
		t.Fatalf("adding a passkey: status %q, error %q", got, b.text("error"))
	}
	// The old sign-in was ended, not left behind.
	var open int
	if err := n.app.DB.QueryRowContext(context.Background(), n.app.DB.Rebind(
		`SELECT COUNT(*) FROM sessions WHERE user_id = ? AND ended_at IS NULL
		AND auth_time < ?`), p.id, time.Now().Add(-30*time.Minute).UTC()).
		Scan(&open); err != nil {
		t.Fatal(err)
	}
	if open != 1 {
		t.Errorf("%d old sessions still open, want 1 (the API sign-up's)", open)
	}
}
