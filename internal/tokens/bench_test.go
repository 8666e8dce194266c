package tokens

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// BenchmarkMint measures issuing one access token (RFC 9068 claims, a
// random jti, Ed25519 by default), against BenchmarkBareEd25519Sign, one
// bare signature of an input as long as the token's, measured in the same
// run:
//
//	go test -run '^$' -bench 'Mint|BareEd25519Sign' ./internal/tokens/
func BenchmarkMint(b *testing.B) {
	n := newNode(b, storagetest.SQLite(b), testConfig(), t0)
	c := Claims{Subject: "usr_1", ClientID: "marketplace-web", Scopes: []string{"orders:read"},
		SessionID: "sess-1", Roles: []string{"customer"}}
	for b.Loop() {
		if _, _, err := n.Mint(bg, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareEd25519Sign is the floor of BenchmarkMint: a JSON encoding
// of a claim set and one Ed25519 signature, nothing else.
func BenchmarkBareEd25519Sign(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	claims := map[string]any{"iss": "https://auth.example.co", "sub": "usr_1",
		"aud": "marketplace", "client_id": "marketplace-web", "scope": "orders:read",
		"sid": "sess-1", "roles": []string{"customer"}, "iat": 1, "exp": 2, "jti": "x"}
	for b.Loop() {
		payload, err := json.Marshal(claims)
		if err != nil {
			b.Fatal(err)
		}
		_ = ed25519.Sign(priv, payload)
	}
}
