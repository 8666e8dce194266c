package app

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/redisconn/redistest"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// TestThreeNodes runs three nodes on one PostgreSQL and one Redis, on
// different loopback ports, with no balancer, and spreads requests over
// them: a rate limit holds across the three, an account locks after the
// threshold counted across the three, a session ended on one is refused
// by the others at once, a key rotation on one is taken up by the others
// at their next reload, and the audit log they all wrote is one log that
// verifies.
func TestThreeNodes(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Admin.ListenAddr = ""
	cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
	cfg.Redis.URL = config.CredentialURL(redistest.URL(t))
	key, _ := keyring.NewMasterKey()
	cfg.MasterKey.Value = config.Secret(key)
	cfg.Accounts.FailureDelay = 0
	cfg.HTTP.TrustedProxies = "127.0.0.1"
	// The per-account sign-in limit would stop the lockout test before the
	// lockout does; it is tested in TestRateLimits.
	cfg.RateLimit.LoginAccount = "1000/1m burst 1000"

	nodes := []*node{start(t, cfg), start(t, cfg), start(t, cfg)}
	apis := make([]apiClient, len(nodes))
	for i, n := range nodes {
		apis[i] = apiClient{t: t, base: n.url}
	}
	from := func(addr string) []string { return []string{"X-Forwarded-For", addr} }

	// 1. One address, requests round-robin over the nodes: the login burst
	// of 10 is counted once, on Redis.
	flood := randomAddress()
	for i := range 12 {
		r := apis[i%3].do("POST", "/v1/auth/login",
			`{"email":"nadie@ejemplo.co","password":"adivinanza"}`, "", from(flood)...)
		if want := 401; i >= 10 {
			if r.status != 429 {
				t.Fatalf("request %d from one address over three nodes: %d %s", i, r.status,
					r.raw)
			}
		} else if r.status != want {
			t.Fatalf("request %d within the burst: %d %s", i, r.status, r.raw)
		}
	}

	// 2. Lockout counted across nodes, each try from a new address.
	apis[0].do("POST", "/v1/accounts", `{"email":"tres@ejemplo.co","password":"`+
		journeyPassword+`","name":"Tres Nodos","kind":"customer"}`, "", from(randomAddress())...).
		want(t, 202, "register")
	for i := range cfg.Accounts.LockoutThreshold {
		apis[i%3].do("POST", "/v1/auth/login", `{"email":"tres@ejemplo.co","password":"no"}`,
			"", from(randomAddress())...).want(t, 401, "wrong password "+strconv.Itoa(i))
	}
	for i := range apis {
		apis[i].do("POST", "/v1/auth/login", credentials("tres@ejemplo.co"), "",
			from(randomAddress())...).want(t, 401, "right password on a locked account")
	}

	// 3. A session ended on one node is refused by the others at once.
	apis[1].do("POST", "/v1/accounts", `{"email":"sesion@ejemplo.co","password":"`+
		journeyPassword+`","name":"Sesion","kind":"customer"}`, "", from(randomAddress())...).
		want(t, 202, "register")
	s := apis[1].do("POST", "/v1/auth/login", credentials("sesion@ejemplo.co"), "",
		from(randomAddress())...).want(t, 200, "login on node 1")
	token := s.str("access_token")
	apis[2].do("GET", "/v1/me", "", token).want(t, 200, "the token on node 2")
	apis[0].do("POST", "/v1/auth/logout", "", token).want(t, 204, "logout on node 0")
	apis[1].do("GET", "/v1/me", "", token).want(t, 401, "the token on node 1 after logout")
	apis[2].do("GET", "/v1/me", "", token).want(t, 401, "the token on node 2 after logout")

	// 4. A rotation on one node is taken up by the others at their next
	// reload (every minute; called here rather than waited for): they sign
	// with the new key and publish its successor.
	ctx := context.Background()
	rot, err := nodes[0].app.Tokens.Keys().ForceRotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes[1:] {
		if err := n.app.Tokens.Keys().Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		api := apis[i+1]
		jwks := api.do("GET", "/.well-known/jwks.json", "", "").want(t, 200, "jwks").raw
		if !strings.Contains(jwks, rot.Current.ID) || !strings.Contains(jwks, rot.Next.ID) {
			t.Errorf("node %d's JWKS after the rotation lacks the new keys", i+1)
		}
		api.do("POST", "/v1/accounts", `{"email":"rot`+strconv.Itoa(i)+`@ejemplo.co",`+
			`"password":"`+journeyPassword+`","name":"Rota","kind":"customer"}`, "",
			from(randomAddress())...).want(t, 202, "register")
		s := api.do("POST", "/v1/auth/login", credentials("rot"+strconv.Itoa(i)+"@ejemplo.co"),
			"", from(randomAddress())...).want(t, 200, "login after the rotation")
		header, _, _ := strings.Cut(s.str("access_token"), ".")
		raw, _ := base64.RawURLEncoding.DecodeString(header)
		if !strings.Contains(string(raw), `"kid":"`+rot.Current.ID+`"`) {
			t.Errorf("node %d signs with %s, want the new current key %s", i+1, raw,
				rot.Current.ID)
		}
	}

	// 5. Three writers, one log.
	rep, err := audit.Verify(ctx, nodes[0].app.DB, audit.VerifyOptions{})
	if err != nil || !rep.OK() || rep.Records < 20 {
		t.Fatalf("the audit log of three nodes: %+v %v", rep, err)
	}
}
