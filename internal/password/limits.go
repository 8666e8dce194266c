package password

import "time"

// Bounds on untrusted input and on the work it can cause, kept together so
// each can be reviewed with its reason. A stored hash is untrusted too: it
// may come from an import file or from a database someone else can write,
// and its parameters decide how much memory and time a verification takes.
// Tests exercise the value at and just past each bound.
const (
	// MaxPasswordBytes caps a password, before and after normalisation, for
	// hashing and for policy checks. It bounds the work an attacker can ask
	// for with one request. Policy.MaxLength is capped at 256 code points,
	// which is at most 1024 bytes of UTF-8, so every password the policy
	// accepts can be hashed.
	MaxPasswordBytes = 1024

	// maxEncodedLen caps a stored hash string before it is parsed. The
	// longest accepted form, Argon2 with a 64-byte salt and a 64-byte tag,
	// is about 210 bytes; Firebase with a 128-byte signer key about 200.
	maxEncodedLen = 512

	// maxMemoryKiB caps the memory one verification may allocate, across
	// Argon2, scrypt and Firebase scrypt: 1 GiB. libsodium's "sensitive"
	// preset uses exactly 1 GiB and nothing in common use asks for more;
	// without a cap a hash string could ask for 4 TiB.
	maxMemoryKiB = 1 << 20

	// maxWorkKiBPasses caps memory times passes (Argon2 m·t, scrypt
	// 128·N·r·p bytes in KiB), which is what sets the time of one
	// verification: 4 GiB·passes, libsodium's "sensitive" Argon2id preset
	// (1 GiB, t=4), a few seconds of one core.
	maxWorkKiBPasses = 4 << 20

	// minArgon2SaltLen is the salt length Params.Validate requires for new
	// hashes: RFC 9106 section 3.1 recommends 16 bytes for password hashing.
	minArgon2SaltLen = 16

	// minArgon2KeyLen is the shortest tag Params.Validate allows for new
	// hashes: 128 bits, so no guess matches a tag by chance. RFC 9106
	// section 4 recommends 256 bits, the default.
	minArgon2KeyLen = 16

	// minImportSaltLen is the shortest salt accepted in any imported hash:
	// RFC 9106 section 3.1 allows salts down to 8 bytes, and no tool we
	// import from writes fewer.
	minImportSaltLen = 8

	// minImportKeyLen is the shortest Argon2 or scrypt output accepted in an
	// imported hash. argon2-cffi and passlib write 16 bytes; a shorter tag
	// would let a wrong password match by chance far more often.
	minImportKeyLen = 16

	// maxSaltLen and maxKeyLen cap salts and outputs of every scheme: 64
	// bytes (512 bits) is more than any tool writes, and longer values add
	// nothing to security.
	maxSaltLen = 64
	maxKeyLen  = 64

	// maxArgon2Iterations caps t. No published preset goes past 10
	// (libsodium's Argon2i "sensitive" uses 8); maxWorkKiBPasses bounds the
	// product with memory anyway.
	maxArgon2Iterations = 64

	// maxArgon2Parallelism caps p. Each lane is a goroutine; more lanes than
	// cores buys nothing, and 16 is twice the largest preset we know (8).
	maxArgon2Parallelism = 16

	// bcryptMinCost and bcryptMaxCost bound the log2 cost. 4 is bcrypt's
	// own minimum. 16 is above what any system we import from uses (12 to
	// 14) and keeps one verification to a few seconds; bcrypt allows 31,
	// which would take days.
	bcryptMinCost = 4
	bcryptMaxCost = 16

	// bcryptMaxPassword is the number of password bytes bcrypt reads; it
	// ignores the rest. Longer passwords never match a bcrypt hash here (see
	// bcrypt.go).
	bcryptMaxPassword = 72

	// scryptMaxLogN, scryptMaxR and scryptMaxP cap scrypt's parameters.
	// N=2^20 with r=8 is already the 1 GiB memory cap; r=32 and p=16 are
	// well past OWASP's r=8, p=1 and every tool default. The memory and
	// work caps above apply to the product as well.
	scryptMaxLogN = 20
	scryptMaxR    = 32
	scryptMaxP    = 16

	// pbkdf2MaxIterations caps PBKDF2 rounds: about 17 times OWASP's
	// 600,000 for HMAC-SHA-256 and 8 times Django's default of the last
	// few years, a few seconds of one core.
	pbkdf2MaxIterations = 10_000_000

	// firebaseMaxMemCost and firebaseMaxRounds cap the project's scrypt
	// settings (Firebase uses mem_cost 14, rounds 8); the memory cap above
	// applies to their product.
	firebaseMaxMemCost = scryptMaxLogN
	firebaseMaxRounds  = scryptMaxR

	// firebaseMinSignerKey and firebaseMaxSignerKey bound the project's
	// signer key, which is also the length of every hash. Firebase's keys
	// are 64 bytes; 16 keeps a hash from being guessable by chance.
	firebaseMinSignerKey = 16
	firebaseMaxSignerKey = 128

	// firebaseMaxSaltSeparator caps the project's salt separator. Firebase
	// uses one byte.
	firebaseMaxSaltSeparator = 16

	// djangoMaxSalt caps a Django salt. Django writes 22 characters (12
	// before 3.1); 64 leaves room for custom salts.
	djangoMaxSalt = 64

	// maxConcurrentKDF caps Config.MaxConcurrent. More simultaneous
	// derivations than this is a misconfiguration, not a tuning choice.
	maxConcurrentKDF = 1024
)

// Bounds of the password policy.
const (
	// policyMinLength is the lowest MinLength a Policy may set: NIST SP
	// 800-63B-4 section 3.1.1.2 and OWASP ASVS 5.0 requirement 6.2.1.
	policyMinLength = 8

	// pciMinLength is the pci-dss profile's minimum: PCI DSS v4.0
	// requirement 8.3.6 asks for at least 12 characters.
	pciMinLength = 12

	// policyMinMaxLength is the lowest MaxLength a Policy may set: NIST SP
	// 800-63B-4 section 3.1.1.2 and ASVS 5.0 requirement 6.2.9 ask that
	// passwords of at least 64 characters be allowed.
	policyMinMaxLength = 64

	// policyMaxMaxLength caps MaxLength so that any accepted password fits
	// in MaxPasswordBytes (a code point is at most 4 bytes of UTF-8).
	policyMaxMaxLength = MaxPasswordBytes / 4

	// defaultMaxLength is the default MaxLength: twice the 64 that NIST
	// asks for, room for passphrases.
	defaultMaxLength = 128

	// minContextPart is the shortest part of an email local part or a name
	// that a password may not contain, in code points. Three letters would
	// reject too much by accident ("ana" is in "banana" and "mañana"); four
	// still catches first names, surnames and most usernames.
	minContextPart = 4

	// maxContextBytes caps Context.Email and Context.Name before they are
	// split; longer values are cut here, they are not the user's secret.
	maxContextBytes = 320
)

// Bounds of the Pwned Passwords client.
const (
	// maxRangeBodyBytes caps a range response. A real one lists about 800
	// to 1,000 suffixes (with padding) of about 40 bytes each, some 40 KB;
	// 512 KiB leaves ten times that and still bounds a hostile server.
	maxRangeBodyBytes = 512 << 10

	// maxRangeCountDigits caps the decimal digits of a count. The most
	// common password appears some tens of millions of times; ten digits
	// is a hundred times that.
	maxRangeCountDigits = 10

	// defaultPwnedTimeout bounds one range request. The check runs while a
	// person waits on a form, and the service normally answers in well
	// under a second.
	defaultPwnedTimeout = 3 * time.Second

	// maxPwnedTimeout caps PwnedConfig.Timeout for the same reason.
	maxPwnedTimeout = 30 * time.Second
)
