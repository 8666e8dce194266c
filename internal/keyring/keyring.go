// Package keyring seals cerrojo's secrets at rest (TOTP seeds, signing keys,
// identity numbers) with AES-256-GCM under keys derived from the master key.
//
// Guarantees:
//   - Confidentiality and integrity of each sealed value, and its binding to
//     the context the caller names (associated data): a ciphertext moved to
//     another row or column does not open.
//   - Every ciphertext names the key that sealed it, so a ring holding old
//     keys opens old data while new data uses the newest key.
//   - The master key never leaves this package and is never used directly:
//     encryption keys and key ids are derived from it with HKDF-SHA-256
//     (RFC 5869) under distinct labels.
//
// Assumptions: the master key has 256 bits of entropy and is protected by
// the operator (file mode 0600, a secret manager). Random nonces of 96 bits
// are safe for far more than the 2^32 messages per key that NIST SP
// 800-38D section 8.3 allows; cerrojo seals orders of magnitude fewer.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/cerrojo/cerrojo/internal/config"
)

// Format of a sealed value:
//
//	version (1 byte, 0x01) | key id (8 bytes) | nonce (12 bytes) | ciphertext and tag
//
// The version and key id are also authenticated, as part of the associated
// data.
const (
	formatV1   = 0x01
	keyIDSize  = 8
	nonceSize  = 12
	headerSize = 1 + keyIDSize + nonceSize
	tagSize    = 16
)

// HKDF labels. Changing one changes every derived key: never do.
const (
	labelEncryption = "cerrojo keyring v1 aes-256-gcm"
	labelKeyID      = "cerrojo keyring v1 key id"
	labelMAC        = "cerrojo keyring v1 hmac-sha256"
)

// Errors returned by Open.
var (
	// ErrUnknownKey means the value was sealed by a key this ring does not hold.
	ErrUnknownKey = errors.New("keyring: sealed by a key this ring does not hold")
	// ErrDecrypt means the value was altered, truncated, or sealed for another context.
	ErrDecrypt = errors.New("keyring: value does not open (altered, or wrong context)")
)

// KeyID identifies a key of the ring without revealing anything about it.
type KeyID [keyIDSize]byte

// String returns the id in hexadecimal.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

type ringKey struct {
	id     KeyID
	aead   cipher.AEAD
	macKey []byte
}

// Ring seals with its primary key and opens with any key it holds.
type Ring struct {
	primary ringKey
	byID    map[KeyID]ringKey
	rand    io.Reader
	// macRoot, once VerifyDatabase has loaded it, is the key of MAC; until
	// then MAC uses the primary key's derived MAC key, which is what the
	// root of a database set up with that key is.
	macRoot []byte
}

// New returns a ring whose primary key derives from master; older master
// keys, if any, can still open what they sealed. rand supplies nonces.
func New(rand io.Reader, master []byte, older ...[]byte) (*Ring, error) {
	r := &Ring{byID: make(map[KeyID]ringKey), rand: rand}
	for i, m := range append([][]byte{master}, older...) {
		k, err := deriveKey(m)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			r.primary = k
		}
		r.byID[k.id] = k
	}
	return r, nil
}

func deriveKey(master []byte) (ringKey, error) {
	if len(master) != 32 {
		return ringKey{}, fmt.Errorf("keyring: master key is %d bytes, want 32", len(master))
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, labelEncryption, 32)
	if err != nil {
		return ringKey{}, fmt.Errorf("keyring: derive key: %w", err)
	}
	idBytes, err := hkdf.Key(sha256.New, master, nil, labelKeyID, keyIDSize)
	if err != nil {
		return ringKey{}, fmt.Errorf("keyring: derive key id: %w", err)
	}
	macKey, err := hkdf.Key(sha256.New, master, nil, labelMAC, 32)
	if err != nil {
		return ringKey{}, fmt.Errorf("keyring: derive mac key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return ringKey{}, fmt.Errorf("keyring: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return ringKey{}, fmt.Errorf("keyring: %w", err)
	}
	var id KeyID
	copy(id[:], idBytes)
	return ringKey{id: id, aead: aead, macKey: macKey}, nil
}

// PrimaryID is the id of the key that Seal uses.
func (r *Ring) PrimaryID() KeyID { return r.primary.id }

// Seal encrypts plaintext for the context named by aad (for example
// "totp_seeds.seed:" + user id) with the primary key.
func (r *Ring) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	out[0] = formatV1
	copy(out[1:], r.primary.id[:])
	if _, err := io.ReadFull(r.rand, out[1+keyIDSize:headerSize]); err != nil {
		return nil, fmt.Errorf("keyring: nonce: %w", err)
	}
	nonce := out[1+keyIDSize : headerSize]
	return r.primary.aead.Seal(out, nonce, plaintext, associated(out[:1+keyIDSize], aad)), nil
}

// Open decrypts a value sealed by any key of the ring for the same context.
func (r *Ring) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < headerSize+tagSize || sealed[0] != formatV1 {
		return nil, ErrDecrypt
	}
	var id KeyID
	copy(id[:], sealed[1:1+keyIDSize])
	k, ok := r.byID[id]
	if !ok {
		return nil, ErrUnknownKey
	}
	nonce := sealed[1+keyIDSize : headerSize]
	plain, err := k.aead.Open(nil, nonce, sealed[headerSize:], associated(sealed[:1+keyIDSize], aad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// MAC returns HMAC-SHA-256 of data under the ring's MAC root, separated by
// purpose (such as "email_verification"). It is for values that must be
// found again but not recovered, such as one-time codes, client secrets and
// blind indexes: a copy of the database alone does not let anyone test
// guesses against them. The root is kept in the database, sealed, and
// survives master key rotation (VerifyDatabase loads it), so MACs stay
// valid across rotations.
func (r *Ring) MAC(purpose string, data []byte) []byte {
	key := r.primary.macKey
	if r.macRoot != nil {
		key = r.macRoot
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(data)
	return m.Sum(nil)
}

// SealedKeyID returns the id of the key that sealed a value.
func SealedKeyID(sealed []byte) (KeyID, bool) {
	var id KeyID
	if len(sealed) < headerSize || sealed[0] != formatV1 {
		return id, false
	}
	copy(id[:], sealed[1:1+keyIDSize])
	return id, true
}

// associated binds the header to the caller's context. The header has a
// fixed length, so the concatenation is unambiguous.
func associated(header, aad []byte) []byte {
	out := make([]byte, 0, len(header)+len(aad))
	return append(append(out, header...), aad...)
}

// NewFromConfig is New with the previous master keys of cfg, which
// config.Validate has checked.
func NewFromConfig(rand io.Reader, master []byte, cfg config.Config) (*Ring, error) {
	previous, err := cfg.MasterKey.PreviousKeys()
	if err != nil {
		return nil, fmt.Errorf("master_key.previous: %w", err)
	}
	for _, p := range previous {
		if hmac.Equal(p, master) {
			return nil, errors.New("master_key.previous repeats the master key")
		}
	}
	return New(rand, master, previous...)
}
