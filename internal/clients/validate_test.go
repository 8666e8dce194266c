package clients

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestValidateRefuses(t *testing.T) {
	code := []string{GrantAuthorizationCode}
	cases := []struct {
		name string
		in   NewClient
		want string
	}{
		{"type", NewClient{Type: "secret"}, "public or confidential"},
		{"app type", NewClient{Type: Public, AppType: "desktop"}, "web, native or user_agent"},
		{"implicit", NewClient{Type: Public, GrantTypes: []string{"implicit"}}, "not offered"},
		{"password", NewClient{Type: Confidential, GrantTypes: []string{"password"}},
			"not offered"},
		{"unknown grant", NewClient{Type: Confidential, GrantTypes: []string{"device_code"}},
			"must be one of"},
		{"public machine", NewClient{Type: Public,
			GrantTypes: []string{GrantClientCredentials}}, "confidential"},
		{"code without redirect", NewClient{Type: Public, GrantTypes: code}, "redirect URI"},
		{"redirect without code", NewClient{Type: Confidential,
			RedirectURIs: []string{"https://a.co/cb"}}, "only used"},
		{"relative", NewClient{Type: Public, GrantTypes: code,
			RedirectURIs: []string{"/cb"}}, "absolute"},
		{"fragment", NewClient{Type: Public, GrantTypes: code,
			RedirectURIs: []string{"https://a.co/cb#x"}}, "fragment"},
		{"wildcard", NewClient{Type: Public, GrantTypes: code,
			RedirectURIs: []string{"https://*.a.co/cb"}}, "wildcards"},
		{"http off loopback", NewClient{Type: Confidential, GrantTypes: code,
			RedirectURIs: []string{"http://a.co/cb"}}, "loopback"},
		{"custom scheme on web", NewClient{Type: Public, GrantTypes: code,
			RedirectURIs: []string{"com.tienda.app:/cb"}}, "https"},
		{"bare custom scheme", NewClient{Type: Public, AppType: Native, GrantTypes: code,
			RedirectURIs: []string{"tienda:/cb"}}, "reverse domain"},
		{"post-logout http", NewClient{Type: Public, GrantTypes: code,
			RedirectURIs:           []string{"https://a.co/cb"},
			PostLogoutRedirectURIs: []string{"http://a.co/bye"}}, "loopback"},
		{"scope", NewClient{Type: Confidential, Scopes: []string{`a"b`}}, "RFC 6749"},
	}
	for _, c := range cases {
		err := c.in.validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	code := []string{GrantAuthorizationCode, GrantRefreshToken}
	for _, in := range []NewClient{
		{Type: Confidential},
		{Type: Confidential, GrantTypes: []string{GrantClientCredentials},
			Scopes: []string{"orders:read"}},
		{Type: Public, AppType: Native, GrantTypes: code,
			RedirectURIs: []string{"co.tienda.app:/oauth", "http://127.0.0.1/cb"}},
		{Type: Public, AppType: UserAgent, GrantTypes: code,
			RedirectURIs: []string{"https://tienda.co/cb", "http://localhost:5173/cb"}},
	} {
		if err := in.validate(); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

func TestCreateAuthenticateRotate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		master := make([]byte, 32)
		rand.Read(master)
		ring, err := keyring.New(rand.Reader, master)
		if err != nil {
			t.Fatal(err)
		}
		r := New(db, ring)
		if _, _, err := r.Create(ctx, NewClient{Name: "x", Type: Public,
			GrantTypes: []string{"implicit"}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("invalid client: %v", err)
		}
		c, secret, err := r.Create(ctx, NewClient{Name: "tienda", Type: Confidential,
			AppType: Web, GrantTypes: []string{GrantAuthorizationCode},
			RedirectURIs:           []string{"https://tienda.co/cb"},
			PostLogoutRedirectURIs: []string{"https://tienda.co/bye"}})
		if err != nil {
			t.Fatal(err)
		}
		// 256 bits of secret after the prefix.
		if len(secret) != len(secretPrefix)+43 {
			t.Fatalf("secret %d characters", len(secret))
		}
		got, err := r.Get(ctx, c.ID)
		if err != nil || got.AppType != Web || got.PostLogoutRedirectURIs[0] !=
			"https://tienda.co/bye" || got.RedirectURIs[0] != "https://tienda.co/cb" {
			t.Fatalf("stored client: %+v %v", got, err)
		}
		if _, err := r.Authenticate(ctx, c.ID, secret); err != nil {
			t.Fatal(err)
		}
		next, err := r.RotateSecret(ctx, c.ID)
		if err != nil || next == secret {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := r.Authenticate(ctx, c.ID, secret); !errors.Is(err, ErrInvalidClient) {
			t.Fatalf("the old secret still works: %v", err)
		}
		if _, err := r.Authenticate(ctx, c.ID, next); err != nil {
			t.Fatalf("the new secret: %v", err)
		}
	})
}
