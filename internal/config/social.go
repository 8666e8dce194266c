package config

import (
	"fmt"
	"regexp"
	"strings"
)

// SocialConfig sets social login (docs/social-login.md): the outside
// identity providers people may sign in with.
type SocialConfig struct {
	// Providers lists the providers, each under a name of its own that
	// appears in the routes (/v1/auth/social/<name>/...) and in the
	// redirect URI registered with the provider:
	// <public_url>/v1/auth/social/<name>/callback. In the environment the
	// variable holds the list as JSON.
	Providers []SocialProvider `yaml:"providers" env:"CERROJO_SOCIAL_PROVIDERS"`
}

// SocialProvider is one identity provider of social login.
type SocialProvider struct {
	// Name identifies the provider in routes, the database and the audit
	// log: lower-case letters, digits, '-' and '_'. Renaming it orphans
	// the identities linked under the old name.
	Name string `yaml:"name"`
	// DisplayName is what the sign-in page shows; the kind's brand when
	// empty.
	DisplayName string `yaml:"display_name"`
	// Kind is google, microsoft, apple (OpenID Connect), facebook (OAuth
	// 2.0 and the Graph API) or oidc (any OpenID Connect provider).
	Kind string `yaml:"kind"`
	// Issuer is the OpenID Connect issuer; its discovery document is read
	// at start-up. Required for oidc; google, apple and microsoft have
	// their own by default; facebook has none.
	Issuer       string `yaml:"issuer"`
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	// Scopes, space- or comma-separated, replace the kind's default scopes
	// (openid email profile; email public_profile for facebook).
	Scopes string `yaml:"scopes"`
	// TeamID, KeyID and PrivateKeyFile (a .p8 file) are Apple's: the
	// client secret is an ES256 JWT signed with that key.
	TeamID         string `yaml:"team_id"`
	KeyID          string `yaml:"key_id"`
	PrivateKeyFile string `yaml:"private_key_file"`
	// Tenant is Microsoft's tenant: common (default), organizations,
	// consumers, or a tenant id or domain.
	Tenant string `yaml:"tenant"`
	// AuthURL, TokenURL and UserInfoURL replace Facebook's endpoints
	// (dialog, access token, /me); for tests and Graph API versions.
	AuthURL     string `yaml:"auth_url"`
	TokenURL    string `yaml:"token_url"`
	UserInfoURL string `yaml:"userinfo_url"`
}

// The kinds of social login provider.
const (
	SocialGoogle    = "google"
	SocialMicrosoft = "microsoft"
	SocialApple     = "apple"
	SocialFacebook  = "facebook"
	SocialOIDC      = "oidc"
)

// maxSocialProviders bounds the list: a sign-in page shows a handful.
const maxSocialProviders = 32

var (
	socialName    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	socialTenant  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$`)
	socialAppleID = regexp.MustCompile(`^[A-Z0-9]{10}$`)
)

func (s SocialConfig) validate() []error {
	const env = "CERROJO_SOCIAL_PROVIDERS"
	var errs []error
	if len(s.Providers) > maxSocialProviders {
		errs = append(errs, &KeyError{Key: "social.providers", Env: env,
			Value:  fmt.Sprint(len(s.Providers)),
			Reason: fmt.Sprintf("must list at most %d providers", maxSocialProviders)})
	}
	seen := map[string]int{}
	for i, p := range s.Providers {
		prefix := fmt.Sprintf("social.providers[%d].", i)
		bad := func(key, value, reason string) {
			errs = append(errs, &KeyError{Key: prefix + key, Env: env, Value: value,
				Reason: reason})
		}
		if !socialName.MatchString(p.Name) {
			bad("name", p.Name, "must be 1-32 characters of a-z, 0-9, '-' and '_', "+
				"starting with a letter or digit")
		} else if j, dup := seen[p.Name]; dup {
			bad("name", p.Name, fmt.Sprintf("is already the name of social.providers[%d]", j))
		} else {
			seen[p.Name] = i
		}
		if len(p.DisplayName) > 64 {
			bad("display_name", p.DisplayName, "must be at most 64 bytes")
		}
		if p.ClientID == "" {
			bad("client_id", "", "must not be empty")
		}
		oidcKind := true
		switch p.Kind {
		case SocialGoogle, SocialOIDC:
		case SocialMicrosoft:
			if p.Tenant != "" && !socialTenant.MatchString(p.Tenant) {
				bad("tenant", p.Tenant, "must be common, organizations, consumers, "+
					"a tenant id or a domain")
			}
		case SocialApple:
			if !socialAppleID.MatchString(p.TeamID) {
				bad("team_id", p.TeamID, "must be Apple's 10-character team id")
			}
			if !socialAppleID.MatchString(p.KeyID) {
				bad("key_id", p.KeyID, "must be Apple's 10-character key id")
			}
			if p.PrivateKeyFile == "" {
				bad("private_key_file", "", "must name the .p8 key file Apple issued")
			}
			if p.ClientSecret != "" {
				bad("client_secret", p.ClientSecret.String(), "must be empty for apple: "+
					"the client secret is signed with private_key_file")
			}
		case SocialFacebook:
			oidcKind = false
			if p.Issuer != "" {
				bad("issuer", p.Issuer, "must be empty for facebook, which is not OpenID Connect")
			}
		default:
			bad("kind", p.Kind, "must be google, microsoft, apple, facebook or oidc")
		}
		if p.Kind != SocialApple && p.ClientSecret == "" {
			bad("client_secret", "", "must not be empty")
		}
		if p.Kind != SocialApple && (p.TeamID != "" || p.KeyID != "" || p.PrivateKeyFile != "") {
			bad("private_key_file", p.PrivateKeyFile, "team_id, key_id and private_key_file "+
				"are for apple only")
		}
		if p.Kind != SocialMicrosoft && p.Tenant != "" {
			bad("tenant", p.Tenant, "is for microsoft only")
		}
		if p.Kind == SocialOIDC && p.Issuer == "" {
			bad("issuer", "", "must be set for oidc: the provider's issuer URL")
		}
		if oidcKind && p.Issuer != "" {
			// OpenID Connect Discovery 1.0 section 3: https (http is
			// accepted for loopback, for tests and development).
			if e := checkBaseURL(p.Issuer, false); e != "" {
				bad("issuer", p.Issuer, e)
			}
		}
		for key, u := range map[string]string{"auth_url": p.AuthURL, "token_url": p.TokenURL,
			"userinfo_url": p.UserInfoURL} {
			if u == "" {
				continue
			}
			if p.Kind != SocialFacebook {
				bad(key, u, "is for facebook only; OpenID Connect providers are discovered")
			} else if e := checkBaseURL(u, false); e != "" {
				bad(key, u, e)
			}
		}
		for _, sc := range SocialScopes(p.Scopes) {
			if strings.ContainsFunc(sc, func(r rune) bool {
				return r <= ' ' || r == '"' ||
					r == '\\' || r > '~'
			}) {
				bad("scopes", p.Scopes, "must be scope tokens (RFC 6749 section 3.3)")
				break
			}
		}
	}
	return errs
}

// SocialScopes splits a scopes setting on spaces and commas.
func SocialScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}
