package password

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"

	"golang.org/x/crypto/scrypt"
)

// Firebase Authentication hashes passwords with its own variant of scrypt,
// described in the README of Firebase's scrypt fork
// (github.com/firebase/scrypt):
//
//  1. key = scrypt(password, salt || salt_separator, N = 2^mem_cost,
//     r = rounds, p = 1, 32 bytes), salt being the user's and salt_separator
//     the project's;
//  2. hash = AES-256-CTR(key, IV = 16 zero bytes) applied to the project's
//     signer key.
//
// The stored hash therefore has the signer key's length. The signer key,
// salt separator, rounds and mem_cost are project settings, shown in the
// Firebase console under Authentication, Users, "Password hash parameters";
// "firebase auth:export" writes each user's hash and salt in base64.

// firebaseKeyLen is the scrypt output length: an AES-256 key.
const firebaseKeyLen = 32

// FirebaseProject is a Firebase project's password hash parameters. The
// signer key lets anyone who also holds the exported hashes run a guessing
// attack on them, so treat it as a secret: it prints as redacted.
type FirebaseProject struct {
	// SignerKey is base64_signer_key, decoded.
	SignerKey []byte

	// SaltSeparator is base64_salt_separator, decoded.
	SaltSeparator []byte

	// Rounds is scrypt's r.
	Rounds int

	// MemCost is log2 of scrypt's N.
	MemCost int
}

// NewFirebaseProject builds a FirebaseProject from the values the Firebase
// console shows: the signer key and salt separator in padded standard
// base64, rounds and mem_cost as numbers.
func NewFirebaseProject(signerKey, saltSeparator string, rounds, memCost int,
) (*FirebaseProject, error) {
	key, ok := decodeCanonical(b64Padded, signerKey)
	if !ok {
		return nil, configError("firebase signer key", "[redacted]", "padded standard base64")
	}
	sep, ok := decodeCanonical(b64Padded, saltSeparator)
	if !ok {
		return nil, configError("firebase salt separator", "[redacted]",
			"padded standard base64")
	}

	p := &FirebaseProject{SignerKey: key, SaltSeparator: sep, Rounds: rounds, MemCost: memCost}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks the project against the bounds in limits.go.
func (p *FirebaseProject) Validate() error {
	if n := len(p.SignerKey); n < firebaseMinSignerKey || n > firebaseMaxSignerKey {
		return configError("firebase signer key length", n,
			fmt.Sprintf("%d to %d bytes", firebaseMinSignerKey, firebaseMaxSignerKey))
	}
	if n := len(p.SaltSeparator); n > firebaseMaxSaltSeparator {
		return configError("firebase salt separator length", n,
			fmt.Sprintf("at most %d bytes", firebaseMaxSaltSeparator))
	}
	if p.Rounds < 1 || p.Rounds > firebaseMaxRounds {
		return configError("firebase rounds", p.Rounds, fmt.Sprintf("1 to %d", firebaseMaxRounds))
	}
	if p.MemCost < 1 || p.MemCost > firebaseMaxMemCost {
		return configError("firebase mem_cost", p.MemCost,
			fmt.Sprintf("1 to %d", firebaseMaxMemCost))
	}
	err := checkScryptCost(SchemeFirebaseScrypt, uint64(p.MemCost), uint64(p.Rounds), 1)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

// String prints the parameters with the signer key redacted.
func (p FirebaseProject) String() string {
	return fmt.Sprintf("FirebaseProject{rounds: %d, mem_cost: %d, signer_key: [redacted]}",
		p.Rounds, p.MemCost)
}

// GoString redacts the signer key from %#v as well.
func (p FirebaseProject) GoString() string { return p.String() }

// LogValue redacts the signer key from log/slog records.
func (p FirebaseProject) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("rounds", p.Rounds), slog.Int("mem_cost", p.MemCost),
		slog.String("signer_key", "[redacted]"))
}

// FirebaseImport turns one user's exported password hash and salt into the
// string this package stores and verifies:
//
//	$firebase-scrypt$<salt>$<hash>
//
// both in padded standard base64. "firebase auth:export" writes standard
// base64 and the Admin SDK's listUsers writes the URL-safe alphabet; both
// are read here, with or without padding, as long as the encoding is
// canonical. This is the only lenient step; the stored form is strict.
func FirebaseImport(passwordHash, salt string) (string, error) {
	const scheme = SchemeFirebaseScrypt
	h, ok := decodeAnyBase64(passwordHash)
	if !ok {
		return "", malformed(scheme, "exported hash is not base64")
	}
	s, ok := decodeAnyBase64(salt)
	if !ok {
		return "", malformed(scheme, "exported salt is not base64")
	}

	fh := &firebaseHash{salt: s, hash: h}
	if err := fh.checkLengths(); err != nil {
		return "", err
	}
	return fh.String(), nil
}

// decodeAnyBase64 accepts the canonical encoding of any of the four
// standard variants.
func decodeAnyBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{b64Padded, b64Raw,
		base64.URLEncoding.Strict(), base64.RawURLEncoding.Strict()} {
		if b, ok := decodeCanonical(enc, s); ok {
			return b, true
		}
	}
	return nil, false
}

// firebaseHash is a parsed "$firebase-scrypt$salt$hash" with the project
// needed to verify it.
type firebaseHash struct {
	project *FirebaseProject
	salt    []byte
	hash    []byte
}

// parseFirebase parses the stored form FirebaseImport writes. Without a
// project the format is still checked, then ErrFirebaseNotConfigured is
// returned; with one, the hash must have the signer key's length.
func parseFirebase(s string, project *FirebaseProject) (*firebaseHash, error) {
	const scheme = SchemeFirebaseScrypt
	fields, err := splitFields(s, "$firebase-scrypt$", 2, scheme)
	if err != nil {
		return nil, err
	}
	salt, ok := decodeCanonical(b64Padded, fields[0])
	if !ok {
		return nil, malformed(scheme, "salt is not canonical base64")
	}
	hash, ok := decodeCanonical(b64Padded, fields[1])
	if !ok {
		return nil, malformed(scheme, "hash is not canonical base64")
	}

	h := &firebaseHash{salt: salt, hash: hash}
	if err := h.checkLengths(); err != nil {
		return nil, err
	}
	if project == nil {
		return nil, ErrFirebaseNotConfigured
	}
	if len(hash) != len(project.SignerKey) {
		return nil, outOfRange(scheme, "hash bytes", uint64(len(hash)),
			uint64(len(project.SignerKey)), uint64(len(project.SignerKey)))
	}
	h.project = project
	return h, nil
}

// checkLengths bounds the salt and the hash on their own.
func (h *firebaseHash) checkLengths() error {
	const scheme = SchemeFirebaseScrypt
	if n := uint64(len(h.salt)); !inRange(n, minImportSaltLen, maxSaltLen) {
		return outOfRange(scheme, "salt bytes", n, minImportSaltLen, maxSaltLen)
	}
	if n := uint64(len(h.hash)); !inRange(n, firebaseMinSignerKey, firebaseMaxSignerKey) {
		return outOfRange(scheme, "hash bytes", n, firebaseMinSignerKey, firebaseMaxSignerKey)
	}
	return nil
}

func (h *firebaseHash) scheme() Scheme { return SchemeFirebaseScrypt }

func (h *firebaseHash) memKiB() uint64 {
	// #nosec G115 -- FirebaseProject.Validate keeps MemCost in 1..20 and Rounds in 1..32.
	return scryptMemoryKiB(uint64(h.project.MemCost), uint64(h.project.Rounds))
}

// verify follows the two steps at the top of this file.
func (h *firebaseHash) verify(pw []byte) (bool, error) {
	p := h.project
	salt := make([]byte, 0, len(h.salt)+len(p.SaltSeparator))
	salt = append(append(salt, h.salt...), p.SaltSeparator...)

	// 1. scrypt over the password and salt || separator.
	key, err := scrypt.Key(pw, salt, 1<<p.MemCost, p.Rounds, 1, firebaseKeyLen)
	if err != nil {
		return false, fmt.Errorf("verify firebase scrypt: %w", err)
	}

	// 2. AES-256-CTR with a zero IV over the signer key.
	block, err := aes.NewCipher(key)
	if err != nil {
		return false, fmt.Errorf("verify firebase scrypt: %w", err)
	}
	got := make([]byte, len(p.SignerKey))
	// #nosec G407 -- Firebase's scrypt variant defines this zero IV. The AES key is
	// derived from the password and salt, and it encrypts only the fixed signer key
	// to compare with the stored hash; nothing secret is sent under it.
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(got, p.SignerKey)

	return subtle.ConstantTimeCompare(got, h.hash) == 1, nil
}

func (h *firebaseHash) String() string {
	return "$firebase-scrypt$" + b64Padded.EncodeToString(h.salt) + "$" +
		b64Padded.EncodeToString(h.hash)
}
