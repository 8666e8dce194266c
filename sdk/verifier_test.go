package sdk_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cerrojo/cerrojo/sdk"
)

func TestVerifyAccepts(t *testing.T) {
	ed := edKey("ed-1", 1)
	keys := staticKeys(t, ed, rsaKey(t), ecKey(t))
	v := newVerifier(t, keys)

	cases := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"EdDSA token", func(t *testing.T) string { return token(t, ed, goodClaims()) }},
		{"ES256 token", func(t *testing.T) string { return token(t, ecKey(t), goodClaims()) }},
		{"RS256 token", func(t *testing.T) string { return token(t, rsaKey(t), goodClaims()) }},
		{"token signed by go-jose", func(t *testing.T) string {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: ed.priv},
				(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", ed.kid))
			if err != nil {
				t.Fatal(err)
			}
			obj, err := signer.Sign([]byte(mustJSON(t, goodClaims())))
			if err != nil {
				t.Fatal(err)
			}
			s, err := obj.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"typ application/at+jwt", func(t *testing.T) string {
			return forge(t, ed.alg, ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"application/at+jwt"}`,
				mustJSON(t, goodClaims()))
		}},
		{"typ in upper case", func(t *testing.T) string {
			return forge(t, ed.alg, ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"AT+JWT"}`,
				mustJSON(t, goodClaims()))
		}},
		{"aud array naming us among others", func(t *testing.T) string {
			return token(t, ed, with(goodClaims(), map[string]any{
				"aud": []string{"billing-api", testAudience}}))
		}},
		{"expired but within leeway", func(t *testing.T) string {
			return token(t, ed, with(goodClaims(), map[string]any{
				"exp": testNow.Add(-29 * time.Second).Unix()}))
		}},
		{"nbf in the future within leeway", func(t *testing.T) string {
			return token(t, ed, with(goodClaims(), map[string]any{
				"nbf": testNow.Add(29 * time.Second).Unix()}))
		}},
		{"optional claims absent", func(t *testing.T) string {
			return token(t, ed, with(goodClaims(), map[string]any{"nbf": nil, "sid": nil,
				"auth_time": nil, "acr": nil, "amr": nil, "roles": nil, "pv": nil,
				"scope": nil}))
		}},
		{"unknown private claim", func(t *testing.T) string {
			return token(t, ed, with(goodClaims(), map[string]any{"vendor_id": "v-42"}))
		}},
		{"whitespace in the JSON", func(t *testing.T) string {
			claims := strings.Replace(mustJSON(t, goodClaims()), ",", " ,\n ", -1)
			return forge(t, ed.alg, ed.priv, "{ \"alg\" : \"EdDSA\" , \"kid\":\"ed-1\",\"typ\":\"at+jwt\" }",
				claims)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(bg, tc.token(t))
			if err != nil {
				t.Fatalf("got %v, want the token accepted", err)
			}
			if c.Subject != "user_01J8Z6" || c.ClientID != "marketplace-web" {
				t.Fatalf("got claims %+v", c)
			}
		})
	}
}

func TestVerifyReadsEveryClaim(t *testing.T) {
	ed := edKey("ed-1", 1)
	v := newVerifier(t, staticKeys(t, ed))
	c, err := v.Verify(bg, token(t, ed, goodClaims()))
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.Claims{
		Issuer: testIssuer, Subject: "user_01J8Z6", Audience: sdk.Audience{testAudience},
		Expiry:    sdk.NewNumericDate(testNow.Add(10 * time.Minute)),
		IssuedAt:  sdk.NewNumericDate(testNow.Add(-time.Minute)),
		NotBefore: sdk.NewNumericDate(testNow.Add(-time.Minute)),
		ID:        "3q2-7wEAAAAAAAAAAAAAAA", ClientID: "marketplace-web",
		Scope: "orders:read orders:write", SessionID: "sess_9",
		AuthTime: sdk.NewNumericDate(testNow.Add(-time.Hour)), ACR: "urn:cerrojo:acr:mfa",
		AMR: []string{"pwd", "otp"}, Roles: []string{"customer"}, PolicyVersion: 7,
	}
	if mustJSON(t, c) != mustJSON(t, want) {
		t.Fatalf("got %s\nwant %s", mustJSON(t, c), mustJSON(t, want))
	}
	if !c.HasScope("orders:write") || c.HasScope("orders") || c.HasScope("") {
		t.Fatal("HasScope answers wrongly")
	}
	if !c.HasRole("customer") || c.HasRole("admin") {
		t.Fatal("HasRole answers wrongly")
	}
}

// TestVerifyRefuses is the negative suite: one case per check, each token
// crafted so that only that check fails (the signature is valid unless the
// case is about the signature).
func TestVerifyRefuses(t *testing.T) {
	ed := edKey("ed-1", 1)
	rs := rsaKey(t)
	ec := ecKey(t)
	attacker := edKey("ed-1", 99) // same kid as ours, different key
	v := newVerifier(t, staticKeys(t, ed, rs, ec))
	claims := mustJSON(t, goodClaims())

	edPub := ed.priv.Public().(ed25519.PublicKey)
	rsaDER, err := x509.MarshalPKIXPublicKey(rs.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})
	attackerJWK := mustJSON(t, jose.JSONWebKey{Key: attacker.priv.Public(), KeyID: "ed-1"})

	good := token(t, ed, goodClaims())
	parts := strings.Split(good, ".")

	cases := []struct {
		name  string
		token string
		want  *sdk.Error
	}{
		// Algorithms (RFC 8725 section 3.1).
		{"alg none without signature",
			forge(t, "none", nil, `{"alg":"none","kid":"ed-1","typ":"at+jwt"}`, claims), sdk.ErrAlgorithm},
		{"alg none with a signature",
			b64([]byte(`{"alg":"none","kid":"ed-1","typ":"at+jwt"}`)) + "." + parts[1] + "." + parts[2],
			sdk.ErrAlgorithm},
		{"alg NONE in capitals",
			forge(t, "none", nil, `{"alg":"NONE","kid":"ed-1","typ":"at+jwt"}`, claims), sdk.ErrAlgorithm},
		{"HS256 with the Ed25519 public key as secret",
			forge(t, "HS256", []byte(edPub), `{"alg":"HS256","kid":"ed-1","typ":"at+jwt"}`, claims),
			sdk.ErrAlgorithm},
		{"HS256 with the RSA public key PEM as secret",
			forge(t, "HS256", rsaPEM, `{"alg":"HS256","kid":"rsa-1","typ":"at+jwt"}`, claims),
			sdk.ErrAlgorithm},
		{"HS512 with the RSA public key DER as secret",
			forge(t, "HS512", rsaDER, `{"alg":"HS512","kid":"rsa-1","typ":"at+jwt"}`, claims),
			sdk.ErrAlgorithm},
		{"PS256, outside the allow-list",
			forge(t, "RS256", rs.priv, `{"alg":"PS256","kid":"rsa-1","typ":"at+jwt"}`, claims),
			sdk.ErrAlgorithm},
		{"RS256 header on the Ed25519 key",
			forge(t, "RS256", rs.priv, `{"alg":"RS256","kid":"ed-1","typ":"at+jwt"}`, claims),
			sdk.ErrAlgorithm},
		{"EdDSA header on the RSA key",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"rsa-1","typ":"at+jwt"}`, claims),
			sdk.ErrAlgorithm},
		{"ES256 header on the Ed25519 key",
			forge(t, "ES256", ec.priv, `{"alg":"ES256","kid":"ed-1","typ":"at+jwt"}`, claims),
			sdk.ErrAlgorithm},
		{"alg missing",
			forge(t, "EdDSA", ed.priv, `{"kid":"ed-1","typ":"at+jwt"}`, claims), sdk.ErrAlgorithm},

		// Keys.
		{"unknown kid",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-9","typ":"at+jwt"}`, claims),
			sdk.ErrUnknownKey},
		{"kid missing",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","typ":"at+jwt"}`, claims), sdk.ErrUnknownKey},
		{"kid over the length bound",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"`+strings.Repeat("k", 129)+`","typ":"at+jwt"}`,
				claims), sdk.ErrUnknownKey},
		{"our kid, attacker's key",
			token(t, attacker, goodClaims()), sdk.ErrSignature},

		// Header parameters (RFC 8725 sections 2.4 and 3.10).
		{"jku header",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","jku":"https://evil.example/jwks.json"}`,
				claims), sdk.ErrForbiddenHeader},
		{"x5u header",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","x5u":"https://evil.example/cert.pem"}`,
				claims), sdk.ErrForbiddenHeader},
		{"jwk header with the attacker's key",
			forge(t, "EdDSA", attacker.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","jwk":`+attackerJWK+`}`,
				claims), sdk.ErrForbiddenHeader},
		{"x5c header",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","x5c":["MIIB"]}`,
				claims), sdk.ErrForbiddenHeader},
		{"crit header",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","crit":["exp"],"exp":1}`,
				claims), sdk.ErrForbiddenHeader},
		{"b64 false (RFC 7797)",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","b64":false,"crit":["b64"]}`,
				claims), sdk.ErrForbiddenHeader},
		{"cty header",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","cty":"JWT"}`,
				claims), sdk.ErrForbiddenHeader},
		{"alg given twice",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","alg":"none"}`,
				claims), sdk.ErrMalformed},
		{"header name with an escape",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","\u0074yp":"at+jwt"}`,
				claims), sdk.ErrMalformed},
		{"header is not an object",
			forge(t, "EdDSA", ed.priv, `["alg","EdDSA"]`, claims), sdk.ErrMalformed},

		// typ (RFC 9068 section 4, step 1).
		{"typ JWT",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"JWT"}`, claims), sdk.ErrWrongType},
		{"typ missing",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1"}`, claims), sdk.ErrWrongType},
		{"typ of an ID token's media type",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":"application/jwt"}`, claims),
			sdk.ErrWrongType},
		{"typ not a string is malformed",
			forge(t, "EdDSA", ed.priv, `{"alg":"EdDSA","kid":"ed-1","typ":1}`, claims), sdk.ErrMalformed},

		// Claims.
		{"wrong iss", token(t, ed, with(goodClaims(), map[string]any{
			"iss": "https://auth.example.co/"})), sdk.ErrIssuer},
		{"wrong aud", token(t, ed, with(goodClaims(), map[string]any{
			"aud": "billing-api"})), sdk.ErrAudience},
		{"aud array without us", token(t, ed, with(goodClaims(), map[string]any{
			"aud": []string{"billing-api", "Orders-api"}})), sdk.ErrAudience},
		{"expired", token(t, ed, with(goodClaims(), map[string]any{
			"exp": testNow.Add(-31 * time.Second).Unix()})), sdk.ErrExpired},
		{"nbf in the future", token(t, ed, with(goodClaims(), map[string]any{
			"nbf": testNow.Add(31 * time.Second).Unix()})), sdk.ErrNotYetValid},
		{"iat in the future", token(t, ed, with(goodClaims(), map[string]any{
			"iat": testNow.Add(2 * time.Minute).Unix()})), sdk.ErrNotYetValid},
		{"iss missing", token(t, ed, with(goodClaims(), map[string]any{"iss": nil})), sdk.ErrMissingClaim},
		{"sub missing", token(t, ed, with(goodClaims(), map[string]any{"sub": nil})), sdk.ErrMissingClaim},
		{"aud missing", token(t, ed, with(goodClaims(), map[string]any{"aud": nil})), sdk.ErrMissingClaim},
		{"aud empty array", token(t, ed, with(goodClaims(), map[string]any{"aud": []string{}})),
			sdk.ErrMissingClaim},
		{"exp missing", token(t, ed, with(goodClaims(), map[string]any{"exp": nil})), sdk.ErrMissingClaim},
		{"iat missing", token(t, ed, with(goodClaims(), map[string]any{"iat": nil})), sdk.ErrMissingClaim},
		{"jti missing", token(t, ed, with(goodClaims(), map[string]any{"jti": nil})), sdk.ErrMissingClaim},
		{"client_id missing", token(t, ed, with(goodClaims(), map[string]any{"client_id": nil})),
			sdk.ErrMissingClaim},
		{"sub empty", token(t, ed, with(goodClaims(), map[string]any{"sub": ""})), sdk.ErrMissingClaim},
		{"duplicate iss", forge(t, "EdDSA", ed.priv, header(ed),
			strings.Replace(claims, `{`, `{"iss":"https://evil.example",`, 1)), sdk.ErrDuplicateClaim},
		{"duplicate sub differing in case", forge(t, "EdDSA", ed.priv, header(ed),
			strings.Replace(claims, `{`, `{"Sub":"admin",`, 1)), sdk.ErrDuplicateClaim},
		{"claim in another case alone", forge(t, "EdDSA", ed.priv, header(ed),
			strings.Replace(strings.Replace(claims, `"sub"`, `"SUB"`, 1), `{`, `{`, 1)), sdk.ErrMalformed},
		{"claim name that folds to a known one", forge(t, "EdDSA", ed.priv, header(ed),
			strings.Replace(claims, `"iss"`, `"iſs"`, 1)), sdk.ErrMalformed},
		{"claim name with an escape", forge(t, "EdDSA", ed.priv, header(ed),
			strings.Replace(claims, `"sub"`, `"s\u0075b"`, 1)), sdk.ErrMalformed},
		{"exp as a fraction", forge(t, "EdDSA", ed.priv, header(ed),
			mustJSON(t, with(goodClaims(), map[string]any{"exp": float64(testNow.Unix()) + 600.5}))),
			sdk.ErrMalformed},
		{"exp as a string", token(t, ed, with(goodClaims(), map[string]any{
			"exp": "1900000000"})), sdk.ErrMalformed},
		{"aud as a number", token(t, ed, with(goodClaims(), map[string]any{"aud": 7})),
			sdk.ErrMalformed},
		{"claims are an array", forge(t, "EdDSA", ed.priv, header(ed), `["sub"]`), sdk.ErrMalformed},
		{"claims with trailing data", forge(t, "EdDSA", ed.priv, header(ed), claims+`{}`),
			sdk.ErrMalformed},
		{"too many claims", token(t, ed, manyClaims(70)), sdk.ErrMalformed},

		// Integrity and encoding.
		{"tampered payload",
			parts[0] + "." + b64([]byte(strings.Replace(claims, "customer", "admin", 1))) + "." + parts[2],
			sdk.ErrSignature},
		{"tampered header",
			b64([]byte(`{"alg":"EdDSA","kid":"ed-1","typ":"at+JWT"}`)) + "." + parts[1] + "." + parts[2],
			sdk.ErrSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flipFirst(parts[2]), sdk.ErrSignature},
		{"signature of another token",
			parts[0] + "." + parts[1] + "." + strings.Split(token(t, ed, with(goodClaims(),
				map[string]any{"sub": "other"})), ".")[2], sdk.ErrSignature},
		{"empty signature", parts[0] + "." + parts[1] + ".", sdk.ErrSignature},
		{"ES256 signature in DER form", derSigned(t, ec, claims), sdk.ErrSignature},
		{"truncated token", good[:len(good)-10], sdk.ErrSignature},
		{"truncated to two parts", parts[0] + "." + parts[1], sdk.ErrMalformed},
		{"four parts", good + ".e30", sdk.ErrMalformed},
		{"empty payload", parts[0] + ".." + parts[2], sdk.ErrMalformed},
		{"empty token", "", sdk.ErrMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], sdk.ErrMalformed},
		{"standard base64 alphabet",
			parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+",
			sdk.ErrMalformed},
		{"non-canonical trailing bits", parts[0] + "." + parts[1] + "." + bumpLast(parts[2]),
			sdk.ErrMalformed},
		{"line break inside", parts[0] + "." + parts[1][:10] + "\n" + parts[1][10:] + "." + parts[2],
			sdk.ErrMalformed},
		{"JWE-shaped, five parts", parts[0] + ".." + parts[1] + "." + parts[2] + ".", sdk.ErrMalformed},
		{"oversized token", token(t, ed, with(goodClaims(), map[string]any{
			"pad": strings.Repeat("x", sdk.MaxTokenBytes)})), sdk.ErrTooLarge},
		{"oversized header", forge(t, "EdDSA", ed.priv,
			`{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt"`+strings.Repeat(" ", 600)+`}`, claims),
			sdk.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(bg, tc.token)
			if c != nil {
				t.Errorf("got claims %+v with the error", c)
			}
			wantRefused(t, err, tc.want)
		})
	}
}

func TestVerifyRevocations(t *testing.T) {
	ed := edKey("ed-1", 1)
	rev := sdk.NewMemoryRevocations()
	v := newVerifier(t, staticKeys(t, ed), func(c *sdk.Config) { c.Revocations = rev })

	tok := token(t, ed, goodClaims())
	if _, err := v.Verify(bg, tok); err != nil {
		t.Fatalf("before revocation: %v", err)
	}

	t.Run("revoked session", func(t *testing.T) {
		rev.RevokeSession("sess_9")
		_, err := v.Verify(bg, tok)
		wantRefused(t, err, sdk.ErrRevoked)
	})
	t.Run("revoked token id", func(t *testing.T) {
		other := token(t, ed, with(goodClaims(), map[string]any{"sid": "sess_10", "jti": "j2"}))
		rev.RevokeToken("j2")
		_, err := v.Verify(bg, other)
		wantRefused(t, err, sdk.ErrRevoked)
	})
	t.Run("other sessions still pass", func(t *testing.T) {
		other := token(t, ed, with(goodClaims(), map[string]any{"sid": "sess_11", "jti": "j3"}))
		if _, err := v.Verify(bg, other); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyTokenAtTheSizeBound(t *testing.T) {
	ed := edKey("ed-1", 1)
	v := newVerifier(t, staticKeys(t, ed))
	base := token(t, ed, with(goodClaims(), map[string]any{"pad": ""}))
	// Each 3 bytes of claims add 4 characters; fill up to the bound exactly.
	pad := (sdk.MaxTokenBytes - len(base)) / 4 * 3
	tok := token(t, ed, with(goodClaims(), map[string]any{"pad": strings.Repeat("x", pad)}))
	for len(tok) < sdk.MaxTokenBytes-3 {
		pad++
		tok = token(t, ed, with(goodClaims(), map[string]any{"pad": strings.Repeat("x", pad)}))
	}
	if len(tok) > sdk.MaxTokenBytes {
		t.Fatalf("test token has %d bytes, over the bound", len(tok))
	}
	if _, err := v.Verify(bg, tok); err != nil {
		t.Fatalf("token of %d bytes: %v", len(tok), err)
	}
}

func TestNewVerifierChecksConfig(t *testing.T) {
	keys := staticKeys(t, edKey("ed-1", 1))
	cases := []struct {
		name string
		cfg  sdk.Config
	}{
		{"no issuer", sdk.Config{Audiences: []string{"a"}, Keys: keys}},
		{"no audience", sdk.Config{Issuer: "i", Keys: keys}},
		{"empty audience", sdk.Config{Issuer: "i", Audiences: []string{""}, Keys: keys}},
		{"no keys", sdk.Config{Issuer: "i", Audiences: []string{"a"}}},
		{"negative leeway", sdk.Config{Issuer: "i", Audiences: []string{"a"}, Keys: keys,
			Leeway: -time.Second}},
		{"leeway over the bound", sdk.Config{Issuer: "i", Audiences: []string{"a"}, Keys: keys,
			Leeway: sdk.MaxLeeway + time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sdk.NewVerifier(tc.cfg); err == nil {
				t.Fatal("got no error")
			}
		})
	}
}

func TestNewPublicKeyBindsAlgorithmToKeyType(t *testing.T) {
	ed := edKey("k", 1).priv.Public()
	cases := []struct {
		name string
		alg  string
		key  any
		ok   bool
	}{
		{"Ed25519 with EdDSA", sdk.EdDSA, ed, true},
		{"Ed25519 with ES256", sdk.ES256, ed, false},
		{"Ed25519 with HS256", "HS256", ed, false},
		{"P-256 with ES256", sdk.ES256, ecKey(t).priv.Public(), true},
		{"P-256 with RS256", sdk.RS256, ecKey(t).priv.Public(), false},
		{"RSA with RS256", sdk.RS256, rsaKey(t).priv.Public(), true},
		{"RSA with EdDSA", sdk.EdDSA, rsaKey(t).priv.Public(), false},
		{"a symmetric key", "HS256", []byte("secret"), false},
		{"a private key", sdk.EdDSA, edKey("k", 1).priv, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sdk.NewPublicKey("k", tc.alg, tc.key)
			if (err == nil) != tc.ok {
				t.Fatalf("got error %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func manyClaims(n int) map[string]any {
	m := goodClaims()
	for i := len(m); i < n; i++ {
		m["x"+strings.Repeat("y", i)] = i
	}
	return m
}

// flipFirst changes the first character of a base64url string to another
// valid one.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// bumpLast sets a pad bit in the last character of a base64url string whose
// length leaves pad bits: a second spelling of the same bytes.
func bumpLast(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i|1])
}

// derSigned signs with ECDSA in ASN.1 DER, which JWS does not use (RFC 7518
// section 3.4 wants R||S).
func derSigned(t *testing.T, k testKey, claims string) string {
	t.Helper()
	input := b64([]byte(header(k))) + "." + b64([]byte(claims))
	sig := signInput(t, "ES256", k.priv, []byte(input))
	der := append([]byte{0x30, 0x44, 0x02, 0x20}, sig[:32]...)
	der = append(der, 0x02, 0x20)
	der = append(der, sig[32:]...)
	return input + "." + base64.RawURLEncoding.EncodeToString(der)
}
