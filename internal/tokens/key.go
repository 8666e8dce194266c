package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/sdk"
)

// State is where a key is in its life.
type State string

// The states of a key, in the order it passes through them.
const (
	// StateNext: published in the JWKS, not yet signing.
	StateNext State = "next"
	// StateCurrent: signing; one key at a time.
	StateCurrent State = "current"
	// StateRetired: no longer signing, still published until every token
	// it signed has expired.
	StateRetired State = "retired"
)

// Key is what may be shown of a signing key: everything but the private
// key.
type Key struct {
	// ID is the kid: the key's RFC 7638 JWK thumbprint (SHA-256, base64url).
	ID        string    `json:"kid"`
	Algorithm string    `json:"alg"`
	State     State     `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	// ActivatedAt is when the key started signing; zero while next.
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	// RetiredAt is when it stopped; zero until retired.
	RetiredAt time.Time `json:"retired_at,omitzero"`
	// DeletableAfter is when no token it signed can be accepted any more:
	// RetiredAt plus the retire window. It is then unpublished and deleted.
	DeletableAfter time.Time `json:"deletable_after,omitzero"`
}

// Record is a key as stored: its public JWK and its sealed private key.
type Record struct {
	Key
	// PublicJWK is the JWK as the JWKS publishes it, with kid, alg and use.
	PublicJWK []byte
	// Sealed is the PKCS #8 private key sealed by the keyring.
	Sealed []byte
}

// sealContext binds a sealed private key to its row: a ciphertext copied to
// another kid does not open.
func sealContext(kid string) []byte { return []byte("signing_keys.private:" + kid) }

// newRecord generates a key for alg and seals it: the record of a key that
// does not sign yet.
func newRecord(ring *keyring.Ring, alg string, now time.Time) (Record, error) {
	priv, err := generate(alg)
	if err != nil {
		return Record{}, err
	}

	kid, err := thumbprint(priv.Public())
	if err != nil {
		return Record{}, err
	}
	jwk, err := jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}.
		MarshalJSON()
	if err != nil {
		return Record{}, fmt.Errorf("encode signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Record{}, fmt.Errorf("encode signing key: %w", err)
	}
	sealed, err := ring.Seal(der, sealContext(kid))
	clear(der)
	if err != nil {
		return Record{}, fmt.Errorf("seal signing key: %w", err)
	}

	return Record{
		Key:       Key{ID: kid, Algorithm: alg, State: StateNext, CreatedAt: now.UTC()},
		PublicJWK: jwk,
		Sealed:    sealed,
	}, nil
}

// generate makes a private key for alg. Go's key generation draws from the
// operating system's random source whatever reader it is handed, so none
// is injected here.
func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case sdk.EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case sdk.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case sdk.RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	}
	return nil, fmt.Errorf("generate signing key: unsupported algorithm %q", alg)
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of a public key, base64url:
// the kid. Deriving the kid from the key makes it unique without
// coordination and lets anyone check that a kid names the key it claims.
func thumbprint(pub crypto.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// openPrivate unseals a record's private key and checks that it is the key
// its kid names.
func openPrivate(ring *keyring.Ring, rec Record) (crypto.Signer, error) {
	der, err := ring.Open(rec.Sealed, sealContext(rec.ID))
	if err != nil {
		return nil, fmt.Errorf("open signing key %s: %w", rec.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("open signing key %s: %w", rec.ID, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("open signing key %s: %T is not a signer", rec.ID, parsed)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return nil, err
	}
	if kid != rec.ID {
		return nil, fmt.Errorf("open signing key %s: the private key is %s's", rec.ID, kid)
	}
	return priv, nil
}

// publicKey reads a record's JWK as the SDK's verification key.
func publicKey(rec Record) (*sdk.PublicKey, error) {
	keys, err := sdk.ParseJWKS([]byte(`{"keys":[` + string(rec.PublicJWK) + `]}`))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", rec.ID, err)
	}
	if len(keys) != 1 || keys[0].KeyID() != rec.ID || keys[0].Algorithm() != rec.Algorithm {
		return nil, errors.New("signing key " + rec.ID + ": its JWK does not match its row")
	}
	return keys[0], nil
}

// SealedColumns lists the signing keys' sealed values for master key
// rotation.
func SealedColumns() []keyring.Column {
	return []keyring.Column{{Table: "signing_keys", Column: "private_sealed",
		Keys: []string{"kid"}, AAD: func(k []string) []byte { return sealContext(k[0]) }}}
}
