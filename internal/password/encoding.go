package password

import (
	"encoding/base64"
	"strconv"
)

// The base64 variants used by the schemes this package reads. Each decoder
// is strict: non-zero padding bits, missing or extra padding, and characters
// outside the alphabet are errors. The standard library still skips CR and
// LF inside the input, so decodeCanonical also re-encodes and compares.
var (
	// b64Raw is the PHC string format's base64: the standard alphabet
	// without padding (PHC string format, "B64" encoding). Argon2 and
	// passlib's scrypt use it.
	b64Raw = base64.RawStdEncoding.Strict()

	// b64Padded is standard base64 with padding, as Django writes its
	// PBKDF2 output and Firebase exports its hashes and salts.
	b64Padded = base64.StdEncoding.Strict()

	// ab64 is passlib's "adapted base64" for its PBKDF2 hashes: the
	// standard alphabet with '.' in place of '+', without padding. passlib
	// also reads '+' when decoding but never writes it; this package reads
	// only what passlib writes.
	ab64 = base64.NewEncoding(
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./",
	).WithPadding(base64.NoPadding).Strict()

	// bcrypt64 is bcrypt's own alphabet, without padding, as OpenBSD's
	// bcrypt(3) writes salts and hashes.
	bcrypt64 = base64.NewEncoding(
		"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	).WithPadding(base64.NoPadding).Strict()
)

// decodeCanonical decodes s and accepts it only if encoding the result
// gives s back, so each byte string has exactly one accepted encoding.
func decodeCanonical(enc *base64.Encoding, s string) ([]byte, bool) {
	b, err := enc.DecodeString(s)
	if err != nil || enc.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// maxDecimalDigits bounds parseDecimal so the value cannot overflow uint64.
const maxDecimalDigits = 19

// parseDecimal parses a canonical unsigned decimal: ASCII digits only, no
// sign, no leading zero unless the number is 0, at most 19 digits.
func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > maxDecimalDigits || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// inRange reports whether lo <= n <= hi.
func inRange(n, lo, hi uint64) bool { return lo <= n && n <= hi }
