package password

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2Version is the only Argon2 version accepted: 0x13 (19), the one
// RFC 9106 specifies and golang.org/x/crypto/argon2 implements. Version 0x10
// hashes cannot be verified with it.
const argon2Version = 19

// argon2Hash is a parsed Argon2i or Argon2id hash in the PHC string format.
type argon2Hash struct {
	variant     Scheme // SchemeArgon2id or SchemeArgon2i
	memoryKiB   uint32
	iterations  uint32
	parallelism uint8
	salt        []byte
	key         []byte
}

// parseArgon2 parses "$argon2id$v=19$m=M,t=T,p=P$salt$tag" (or argon2i).
//
// Argon2's reference implementation writes the parameters in the order
// m, t, p, and so does this package; node-argon2 (npm "argon2", at least
// 0.45) writes m, p, t. Any order is read, each of m, t and p exactly once and
// nothing else: the optional "keyid" and "data" parameters would need
// inputs x/crypto/argon2 does not take.
func parseArgon2(s string) (*argon2Hash, error) {
	variant := SchemeArgon2id
	prefix := "$argon2id$"
	if !strings.HasPrefix(s, prefix) {
		variant, prefix = SchemeArgon2i, "$argon2i$"
	}
	fields, err := splitFields(s, prefix, 4, variant)
	if err != nil {
		return nil, err
	}

	// 1. Version: only "v=19". Hashes from before version 1.3 have no
	// version field and fail the field count above.
	v, ok := strings.CutPrefix(fields[0], "v=")
	if !ok {
		return nil, malformed(variant, "missing version")
	}
	version, ok := parseDecimal(v)
	if !ok {
		return nil, malformed(variant, "bad version")
	}
	if version != argon2Version {
		return nil, outOfRange(variant, "version", version, argon2Version, argon2Version)
	}

	// 2. Parameters m, t, p.
	m, t, p, err := parseArgon2Params(variant, fields[1])
	if err != nil {
		return nil, err
	}
	if err := checkArgon2Cost(variant, m, t, p); err != nil {
		return nil, err
	}

	// 3. Salt and tag.
	salt, key, err := decodeSaltKey(variant, b64Raw, fields[2], fields[3], minImportKeyLen)
	if err != nil {
		return nil, err
	}

	// #nosec G115 -- checkArgon2Cost above caps m at maxMemoryKiB (1<<20), t at
	// maxArgon2Iterations (64) and p at maxArgon2Parallelism (16).
	return &argon2Hash{
		variant:     variant,
		memoryKiB:   uint32(m),
		iterations:  uint32(t),
		parallelism: uint8(p),
		salt:        salt,
		key:         key,
	}, nil
}

// parseArgon2Params reads "m=..,t=..,p=.." in any order, each once.
func parseArgon2Params(variant Scheme, s string) (m, t, p uint64, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, malformed(variant, "want exactly the parameters m, t and p")
	}
	var seen [3]bool
	for _, part := range parts {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return 0, 0, 0, malformed(variant, "parameter without '='")
		}
		n, ok := parseDecimal(value)
		if !ok {
			return 0, 0, 0, malformed(variant, "parameter "+name+" is not a canonical number")
		}
		idx := strings.Index("mtp", name)
		if len(name) != 1 || idx < 0 {
			return 0, 0, 0, malformed(variant, "unknown parameter")
		}
		if seen[idx] {
			return 0, 0, 0, malformed(variant, "parameter "+name+" given twice")
		}
		seen[idx] = true
		switch name {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		}
	}
	return m, t, p, nil
}

// checkArgon2Cost applies the caps of limits.go and the RFC 9106 section
// 3.1 rule that memory is at least 8 KiB per lane.
func checkArgon2Cost(variant Scheme, m, t, p uint64) error {
	if !inRange(p, 1, maxArgon2Parallelism) {
		return outOfRange(variant, "parallelism", p, 1, maxArgon2Parallelism)
	}
	if !inRange(t, 1, maxArgon2Iterations) {
		return outOfRange(variant, "iterations", t, 1, maxArgon2Iterations)
	}
	if !inRange(m, 8*p, maxMemoryKiB) {
		return outOfRange(variant, "memory KiB", m, 8*p, maxMemoryKiB)
	}
	if m*t > maxWorkKiBPasses {
		return outOfRange(variant, "memory KiB times iterations", m*t, 1, maxWorkKiBPasses)
	}
	return nil
}

// decodeSaltKey decodes a salt and a derived key with enc and checks their
// lengths against the import bounds.
func decodeSaltKey(scheme Scheme, enc *base64.Encoding, saltField, keyField string,
	minKey uint64) (salt, key []byte, err error) {
	salt, ok := decodeCanonical(enc, saltField)
	if !ok {
		return nil, nil, malformed(scheme, "salt is not canonical base64")
	}
	key, ok = decodeCanonical(enc, keyField)
	if !ok {
		return nil, nil, malformed(scheme, "hash is not canonical base64")
	}
	if n := uint64(len(salt)); !inRange(n, minImportSaltLen, maxSaltLen) {
		return nil, nil, outOfRange(scheme, "salt bytes", n, minImportSaltLen, maxSaltLen)
	}
	if n := uint64(len(key)); !inRange(n, minKey, maxKeyLen) {
		return nil, nil, outOfRange(scheme, "hash bytes", n, minKey, maxKeyLen)
	}
	return salt, key, nil
}

func (h *argon2Hash) scheme() Scheme { return h.variant }

func (h *argon2Hash) memKiB() uint64 { return uint64(h.memoryKiB) }

// derive runs Argon2 (RFC 9106 section 3) with the stored parameters and
// a tag of keyLen bytes.
func (h *argon2Hash) derive(pw []byte, keyLen uint32) []byte {
	if h.variant == SchemeArgon2i {
		return argon2.Key(pw, h.salt, h.iterations, h.memoryKiB, h.parallelism, keyLen)
	}
	return argon2.IDKey(pw, h.salt, h.iterations, h.memoryKiB, h.parallelism, keyLen)
}

func (h *argon2Hash) verify(pw []byte) (bool, error) {
	// #nosec G115 -- the key is at most maxKeyLen (64) bytes: decodeSaltKey checks
	// parsed hashes, Params.Validate new ones.
	return subtle.ConstantTimeCompare(h.derive(pw, uint32(len(h.key))), h.key) == 1, nil
}

// String writes the PHC form with parameters in the order m, t, p.
func (h *argon2Hash) String() string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", h.variant, argon2Version,
		h.memoryKiB, h.iterations, h.parallelism,
		b64Raw.EncodeToString(h.salt), b64Raw.EncodeToString(h.key))
}

// matches reports whether h is Argon2id with exactly the parameters p.
func (h *argon2Hash) matches(p Params) bool {
	// #nosec G115 -- salt and key are at most maxSaltLen and maxKeyLen (64) bytes:
	// decodeSaltKey checks parsed hashes, Params.Validate new ones.
	return h.variant == SchemeArgon2id &&
		h.memoryKiB == p.MemoryKiB &&
		h.iterations == p.Iterations &&
		h.parallelism == p.Parallelism &&
		uint32(len(h.salt)) == p.SaltLen &&
		uint32(len(h.key)) == p.KeyLen
}
