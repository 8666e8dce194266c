package tokens

import (
	"encoding/json"
	"os"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cerrojo/cerrojo/sdk"
)

// TestKeyIDIsTheRFC7638Thumbprint checks the kid scheme against the
// thumbprints published in RFC 7638 and RFC 8037.
func TestKeyIDIsTheRFC7638Thumbprint(t *testing.T) {
	raw, err := os.ReadFile("testdata/thumbprints.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Source     string          `json:"source"`
		JWK        json.RawMessage `json:"jwk"`
		Thumbprint string          `json:"thumbprint"`
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		t.Run(v.Source, func(t *testing.T) {
			var jwk jose.JSONWebKey
			if err := jwk.UnmarshalJSON(v.JWK); err != nil {
				t.Fatal(err)
			}
			got, err := thumbprint(jwk.Key)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Thumbprint {
				t.Fatalf("got %s, want %s", got, v.Thumbprint)
			}
		})
	}
}

func TestNewRecordRoundTrip(t *testing.T) {
	ring := testRing(t)
	for _, alg := range []string{sdk.EdDSA, sdk.ES256} {
		t.Run(alg, func(t *testing.T) {
			rec, err := newRecord(ring, alg, t0)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := openPrivate(ring, rec)
			if err != nil {
				t.Fatal(err)
			}
			kid, err := thumbprint(priv.Public())
			if err != nil || kid != rec.ID {
				t.Fatalf("kid %s, private key's thumbprint %s (%v)", rec.ID, kid, err)
			}
			pk, err := publicKey(rec)
			if err != nil || pk.Algorithm() != alg {
				t.Fatalf("public key: %v", err)
			}
			var jwk map[string]any
			if err := json.Unmarshal(rec.PublicJWK, &jwk); err != nil {
				t.Fatal(err)
			}
			if jwk["kid"] != rec.ID || jwk["alg"] != alg || jwk["use"] != "sig" || jwk["d"] != nil {
				t.Fatalf("JWK %v", jwk)
			}
		})
	}
}
