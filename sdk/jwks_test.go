package sdk_test

import (
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cerrojo/cerrojo/sdk"
)

const (
	rfcX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfcD = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
)

func okp(extra string) string {
	return `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `"` + extra + `}`
}

func TestParseJWKS(t *testing.T) {
	rs := rsaKey(t)
	rsJWK := mustJSON(t, jose.JSONWebKey{Key: rs.priv.Public(), KeyID: "r", Algorithm: "RS256"})
	ecJWK := mustJSON(t, jose.JSONWebKey{Key: ecKey(t).priv.Public(), KeyID: "e", Algorithm: "ES256"})

	cases := []struct {
		name  string
		doc   string
		kids  []string
		error bool
	}{
		{"one key of each type", `{"keys":[` + okp(`,"alg":"EdDSA","kid":"o","use":"sig"`) + `,` +
			rsJWK + `,` + ecJWK + `]}`, []string{"o", "r", "e"}, false},
		{"empty set", `{"keys":[]}`, nil, false},
		{"other members are ignored", `{"keys":[],"issuer":"x"}`, nil, false},
		{"key without alg is skipped", `{"keys":[` + okp(`,"kid":"o"`) + `]}`, nil, false},
		{"encryption key is skipped", `{"keys":[` + okp(`,"alg":"EdDSA","kid":"o","use":"enc"`) + `]}`,
			nil, false},
		{"key_ops without verify is skipped",
			`{"keys":[` + okp(`,"alg":"EdDSA","kid":"o","key_ops":["encrypt"]`) + `]}`, nil, false},
		{"unknown kty is skipped", `{"keys":[{"kty":"PQC","kid":"z","alg":"ML-DSA-44"}]}`, nil, false},
		{"X25519 is skipped", `{"keys":[{"kty":"OKP","crv":"X25519","x":"` + rfcX + `","kid":"x",` +
			`"alg":"ECDH-ES"}]}`, nil, false},
		{"alg that does not fit the key is skipped", `{"keys":[` + okp(`,"alg":"ES256","kid":"o"`) + `]}`,
			nil, false},
		{"HMAC key refused", `{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256","kid":"h"}]}`,
			nil, true},
		{"private key refused", `{"keys":[` + okp(`,"alg":"EdDSA","kid":"o","d":"`+rfcD+`"`) + `]}`,
			nil, true},
		{"x5c refused", `{"keys":[` + okp(`,"alg":"EdDSA","kid":"o","x5c":["MIIB"]`) + `]}`, nil, true},
		{"missing kid refused", `{"keys":[` + okp(`,"alg":"EdDSA"`) + `]}`, nil, true},
		{"duplicate kid refused", `{"keys":[` + okp(`,"alg":"EdDSA","kid":"o"`) + `,` +
			okp(`,"alg":"EdDSA","kid":"o"`) + `]}`, nil, true},
		{"malformed usable key refused", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA",` +
			`"alg":"EdDSA","kid":"o"}]}`, nil, true},
		{"duplicate keys member refused", `{"keys":[],"keys":[` + okp(`,"alg":"EdDSA","kid":"o"`) + `]}`,
			nil, true},
		{"no keys member", `{"kids":[]}`, nil, true},
		{"keys not an array", `{"keys":{}}`, nil, true},
		{"not an object", `[]`, nil, true},
		{"trailing data", `{"keys":[]}{}`, nil, true},
		{"more than 100 keys", `{"keys":[` + strings.Repeat(`{"kty":"PQC"},`, 100) + `{"kty":"PQC"}]}`,
			nil, true},
		{"over the size bound", `{"keys":[],"x":"` + strings.Repeat("x", sdk.MaxJWKSBytes) + `"}`,
			nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := sdk.ParseJWKS([]byte(tc.doc))
			if (err != nil) != tc.error {
				t.Fatalf("got error %v, want error=%v", err, tc.error)
			}
			var kids []string
			for _, k := range keys {
				kids = append(kids, k.KeyID())
			}
			if strings.Join(kids, ",") != strings.Join(tc.kids, ",") {
				t.Fatalf("got kids %q, want %q", kids, tc.kids)
			}
		})
	}
}

func TestParseJWKSAtTheKeyBound(t *testing.T) {
	doc := `{"keys":[` + strings.Repeat(`{"kty":"PQC"},`, 99) + `{"kty":"PQC"}]}`
	if _, err := sdk.ParseJWKS([]byte(doc)); err != nil {
		t.Fatalf("100 keys: %v", err)
	}
}
