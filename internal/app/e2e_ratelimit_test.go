package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
	"github.com/cerrojo/cerrojo/internal/redisconn/redistest"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// randomAddress returns an address in 100.64.0.0/10 (shared address
// space) that no other test run is likely to use, so that limits kept in
// Redis by earlier runs do not apply.
func randomAddress() string {
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("100.%d.%d.%d", 64+b[0]%64, b[1], b[2])
}

// TestRateLimits floods a node with wrong passwords from one address
// behind a trusted proxy, in process and on Redis: past the burst the
// flood gets 429 with Retry-After and RateLimit fields before any
// password is hashed (no login failure is recorded for it), while a
// person at another address signs in. A spray at one account from many
// addresses stops at the per-account limit.
func TestRateLimits(t *testing.T) {
	for _, mode := range []string{"embedded", "postgres+redis"} {
		t.Run(mode, func(t *testing.T) {
			cfg := embeddedConfig(t)
			cfg.RateLimit.Enabled = true
			cfg.Accounts.FailureDelay = 0
			cfg.Accounts.IPThreshold = 1000
			cfg.HTTP.TrustedProxies = "127.0.0.1"
			if mode != "embedded" {
				cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
				cfg.Redis.URL = config.CredentialURL(redistest.URL(t))
				key, _ := keyring.NewMasterKey()
				cfg.MasterKey.Value = config.Secret(key)
			}
			n := start(t, cfg)
			api := apiClient{t: t, base: n.url}
			rateLimitFlood(t, n, api)
		})
	}
}

func rateLimitFlood(t *testing.T, n *node, api apiClient) {
	person, attacker := randomAddress(), randomAddress()
	from := func(addr string) []string { return []string{"X-Forwarded-For", addr} }
	api.do("POST", "/v1/accounts", `{"email":"real@ejemplo.co","password":"`+journeyPassword+
		`","name":"Persona Real","kind":"customer"}`, "", from(person)...).
		want(t, 202, "register")

	// 1. The flood: the login burst passes to the password check, then
	// every request is refused before it.
	burst := 10
	var refused reply
	for i := range 3 * burst {
		email := "victima" + strconv.Itoa(i) + "@ejemplo.co"
		r := api.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"adivinanza"}`,
			"", from(attacker)...)
		switch {
		case i < burst && r.status != 401:
			t.Fatalf("request %d of the burst: %d %s", i, r.status, r.raw)
		case i >= burst && r.status != 429:
			t.Fatalf("request %d past the burst: %d %s", i, r.status, r.raw)
		}
		refused = r
	}
	if refused.str("code") != "rate_limited" || refused.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(refused.header.Get("RateLimit-Policy"), `"login";q=20;w=60`) ||
		!strings.Contains(refused.header.Get("RateLimit"), ";r=0;") {
		t.Errorf("429 answer: %v %s", refused.header, refused.raw)
	}
	var failures int
	err := n.app.DB.QueryRowContext(context.Background(), n.app.DB.Rebind(
		`SELECT COUNT(*) FROM audit_records WHERE action = ? AND outcome = ? AND ip = ?`),
		"login.password", "failure", attacker).Scan(&failures)
	if err != nil {
		t.Fatal(err)
	}
	if failures != burst {
		t.Errorf("%d password checks recorded for the attacker, want %d: refused requests "+
			"must not reach the password check", failures, burst)
	}

	// 2. Meanwhile a person elsewhere signs in.
	r := api.do("POST", "/v1/auth/login", credentials("real@ejemplo.co"), "", from(person)...).
		want(t, 200, "a person at another address during the flood")
	if r.header.Get("RateLimit") == "" {
		t.Error("an allowed answer carries no RateLimit field")
	}

	// 3. A spray at one account from many addresses stops at its limit
	// (login.account: burst 5), whatever the address.
	var last reply
	for range 6 {
		last = api.do("POST", "/v1/auth/login",
			`{"email":"real@ejemplo.co","password":"adivinanza"}`, "", from(randomAddress())...)
	}
	if last.status != 429 || !strings.HasPrefix(last.header.Get("RateLimit-Policy"),
		`"login.account"`) {
		t.Errorf("sixth try at one account from six addresses: %d %v %s", last.status,
			last.header, last.raw)
	}

	// 4. Probes are never limited.
	for range 150 {
		api.do("GET", "/healthz", "", "", from(attacker)...).want(t, 200, "health probe")
	}
}

// TestRateLimitSettings holds the configuration's defaults to the rate
// limiter's, and checks that a bad limit stops the node naming its key.
func TestRateLimitSettings(t *testing.T) {
	defaults := ratelimit.DefaultLimits()
	for _, e := range rateLimitEntries(config.Default().RateLimit) {
		l, err := ratelimit.ParseLimit(e.value)
		if err != nil || l != defaults[e.class] {
			t.Errorf("%s defaults to %q (%v), the limiter to %s", e.key, e.value, err,
				defaults[e.class])
		}
	}
	cfg := embeddedConfig(t)
	cfg.RateLimit.Enabled = true
	cfg.RateLimit.Code = "lots"
	if _, err := tryStart(t, cfg); err == nil || !strings.Contains(err.Error(), "ratelimit.code") {
		t.Errorf("a bad limit: %v", err)
	}
}

// TestEveryClassedRouteIsServed keeps the route table of rate-limit
// classes in step with the routes.
func TestEveryClassedRouteIsServed(t *testing.T) {
	n := start(t, embeddedConfig(t))
	served := map[string]bool{}
	for _, p := range n.app.Server.Router().Patterns() {
		served[p] = true
	}
	for pattern := range routeClasses {
		if !served[pattern] {
			t.Errorf("routeClasses names %q, which the public listener does not serve", pattern)
		}
	}
}

// TestCORSOnNode checks that the public listener answers a browser's
// preflight from a configured origin, before routing, and refuses others.
func TestCORSOnNode(t *testing.T) {
	cfg := embeddedConfig(t)
	cfg.HTTP.CORSOrigins = "https://www.ejemplo.co"
	n := start(t, cfg)
	api := apiClient{t: t, base: n.url}
	r := api.do("OPTIONS", "/v1/auth/login", "", "", "Origin", "https://www.ejemplo.co",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://www.ejemplo.co" {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	api.do("OPTIONS", "/v1/auth/login", "", "", "Origin", "https://otro.example",
		"Access-Control-Request-Method", "POST").want(t, 403, "preflight from another origin")
	r = api.do("GET", "/healthz", "", "", "Origin", "https://www.ejemplo.co")
	if r.header.Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("simple request: %v", r.header)
	}
}
