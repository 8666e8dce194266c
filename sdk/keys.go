package sdk

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
)

// The JWS algorithms (RFC 7518 section 3.1, RFC 8037 section 3.1) that
// cerrojo signs with and this package accepts. Nothing else is accepted:
// not none, not HMAC, not RSA-PSS. Each is bound to one key type, so a key
// can never be used under an algorithm it was not published for.
const (
	EdDSA = "EdDSA" // Ed25519 (RFC 8037); cerrojo's default
	ES256 = "ES256" // ECDSA P-256 with SHA-256 (RFC 7518 section 3.4)
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3)
)

// Algorithms lists the accepted algorithms.
func Algorithms() []string { return []string{EdDSA, ES256, RS256} }

// PublicKey is a verification key: its kid, the one algorithm it may be
// used with, and the key.
type PublicKey struct {
	kid string
	alg string
	key crypto.PublicKey
}

// NewPublicKey checks that key suits alg (an Ed25519 key for EdDSA, a P-256
// key for ES256, an RSA key of 2048 to 8192 bits for RS256) and returns it.
func NewPublicKey(kid, alg string, key crypto.PublicKey) (*PublicKey, error) {
	if kid == "" || len(kid) > maxKeyIDLen {
		return nil, fmt.Errorf("sdk: key id must have 1 to %d bytes", maxKeyIDLen)
	}
	switch k := key.(type) {
	case ed25519.PublicKey:
		if alg != EdDSA || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("sdk: key %s: an Ed25519 key is used with EdDSA only", kid)
		}
	case *ecdsa.PublicKey:
		if alg != ES256 || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("sdk: key %s: a P-256 key is used with ES256 only", kid)
		}
	case *rsa.PublicKey:
		if alg != RS256 {
			return nil, fmt.Errorf("sdk: key %s: an RSA key is used with RS256 only", kid)
		}
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("sdk: key %s: RSA key has %d bits, want %d to %d", kid,
				bits, minRSABits, maxRSABits)
		}
	default:
		return nil, fmt.Errorf("sdk: key %s: unsupported key type %T", kid, key)
	}
	return &PublicKey{kid: kid, alg: alg, key: key}, nil
}

// KeyID returns the key's kid.
func (k *PublicKey) KeyID() string { return k.kid }

// Algorithm returns the one algorithm the key verifies.
func (k *PublicKey) Algorithm() string { return k.alg }

// Key returns the crypto/ed25519, crypto/ecdsa or crypto/rsa public key.
func (k *PublicKey) Key() crypto.PublicKey { return k.key }

// verify checks sig over the JWS signing input (RFC 7515 section 5.2, step
// 8) with the key's one algorithm.
func (k *PublicKey) verify(input, sig []byte) bool {
	switch key := k.key.(type) {
	case ed25519.PublicKey:
		// RFC 8037 section 3.1: the signature is the 64-byte Ed25519
		// signature of the signing input itself.
		return ed25519.Verify(key, input, sig)
	case *ecdsa.PublicKey:
		// RFC 7518 section 3.4: R and S as two 32-byte big-endian
		// integers, not DER.
		if len(sig) != 64 {
			return false
		}
		h := sha256.Sum256(input)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(key, h[:], r, s)
	case *rsa.PublicKey:
		h := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig) == nil
	}
	return false
}

// KeySource finds verification keys by kid. RemoteKeySet fetches them from
// a JWKS URL; StaticKeys holds a fixed set; cerrojo itself implements one
// over its own key store.
type KeySource interface {
	// PublicKey returns the key named kid. An unknown kid is an error
	// wrapping ErrUnknownKey; a source that cannot be reached returns one
	// wrapping ErrKeysUnavailable.
	PublicKey(ctx context.Context, kid string) (*PublicKey, error)
}

// StaticKeys is a KeySource over a fixed set of keys, for services that
// pin keys in their configuration and for tests.
type StaticKeys struct {
	byID map[string]*PublicKey
}

// NewStaticKeys returns a source holding keys, whose kids must be distinct.
func NewStaticKeys(keys ...*PublicKey) (*StaticKeys, error) {
	s := &StaticKeys{byID: make(map[string]*PublicKey, len(keys))}
	for _, k := range keys {
		if k == nil {
			return nil, errors.New("sdk: nil key")
		}
		if _, dup := s.byID[k.kid]; dup {
			return nil, fmt.Errorf("sdk: two keys have kid %q", k.kid)
		}
		s.byID[k.kid] = k
	}
	return s, nil
}

// PublicKey returns the key named kid.
func (s *StaticKeys) PublicKey(_ context.Context, kid string) (*PublicKey, error) {
	if k, ok := s.byID[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}
