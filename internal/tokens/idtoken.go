package tokens

import (
	"crypto"
	"encoding/json"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// PrivateKey returns the current key's private half, for the one signer
// outside this package: the OpenID provider library, which signs ID tokens
// (typ JWT, OpenID Connect Core 1.0 section 2) with the key that signs
// access tokens, so that one JWKS serves both. It is nil for a key set
// loaded without the key ring.
func (k *SigningKey) PrivateKey() crypto.Signer { return k.priv }

// PublicJWKs returns the published keys, the ones the JWKS lists.
func (s *KeySet) PublicJWKs() ([]jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(s.jwks, &set); err != nil {
		return nil, fmt.Errorf("published keys: %w", err)
	}
	return set.Keys, nil
}
