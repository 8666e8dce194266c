package tokens

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// t0 is when the tests' first node starts.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var bg = context.Background()

func testRing(t testing.TB) *keyring.Ring {
	t.Helper()
	r, err := keyring.New(rand.Reader, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testConfig() Config {
	c := Default()
	c.Issuer = "https://auth.example.co"
	return c
}

// node is one cerrojo instance in a test: a Service with its own clock.
type node struct {
	*Service
	clock *clock.Fake
}

func newNode(t testing.TB, db *storage.DB, cfg Config, now time.Time) *node {
	t.Helper()
	clk := clock.NewFake(now)
	s, err := New(bg, Options{Config: cfg, Store: NewSQLStore(db), Ring: testRing(t), Clock: clk})
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	return &node{Service: s, clock: clk}
}

func (n *node) mint(t testing.TB, sub string) string {
	t.Helper()
	tok, _, err := n.Mint(bg, Claims{Subject: sub, ClientID: "marketplace-web",
		Scopes: []string{"orders:read"}, SessionID: "sess-1", Roles: []string{"customer"}})
	if err != nil {
		t.Fatalf("mint: %v", err)
	}
	return tok
}

// kids lists the kids of keys in order.
func kids(keys []Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.ID)
	}
	return out
}

// byState returns the stored keys in each state.
func byState(t testing.TB, db *storage.DB) map[State][]Key {
	t.Helper()
	_, recs, err := NewSQLStore(db).Load(bg)
	if err != nil {
		t.Fatal(err)
	}
	out := map[State][]Key{}
	for _, r := range recs {
		out[r.State] = append(out[r.State], r.Key)
	}
	return out
}

func b64decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
