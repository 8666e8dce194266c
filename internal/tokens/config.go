package tokens

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

// Config is the access-token configuration. The zero value of a field means
// its default, except Issuer, which has no safe default in production: the
// default is right only for a node on its default address.
type Config struct {
	// Issuer is the iss of every token: cerrojo's public base URL, https
	// (http only on a loopback host), without query or fragment (RFC 8414
	// section 2).
	Issuer string
	// Audience is the aud of a token whose caller names none: the
	// marketplace's API.
	Audience string
	// AccessTokenTTL is how long an access token lives, 1 minute to 1 hour.
	AccessTokenTTL time.Duration
	// Algorithm signs new keys: EdDSA (Ed25519), ES256 or RS256 (3072-bit).
	// A change applies from the next key created, so it reaches signing
	// two rotations later (or one forced rotation after a rotation).
	Algorithm string
	// RotationInterval is how long a key signs before the next one takes
	// over: from the publication lead (JWKS max-age plus four minutes) to
	// 90 days.
	RotationInterval time.Duration
	// JWKSMaxAge is the JWKS's Cache-Control max-age, 1 minute to 24 hours:
	// a new key is published at least this long (plus a margin) before it
	// signs.
	JWKSMaxAge time.Duration
}

// Default returns the defaults: Ed25519 keys rotated daily, 10-minute
// access tokens, a JWKS cached for 15 minutes.
func Default() Config {
	return Config{
		Issuer:           "http://127.0.0.1:8080",
		Audience:         "marketplace-api",
		AccessTokenTTL:   10 * time.Minute,
		Algorithm:        sdk.EdDSA,
		RotationInterval: 24 * time.Hour,
		JWKSMaxAge:       15 * time.Minute,
	}
}

// withDefaults fills zero fields from Default.
func (c Config) withDefaults() Config {
	d := Default()
	if c.Issuer == "" {
		c.Issuer = d.Issuer
	}
	if c.Audience == "" {
		c.Audience = d.Audience
	}
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = d.AccessTokenTTL
	}
	if c.Algorithm == "" {
		c.Algorithm = d.Algorithm
	}
	if c.RotationInterval == 0 {
		c.RotationInterval = d.RotationInterval
	}
	if c.JWKSMaxAge == 0 {
		c.JWKSMaxAge = d.JWKSMaxAge
	}
	return c
}

// Validate checks c after filling in defaults. Each error names the key as
// docs/configuration.md does.
func (c Config) Validate() error {
	c = c.withDefaults()

	u, err := url.Parse(c.Issuer)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("tokens.issuer: %q is not an absolute URL", c.Issuer)
	case u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())):
		return fmt.Errorf("tokens.issuer: %q must use https (http is allowed on a loopback "+
			"host only)", c.Issuer)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("tokens.issuer: %q must have no query, fragment or user info",
			c.Issuer)
	}
	if len(c.Audience) > maxClaimLen {
		return fmt.Errorf("tokens.audience: longer than %d bytes", maxClaimLen)
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > time.Hour {
		return fmt.Errorf("tokens.access_token_ttl: %s is outside 1m to 1h", c.AccessTokenTTL)
	}
	switch c.Algorithm {
	case sdk.EdDSA, sdk.ES256, sdk.RS256:
	default:
		return fmt.Errorf("tokens.signing_algorithm: %q is not EdDSA, ES256 or RS256",
			c.Algorithm)
	}
	if c.JWKSMaxAge < time.Minute || c.JWKSMaxAge > 24*time.Hour {
		return fmt.Errorf("tokens.jwks_max_age: %s is outside 1m to 24h", c.JWKSMaxAge)
	}
	// A scheduled rotation promotes the key created at the previous one,
	// so the interval must cover the publication lead.
	if lead := publishLead(c); c.RotationInterval < lead || c.RotationInterval > 90*24*time.Hour {
		return fmt.Errorf("tokens.rotation_interval: %s is outside %s (the JWKS max-age "+
			"plus %s) to 2160h", c.RotationInterval, lead, lead-c.JWKSMaxAge)
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
