package sdk_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

// The two benchmarks below measure the same Ed25519 token: once through the
// whole Verifier (size and shape checks, go-jose parse, key lookup in a
// warm RemoteKeySet, signature, claims) and once as the bare signature
// check. Their ratio, bare ns/op over SDK ns/op, is what PRODUCT.md's
// performance table asks to report; docs/tokens.md records the figures.

func benchToken(b *testing.B) (testKey, string) {
	b.Helper()
	ed := edKey("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", 1) // a thumbprint-length kid
	return ed, token(b, ed, with(goodClaims(), map[string]any{
		"iat": time.Now().Unix(), "nbf": time.Now().Unix(),
		"exp": time.Now().Add(time.Hour).Unix()}))
}

// BenchmarkSDKVerify verifies through a Verifier whose RemoteKeySet has
// already fetched the JWKS, as a resource server does after its first
// request.
func BenchmarkSDKVerify(b *testing.B) {
	ed, tok := benchToken(b)
	srv := newJWKSServerB(b, ed)
	keys, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	v, err := sdk.NewVerifier(sdk.Config{Issuer: testIssuer, Audiences: []string{testAudience},
		Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := v.Verify(bg, tok); err != nil { // warm the cache
		b.Fatal(err)
	}

	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(bg, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareEd25519Verify is the floor: crypto/ed25519.Verify over the
// same signing input and signature, nothing else.
func BenchmarkBareEd25519Verify(b *testing.B) {
	ed, tok := benchToken(b)
	dot := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:dot])
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := ed.priv.Public().(ed25519.PublicKey)

	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, input, sig) {
			b.Fatal("does not verify")
		}
	}
}
