package password

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// bcrypt's fixed layout: "$2b$" (4), two cost digits, '$', 22 characters of
// salt (16 bytes) and 31 of hash (23 bytes).
const (
	bcryptEncodedLen = 60
	bcryptSaltChars  = 22
	bcryptSaltBytes  = 16
	bcryptHashBytes  = 23
)

// bcryptHash is a parsed bcrypt hash.
//
// NOTE: bcrypt reads only the first 72 bytes of a password. Systems that
// imported users come from truncated silently, so a user whose old password
// was longer logged in with any string sharing its first 72 bytes. Here a
// password over 72 bytes never matches a bcrypt hash: OWASP ASVS 5.0
// requirement 6.2.8 asks that the password be verified exactly as received.
// Such a user (rare: 72 bytes is a long passphrase) must reset their
// password; that cost is accepted on purpose.
type bcryptHash struct {
	minor byte // 'a', 'b' or 'y'
	cost  uint64
	salt  []byte
	hash  []byte
}

// parseBcrypt parses "$2a$", "$2b$" and "$2y$" hashes. The three differ only
// in which bugs of old implementations they rule out; for passwords written
// by a correct implementation they compute the same function, and
// x/crypto/bcrypt computes that function for all three. "$2x$" (the hashes
// PHP marked as made by its buggy pre-5.3.7 code) and "$2$" are not read.
func parseBcrypt(s string) (*bcryptHash, error) {
	if len(s) < 4 || s[0] != '$' || s[1] != '2' || s[3] != '$' {
		return nil, ErrUnknownScheme
	}
	minor := s[2]
	if minor != 'a' && minor != 'b' && minor != 'y' {
		return nil, ErrUnknownScheme
	}
	if len(s) != bcryptEncodedLen || s[6] != '$' {
		return nil, malformed(SchemeBcrypt, "wrong length or layout")
	}

	// The cost is always two digits, zero-padded.
	digits := s[4:6]
	if digits[0] < '0' || digits[0] > '9' || digits[1] < '0' || digits[1] > '9' {
		return nil, malformed(SchemeBcrypt, "cost is not two digits")
	}
	cost := uint64(digits[0]-'0')*10 + uint64(digits[1]-'0')
	if !inRange(cost, bcryptMinCost, bcryptMaxCost) {
		return nil, outOfRange(SchemeBcrypt, "cost", cost, bcryptMinCost, bcryptMaxCost)
	}

	salt, ok := decodeCanonical(bcrypt64, s[7:7+bcryptSaltChars])
	if !ok || len(salt) != bcryptSaltBytes {
		return nil, malformed(SchemeBcrypt, "salt is not canonical bcrypt base64")
	}
	hash, ok := decodeCanonical(bcrypt64, s[7+bcryptSaltChars:])
	if !ok || len(hash) != bcryptHashBytes {
		return nil, malformed(SchemeBcrypt, "hash is not canonical bcrypt base64")
	}

	return &bcryptHash{minor: minor, cost: cost, salt: salt, hash: hash}, nil
}

func (h *bcryptHash) scheme() Scheme { return SchemeBcrypt }

// memKiB is zero: bcrypt's state is about 4 KiB whatever the cost.
func (h *bcryptHash) memKiB() uint64 { return 0 }

// verify runs x/crypto/bcrypt, which compares in constant time.
func (h *bcryptHash) verify(pw []byte) (bool, error) {
	if len(pw) > bcryptMaxPassword {
		return false, nil
	}
	err := bcrypt.CompareHashAndPassword([]byte(h.String()), pw)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("verify bcrypt: %w", err)
	}
}

// String writes the hash back in its original variant.
func (h *bcryptHash) String() string {
	return fmt.Sprintf("$2%c$%02d$%s%s", h.minor, h.cost,
		bcrypt64.EncodeToString(h.salt), bcrypt64.EncodeToString(h.hash))
}
