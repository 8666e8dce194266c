package sdk_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

const (
	testIssuer   = "https://auth.example.co"
	testAudience = "orders-api"
)

// testNow is the verifiers' clock in these tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testKey is a signing key with its kid and algorithm.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

// Deterministic Ed25519 keys, so failures reproduce.
func edKey(kid string, seedByte byte) testKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = seedByte
	}
	return testKey{kid: kid, alg: sdk.EdDSA, priv: ed25519.NewKeyFromSeed(seed)}
}

var (
	rsaOnce sync.Once
	rsaPriv *rsa.PrivateKey
	ecOnce  sync.Once
	ecPriv  *ecdsa.PrivateKey
)

// rsaKey and ecKey are generated once per test binary: RSA generation is
// slow under the race detector.
func rsaKey(t testing.TB) testKey {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaPriv, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return testKey{kid: "rsa-1", alg: sdk.RS256, priv: rsaPriv}
}

func ecKey(t testing.TB) testKey {
	t.Helper()
	ecOnce.Do(func() {
		var err error
		if ecPriv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return testKey{kid: "ec-1", alg: sdk.ES256, priv: ecPriv}
}

func (k testKey) public(t testing.TB) *sdk.PublicKey {
	t.Helper()
	pk, err := sdk.NewPublicKey(k.kid, k.alg, k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// forge builds a compact JWS from a raw header and payload, signed with
// alg, so that a test controls every byte. alg "none" signs nothing; the
// HMAC algorithms use secret.
func forge(t testing.TB, alg string, key any, header, payload string) string {
	t.Helper()
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	return input + "." + b64(signInput(t, alg, key, []byte(input)))
}

func signInput(t testing.TB, alg string, key any, input []byte) []byte {
	t.Helper()
	switch alg {
	case "none":
		return nil
	case "HS256":
		m := hmac.New(sha256.New, key.([]byte))
		m.Write(input)
		return m.Sum(nil)
	case "HS512":
		m := hmac.New(sha512.New, key.([]byte))
		m.Write(input)
		return m.Sum(nil)
	}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input)
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	case *rsa.PrivateKey:
		h := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	t.Fatalf("cannot sign with %T", key)
	return nil
}

// goodClaims is a valid claim set at testNow; tests change a copy.
func goodClaims() map[string]any {
	return map[string]any{
		"iss":       testIssuer,
		"sub":       "user_01J8Z6",
		"aud":       testAudience,
		"exp":       testNow.Add(10 * time.Minute).Unix(),
		"iat":       testNow.Add(-time.Minute).Unix(),
		"nbf":       testNow.Add(-time.Minute).Unix(),
		"jti":       "3q2-7wEAAAAAAAAAAAAAAA",
		"client_id": "marketplace-web",
		"scope":     "orders:read orders:write",
		"sid":       "sess_9",
		"auth_time": testNow.Add(-time.Hour).Unix(),
		"acr":       "urn:cerrojo:acr:mfa",
		"amr":       []string{"pwd", "otp"},
		"roles":     []string{"customer"},
		"pv":        7,
	}
}

func with(m map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// header is the JOSE header cerrojo writes for k.
func header(k testKey) string {
	return `{"alg":"` + k.alg + `","kid":"` + k.kid + `","typ":"at+jwt"}`
}

// token signs claims with k under cerrojo's header.
func token(t testing.TB, k testKey, claims map[string]any) string {
	t.Helper()
	return forge(t, k.alg, k.priv, header(k), mustJSON(t, claims))
}

func newVerifier(t testing.TB, keys sdk.KeySource, mutate ...func(*sdk.Config)) *sdk.Verifier {
	t.Helper()
	cfg := sdk.Config{Issuer: testIssuer, Audiences: []string{testAudience}, Keys: keys,
		Now: func() time.Time { return testNow }}
	for _, m := range mutate {
		m(&cfg)
	}
	v, err := sdk.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func staticKeys(t testing.TB, keys ...testKey) *sdk.StaticKeys {
	t.Helper()
	var pks []*sdk.PublicKey
	for _, k := range keys {
		pks = append(pks, k.public(t))
	}
	s, err := sdk.NewStaticKeys(pks...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantRefused checks that err is the refusal want.
func wantRefused(t testing.TB, err error, want *sdk.Error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want.Code)
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v (code %q), want code %q", err, sdk.ErrorCode(err), want.Code)
	}
}

var bg = context.Background()
