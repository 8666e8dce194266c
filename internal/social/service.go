package social

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/randid"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Options are a Service's dependencies.
type Options struct {
	DB       *storage.DB
	Ring     *keyring.Ring
	Accounts *accounts.Service
	Audit    audit.Recorder
	// Passkeys counts a person's passkeys, a way to sign in without a
	// password, for the last-method rule of Unlink; nil counts none.
	Passkeys func(ctx context.Context, userID string) (int, error)
	// PublicURL is config public_url: the base of the redirect URIs.
	PublicURL string
	Providers []config.SocialProvider
	// HTTPClient calls the providers; when nil, one with a timeout that
	// reads at most MaxProviderBodyBytes of each answer.
	HTTPClient *http.Client
	Clock      clock.Clock  // clock.System when nil
	Rand       io.Reader    // crypto/rand when nil
	Logger     *slog.Logger // slog.Default when nil
}

// Service runs social login.
type Service struct {
	o         Options
	st        store
	ids       *randid.Source
	providers map[string]*provider
	order     []string
	secure    bool
}

// New checks the providers' settings and reads Apple's keys. Discovery of
// OpenID Connect providers happens at their first use.
func New(o Options) (*Service, error) {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: providerTimeout,
			Transport: limitedTransport{next: http.DefaultTransport}}
	}
	pub, err := url.Parse(o.PublicURL)
	if err != nil || pub.Host == "" {
		return nil, fmt.Errorf("social: public_url %q is not an absolute URL", o.PublicURL)
	}
	s := &Service{o: o, st: store{db: o.DB}, ids: randid.NewSource(o.Rand),
		providers: map[string]*provider{}, secure: pub.Scheme == "https"}
	for _, c := range o.Providers {
		if _, dup := s.providers[c.Name]; dup {
			return nil, fmt.Errorf("social: provider %q is configured twice", c.Name)
		}
		p, err := newProvider(c, o.PublicURL)
		if err != nil {
			return nil, err
		}
		s.providers[c.Name] = p
		s.order = append(s.order, c.Name)
	}
	return s, nil
}

// Providers lists the configured providers in configuration order.
func (s *Service) Providers() []Provider {
	out := make([]Provider, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.providers[n].Provider)
	}
	return out
}

// Claims are what a provider asserted about the person.
type Claims struct {
	// Subject is the provider's identifier of the person, unique and never
	// reassigned within the provider (OpenID Connect Core 1.0 section
	// 5.7); for Microsoft's multi-tenant endpoints it is "tid/sub", since
	// there iss varies with the tenant and only (iss, sub) is unique.
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Problems of this package; clients branch on the codes.
var (
	errUnknownProvider = httpx.NewProblem(http.StatusNotFound, "unknown_provider",
		"no social login provider has this name")
	errInvalidState = httpx.NewProblem(http.StatusBadRequest, "invalid_state",
		"this sign-in is not valid, has expired, was used already or was started in "+
			"another browser; start again")
	errInvalidHandle = httpx.NewProblem(http.StatusBadRequest, "invalid_handle",
		"the social sign-in result is not valid, has expired or was used already; "+
			"sign in again")
	errInvalidLink = httpx.NewProblem(http.StatusBadRequest, "invalid_link_token",
		"the link token is not valid, has expired or was used already; sign in with the "+
			"provider again")
	errUnavailable = httpx.NewProblem(http.StatusServiceUnavailable, "provider_unavailable",
		"the identity provider cannot be reached now; try again later")
)

// DefaultReturnTo is where the callback sends the browser when the start
// named no page.
const DefaultReturnTo = "/ui/login"

// checkReturnTo accepts only a path on this site: it starts with one "/"
// (not "//" nor "/\", which browsers read as another host), has no
// control characters nor fragment. An open redirect would let an attacker
// send the result handle to their own page.
func checkReturnTo(s string) (string, error) {
	if s == "" {
		return DefaultReturnTo, nil
	}
	bad := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
		"return_to must be a path on this site, starting with one /")
	if len(s) > MaxReturnToBytes || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") ||
		strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "#\\") ||
		strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "", bad
	}
	return s, nil
}

func (s *Service) provider(name string) (*provider, error) {
	p, ok := s.providers[name]
	if !ok {
		return nil, errUnknownProvider
	}
	return p, nil
}

func (s *Service) random() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(s.o.Rand, b); err != nil {
		return "", fmt.Errorf("social: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) mac(purpose, v string) []byte {
	return s.o.Ring.MAC("social."+purpose, []byte(v))
}

// pkceVerifier and nonce are derived from the state with keyed MACs, so
// nothing secret is stored with the state: 256 bits, as RFC 7636 section
// 4.1 asks of a verifier (43 characters of base64url), and unknowable
// without the key ring even to someone who saw the state in a URL.
func (s *Service) pkceVerifier(st string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("pkce", st))
}

func (s *Service) nonce(st string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("nonce", st))
}

// validCookie is the form of a binding cookie this package sets.
func validCookie(v string) bool {
	if len(v) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

// Started is an authorization request ready to go.
type Started struct {
	// URL is the provider's authorization endpoint with the request.
	URL string
	// Cookie is the browser-binding value to set; it is the value the
	// browser sent when that one was well formed, so several sign-ins may
	// run at once in one browser.
	Cookie string
	// FormPost: the provider answers with a cross-site POST; the cookie
	// needs SameSite=None.
	FormPost bool
}

// Start begins a sign-in at provider name (RFC 6749 section 4.1.1 with
// PKCE S256, RFC 7636; OpenID Connect Core 1.0 section 3.1.2.1 with a
// nonce). The state is stored as a MAC with the MAC of the binding cookie,
// valid StateTTL.
func (s *Service) Start(ctx context.Context, name, returnTo, cookie string) (Started, error) {
	p, err := s.provider(name)
	if err != nil {
		return Started{}, err
	}
	if returnTo, err = checkReturnTo(returnTo); err != nil {
		return Started{}, err
	}
	if err := p.discover(ctx, s.o.HTTPClient, s.o.Clock.Now); err != nil {
		s.o.Logger.WarnContext(ctx, "social provider discovery failed", "provider", name,
			"error", err.Error())
		return Started{}, errUnavailable
	}
	now := s.o.Clock.Now()
	if !validCookie(cookie) {
		if cookie, err = s.random(); err != nil {
			return Started{}, err
		}
	}
	st, err := s.random()
	if err != nil {
		return Started{}, err
	}
	if err := s.st.putState(ctx, state{mac: s.mac("state", st), provider: name,
		browserMAC: s.mac("browser", cookie), returnTo: returnTo,
		expiresAt: now.Add(StateTTL), createdAt: now}); err != nil {
		return Started{}, err
	}
	conf, err := p.oauth2Config(now)
	if err != nil {
		return Started{}, err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(s.pkceVerifier(st))}
	if p.isOIDC() {
		opts = append(opts, oidc.Nonce(s.nonce(st)))
	}
	if p.formPost {
		// Apple sends name and email only with form_post.
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	return Started{URL: conf.AuthCodeURL(st, opts...), Cookie: cookie,
		FormPost: p.formPost}, nil
}

// CallbackParams are the parameters of an authorization response (RFC 6749
// section 4.1.2 and 4.1.2.1; RFC 9207 iss), from the query or, for
// form_post, the body.
type CallbackParams struct {
	State string
	Code  string
	// Error is the provider's error code, such as access_denied.
	Error string
	// Issuer is the RFC 9207 iss parameter, when the provider sends it.
	Issuer string
	// AppleName is the name from the user JSON Apple posts the first time.
	AppleName string
}

// ParseCallback reads callback parameters from untrusted input: each at
// most once and at most MaxParamBytes (Apple's user at most
// MaxAppleUserBytes); state required; code or error required.
func ParseCallback(v url.Values) (CallbackParams, error) {
	bad := func(detail string) error {
		return httpx.NewProblem(http.StatusBadRequest, "invalid_request", detail)
	}
	one := func(k string, max int) (string, error) {
		vs := v[k]
		switch {
		case len(vs) == 0:
			return "", nil
		case len(vs) > 1:
			// RFC 6749 section 3.1: parameters must not be repeated.
			return "", bad(k + " is repeated")
		case len(vs[0]) > max:
			return "", bad(k + " is too long")
		}
		return vs[0], nil
	}
	var p CallbackParams
	var err error
	if p.State, err = one("state", MaxParamBytes); err != nil {
		return p, err
	}
	if p.Code, err = one("code", MaxParamBytes); err != nil {
		return p, err
	}
	if p.Error, err = one("error", MaxParamBytes); err != nil {
		return p, err
	}
	if p.Issuer, err = one("iss", MaxParamBytes); err != nil {
		return p, err
	}
	user, err := one("user", MaxAppleUserBytes)
	if err != nil {
		return p, err
	}
	if p.State == "" {
		return p, bad("state is missing")
	}
	if p.Code == "" && p.Error == "" {
		return p, bad("code is missing")
	}
	if user != "" {
		var u struct {
			Name struct {
				FirstName string `json:"firstName"`
				LastName  string `json:"lastName"`
			} `json:"name"`
		}
		if json.Unmarshal([]byte(user), &u) == nil {
			p.AppleName = strings.TrimSpace(u.Name.FirstName + " " + u.Name.LastName)
		}
	}
	return p, nil
}

// providerErrors are the RFC 6749 section 4.1.2.1 error codes passed on to
// the page; anything else is passed on as provider_error, so the page
// never shows text of the provider's choosing.
var providerErrors = map[string]bool{"access_denied": true, "invalid_request": true,
	"unauthorized_client": true, "unsupported_response_type": true, "invalid_scope": true,
	"server_error": true, "temporarily_unavailable": true, "login_required": true,
	"consent_required": true, "interaction_required": true, "user_cancelled_authorize": true}

// Callback completes a sign-in at the provider: it spends the state (once,
// whatever follows), checks that it belongs to this provider (the redirect
// URI names the provider, which with the state defeats mix-up attacks,
// OWASP ASVS 5.0 10.2.2) and to this browser (RFC 6749 section 10.12,
// ASVS 10.1.2), exchanges the code with the PKCE verifier, verifies the
// ID token and its nonce (OpenID Connect Core 1.0 sections 3.1.3.7 and
// 15.5.2) or asks Facebook who the token belongs to, and stores a result
// handle valid
// ResultTTL. It returns where to send the browser: return_to with
// #social_result=<handle>, or #social_error=<code> when the provider
// refused or its answer did not verify. Errors before the state is known
// good are problems, since there is no trusted page to send the browser
// to.
func (s *Service) Callback(ctx context.Context, name string, cp CallbackParams, cookie string,
	m accounts.Meta) (string, error) {
	p, err := s.provider(name)
	if err != nil {
		return "", err
	}
	now := s.o.Clock.Now()
	st, err := s.st.takeState(ctx, s.mac("state", cp.State))
	reason := ""
	switch {
	case errors.Is(err, errNotFound):
		reason = "unknown_state"
	case err != nil:
		return "", err
	case st.provider != name:
		reason = "other_provider"
	case !now.Before(st.expiresAt):
		reason = "expired_state"
	case cookie == "" || subtle.ConstantTimeCompare(st.browserMAC,
		s.mac("browser", cookie)) != 1:
		reason = "other_browser"
	}
	if reason != "" {
		if err := s.auditFailure(ctx, name, reason, m); err != nil {
			return "", err
		}
		return "", errInvalidState
	}
	fail := func(code, why string, cause error) (string, error) {
		if cause != nil {
			s.o.Logger.WarnContext(ctx, "social sign-in failed", "provider", name,
				"reason", why, "error", cause.Error())
		}
		if err := s.auditFailure(ctx, name, why, m); err != nil {
			return "", err
		}
		return st.returnTo + "#social_error=" + code, nil
	}
	if cp.Error != "" {
		code := cp.Error
		if !providerErrors[code] {
			code = "provider_error"
		}
		return fail(code, "provider_"+code, nil)
	}
	if cp.Issuer != "" && p.isOIDC() && p.tenantIssuer == "" && cp.Issuer != p.issuer {
		// RFC 9207 section 2.4: a response from another issuer is refused.
		return fail("invalid_response", "wrong_iss_parameter", nil)
	}
	claims, err := s.exchange(ctx, p, cp.Code, cp.State, now)
	if err != nil {
		var bad *verifyError
		if errors.As(err, &bad) {
			return fail("invalid_response", bad.reason, err)
		}
		return fail("provider_unavailable", "exchange_failed", err)
	}
	if claims.Name == "" {
		claims.Name = cp.AppleName
	}
	handle, err := s.random()
	if err != nil {
		return "", err
	}
	if err := s.st.putResult(ctx, result{mac: s.mac("result", handle), kind: kindResult,
		provider: name, claims: claims, authTime: now, expiresAt: now.Add(ResultTTL),
		createdAt: now}); err != nil {
		return "", err
	}
	return st.returnTo + "#social_result=" + handle, nil
}

// verifyError is an answer of the provider that did not verify.
type verifyError struct {
	reason string
	err    error
}

func (e *verifyError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *verifyError) Unwrap() error { return e.err }

func (s *Service) exchange(ctx context.Context, p *provider, code, st string,
	now time.Time) (Claims, error) {
	if err := p.discover(ctx, s.o.HTTPClient, s.o.Clock.Now); err != nil {
		return Claims{}, err
	}
	conf, err := p.oauth2Config(now)
	if err != nil {
		return Claims{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*providerTimeout)
	defer cancel()
	hctx := context.WithValue(ctx, oauth2.HTTPClient, s.o.HTTPClient)
	tok, err := conf.Exchange(hctx, code, oauth2.VerifierOption(s.pkceVerifier(st)))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return Claims{}, &verifyError{reason: "token_refused", err: err}
		}
		return Claims{}, err
	}
	if !p.isOIDC() {
		c, err := p.facebookMe(ctx, s.o.HTTPClient, tok.AccessToken)
		if err != nil {
			return Claims{}, err
		}
		if c.Subject == "" {
			return Claims{}, &verifyError{reason: "no_subject", err: errors.New("no id")}
		}
		return c, nil
	}
	return s.verifyIDToken(oidc.ClientContext(ctx, s.o.HTTPClient), p, tok, st)
}

// verifyIDToken applies OpenID Connect Core 1.0 section 3.1.3.7: signature
// with the provider's published keys and an allowed algorithm (OWASP ASVS
// 5.0 6.8.2), issuer, audience (10.5.4), expiry, and the nonce of this
// request (section 15.5.2, ASVS 10.5.1).
func (s *Service) verifyIDToken(ctx context.Context, p *provider, tok *oauth2.Token,
	st string) (Claims, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Claims{}, &verifyError{reason: "no_id_token", err: errors.New("no id_token")}
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return Claims{}, &verifyError{reason: "invalid_id_token", err: err}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(s.nonce(st))) != 1 {
		return Claims{}, &verifyError{reason: "wrong_nonce", err: errors.New("nonce mismatch")}
	}
	var c struct {
		Email         string        `json:"email"`
		EmailVerified *stringOrBool `json:"email_verified"`
		Name          string        `json:"name"`
		TenantID      string        `json:"tid"`
		AuthorizedFor string        `json:"azp"`
	}
	if err := idt.Claims(&c); err != nil {
		return Claims{}, &verifyError{reason: "invalid_id_token", err: err}
	}
	if err := p.checkTenant(idt.Issuer, c.TenantID); err != nil {
		return Claims{}, &verifyError{reason: "wrong_tenant", err: err}
	}
	if len(idt.Audience) > 1 && c.AuthorizedFor != p.cfg.ClientID {
		// Section 3.1.3.7 items 4 and 5: with several audiences, azp must
		// be this client.
		return Claims{}, &verifyError{reason: "wrong_azp", err: errors.New("azp mismatch")}
	}
	if idt.Subject == "" || len(idt.Subject) > 255 {
		return Claims{}, &verifyError{reason: "no_subject", err: errors.New("bad sub")}
	}
	out := Claims{Subject: idt.Subject, Email: c.Email, Name: c.Name,
		EmailVerified: c.EmailVerified != nil && bool(*c.EmailVerified)}
	if p.tenantIssuer != "" {
		out.Subject = c.TenantID + "/" + idt.Subject
	}
	if p.Kind == config.SocialMicrosoft {
		// Microsoft's email claim is whatever the tenant's admin typed and
		// is not verified (the "nOAuth" attack): it never counts as
		// verified.
		out.EmailVerified = false
	}
	if out.Email == "" && p.oidc.UserInfoEndpoint() != "" {
		if err := s.userInfo(ctx, p, tok, &out, idt.Subject); err != nil {
			return Claims{}, err
		}
	}
	return out, nil
}

// userInfo fills the email from the UserInfo endpoint when the ID token
// had none; its sub must be the ID token's (OpenID Connect Core 1.0
// section 5.3.2).
func (s *Service) userInfo(ctx context.Context, p *provider, tok *oauth2.Token, c *Claims,
	sub string) error {
	ui, err := p.oidc.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return err
	}
	if ui.Subject != sub {
		return &verifyError{reason: "userinfo_subject", err: errors.New("sub mismatch")}
	}
	var extra struct {
		Name string `json:"name"`
	}
	_ = ui.Claims(&extra) // the name is a display aid
	c.Email, c.EmailVerified = ui.Email, ui.EmailVerified && p.Kind != config.SocialMicrosoft
	if c.Name == "" {
		c.Name = extra.Name
	}
	return nil
}

// stringOrBool reads email_verified as Apple sends it ("true") and as the
// others do (true).
type stringOrBool bool

func (b *stringOrBool) UnmarshalJSON(raw []byte) error {
	switch string(raw) {
	case `true`, `"true"`:
		*b = true
	case `false`, `"false"`, `null`:
		*b = false
	default:
		return fmt.Errorf("email_verified: not a boolean")
	}
	return nil
}

func (s *Service) auditFailure(ctx context.Context, name, reason string,
	m accounts.Meta) error {
	return s.record(ctx, nil, audit.Event{Actor: anonymous, Action: "login.social",
		Outcome: audit.OutcomeFailure, Details: map[string]string{"provider": name,
			"reason": reason}}, m)
}

var anonymous = audit.Actor{Type: audit.ActorPerson, ID: "anonymous"}

// record writes an audit event, in tx when there is one.
func (s *Service) record(ctx context.Context, tx *sql.Tx, e audit.Event,
	m accounts.Meta) error {
	e.IP, e.UserAgent, e.RequestID = m.IP, m.UserAgent, m.RequestID
	var err error
	if tx != nil {
		_, err = s.o.Audit.Append(ctx, tx, e)
	} else {
		_, err = s.o.Audit.Record(ctx, e)
	}
	if err != nil {
		return fmt.Errorf("social: audit: %w", err)
	}
	return nil
}
