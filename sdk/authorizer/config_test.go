package authorizer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authorizer"
)

func TestNewLocalValidatesConfig(t *testing.T) {
	base := authorizer.LocalConfig{BaseURL: "https://auth.example.co", ClientID: "svc",
		ClientSecret: "pw"}
	tests := []struct {
		name    string
		mutate  func(c *authorizer.LocalConfig)
		wantErr string // "" for none
	}{
		{"https is accepted", func(*authorizer.LocalConfig) {}, ""},
		{"a path prefix is accepted",
			func(c *authorizer.LocalConfig) { c.BaseURL = "https://example.co/auth/" }, ""},
		{"plain http is refused on a public host",
			func(c *authorizer.LocalConfig) { c.BaseURL = "http://auth.example.co" }, "https"},
		{"plain http is accepted with AllowHTTP", func(c *authorizer.LocalConfig) {
			c.BaseURL, c.AllowHTTP = "http://auth.mesh.internal", true
		}, ""},
		{"plain http is accepted on loopback",
			func(c *authorizer.LocalConfig) { c.BaseURL = "http://127.0.0.1:8080" }, ""},
		{"plain http is accepted on localhost",
			func(c *authorizer.LocalConfig) { c.BaseURL = "http://localhost:8080" }, ""},
		{"plain http is accepted on IPv6 loopback",
			func(c *authorizer.LocalConfig) { c.BaseURL = "http://[::1]:8080" }, ""},
		{"a relative URL is refused",
			func(c *authorizer.LocalConfig) { c.BaseURL = "/v1" }, "absolute"},
		{"another scheme is refused",
			func(c *authorizer.LocalConfig) { c.BaseURL = "ftp://auth.example.co" }, "absolute"},
		{"credentials in the URL are refused",
			func(c *authorizer.LocalConfig) { c.BaseURL = "https://svc:pw@auth.example.co" },
			"credentials"},
		{"a query is refused",
			func(c *authorizer.LocalConfig) { c.BaseURL = "https://auth.example.co/?a=b" },
			"query"},
		{"no client id", func(c *authorizer.LocalConfig) { c.ClientID = "" }, "ClientID"},
		{"no client secret", func(c *authorizer.LocalConfig) { c.ClientSecret = "" },
			"ClientSecret"},
		{"a negative timeout", func(c *authorizer.LocalConfig) { c.Timeout = -time.Second },
			"Timeout"},
		{"a refresh just under a second",
			func(c *authorizer.LocalConfig) { c.PolicyRefresh = time.Second - 1 },
			"PolicyRefresh"},
		{"a refresh of a second",
			func(c *authorizer.LocalConfig) { c.PolicyRefresh = time.Second }, ""},
		{"a refresh just over an hour",
			func(c *authorizer.LocalConfig) { c.PolicyRefresh = time.Hour + 1 }, "PolicyRefresh"},
		{"a bindings TTL of ten minutes",
			func(c *authorizer.LocalConfig) { c.BindingsTTL = 10 * time.Minute }, ""},
		{"a bindings TTL just over ten minutes",
			func(c *authorizer.LocalConfig) { c.BindingsTTL = 10*time.Minute + 1 },
			"BindingsTTL"},
		{"no bindings cache", func(c *authorizer.LocalConfig) {
			c.BindingsTTL = authorizer.NoBindingsCache
		}, ""},
		{"negative MaxSubjects", func(c *authorizer.LocalConfig) { c.MaxSubjects = -1 },
			"MaxSubjects"},
		{"MaxSubjects just over the cap",
			func(c *authorizer.LocalConfig) { c.MaxSubjects = 1_000_001 }, "MaxSubjects"},
		{"MaxStale under PolicyRefresh", func(c *authorizer.LocalConfig) {
			c.PolicyRefresh, c.MaxStale = time.Minute, 59*time.Second
		}, "MaxStale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mutate(&cfg)
			_, err := authorizer.NewLocal(cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v, want an error about %s", err, tc.wantErr)
			case err != nil && strings.Contains(err.Error(), "pw@"):
				t.Fatalf("the error %q quotes the credentials", err)
			}

			// The fields both modes share are checked alike.
			_, rerr := authorizer.NewRemote(authorizer.RemoteConfig{BaseURL: cfg.BaseURL,
				AllowHTTP: cfg.AllowHTTP, ClientID: cfg.ClientID,
				ClientSecret: cfg.ClientSecret, Timeout: cfg.Timeout})
			localOnly := cfg.PolicyRefresh != 0 || cfg.BindingsTTL != 0 ||
				cfg.MaxSubjects != 0 || cfg.MaxStale != 0
			if !localOnly && (rerr == nil) != (err == nil) {
				t.Fatalf("NewRemote: got %v, NewLocal got %v", rerr, err)
			}
		})
	}
}

func TestConfigsDoNotPrintTheSecret(t *testing.T) {
	const secret = "hunter2-very-secret"
	configs := []any{
		authorizer.LocalConfig{BaseURL: "https://a.example", ClientID: "svc",
			ClientSecret: secret},
		authorizer.RemoteConfig{BaseURL: "https://a.example", ClientID: "svc",
			ClientSecret: secret},
	}
	for _, cfg := range configs {
		t.Run(fmt.Sprintf("%T", cfg), func(t *testing.T) {
			var out bytes.Buffer
			fmt.Fprintf(&out, "%v %+v %#v %s %q", cfg, cfg, cfg, cfg, cfg)
			fmt.Fprintf(&out, "%v", struct{ C any }{cfg})
			// LocalConfig has a func field, which encoding/json refuses.
			if js, err := json.Marshal(cfg); err == nil {
				out.Write(js)
			}
			slog.New(slog.NewJSONHandler(&out, nil)).Info("config", "cfg", cfg)
			slog.New(slog.NewTextHandler(&out, nil)).Info("config", "cfg", cfg)

			if strings.Contains(out.String(), secret) {
				t.Fatalf("the secret is printed: %s", out.String())
			}
			if !strings.Contains(out.String(), "svc") {
				t.Fatalf("the client id is not printed: %s", out.String())
			}
		})
	}
}
