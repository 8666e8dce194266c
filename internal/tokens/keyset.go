package tokens

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/sdk"
)

// KeySet is one node's copy of the key set, as loaded at one generation.
// It is never modified: a refresh builds a new one.
type KeySet struct {
	generation int64
	keys       []Key // every stored key, oldest first
	published  []Key
	current    *SigningKey
	byID       map[string]*sdk.PublicKey
	jwks       []byte
	etag       string
}

// SigningKey is the current key with its signer.
type SigningKey struct {
	Key
	signer jose.Signer
	priv   crypto.Signer
}

// Current returns the key that signs, or nil when the set has none (a
// database nobody has started a node on).
func (s *KeySet) Current() *SigningKey { return s.current }

// Published returns the keys the JWKS publishes: current, next, and the
// retired keys whose tokens may still be valid, newest first.
func (s *KeySet) Published() []Key { return slices.Clone(s.published) }

// JWKS returns the JWK Set document (RFC 7517 section 5) of the published
// keys and its strong entity tag.
func (s *KeySet) JWKS() (body []byte, etag string) { return s.jwks, s.etag }

// Generation returns the generation the set was loaded at.
func (s *KeySet) Generation() int64 { return s.generation }

// buildKeySet turns stored records into a KeySet: it opens the current
// key's private key (the only one this node needs) and renders the JWKS.
func buildKeySet(ring *keyring.Ring, gen int64, recs []Record, now time.Time) (*KeySet, error) {
	s := &KeySet{generation: gen, byID: map[string]*sdk.PublicKey{}}
	var pub []Record
	for _, r := range recs {
		s.keys = append(s.keys, r.Key)
		if r.State == StateRetired && !now.Before(r.DeletableAfter) {
			continue // past its window: deleted by the next maintenance
		}
		pub = append(pub, r)
	}
	slices.SortStableFunc(pub, func(a, b Record) int {
		if rank(a.State) != rank(b.State) {
			return rank(a.State) - rank(b.State)
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})

	var doc bytes.Buffer
	doc.WriteString(`{"keys":[`)
	for i, r := range pub {
		pk, err := publicKey(r)
		if err != nil {
			return nil, err
		}
		s.byID[r.ID] = pk
		s.published = append(s.published, r.Key)
		if i > 0 {
			doc.WriteByte(',')
		}
		doc.Write(r.PublicJWK)

		if r.State == StateCurrent {
			if s.current, err = newSigningKey(ring, r); err != nil {
				return nil, err
			}
		}
	}
	doc.WriteString("]}")
	s.jwks = doc.Bytes()
	sum := sha256.Sum256(s.jwks)
	s.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
	return s, nil
}

func rank(s State) int {
	switch s {
	case StateCurrent:
		return 0
	case StateNext:
		return 1
	}
	return 2
}

func newSigningKey(ring *keyring.Ring, r Record) (*SigningKey, error) {
	if ring == nil {
		// Listing keys needs no private key; only signing does.
		return &SigningKey{Key: r.Key}, nil
	}
	priv, err := openPrivate(ring, r)
	if err != nil {
		return nil, err
	}
	// RFC 9068 section 2.1: typ at+jwt; RFC 7515 section 4.1.4: kid. The
	// JSONWebKey wrapper makes go-jose write the kid.
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(r.Algorithm),
			Key: jose.JSONWebKey{Key: priv, KeyID: r.ID, Algorithm: r.Algorithm}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return nil, fmt.Errorf("signer for key %s: %w", r.ID, err)
	}
	return &SigningKey{Key: r.Key, signer: signer, priv: priv}, nil
}

// sign returns the compact JWS of payload.
func (k *SigningKey) sign(payload []byte) (string, error) {
	if k.signer == nil {
		return "", fmt.Errorf("signing key %s was loaded without the keyring", k.ID)
	}
	obj, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign with key %s: %w", k.ID, err)
	}
	return obj.CompactSerialize()
}
