package app

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/openid"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// The tests here use golang.org/x/oauth2 and github.com/coreos/go-oidc as
// a marketplace's application would, against a running node. The hosted
// page's part (showing the request, consent) is played by calling the
// provider's View and Approve as the page does; the browser tests drive
// the page itself.

const appRedirect = "https://tienda.example.co/callback"

// oidcNode starts a node on dialect whose issuer is its own address.
func oidcNode(t *testing.T, dialect string) *node {
	t.Helper()
	cfg := embeddedConfig(t)
	if dialect == "postgres" {
		cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
		key, _ := keyring.NewMasterKey()
		cfg.MasterKey.Value = config.Secret(key)
	}
	cfg.Accounts.FailureDelay = 0
	return startOwnURL(t, cfg, "127.0.0.1")
}

// browser is a person's sign-in on the hosted pages: the session a
// password login made.
func browser(t *testing.T, api apiClient, email string) (person, openid.SignedIn) {
	t.Helper()
	p := signUp(t, api, email, "customer")
	c := claimsOf(t, p.token)
	amr := []string{}
	for _, m := range c["amr"].([]any) {
		amr = append(amr, m.(string))
	}
	return p, openid.SignedIn{UserID: p.id, SessionID: c["sid"].(string),
		ACR: c["acr"].(string), AMR: amr,
		AuthTime: time.Unix(int64(c["auth_time"].(float64)), 0)}
}

// noRedirects is an HTTP client that shows redirects instead of following.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

func location(t *testing.T, rawURL string) *url.URL {
	t.Helper()
	resp, err := noRedirects.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET %s: %d, want a redirect", rawURL, resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// authorize runs the front channel: the application's redirect to
// /oauth2/authorize, the page's approval, and the redirect back with a
// code. It returns the redirect back.
func authorize(t *testing.T, n *node, authURL string, who openid.SignedIn,
	consent bool) url.Values {
	t.Helper()
	page := location(t, authURL)
	if page.Path != "/ui/authorize" {
		t.Fatalf("authorize sent the browser to %s, want the hosted page", page)
	}
	id := page.Query().Get("auth_request")
	ctx := context.Background()
	v, err := n.app.OpenID.View(ctx, id, &who)
	if err != nil {
		t.Fatal(err)
	}
	if v.NeedsLogin || v.NeedsConsent != consent {
		t.Fatalf("view: needs login %v, consent %v; want consent %v", v.NeedsLogin,
			v.NeedsConsent, consent)
	}
	next, err := n.app.OpenID.Approve(ctx, id, who, consent)
	if err != nil {
		t.Fatal(err)
	}
	back := location(t, next)
	if got := back.Scheme + "://" + back.Host + back.Path; got != appRedirect {
		t.Fatalf("the code went to %s, want %s", got, appRedirect)
	}
	return back.Query()
}

func registerApp(t *testing.T, n *node, typ clients.Type, firstParty bool,
	grants ...string) (clients.Client, string) {
	t.Helper()
	c, secret, err := n.app.Clients.Create(context.Background(), clients.NewClient{
		Name: "Tienda de prueba", Type: typ, FirstParty: firstParty,
		RedirectURIs:           []string{appRedirect},
		PostLogoutRedirectURIs: []string{"https://tienda.example.co/bye"},
		GrantTypes:             grants, Scopes: []string{"orders:read"}})
	if err != nil {
		t.Fatal(err)
	}
	return c, secret
}

func TestOpenIDConnectCodeFlow(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n := oidcNode(t, dialect)
		api := apiClient{t: t, base: n.url}
		ctx := context.Background()

		provider, err := oidc.NewProvider(ctx, n.url)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		var disc struct {
			ResponseTypes []string `json:"response_types_supported"`
			Challenge     []string `json:"code_challenge_methods_supported"`
			Grants        []string `json:"grant_types_supported"`
			EndSession    string   `json:"end_session_endpoint"`
			Introspection string   `json:"introspection_endpoint"`
		}
		if err := provider.Claims(&disc); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(disc.ResponseTypes, []string{"code"}) ||
			!slices.Equal(disc.Challenge, []string{"S256"}) ||
			slices.Contains(disc.Grants, "password") || slices.Contains(disc.Grants, "implicit") ||
			disc.EndSession != n.url+"/oauth2/logout" ||
			disc.Introspection != n.url+"/oauth2/introspect" {
			t.Fatalf("discovery offers %+v", disc)
		}

		app, secret := registerApp(t, n, clients.Confidential, false,
			"authorization_code", "refresh_token")
		conf := oauth2.Config{ClientID: app.ID, ClientSecret: secret,
			Endpoint: provider.Endpoint(), RedirectURL: appRedirect,
			Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}
		_, who := browser(t, api, "ana.oidc@ejemplo.co")

		verifier := oauth2.GenerateVerifier()
		authURL := conf.AuthCodeURL("estado-1", oauth2.S256ChallengeOption(verifier),
			oidc.Nonce("nonce-1"))
		back := authorize(t, n, authURL, who, true)
		if back.Get("state") != "estado-1" || back.Get("code") == "" {
			t.Fatalf("redirect back: %v", back)
		}
		tok, err := conf.Exchange(ctx, back.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}

		// The ID token verifies with the published keys and carries the
		// nonce, the authentication and the claims the scopes asked for.
		rawID, _ := tok.Extra("id_token").(string)
		idt, err := provider.Verifier(&oidc.Config{ClientID: app.ID}).Verify(ctx, rawID)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		var claims struct {
			Email    string   `json:"email"`
			Verified bool     `json:"email_verified"`
			Name     string   `json:"name"`
			AMR      []string `json:"amr"`
			SID      string   `json:"sid"`
			AtHash   string   `json:"at_hash"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idt.Nonce != "nonce-1" || idt.Subject != who.UserID ||
			claims.Email != "ana.oidc@ejemplo.co" || claims.Name == "" ||
			!slices.Equal(claims.AMR, []string{"pwd"}) || claims.SID == "" ||
			claims.SID == who.SessionID {
			t.Fatalf("ID token: nonce %q sub %q %+v", idt.Nonce, idt.Subject, claims)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("at_hash: %v", err)
		}

		// The access token is cerrojo's own, for the client's session.
		ac, err := n.app.Tokens.Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if ac.ClientID != app.ID || ac.SessionID != claims.SID ||
			ac.Scope != "openid profile email offline_access" {
			t.Fatalf("access token: client %q sid %q scope %q", ac.ClientID, ac.SessionID,
				ac.Scope)
		}

		info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		// The address was never verified, and userinfo says so.
		if info.Subject != who.UserID || info.Email != "ana.oidc@ejemplo.co" ||
			info.EmailVerified || claims.Verified {
			t.Fatalf("userinfo: %+v", info)
		}

		// Refresh rotates, and the new access token keeps the scope.
		tok.Expiry = time.Now().Add(-time.Minute)
		fresh, err := conf.TokenSource(ctx, tok).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
			t.Fatal("refresh did not rotate the refresh token")
		}
		if fc, err := n.app.Tokens.Verify(ctx, fresh.AccessToken); err != nil ||
			fc.Scope != ac.Scope {
			t.Fatalf("refreshed token: %v %+v", err, fc)
		}

		// The person sees the grant; consent is not asked again.
		grants := api.do("GET", "/v1/me/grants", "", loginToken(t, api, "ana.oidc@ejemplo.co")).
			want(t, 200, "grants")
		if !strings.Contains(grants.raw, app.ID) || !strings.Contains(grants.raw, "Tienda") {
			t.Fatalf("grants: %s", grants.raw)
		}
		v2 := conf.AuthCodeURL("estado-2", oauth2.S256ChallengeOption(verifier))
		authorize(t, n, v2, who, false)

		// RP-initiated logout ends the client's session and the browser's.
		logout := n.url + "/oauth2/logout?" + url.Values{"id_token_hint": {rawID},
			"post_logout_redirect_uri": {"https://tienda.example.co/bye"},
			"state":                    {"adios"}}.Encode()
		bye := location(t, logout)
		if bye.Host != "tienda.example.co" || bye.Query().Get("state") != "adios" {
			t.Fatalf("logout went to %s", bye)
		}
		if _, err := n.app.Sessions.Check(ctx, claims.SID); err == nil {
			t.Error("the client's session outlived logout")
		}
		if _, err := n.app.Sessions.Check(ctx, who.SessionID); err == nil {
			t.Error("the browser session outlived logout")
		}
		fresh.Expiry = time.Now().Add(-time.Minute)
		if _, err := conf.TokenSource(ctx, fresh).Token(); err == nil {
			t.Error("a refresh token of a logged-out session still works")
		}
		// Without an ID token hint, nobody is signed out.
		r := api.do("GET", "/oauth2/logout?post_logout_redirect_uri="+
			url.QueryEscape("https://tienda.example.co/bye"), "", "")
		if r.status < 400 {
			t.Errorf("logout without id_token_hint: %d %s", r.status, r.raw)
		}
	})
}

// loginToken signs a person in again and returns the access token.
func loginToken(t *testing.T, api apiClient, email string) string {
	t.Helper()
	return signIn(t, api, email).str("access_token")
}

func oauthError(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want an OAuth error response, got %v", err)
	}
	return re.ErrorCode
}

func TestOpenIDConnectRefusals(t *testing.T) {
	n := oidcNode(t, "sqlite")
	api := apiClient{t: t, base: n.url}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.url)
	if err != nil {
		t.Fatal(err)
	}
	app, secret := registerApp(t, n, clients.Confidential, true,
		"authorization_code", "refresh_token")
	conf := oauth2.Config{ClientID: app.ID, ClientSecret: secret,
		Endpoint: provider.Endpoint(), RedirectURL: appRedirect,
		Scopes: []string{oidc.ScopeOpenID, "email"}}
	_, who := browser(t, api, "luis.oidc@ejemplo.co")
	verifier := oauth2.GenerateVerifier()

	// Refused before any page, back at the client with the state.
	errorBack := func(name, authURL, want string) {
		t.Helper()
		back := location(t, authURL)
		if back.Path != "/callback" || back.Query().Get("error") != want ||
			back.Query().Get("state") != "s" {
			t.Errorf("%s: redirected to %s, want error %s", name, back, want)
		}
	}
	errorBack("no PKCE", conf.AuthCodeURL("s"), "invalid_request")
	errorBack("plain PKCE", conf.AuthCodeURL("s",
		oauth2.SetAuthURLParam("code_challenge", verifier),
		oauth2.SetAuthURLParam("code_challenge_method", "plain")), "invalid_request")
	implicit := strings.Replace(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)),
		"response_type=code", "response_type=token", 1)
	back := location(t, implicit)
	if e := back.Query().Get("error"); e == "" || back.Query().Get("access_token") != "" ||
		back.Fragment != "" {
		t.Errorf("implicit flow: redirected to %s", back)
	}

	// form_post is not offered (its page would need an inline script).
	errorBack("form_post", conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("response_mode", "form_post")), "invalid_request")

	// An unknown client is told to the person, not redirected anywhere.
	unknown := conf
	unknown.ClientID = "cli_nadie"
	resp, err := noRedirects.Get(unknown.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("unknown client: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A redirect URI one character off is never redirected to.
	off := conf
	off.RedirectURL = appRedirect + "s"
	resp, err = noRedirects.Get(off.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || strings.Contains(resp.Header.Get("Location"), "callbacks") {
		t.Errorf("redirect URI off by one character: %d, Location %q", resp.StatusCode,
			resp.Header.Get("Location"))
	}

	// prompt=none without a sign-in ends with login_required.
	page := location(t, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "none")))
	id := page.Query().Get("auth_request")
	v, err := n.app.OpenID.View(ctx, id, nil)
	if err != nil || !v.PromptNone || !v.NeedsLogin {
		t.Fatalf("prompt=none view: %+v %v", v, err)
	}
	denied, err := n.app.OpenID.Deny(ctx, id, "login_required")
	if err != nil {
		t.Fatal(err)
	}
	if du, _ := url.Parse(denied); du.Query().Get("error") != "login_required" ||
		du.Query().Get("state") != "s" || du.Query().Get("iss") != n.url {
		t.Errorf("denial: %s", denied)
	}
	if _, err := n.app.OpenID.Approve(ctx, id, who, false); err == nil {
		t.Error("a denied request was approved")
	}

	code := func() string {
		t.Helper()
		return authorize(t, n, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)),
			who, false).Get("code")
	}

	// A wrong secret, a wrong verifier, a missing verifier, another redirect
	// URI and another client are refused.
	wrong := conf
	wrong.ClientSecret = secret + "x"
	_, err = wrong.Exchange(ctx, code(), oauth2.VerifierOption(verifier))
	if got := oauthError(t, err); got != "invalid_client" {
		t.Errorf("wrong client secret: %s", got)
	}
	_, err = conf.Exchange(ctx, code(), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if got := oauthError(t, err); got != "invalid_grant" {
		t.Errorf("wrong code verifier: %s", got)
	}
	_, err = conf.Exchange(ctx, code())
	if got := oauthError(t, err); got != "invalid_grant" {
		t.Errorf("no code verifier: %s", got)
	}
	_, err = off.Exchange(ctx, code(), oauth2.VerifierOption(verifier))
	if got := oauthError(t, err); got != "invalid_grant" {
		t.Errorf("another redirect URI: %s", got)
	}
	other, otherSecret := registerApp(t, n, clients.Confidential, true,
		"authorization_code")
	stolen := conf
	stolen.ClientID, stolen.ClientSecret = other.ID, otherSecret
	_, err = stolen.Exchange(ctx, code(), oauth2.VerifierOption(verifier))
	if got := oauthError(t, err); got != "invalid_grant" {
		t.Errorf("another client's code: %s", got)
	}

	// Each ID token carries the nonce of its own request: of two requests
	// in flight, the second's code does not satisfy a relying party that
	// waits for the first's nonce (OpenID Connect Core 3.1.3.7 step 11).
	first := authorize(t, n, conf.AuthCodeURL("s1", oauth2.S256ChallengeOption(verifier),
		oidc.Nonce("nonce-first")), who, false).Get("code")
	second := authorize(t, n, conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier),
		oidc.Nonce("nonce-second")), who, false).Get("code")
	idVerifier := provider.Verifier(&oidc.Config{ClientID: app.ID})
	for code, want := range map[string]string{first: "nonce-first", second: "nonce-second"} {
		tk, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tk.Extra("id_token").(string)
		idt, err := idVerifier.Verify(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if idt.Nonce != want {
			t.Errorf("ID token nonce %q, want %q: a relying party comparing nonces "+
				"would accept the wrong token", idt.Nonce, want)
		}
	}

	// A replayed code is refused and revokes what the first exchange gave.
	c := code()
	tok, err := conf.Exchange(ctx, c, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conf.Exchange(ctx, c, oauth2.VerifierOption(verifier))
	if got := oauthError(t, err); got != "invalid_grant" {
		t.Errorf("replayed code: %s", got)
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("the access token of a replayed code still reaches userinfo")
	}
	r := api.form("/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, app.ID, secret)
	if r.body["active"] != false {
		t.Errorf("introspection of a replayed code's token: %s", r.raw)
	}

	// The password grant is not offered.
	r = api.form("/oauth2/token", url.Values{"grant_type": {"password"},
		"username": {"luis.oidc@ejemplo.co"}, "password": {journeyPassword}}, app.ID, secret)
	if r.str("error") != "unsupported_grant_type" {
		t.Errorf("password grant: %d %s", r.status, r.raw)
	}
}

func TestClientCredentials(t *testing.T) {
	n := oidcNode(t, "sqlite")
	api := apiClient{t: t, base: n.url}
	ctx := context.Background()
	m, secret, err := n.app.Clients.Create(ctx, clients.NewClient{Name: "pagos",
		Type: clients.Confidential, GrantTypes: []string{"client_credentials"},
		Scopes: []string{"orders:read", "orders:write"}})
	if err != nil {
		t.Fatal(err)
	}
	r := api.form("/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"scope": {"orders:read"}}, m.ID, secret).want(t, 200, "client credentials")
	if r.str("refresh_token") != "" || r.str("token_type") != "Bearer" {
		t.Fatalf("client credentials: %s", r.raw)
	}
	c, err := n.app.Tokens.Verify(ctx, r.str("access_token"))
	if err != nil || c.Subject != m.ID || c.ClientID != m.ID || c.Scope != "orders:read" {
		t.Fatalf("machine token: %v %+v", err, c)
	}
	api.form("/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"scope": {"admin"}}, m.ID, secret).want(t, 400, "unregistered scope")
	api.form("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, m.ID,
		secret+"x").want(t, 401, "wrong secret")
	pub, _ := registerApp(t, n, clients.Public, false, "authorization_code")
	r = api.form("/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {pub.ID}}, "", "")
	if r.status < 400 {
		t.Errorf("a public client got a machine token: %s", r.raw)
	}
	// A client not registered for the grant is refused.
	web, webSecret := registerApp(t, n, clients.Confidential, false, "authorization_code")
	r = api.form("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, web.ID,
		webSecret)
	if r.str("error") != "unauthorized_client" {
		t.Errorf("client credentials for a code-flow client: %d %s", r.status, r.raw)
	}
}

func TestPublicClientAndRevokedGrant(t *testing.T) {
	n := oidcNode(t, "sqlite")
	api := apiClient{t: t, base: n.url}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.url)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := registerApp(t, n, clients.Public, false, "authorization_code", "refresh_token")
	conf := oauth2.Config{ClientID: app.ID, Endpoint: provider.Endpoint(),
		RedirectURL: appRedirect, Scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	p, who := browser(t, api, "marta.oidc@ejemplo.co")
	verifier := oauth2.GenerateVerifier()
	back := authorize(t, n, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), who,
		true)
	tok, err := conf.Exchange(ctx, back.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("public client exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("offline_access gave no refresh token")
	}

	// Revoking the grant ends the client's session at once.
	api.do("DELETE", "/v1/me/grants/"+app.ID, "", p.token).want(t, 204, "revoke grant")
	api.do("DELETE", "/v1/me/grants/"+app.ID, "", p.token).want(t, 404, "revoke twice")
	tok.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.TokenSource(ctx, tok).Token(); err == nil {
		t.Error("a refresh token outlived the revoked grant")
	}
	// Consent is asked again.
	v := conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))
	authorize(t, n, v, who, true)
}
