package sdk

import (
	"encoding/json"
	"fmt"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
)

// jwkHead is what ParseJWKS reads of a key before handing it to go-jose:
// enough to skip keys it does not understand and to refuse keys it must
// never accept.
type jwkHead struct {
	Kty    string          `json:"kty"`
	Crv    string          `json:"crv"`
	Alg    string          `json:"alg"`
	Use    string          `json:"use"`
	KeyOps []string        `json:"key_ops"`
	Kid    string          `json:"kid"`
	D      json.RawMessage `json:"d"`
	P      json.RawMessage `json:"p"`
	Q      json.RawMessage `json:"q"`
	DP     json.RawMessage `json:"dp"`
	DQ     json.RawMessage `json:"dq"`
	QI     json.RawMessage `json:"qi"`
	K      json.RawMessage `json:"k"`
	Priv   json.RawMessage `json:"priv"`
	X5C    json.RawMessage `json:"x5c"`
	X5U    json.RawMessage `json:"x5u"`
}

// ParseJWKS reads a JWK Set (RFC 7517 section 5) and returns its signature
// verification keys.
//
// Keys this package cannot use are skipped, as RFC 7517 section 5 asks for
// key types that are not understood: other key types and curves, keys for
// encryption (use other than "sig", key_ops without "verify"), algorithms
// outside the allow-list, and keys without an "alg" (cerrojo always names
// it, and guessing would reopen algorithm confusion: an RSA key could be
// RS256 or PS256). A document that is not a JWK Set, that has more than 100
// keys, that publishes private key material or X.509 parameters, or whose
// usable keys are malformed, unnamed or share a kid is refused whole, so a
// broken document never replaces a good one.
func ParseJWKS(doc []byte) ([]*PublicKey, error) {
	if len(doc) > MaxJWKSBytes {
		return nil, fmt.Errorf("sdk: JWKS is over %d bytes", MaxJWKSBytes)
	}
	var spans [maxMembers]span
	n, err := topLevelMembers(doc, &spans)
	if err != nil {
		return nil, fmt.Errorf("sdk: JWKS: %v", err)
	}
	for i := range n {
		for j := range i {
			if string(spans[i].of(doc)) == string(spans[j].of(doc)) {
				return nil, fmt.Errorf("sdk: JWKS: member %q appears twice", spans[i].of(doc))
			}
		}
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("sdk: JWKS: %v", err)
	}
	if set.Keys == nil {
		return nil, fmt.Errorf("sdk: JWKS: no keys member")
	}
	if len(set.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("sdk: JWKS has %d keys, more than %d", len(set.Keys), maxJWKSKeys)
	}

	var out []*PublicKey
	for i, raw := range set.Keys {
		k, err := parseJWK(raw)
		if err != nil {
			return nil, fmt.Errorf("sdk: JWKS key %d: %v", i, err)
		}
		if k == nil {
			continue
		}
		if slices.ContainsFunc(out, func(o *PublicKey) bool { return o.kid == k.kid }) {
			return nil, fmt.Errorf("sdk: JWKS: two keys have kid %q", k.kid)
		}
		out = append(out, k)
	}
	return out, nil
}

// parseJWK returns the key, nil for a key to skip, or an error for a key
// that makes the document unacceptable.
func parseJWK(raw []byte) (*PublicKey, error) {
	var h jwkHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	if h.D != nil || h.P != nil || h.Q != nil || h.DP != nil || h.DQ != nil || h.QI != nil ||
		h.K != nil || h.Priv != nil {
		return nil, fmt.Errorf("key %q has private or symmetric key material", h.Kid)
	}
	if !usable(h) {
		return nil, nil
	}
	if h.X5C != nil || h.X5U != nil {
		return nil, fmt.Errorf("key %q has X.509 parameters, which are not supported", h.Kid)
	}

	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	if !jwk.IsPublic() || !jwk.Valid() {
		return nil, fmt.Errorf("key %q is not a valid public key", h.Kid)
	}
	return NewPublicKey(jwk.KeyID, jwk.Algorithm, jwk.Key)
}

// usable reports whether a key is one this package verifies with.
func usable(h jwkHead) bool {
	if h.Use != "" && h.Use != "sig" {
		return false
	}
	if h.KeyOps != nil && !slices.Contains(h.KeyOps, "verify") {
		return false
	}
	switch {
	case h.Kty == "OKP" && h.Crv == "Ed25519":
		return h.Alg == EdDSA
	case h.Kty == "EC" && h.Crv == "P-256":
		return h.Alg == ES256
	case h.Kty == "RSA":
		return h.Alg == RS256
	}
	return false
}
