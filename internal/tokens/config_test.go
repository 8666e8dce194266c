package tokens

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *Config)
		field  string // "" means valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"zero value means defaults", func(c *Config) { *c = Config{} }, ""},
		{"https issuer with a path", func(c *Config) { c.Issuer = "https://auth.example.co/t1" }, ""},
		{"http issuer on loopback", func(c *Config) { c.Issuer = "http://localhost:8080" }, ""},
		{"http issuer elsewhere", func(c *Config) { c.Issuer = "http://auth.example.co" },
			"tokens.issuer"},
		{"relative issuer", func(c *Config) { c.Issuer = "auth.example.co" }, "tokens.issuer"},
		{"issuer with a query", func(c *Config) { c.Issuer = "https://a.example.co/?x=1" },
			"tokens.issuer"},
		{"issuer with a fragment", func(c *Config) { c.Issuer = "https://a.example.co/#x" },
			"tokens.issuer"},
		{"audience too long", func(c *Config) { c.Audience = strings.Repeat("a", 257) },
			"tokens.audience"},
		{"ttl at 1m", func(c *Config) { c.AccessTokenTTL = time.Minute }, ""},
		{"ttl below 1m", func(c *Config) { c.AccessTokenTTL = time.Minute - time.Second },
			"tokens.access_token_ttl"},
		{"ttl at 1h", func(c *Config) { c.AccessTokenTTL = time.Hour }, ""},
		{"ttl over 1h", func(c *Config) { c.AccessTokenTTL = time.Hour + time.Second },
			"tokens.access_token_ttl"},
		{"ES256", func(c *Config) { c.Algorithm = "ES256" }, ""},
		{"RS256", func(c *Config) { c.Algorithm = "RS256" }, ""},
		{"HS256", func(c *Config) { c.Algorithm = "HS256" }, "tokens.signing_algorithm"},
		{"eddsa in lower case", func(c *Config) { c.Algorithm = "eddsa" },
			"tokens.signing_algorithm"},
		{"max-age at 1m", func(c *Config) { c.JWKSMaxAge = time.Minute }, ""},
		{"max-age below 1m", func(c *Config) { c.JWKSMaxAge = 59 * time.Second },
			"tokens.jwks_max_age"},
		{"max-age over 24h", func(c *Config) {
			c.JWKSMaxAge = 24*time.Hour + time.Second
			c.RotationInterval = 48 * time.Hour
		}, "tokens.jwks_max_age"},
		{"rotation at the publish lead", func(c *Config) { c.RotationInterval = 19 * time.Minute },
			""},
		{"rotation below the publish lead", func(c *Config) {
			c.RotationInterval = 19*time.Minute - time.Second
		}, "tokens.rotation_interval"},
		{"rotation interval shorter than max-age", func(c *Config) {
			c.JWKSMaxAge = 2 * time.Hour
			c.RotationInterval = time.Hour
		}, "tokens.rotation_interval"},
		{"rotation at 90 days", func(c *Config) { c.RotationInterval = 90 * 24 * time.Hour }, ""},
		{"rotation over 90 days", func(c *Config) {
			c.RotationInterval = 90*24*time.Hour + time.Second
		}, "tokens.rotation_interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.change(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Fatalf("got %v, want an error naming %s", err, tc.field)
			}
		})
	}
}
