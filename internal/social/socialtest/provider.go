// Package socialtest runs identity providers on loopback for tests of
// social login: an OpenID provider that speaks the real protocol
// (discovery, an authorization endpoint that approves a configured person
// at once, a token endpoint that checks client authentication, the code,
// the redirect URI and PKCE, signed ID tokens, JWKS, UserInfo) with
// switches to misbehave, a Facebook-like OAuth 2.0 server with the Graph
// API's /me, and a Browser that follows a sign-in as a browser would.
package socialtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// User is the person the provider signs in.
type User struct {
	Subject string
	Email   string
	// EmailVerified is sent as email_verified unless nil.
	EmailVerified *bool
	Name          string
	// TenantID is the tid claim (Microsoft); with MultiTenant the token's
	// issuer is that tenant's.
	TenantID string
	// EmailOnlyInUserInfo leaves email out of the ID token; the UserInfo
	// endpoint has it.
	EmailOnlyInUserInfo bool
}

// Options configure a Provider.
type Options struct {
	ClientID, ClientSecret string
	// Alg is RS256 (default) or ES256.
	Alg string
	// MultiTenant serves Microsoft's multi-tenant shape: the issuer given
	// to clients is URL/common/v2.0, whose discovery document states
	// URL/{tenantid}/v2.0, and tokens are issued by URL/<tid>/v2.0.
	MultiTenant bool
	// AppleKey, with AppleTeamID and AppleKeyID, makes the token endpoint
	// take Apple's client secret: an ES256 JWT signed by this key.
	AppleKey    *ecdsa.PublicKey
	AppleTeamID string
	AppleKeyID  string
}

// Provider is an OpenID provider on loopback.
type Provider struct {
	URL string
	// Issuer is what clients configure: URL, or URL/common/v2.0 with
	// MultiTenant.
	Issuer string
	opts   Options
	srv    *httptest.Server
	key    crypto.Signer
	kid    string

	mu    sync.Mutex
	user  User
	codes map[string]grant
	// Misbehaviour, set by the test.
	authorizeError string
	tamper         func(map[string]any)
	otherKey       crypto.Signer
	tokenRequests  int
}

type grant struct {
	clientID, redirectURI, challenge, nonce, scope string
	user                                           User
}

// NewProvider starts a provider; it stops when the test ends.
func NewProvider(t testing.TB, o Options) *Provider {
	t.Helper()
	p := &Provider{opts: o, codes: map[string]grant{}, kid: "test-key-1"}
	p.key = newKey(t, o.Alg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	p.Issuer = p.URL
	disc := "/.well-known/openid-configuration"
	if o.MultiTenant {
		p.Issuer = p.URL + "/common/v2.0"
		disc = "/common/v2.0" + disc
	}
	mux.HandleFunc("GET "+disc, p.discovery)
	return p
}

func newKey(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	if alg == "ES256" {
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (p *Provider) alg() jose.SignatureAlgorithm {
	if p.opts.Alg == "ES256" {
		return jose.ES256
	}
	return jose.RS256
}

// SetUser sets the person the next authorization approves.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// FailAuthorize makes the authorization endpoint answer with this error
// code (such as access_denied) instead of a code; "" restores it.
func (p *Provider) FailAuthorize(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.authorizeError = code
}

// Tamper changes the claims of the next ID tokens before they are signed;
// nil restores honest tokens.
func (p *Provider) Tamper(fn func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = fn
}

// SignWithUnpublishedKey signs the next ID tokens with a key that is not
// in the JWKS, under the published key's id.
func (p *Provider) SignWithUnpublishedKey(t testing.TB, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.otherKey = nil
	if on {
		p.otherKey = newKey(t, p.opts.Alg)
	}
}

// TokenRequests counts the successful token requests.
func (p *Provider) TokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenRequests
}

// issuerFor is the iss of tokens for u.
func (p *Provider) issuerFor(u User) string {
	if p.opts.MultiTenant {
		return p.URL + "/" + u.TenantID + "/v2.0"
	}
	return p.Issuer
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	iss := p.Issuer
	if p.opts.MultiTenant {
		iss = p.URL + "/{tenantid}/v2.0"
	}
	methods := []string{"client_secret_basic", "client_secret_post"}
	if p.opts.AppleKey != nil {
		methods = []string{"client_secret_post"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"userinfo_endpoint":                     p.URL + "/userinfo",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "form_post"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(p.alg())},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": methods,
		"scopes_supported":                      []string{"openid", "email", "profile", "name"},
	})
}

// authorize approves the configured person at once (OpenID Connect Core
// 1.0 section 3.1.2), after checking the request as a provider must.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != p.opts.ClientID || redirect == "" {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	user, failWith := p.user, p.authorizeError
	p.mu.Unlock()
	params := url.Values{"state": {q.Get("state")}}
	switch {
	case failWith != "":
		params.Set("error", failWith)
	case q.Get("response_type") != "code":
		params.Set("error", "unsupported_response_type")
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		params.Set("error", "invalid_request")
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid") || q.Get("nonce") == "":
		params.Set("error", "invalid_request")
	default:
		code := randomString()
		p.mu.Lock()
		p.codes[code] = grant{clientID: q.Get("client_id"), redirectURI: redirect,
			challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), scope: q.Get("scope"),
			user: user}
		p.mu.Unlock()
		params.Set("code", code)
	}
	if q.Get("response_mode") == "form_post" {
		if user.Name != "" {
			first, last, _ := strings.Cut(user.Name, " ")
			u, _ := json.Marshal(map[string]any{"name": map[string]string{
				"firstName": first, "lastName": last}, "email": user.Email})
			params.Set("user", string(u))
		}
		writeFormPost(w, redirect, params)
		return
	}
	// #nosec G710 -- a test provider: it answers the test's own client.
	http.Redirect(w, r, redirect+"?"+params.Encode(), http.StatusFound)
}

// writeFormPost answers as OAuth 2.0 Form Post Response Mode does: a page
// that posts the parameters to the redirect URI.
func writeFormPost(w http.ResponseWriter, action string, params url.Values) {
	var b strings.Builder
	fmt.Fprintf(&b, `<html><body onload="document.forms[0].submit()">`+
		`<form method="post" action="%s">`, html.EscapeString(action))
	for k, vs := range params {
		for _, v := range vs {
			fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s"/>`,
				html.EscapeString(k), html.EscapeString(v))
		}
	}
	b.WriteString(`</form></body></html>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func tokenError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
}

// token is the token endpoint (RFC 6749 section 4.1.3, RFC 7636 section
// 4.6, OpenID Connect Core 1.0 section 3.1.3).
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	f := r.PostForm
	if !p.clientAuthenticated(r, f) {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		tokenError(w, "unsupported_grant_type")
		return
	}
	p.mu.Lock()
	g, ok := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code")) // single use
	p.mu.Unlock()
	if !ok || g.redirectURI != f.Get("redirect_uri") || g.clientID != p.opts.ClientID {
		tokenError(w, "invalid_grant")
		return
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, "invalid_grant")
		return
	}
	now := time.Now()
	claims := map[string]any{"iss": p.issuerFor(g.user), "sub": g.user.Subject,
		"aud": p.opts.ClientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"nonce": g.nonce}
	if !g.user.EmailOnlyInUserInfo {
		addUserClaims(claims, g.user)
	}
	if g.user.TenantID != "" {
		claims["tid"] = g.user.TenantID
	}
	accessToken := "at." + randomString()
	p.mu.Lock()
	tamper, key := p.tamper, p.key
	if p.otherKey != nil {
		key = p.otherKey
	}
	p.codes["access:"+accessToken] = g
	p.tokenRequests++
	p.mu.Unlock()
	if tamper != nil {
		tamper(claims)
	}
	idToken, err := p.sign(key, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": accessToken,
		"token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

func addUserClaims(claims map[string]any, u User) {
	if u.Email != "" {
		claims["email"] = u.Email
	}
	if u.EmailVerified != nil {
		claims["email_verified"] = *u.EmailVerified
	}
	if u.Name != "" {
		claims["name"] = u.Name
	}
}

// clientAuthenticated checks client_secret_basic, client_secret_post or,
// for Apple, the ES256 client secret JWT.
func (p *Provider) clientAuthenticated(r *http.Request, f url.Values) bool {
	id, secret, basic := r.BasicAuth()
	if basic {
		if f.Get("client_secret") != "" {
			return false // RFC 6749 section 2.3: one method only
		}
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if id != p.opts.ClientID {
		return false
	}
	if p.opts.AppleKey != nil {
		return !basic && p.appleSecretValid(secret)
	}
	return subtle.ConstantTimeCompare([]byte(secret), []byte(p.opts.ClientSecret)) == 1
}

func (p *Provider) appleSecretValid(s string) bool {
	tok, err := jwt.ParseSigned(s, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(tok.Headers) != 1 || tok.Headers[0].KeyID != p.opts.AppleKeyID {
		return false
	}
	var c jwt.Claims
	if err := tok.Claims(p.opts.AppleKey, &c); err != nil {
		return false
	}
	err = c.ValidateWithLeeway(jwt.Expected{Issuer: p.opts.AppleTeamID,
		Subject: p.opts.ClientID, AnyAudience: jwt.Audience{p.Issuer}, Time: time.Now()}, 0)
	return err == nil && c.Expiry != nil
}

func (p *Provider) sign(key crypto.Signer, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: p.alg(),
		Key: jose.JSONWebKey{Key: key, KeyID: p.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: p.key.Public(), KeyID: p.kid, Algorithm: string(p.alg()), Use: "sig"}}})
}

// userinfo is the UserInfo endpoint (OpenID Connect Core 1.0 section 5.3).
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	g, found := p.codes["access:"+at]
	p.mu.Unlock()
	if !ok || !found {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	claims := map[string]any{"sub": g.user.Subject}
	addUserClaims(claims, g.user)
	writeJSON(w, http.StatusOK, claims)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Bool returns a pointer to b, for User.EmailVerified.
func Bool(b bool) *bool { return &b }
