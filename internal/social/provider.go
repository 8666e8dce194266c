package social

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/cerrojo/cerrojo/internal/config"
)

// Default endpoints of the kinds that have them.
//
// #nosec G101 -- public URLs of the providers' token endpoints, not secrets.
const (
	googleIssuer    = "https://accounts.google.com"
	appleIssuer     = "https://appleid.apple.com"
	microsoftIssuer = "https://login.microsoftonline.com/%s/v2.0"
	facebookAuth    = "https://www.facebook.com/v19.0/dialog/oauth"
	facebookToken   = "https://graph.facebook.com/v19.0/oauth/access_token"
	facebookMe      = "https://graph.facebook.com/v19.0/me"
	// microsoftConsumers is the tenant of personal Microsoft accounts,
	// which tenant "organizations" must not let in.
	microsoftConsumers = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

// appleSecretTTL is the life of the client secret JWT made for each token
// request; Apple accepts up to six months, a request needs seconds.
const appleSecretTTL = 5 * time.Minute

// Provider is what the sign-in page needs to know about a provider.
type Provider struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Kind        string `json:"kind"`
}

// provider is a configured provider and, for OpenID Connect kinds, what
// its discovery document said. Discovery happens at first use and is
// retried until it succeeds, so an outage of one provider neither stops
// the node nor the other providers.
type provider struct {
	Provider
	cfg         config.SocialProvider
	issuer      string
	scopes      []string
	redirectURI string
	// formPost: the provider answers with response_mode=form_post (Apple),
	// so the callback is a cross-site POST.
	formPost bool
	appleKey *ecdsa.PrivateKey

	mu       sync.Mutex
	oidc     *oidc.Provider
	verifier *oidc.IDTokenVerifier
	endpoint oauth2.Endpoint
	// tenantIssuer is Microsoft's issuer template, with "{tenantid}", when
	// the configured tenant is multi-tenant (common, organizations).
	tenantIssuer string
}

var displayNames = map[string]string{config.SocialGoogle: "Google",
	config.SocialMicrosoft: "Microsoft", config.SocialApple: "Apple",
	config.SocialFacebook: "Facebook"}

// newProvider fills a provider's defaults and reads Apple's key.
func newProvider(c config.SocialProvider, publicURL string) (*provider, error) {
	p := &provider{cfg: c, Provider: Provider{Name: c.Name, DisplayName: c.DisplayName,
		Kind: c.Kind}, issuer: c.Issuer, scopes: config.SocialScopes(c.Scopes),
		redirectURI: strings.TrimSuffix(publicURL, "/") + "/v1/auth/social/" + c.Name +
			"/callback"}
	if p.DisplayName == "" {
		p.DisplayName = displayNames[c.Kind]
	}
	if p.DisplayName == "" {
		p.DisplayName = c.Name
	}
	switch c.Kind {
	case config.SocialGoogle:
		p.issuer = cmp.Or(p.issuer, googleIssuer)
	case config.SocialApple:
		p.issuer = cmp.Or(p.issuer, appleIssuer)
		p.formPost = true
		key, err := readAppleKey(c.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("social provider %s: private_key_file: %w", c.Name, err)
		}
		p.appleKey = key
	case config.SocialMicrosoft:
		p.issuer = cmp.Or(p.issuer, fmt.Sprintf(microsoftIssuer, cmp.Or(c.Tenant, "common")))
	case config.SocialFacebook:
		p.endpoint = oauth2.Endpoint{AuthURL: cmp.Or(c.AuthURL, facebookAuth),
			TokenURL: cmp.Or(c.TokenURL, facebookToken), AuthStyle: oauth2.AuthStyleInParams}
	}
	if len(p.scopes) == 0 {
		switch c.Kind {
		case config.SocialFacebook:
			p.scopes = []string{"email", "public_profile"}
		case config.SocialApple:
			p.scopes = []string{oidc.ScopeOpenID, "name", "email"}
		default:
			p.scopes = []string{oidc.ScopeOpenID, "email", "profile"}
		}
	}
	if c.Kind != config.SocialFacebook && !slices.Contains(p.scopes, oidc.ScopeOpenID) {
		// Without openid there is no ID token (OpenID Connect Core 1.0
		// section 3.1.2.1).
		p.scopes = append([]string{oidc.ScopeOpenID}, p.scopes...)
	}
	return p, nil
}

func (p *provider) isOIDC() bool { return p.Kind != config.SocialFacebook }

// readAppleKey reads the PKCS #8 P-256 key of a .p8 file from Apple.
func readAppleKey(path string) (*ecdsa.PrivateKey, error) {
	// #nosec G304 -- social.providers[].private_key_file, set by the operator.
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, errors.New("not a PEM file")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve.Params().Name != "P-256" {
		return nil, errors.New("not a P-256 key (Apple issues ES256 keys)")
	}
	return ec, nil
}

// discover reads the provider's discovery document once (OpenID Connect
// Discovery 1.0). The issuer it states must equal the configured one
// (section 4.3, OWASP ASVS 5.0 10.5.3), except Microsoft's multi-tenant
// endpoints, whose document states the template
// https://login.microsoftonline.com/{tenantid}/v2.0: then each ID token's
// iss must equal the template filled with the token's own tid.
func (p *provider) discover(ctx context.Context, client *http.Client,
	now func() time.Time) error {
	if !p.isOIDC() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oidc != nil {
		return nil
	}
	ctx = oidc.ClientContext(ctx, client)
	dctx := ctx
	if p.Kind == config.SocialMicrosoft {
		dctx = oidc.InsecureIssuerURLContext(ctx, p.issuer)
	}
	op, err := oidc.NewProvider(dctx, p.issuer)
	if err != nil {
		return fmt.Errorf("discover %s: %w", p.Name, err)
	}
	var meta struct {
		Issuer      string   `json:"issuer"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := op.Claims(&meta); err != nil {
		return fmt.Errorf("discover %s: %w", p.Name, err)
	}
	vc := &oidc.Config{ClientID: p.cfg.ClientID, Now: now,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.PS256}}
	if p.Kind == config.SocialMicrosoft && meta.Issuer != p.issuer {
		if !strings.Contains(meta.Issuer, "{tenantid}") {
			return fmt.Errorf("discover %s: issuer %q does not match %q", p.Name,
				meta.Issuer, p.issuer)
		}
		p.tenantIssuer = meta.Issuer
		// Checked by checkTenant against the token's tid instead.
		vc.SkipIssuerCheck = true
	}
	p.endpoint = op.Endpoint()
	// Secrets go in the body unless the provider says it takes Basic
	// (RFC 6749 section 2.3.1; OpenID Connect Discovery 1.0 section 3).
	p.endpoint.AuthStyle = oauth2.AuthStyleInParams
	if slices.Contains(meta.AuthMethods, "client_secret_basic") && p.Kind != config.SocialApple &&
		p.Kind != config.SocialMicrosoft {
		p.endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	// The key set outlives this request: it gets a context of its own,
	// with the same HTTP client.
	p.verifier = op.VerifierContext(oidc.ClientContext(context.Background(), client), vc)
	p.oidc = op
	return nil
}

// checkTenant applies Microsoft's multi-tenant issuer rule: iss must be the
// issuer template filled with the token's tid, so a token of one tenant
// cannot pass as another's; "organizations" refuses personal accounts.
func (p *provider) checkTenant(iss, tid string) error {
	if p.tenantIssuer == "" {
		return nil
	}
	if tid == "" || strings.ContainsAny(tid, "/?#{}") {
		return errors.New("the ID token has no valid tid")
	}
	if iss != strings.Replace(p.tenantIssuer, "{tenantid}", tid, 1) {
		return fmt.Errorf("the ID token's issuer %q is not its tenant's", iss)
	}
	if strings.EqualFold(p.cfg.Tenant, "organizations") && tid == microsoftConsumers {
		return errors.New("personal Microsoft accounts are not accepted")
	}
	return nil
}

// oauth2Config is the client configuration of one request; Apple's client
// secret is signed afresh each time.
func (p *provider) oauth2Config(now time.Time) (*oauth2.Config, error) {
	p.mu.Lock()
	ep := p.endpoint
	p.mu.Unlock()
	c := &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret.Reveal(),
		Endpoint: ep, RedirectURL: p.redirectURI, Scopes: p.scopes}
	if p.appleKey != nil {
		s, err := p.appleSecret(now)
		if err != nil {
			return nil, err
		}
		c.ClientSecret = s
	}
	return c, nil
}

// appleSecret is Apple's client secret: an ES256 JWT with the key id in
// its header, iss the team id, sub the client id (the Services ID), and
// aud Apple's issuer ("Creating a client secret", Sign in with Apple REST
// API).
func (p *provider) appleSecret(now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.appleKey},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.cfg.KeyID))
	if err != nil {
		return "", fmt.Errorf("apple client secret: %w", err)
	}
	claims := jwt.Claims{Issuer: p.cfg.TeamID, Subject: p.cfg.ClientID,
		Audience: jwt.Audience{p.issuer}, IssuedAt: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(appleSecretTTL))}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("apple client secret: %w", err)
	}
	return s, nil
}

// facebookMe asks the Graph API who the access token belongs to, with the
// appsecret_proof Facebook asks server calls to send ("Securing Graph API
// Requests").
func (p *provider) facebookMe(ctx context.Context, client *http.Client,
	accessToken string) (Claims, error) {
	mac := hmac.New(sha256.New, []byte(p.cfg.ClientSecret.Reveal()))
	mac.Write([]byte(accessToken))
	q := url.Values{"fields": {"id,name,email"},
		"appsecret_proof": {hex.EncodeToString(mac.Sum(nil))}}
	u := cmp.Or(p.cfg.UserInfoURL, facebookMe) + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Claims{}, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error names the URL, whose query holds appsecret_proof:
		// keep only the cause, which the caller logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Claims{}, fmt.Errorf("facebook /me: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxUserInfoBytes+1))
	if err != nil {
		return Claims{}, fmt.Errorf("facebook /me: %w", err)
	}
	if len(body) > MaxUserInfoBytes {
		return Claims{}, errors.New("facebook /me: answer too large")
	}
	if resp.StatusCode != http.StatusOK {
		return Claims{}, fmt.Errorf("facebook /me: status %d", resp.StatusCode)
	}
	var me struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(body, &me); err != nil {
		return Claims{}, fmt.Errorf("facebook /me: %w", err)
	}
	// Facebook says nothing of whether it verified the address: it counts
	// as unverified.
	return Claims{Subject: me.ID, Email: me.Email, Name: me.Name}, nil
}
