package tokens

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/sdk"
)

func serveJWKS(t testing.TB, n *node, ifNoneMatch string) *httptest.ResponseRecorder {
	t.Helper()
	r := httpx.NewRouter()
	n.Routes(r)
	req := httptest.NewRequest("GET", "/.well-known/jwks.json", nil)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

func TestJWKSEndpoint(t *testing.T) {
	db := storagetest.SQLite(t)
	n := newNode(t, db, testConfig(), t0)

	res := serveJWKS(t, n, "")
	if res.Code != 200 {
		t.Fatalf("got %d: %s", res.Code, res.Body)
	}
	if got := res.Header().Get("Cache-Control"); got != "public, max-age=900" {
		t.Errorf("got Cache-Control %q, want public, max-age=900", got)
	}
	if got := res.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("got Content-Type %q", got)
	}
	etag := res.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
		t.Fatalf("got ETag %q, want a strong one", etag)
	}
	keys, err := sdk.ParseJWKS(res.Body.Bytes())
	if err != nil || len(keys) != 2 {
		t.Fatalf("got %d keys (%v) from %s", len(keys), err, res.Body)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(res.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range doc.Keys {
		if k["use"] != "sig" || k["alg"] != "EdDSA" || k["kty"] != "OKP" || k["d"] != nil {
			t.Errorf("published key %v", k)
		}
	}

	for _, tc := range []struct {
		name        string
		ifNoneMatch string
		want        int
	}{
		{"same tag", etag, 304},
		{"weak form of the tag", "W/" + etag, 304},
		{"among others", `"x", ` + etag, 304},
		{"any", "*", 304},
		{"another tag", `"x"`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := serveJWKS(t, n, tc.ifNoneMatch)
			if res.Code != tc.want {
				t.Fatalf("got %d, want %d", res.Code, tc.want)
			}
			if res.Header().Get("ETag") != etag || res.Header().Get("Cache-Control") == "" {
				t.Error("a 304 must repeat ETag and Cache-Control")
			}
			if tc.want == 304 && res.Body.Len() != 0 {
				t.Error("a 304 has a body")
			}
		})
	}

	t.Run("rotation changes the tag", func(t *testing.T) {
		n.clock.Advance(time.Minute)
		if _, err := n.Keys().ForceRotate(bg); err != nil {
			t.Fatal(err)
		}
		res := serveJWKS(t, n, etag)
		if res.Code != 200 || res.Header().Get("ETag") == etag {
			t.Fatalf("got %d with ETag %s after rotating", res.Code, res.Header().Get("ETag"))
		}
	})
}

func TestMintedTokenClaims(t *testing.T) {
	db := storagetest.SQLite(t)
	n := newNode(t, db, testConfig(), t0)
	authAt := t0.Add(-time.Hour)

	tok, exp, err := n.Mint(bg, Claims{Subject: "user-1", ClientID: "web",
		Audience: []string{"orders-api", "marketplace-api"}, Scopes: []string{"orders:read", "openid"},
		SessionID: "sess-1", AuthTime: authAt, ACR: "urn:cerrojo:acr:mfa",
		AMR: []string{"pwd", "otp"}, Roles: []string{"vendor_staff"}, PolicyVersion: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("expiry %s, want %s", exp, t0.Add(10*time.Minute))
	}

	c, err := n.Verify(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.Claims{Issuer: "https://auth.example.co", Subject: "user-1",
		Audience: sdk.Audience{"orders-api", "marketplace-api"},
		Expiry:   sdk.NewNumericDate(exp), IssuedAt: sdk.NewNumericDate(t0),
		NotBefore: sdk.NewNumericDate(t0), ID: c.ID, ClientID: "web",
		Scope: "orders:read openid", SessionID: "sess-1", AuthTime: sdk.NewNumericDate(authAt),
		ACR: "urn:cerrojo:acr:mfa", AMR: []string{"pwd", "otp"}, Roles: []string{"vendor_staff"},
		PolicyVersion: 3}
	gotJSON, _ := json.Marshal(c)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("got %s\nwant %s", gotJSON, wantJSON)
	}
	if len(c.ID) != 22 {
		t.Errorf("jti %q, want 128 bits in base64url", c.ID)
	}

	// The header, as RFC 9068 section 2.1 wants it.
	var h map[string]any
	raw, _ := b64decode(strings.Split(tok, ".")[0])
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	set, _ := n.Keys().Set()
	if h["typ"] != "at+jwt" || h["alg"] != "EdDSA" || h["kid"] != set.Current().ID || len(h) != 3 {
		t.Fatalf("header %v", h)
	}

	// A second token has another jti; the default audience applies.
	c2, err := n.Verify(bg, n.mint(t, "user-1"))
	if err != nil {
		t.Fatal(err)
	}
	if c2.ID == c.ID || !slices.Equal(c2.Audience, []string{"marketplace-api"}) {
		t.Fatalf("second token: %+v", c2)
	}
}

func TestMintRefusesBadClaims(t *testing.T) {
	db := storagetest.SQLite(t)
	n := newNode(t, db, testConfig(), t0)
	long := strings.Repeat("x", maxClaimLen+1)
	many := make([]string, maxClaimList+1)
	for i := range many {
		many[i] = "r"
	}
	cases := []struct {
		name string
		c    Claims
	}{
		{"no subject", Claims{ClientID: "c"}},
		{"no client id", Claims{Subject: "s"}},
		{"subject too long", Claims{Subject: long, ClientID: "c"}},
		{"too many roles", Claims{Subject: "s", ClientID: "c", Roles: many}},
		{"empty role", Claims{Subject: "s", ClientID: "c", Roles: []string{""}}},
		{"scope with a space", Claims{Subject: "s", ClientID: "c", Scopes: []string{"a b"}}},
		{"scope with a quote", Claims{Subject: "s", ClientID: "c", Scopes: []string{`a"`}}},
		{"negative policy version", Claims{Subject: "s", ClientID: "c", PolicyVersion: -1}},
		{"lifetime over the configured one", Claims{Subject: "s", ClientID: "c",
			TTL: 10*time.Minute + time.Second}},
		{"negative lifetime", Claims{Subject: "s", ClientID: "c", TTL: -time.Second}},
		{"token over the size bound", Claims{Subject: "s", ClientID: "c",
			Roles: slices.Repeat([]string{strings.Repeat("r", maxClaimLen)}, maxClaimList)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, _, err := n.Mint(bg, tc.c)
			if !errors.Is(err, ErrInvalidClaims) || tok != "" {
				t.Fatalf("got %q, %v; want ErrInvalidClaims", tok, err)
			}
		})
	}

	t.Run("shorter lifetime", func(t *testing.T) {
		_, exp, err := n.Mint(bg, Claims{Subject: "s", ClientID: "c", TTL: time.Minute})
		if err != nil || !exp.Equal(t0.Add(time.Minute)) {
			t.Fatalf("got %s, %v", exp, err)
		}
	})
}

// TestTwoNodesAcrossRotation runs two nodes over one database, each with
// its own clock (the second 20 seconds behind), and an outside service
// verifying with the SDK against the first node's JWKS. Tokens signed
// before, during (by the node that has not seen the rotation yet) and after
// a rotation all verify until they expire, and none after.
func TestTwoNodesAcrossRotation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		cfg := testConfig()
		a := newNode(t, db, cfg, t0)
		b := newNode(t, db, cfg, t0.Add(-20*time.Second))
		outside := newOutsideVerifier(t, a, cfg)
		first := byState(t, db)
		k1, k2 := first[StateCurrent][0].ID, first[StateNext][0].ID

		// tick moves every clock and lets both nodes run their
		// maintenance, as Run does every minute.
		tick := func(d time.Duration, maintain ...*node) {
			t.Helper()
			a.clock.Advance(d)
			b.clock.Advance(d)
			outside.clock.Advance(d)
			for _, n := range maintain {
				if err := n.Keys().Maintain(bg); err != nil {
					t.Fatal(err)
				}
			}
		}
		jwksKids := func() []string {
			t.Helper()
			keys, err := sdk.ParseJWKS(serveJWKS(t, a, "").Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, k := range keys {
				out = append(out, k.KeyID())
			}
			slices.Sort(out)
			return out
		}
		wantKids := func(want ...string) {
			t.Helper()
			slices.Sort(want)
			if got := jwksKids(); !slices.Equal(got, want) {
				t.Fatalf("JWKS publishes %v, want %v", got, want)
			}
		}
		wantKids(k1, k2) // k2 is published from the start...

		// ...and signs only after the publication lead. Move there in
		// one-minute steps, as the nodes would live through it.
		for range int(publishLead(cfg) / time.Minute) {
			tick(time.Minute, a, b)
		}
		before := a.mint(t, "before") // k1
		r, err := a.Keys().Rotate(bg)
		if err != nil {
			t.Fatal(err)
		}
		k3 := r.Next.ID
		if r.Current.ID != k2 || r.Retired.ID != k1 {
			t.Fatalf("rotation %+v", r)
		}
		during := b.mint(t, "during") // b has not reloaded: still k1
		after := a.mint(t, "after")   // k2
		if err := b.Keys().Refresh(bg); err != nil {
			t.Fatal(err)
		}
		afterB := b.mint(t, "after-b") // k2
		wantKids(k1, k2, k3)

		tokens := map[string]string{"before": before, "during": during, "after": after,
			"after-b": afterB}
		wantKid := map[string]string{"before": k1, "during": k1, "after": k2, "after-b": k2}
		verifyAll := func(want *sdk.Error) {
			t.Helper()
			for name, tok := range tokens {
				for vname, verify := range map[string]func(string) (*sdk.Claims, error){
					"node a": func(s string) (*sdk.Claims, error) { return a.Verify(bg, s) },
					"node b": func(s string) (*sdk.Claims, error) { return b.Verify(bg, s) },
					"outside": func(s string) (*sdk.Claims, error) {
						return outside.v.Verify(bg, s)
					},
				} {
					_, err := verify(tok)
					if want == nil && err != nil {
						t.Errorf("%s token (kid %s) at %s: %v", name, wantKid[name], vname, err)
					}
					if want != nil && !errors.Is(err, want) {
						t.Errorf("%s token at %s: got %v, want %s", name, vname, err, want.Code)
					}
				}
			}
		}
		for name, tok := range tokens {
			if kid := kidOf(t, tok); kid != wantKid[name] {
				t.Fatalf("%s token signed by %s, want %s", name, kid, wantKid[name])
			}
		}
		verifyAll(nil)

		// b's tokens expire first (its clock is 20 s behind); on a's
		// clock they are 29 s past exp here, inside the verifiers' 30 s
		// leeway, so everything still verifies everywhere.
		tick(cfg.AccessTokenTTL-20*time.Second+29*time.Second, a, b)
		verifyAll(nil)
		// a's tokens expire last, and b's clock is slowest: once b's
		// clock is past their exp plus the leeway, nothing verifies
		// anywhere.
		tick(42*time.Second, a, b)
		verifyAll(sdk.ErrExpired)

		// k1 stays published for its whole window, then goes.
		retired := byState(t, db)[StateRetired][0]
		for a.clock.Now().Before(retired.DeletableAfter) {
			wantKids(k1, k2, k3)
			tick(time.Minute, a, b)
		}
		tick(0, a, b)
		wantKids(k2, k3)
		// Tokens of k1 now fail on the key, and would even if unexpired.
		for _, name := range []string{"before", "during"} {
			if _, err := a.Verify(bg, tokens[name]); !errors.Is(err, sdk.ErrUnknownKey) {
				t.Errorf("%s token after k1 was deleted: %v", name, err)
			}
		}
	})
}

type outsideVerifier struct {
	v     *sdk.Verifier
	clock *fakeClock
}

type fakeClock struct{ now time.Time }

func (f *fakeClock) Now() time.Time          { return f.now }
func (f *fakeClock) Advance(d time.Duration) { f.now = f.now.Add(d) }

// newOutsideVerifier is a resource server verifying with the SDK against
// n's JWKS over HTTP.
func newOutsideVerifier(t *testing.T, n *node, cfg Config) *outsideVerifier {
	t.Helper()
	r := httpx.NewRouter()
	n.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	o := &outsideVerifier{clock: &fakeClock{now: n.clock.Now()}}
	keys, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{
		URL: srv.URL + "/.well-known/jwks.json", Now: o.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	o.v, err = sdk.NewVerifier(sdk.Config{Issuer: cfg.Issuer, Audiences: []string{cfg.Audience},
		Keys: keys, Now: o.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	raw, err := b64decode(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

var _ http.Handler = httpx.NewRouter()
