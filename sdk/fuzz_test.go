package sdk_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cerrojo/cerrojo/sdk"
)

// FuzzVerify feeds arbitrary strings to Verify. Properties: no panic; every
// refusal is an *sdk.Error; claims only with no error; and whatever is
// accepted is a token that go-jose, independently, verifies under the key
// and whose claims are within their validity.
func FuzzVerify(f *testing.F) {
	ed := edKey("ed-1", 1)
	good := token(f, ed, goodClaims())
	parts := strings.Split(good, ".")
	f.Add(good)
	f.Add(forge(f, "none", nil, `{"alg":"none","kid":"ed-1","typ":"at+jwt"}`, mustJSON(f, goodClaims())))
	f.Add(forge(f, "HS256", []byte(ed.priv.Public().(ed25519.PublicKey)),
		`{"alg":"HS256","kid":"ed-1","typ":"at+jwt"}`, mustJSON(f, goodClaims())))
	f.Add(forge(f, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","jku":"x"}`, `{}`))
	f.Add(parts[0] + "." + parts[1])
	f.Add(parts[0] + ".." + parts[2])
	f.Add("..")
	f.Add("")

	keys, err := sdk.NewStaticKeys(ed.public(f))
	if err != nil {
		f.Fatal(err)
	}
	v := newVerifier(f, keys)
	pub := ed.priv.Public()

	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(bg, tok)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			var e *sdk.Error
			if !errors.As(err, &e) {
				t.Fatalf("refusal %v is not an *sdk.Error", err)
			}
			return
		}
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			t.Fatalf("accepted a token go-jose cannot parse: %v", err)
		}
		payload, err := jws.Verify(pub)
		if err != nil {
			t.Fatalf("accepted a token go-jose does not verify: %v", err)
		}
		var again sdk.Claims
		if err := json.Unmarshal(payload, &again); err != nil || again.Subject != c.Subject {
			t.Fatalf("claims differ from the payload: %v", err)
		}
		if c.Expiry.Time().Add(sdk.DefaultLeeway).Before(testNow) {
			t.Fatal("accepted an expired token")
		}
	})
}

// FuzzParseJWKS feeds arbitrary documents to ParseJWKS. Properties: no
// panic; on success every key has a kid, an allowed algorithm and a public
// key of the right type, and the set survives a round trip through go-jose.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[` + okp(`,"alg":"EdDSA","kid":"o","use":"sig"`) + `]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256","kid":"h"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"e",` +
		`"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","alg":"RS256","kid":"r","e":"AQAB","n":"` +
		base64.RawURLEncoding.EncodeToString(make([]byte, 256)) + `"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, err := sdk.ParseJWKS(doc)
		if err != nil {
			if keys != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
		for _, k := range keys {
			if k.KeyID() == "" {
				t.Fatal("key without kid")
			}
			if _, err := sdk.NewPublicKey(k.KeyID(), k.Algorithm(), k.Key()); err != nil {
				t.Fatalf("accepted an unusable key: %v", err)
			}
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key(), KeyID: k.KeyID(),
				Algorithm: k.Algorithm(), Use: "sig"})
		}
		out, err := json.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		again, err := sdk.ParseJWKS(out)
		if err != nil || len(again) != len(keys) {
			t.Fatalf("round trip: %d keys, error %v; want %d", len(again), err, len(keys))
		}
		for i := range keys {
			if again[i].KeyID() != keys[i].KeyID() || again[i].Algorithm() != keys[i].Algorithm() {
				t.Fatalf("round trip changed key %d", i)
			}
		}
	})
}
