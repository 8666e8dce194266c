package password

import (
	"crypto/subtle"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// scryptHash is a parsed passlib scrypt hash.
type scryptHash struct {
	logN uint64 // N = 2^logN
	r    uint64
	p    uint64
	salt []byte
	key  []byte
}

// parseScrypt parses passlib's "$scrypt$ln=L,r=R,p=P$salt$hash" with salt
// and hash in unpadded standard base64. passlib fixes the order ln, r, p and
// so does this parser. Its other scrypt form, "$7$" (the one libsodium and
// yescrypt write), is not read.
func parseScrypt(s string) (*scryptHash, error) {
	fields, err := splitFields(s, "$scrypt$", 3, SchemeScrypt)
	if err != nil {
		return nil, err
	}

	// 1. Parameters, in passlib's order.
	params := strings.Split(fields[0], ",")
	if len(params) != 3 {
		return nil, malformed(SchemeScrypt, "want exactly the parameters ln, r and p")
	}
	var vals [3]uint64
	for i, name := range []string{"ln=", "r=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return nil, malformed(SchemeScrypt, "want parameters ln, r, p in that order")
		}
		if vals[i], ok = parseDecimal(v); !ok {
			return nil, malformed(SchemeScrypt, "parameter is not a canonical number")
		}
	}
	logN, r, p := vals[0], vals[1], vals[2]
	if err := checkScryptCost(SchemeScrypt, logN, r, p); err != nil {
		return nil, err
	}

	// 2. Salt and hash.
	salt, key, err := decodeSaltKey(SchemeScrypt, b64Raw, fields[1], fields[2], minImportKeyLen)
	if err != nil {
		return nil, err
	}

	return &scryptHash{logN: logN, r: r, p: p, salt: salt, key: key}, nil
}

// checkScryptCost bounds N, r and p each and scrypt's memory (128·N·r bytes,
// RFC 7914 section 6) and work (that times p).
func checkScryptCost(scheme Scheme, logN, r, p uint64) error {
	if !inRange(logN, 1, scryptMaxLogN) {
		return outOfRange(scheme, "log2 N", logN, 1, scryptMaxLogN)
	}
	if !inRange(r, 1, scryptMaxR) {
		return outOfRange(scheme, "r", r, 1, scryptMaxR)
	}
	if !inRange(p, 1, scryptMaxP) {
		return outOfRange(scheme, "p", p, 1, scryptMaxP)
	}
	if mem := scryptMemoryKiB(logN, r); mem > maxMemoryKiB {
		return outOfRange(scheme, "memory KiB", mem, 1, maxMemoryKiB)
	}
	if work := scryptMemoryKiB(logN, r) * p; work > maxWorkKiBPasses {
		return outOfRange(scheme, "memory KiB times p", work, 1, maxWorkKiBPasses)
	}
	return nil
}

// scryptMemoryKiB is 128·N·r bytes in KiB. The callers have bounded logN
// and r, so it cannot overflow.
func scryptMemoryKiB(logN, r uint64) uint64 { return (128 << logN) * r / 1024 }

func (h *scryptHash) scheme() Scheme { return SchemeScrypt }

func (h *scryptHash) memKiB() uint64 { return scryptMemoryKiB(h.logN, h.r) }

func (h *scryptHash) verify(pw []byte) (bool, error) {
	// #nosec G115 -- checkScryptCost caps r at scryptMaxR (32) and p at scryptMaxP (16).
	dk, err := scrypt.Key(pw, h.salt, 1<<h.logN, int(h.r), int(h.p), len(h.key))
	if err != nil {
		return false, fmt.Errorf("verify scrypt: %w", err)
	}
	return subtle.ConstantTimeCompare(dk, h.key) == 1, nil
}

func (h *scryptHash) String() string {
	return fmt.Sprintf("$scrypt$ln=%d,r=%d,p=%d$%s$%s", h.logN, h.r, h.p,
		b64Raw.EncodeToString(h.salt), b64Raw.EncodeToString(h.key))
}
