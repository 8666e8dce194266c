package password

import "strings"

// Scheme names a password-hashing scheme and its string format.
type Scheme string

// The schemes this package verifies. Only SchemeArgon2id is ever written;
// the others are read so that users imported from other systems can log in
// once and be re-hashed.
const (
	// SchemeArgon2id is "$argon2id$v=19$m=..,t=..,p=..$salt$tag" in the PHC
	// string format (RFC 9106, PHC string format specification).
	SchemeArgon2id Scheme = "argon2id"

	// SchemeArgon2i is the same format with "$argon2i$".
	SchemeArgon2i Scheme = "argon2i"

	// SchemeBcrypt is "$2a$", "$2b$" or "$2y$", a two-digit cost, and 53
	// characters of salt and hash in bcrypt's base64 (OpenBSD bcrypt(3),
	// PHP password_hash, htpasswd -B).
	SchemeBcrypt Scheme = "bcrypt"

	// SchemeScrypt is passlib's "$scrypt$ln=..,r=..,p=..$salt$hash", salt
	// and hash in unpadded standard base64 (RFC 7914 for scrypt itself).
	SchemeScrypt Scheme = "scrypt"

	// SchemePBKDF2SHA256 is passlib's "$pbkdf2-sha256$rounds$salt$hash",
	// salt and hash in passlib's "ab64" base64 (RFC 8018 section 5.2 for
	// PBKDF2 itself).
	SchemePBKDF2SHA256 Scheme = "pbkdf2-sha256"

	// SchemePBKDF2SHA512 is the same with "$pbkdf2-sha512$".
	SchemePBKDF2SHA512 Scheme = "pbkdf2-sha512"

	// SchemeDjangoPBKDF2SHA256 is Django's "pbkdf2_sha256$iterations$salt$
	// hash", an alphanumeric salt used as is and the hash in padded
	// standard base64.
	SchemeDjangoPBKDF2SHA256 Scheme = "django-pbkdf2-sha256"

	// SchemeFirebaseScrypt is "$firebase-scrypt$salt$hash", this package's
	// own wrapper around a Firebase Authentication export; see
	// FirebaseImport.
	SchemeFirebaseScrypt Scheme = "firebase-scrypt"
)

// storedHash is one parsed hash string of any scheme. Parsers return nil on
// error, never a partly filled value.
type storedHash interface {
	// scheme names the format.
	scheme() Scheme

	// memKiB is what one verification allocates, for the limiter.
	memKiB() uint64

	// verify derives from pw and compares with the stored value in
	// constant time.
	verify(pw []byte) (bool, error)

	// String is the canonical encoding; parsing it gives an equal value.
	String() string
}

// parseEncoded picks the scheme from the prefix and parses strictly. The
// Firebase project is needed to check a Firebase hash's length; fb may be
// nil when none is configured.
func parseEncoded(s string, fb *FirebaseProject) (storedHash, error) {
	if len(s) > maxEncodedLen {
		return nil, malformed("hash", "longer than the longest accepted form")
	}

	var (
		h   storedHash
		err error
	)
	switch {
	case strings.HasPrefix(s, "$argon2id$"), strings.HasPrefix(s, "$argon2i$"):
		h, err = parseArgon2(s)
	case strings.HasPrefix(s, "$2"):
		h, err = parseBcrypt(s)
	case strings.HasPrefix(s, "$scrypt$"):
		h, err = parseScrypt(s)
	case strings.HasPrefix(s, "$pbkdf2-sha256$"), strings.HasPrefix(s, "$pbkdf2-sha512$"):
		h, err = parsePBKDF2(s)
	case strings.HasPrefix(s, "pbkdf2_sha256$"):
		h, err = parseDjango(s)
	case strings.HasPrefix(s, "$firebase-scrypt$"):
		h, err = parseFirebase(s, fb)
	default:
		return nil, ErrUnknownScheme
	}
	if err != nil {
		return nil, err
	}
	return h, nil
}

// splitFields splits s after prefix at every '$' and insists on exactly n
// non-empty fields.
func splitFields(s, prefix string, n int, scheme Scheme) ([]string, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, ErrUnknownScheme
	}
	fields := strings.Split(rest, "$")
	if len(fields) != n {
		return nil, malformed(scheme, "wrong number of fields")
	}
	for _, f := range fields {
		if f == "" {
			return nil, malformed(scheme, "empty field")
		}
	}
	return fields, nil
}
