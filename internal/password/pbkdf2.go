package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// pbkdf2Hash is a parsed PBKDF2-HMAC hash in passlib's or Django's format.
// The output length always equals the digest size: both libraries write it
// that way, and RFC 8018 section 5.2 gains nothing from more.
type pbkdf2Hash struct {
	format     Scheme // which string format, and so which digest
	iterations uint64
	salt       []byte // raw bytes (passlib) or the salt text itself (Django)
	key        []byte
}

// digest returns the HMAC hash and its size for a PBKDF2 scheme.
func (h *pbkdf2Hash) digest() (func() hash.Hash, int) {
	if h.format == SchemePBKDF2SHA512 {
		return sha512.New, sha512.Size
	}
	return sha256.New, sha256.Size
}

// parsePBKDF2 parses passlib's "$pbkdf2-sha256$rounds$salt$hash" and
// "$pbkdf2-sha512$...". Salt and hash are in passlib's "ab64" base64 (see
// ab64 in encoding.go); rounds is a bare decimal, as passlib writes it, not
// the "i=" form of the PHC draft for PBKDF2, which passlib does not use.
func parsePBKDF2(s string) (*pbkdf2Hash, error) {
	format, prefix := SchemePBKDF2SHA256, "$pbkdf2-sha256$"
	if !strings.HasPrefix(s, prefix) {
		format, prefix = SchemePBKDF2SHA512, "$pbkdf2-sha512$"
	}
	fields, err := splitFields(s, prefix, 3, format)
	if err != nil {
		return nil, err
	}

	iterations, err := parseIterations(format, fields[0])
	if err != nil {
		return nil, err
	}
	h := &pbkdf2Hash{format: format, iterations: iterations}
	_, size := h.digest()
	// #nosec G115 -- size is a SHA-256 or SHA-512 digest size (32 or 64) and a
	// length is never negative.
	salt, key, err := decodeSaltKey(format, ab64, fields[1], fields[2], uint64(size))
	if err != nil {
		return nil, err
	}
	if len(key) != size {
		// #nosec G115 -- as above: sizes and lengths are small and non-negative.
		return nil, outOfRange(format, "hash bytes", uint64(len(key)), uint64(size), uint64(size))
	}

	h.salt, h.key = salt, key
	return h, nil
}

// parseDjango parses Django's "pbkdf2_sha256$iterations$salt$hash". The salt
// is text used as its own bytes, never decoded; Django makes it from
// letters and digits, and only those are read here (a '$' would break the
// format, and anything else has never been written by Django). The hash is
// padded standard base64 of 32 bytes.
func parseDjango(s string) (*pbkdf2Hash, error) {
	const scheme = SchemeDjangoPBKDF2SHA256
	fields, err := splitFields(s, "pbkdf2_sha256$", 3, scheme)
	if err != nil {
		return nil, err
	}

	iterations, err := parseIterations(scheme, fields[0])
	if err != nil {
		return nil, err
	}

	salt := fields[1]
	if n := uint64(len(salt)); !inRange(n, minImportSaltLen, djangoMaxSalt) {
		return nil, outOfRange(scheme, "salt characters", n, minImportSaltLen, djangoMaxSalt)
	}
	for i := 0; i < len(salt); i++ {
		if !isAlnum(salt[i]) {
			return nil, malformed(scheme, "salt has a character other than a letter or digit")
		}
	}

	key, ok := decodeCanonical(b64Padded, fields[2])
	if !ok {
		return nil, malformed(scheme, "hash is not canonical base64")
	}
	if len(key) != sha256.Size {
		return nil, outOfRange(scheme, "hash bytes", uint64(len(key)), sha256.Size, sha256.Size)
	}

	return &pbkdf2Hash{format: scheme, iterations: iterations,
		salt: []byte(salt), key: key}, nil
}

// parseIterations reads a canonical decimal iteration count within bounds.
func parseIterations(scheme Scheme, s string) (uint64, error) {
	n, ok := parseDecimal(s)
	if !ok {
		return 0, malformed(scheme, "iterations is not a canonical number")
	}
	if !inRange(n, 1, pbkdf2MaxIterations) {
		return 0, outOfRange(scheme, "iterations", n, 1, pbkdf2MaxIterations)
	}
	return n, nil
}

func isAlnum(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func (h *pbkdf2Hash) scheme() Scheme { return h.format }

// memKiB is zero: PBKDF2 needs a few hundred bytes.
func (h *pbkdf2Hash) memKiB() uint64 { return 0 }

// verify runs PBKDF2 (RFC 8018 section 5.2) from the standard library.
func (h *pbkdf2Hash) verify(pw []byte) (bool, error) {
	fn, size := h.digest()
	// #nosec G115 -- parseIterations caps iterations at pbkdf2MaxIterations (1e7).
	dk, err := pbkdf2.Key(fn, string(pw), h.salt, int(h.iterations), size)
	if err != nil {
		return false, fmt.Errorf("verify %s: %w", h.format, err)
	}
	return subtle.ConstantTimeCompare(dk, h.key) == 1, nil
}

func (h *pbkdf2Hash) String() string {
	n := strconv.FormatUint(h.iterations, 10)
	if h.format == SchemeDjangoPBKDF2SHA256 {
		return "pbkdf2_sha256$" + n + "$" + string(h.salt) + "$" +
			b64Padded.EncodeToString(h.key)
	}
	return "$" + string(h.format) + "$" + n + "$" +
		ab64.EncodeToString(h.salt) + "$" + ab64.EncodeToString(h.key)
}
