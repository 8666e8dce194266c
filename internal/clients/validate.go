package clients

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// The grant types a client may be registered for. The implicit and
// password grants are not among them: OWASP ASVS 5.0 section 10.4 and
// RFC 9700 sections 2.1.2 and 2.4 say not to use them.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

var knownGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials}

// maxURIs bounds a client's redirect and post-logout URIs; real clients
// register a handful.
const maxURIs = 20

func (in *NewClient) validate() error {
	if in.Type != Public && in.Type != Confidential {
		return fmt.Errorf("client type %q: must be public or confidential", in.Type)
	}
	if in.AppType == "" {
		in.AppType = Web
	}
	if in.AppType != Web && in.AppType != Native && in.AppType != UserAgent {
		return fmt.Errorf("application type %q: must be web, native or user_agent", in.AppType)
	}
	for _, g := range in.GrantTypes {
		switch {
		case g == "password" || g == "implicit":
			return fmt.Errorf("grant %q is not offered: use authorization_code with PKCE", g)
		case !slices.Contains(knownGrants, g):
			return fmt.Errorf("grant %q: must be one of %s", g, strings.Join(knownGrants, ", "))
		}
	}
	if slices.Contains(in.GrantTypes, GrantClientCredentials) && in.Type != Confidential {
		return errors.New("client_credentials needs a confidential client: " +
			"a public client cannot keep a secret")
	}
	code := slices.Contains(in.GrantTypes, GrantAuthorizationCode)
	if code && len(in.RedirectURIs) == 0 {
		return errors.New("authorization_code needs at least one redirect URI")
	}
	if !code && len(in.RedirectURIs)+len(in.PostLogoutRedirectURIs) > 0 {
		return errors.New("redirect URIs are only used with the authorization_code grant")
	}
	if len(in.RedirectURIs) > maxURIs || len(in.PostLogoutRedirectURIs) > maxURIs {
		return fmt.Errorf("at most %d redirect URIs of each kind", maxURIs)
	}
	for _, u := range append(slices.Clone(in.RedirectURIs), in.PostLogoutRedirectURIs...) {
		if err := ValidateRedirectURI(in.AppType, u); err != nil {
			return err
		}
	}
	for _, s := range in.Scopes {
		if !validScope(s) {
			return fmt.Errorf("scope %q: use the characters RFC 6749 section 3.3 allows", s)
		}
	}
	return nil
}

// ValidateRedirectURI says whether a client of type t may register uri.
// Redirect URIs are compared exactly at authorization time (RFC 9700
// section 4.1.3), so they are checked once here: absolute, without a
// fragment (RFC 6749 section 3.1.2), without wildcards, and over https
// except on the loopback interface. Native apps may also use a private
// scheme in reverse-domain form (RFC 8252 section 7.1).
func ValidateRedirectURI(t AppType, uri string) error {
	if len(uri) > 2000 {
		return errors.New("a redirect URI is at most 2000 characters")
	}
	u, err := url.Parse(uri)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("redirect URI %q: must be an absolute URI", uri)
	}
	if u.Fragment != "" || strings.Contains(uri, "#") {
		return fmt.Errorf("redirect URI %q: must not have a fragment", uri)
	}
	if strings.Contains(uri, "*") {
		return fmt.Errorf("redirect URI %q: wildcards are not allowed", uri)
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("redirect URI %q: has no host", uri)
		}
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("redirect URI %q: http is allowed only on the loopback interface",
			uri)
	}
	if t != Native {
		return fmt.Errorf("redirect URI %q: web and single-page clients must use https", uri)
	}
	if !strings.Contains(u.Scheme, ".") {
		return fmt.Errorf("redirect URI %q: a private scheme must be a reverse domain name "+
			"such as com.example.app (RFC 8252 section 7.1)", uri)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validScope reports whether s is a scope token: printable ASCII except
// space, double quote and backslash (RFC 6749 section 3.3).
func validScope(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
