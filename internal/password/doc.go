// Package password hashes and verifies passwords and decides which new
// passwords are acceptable.
//
// A Hasher writes Argon2id hashes (RFC 9106) in the PHC string format,
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>
//
// with salt and tag in unpadded standard base64, and verifies those and the
// hashes of users imported from other systems: Argon2i, bcrypt ($2a$, $2b$,
// $2y$), passlib's scrypt and PBKDF2-SHA256/SHA512, Django's
// pbkdf2_sha256, and Firebase Authentication's modified scrypt. Scheme
// documents each string format. Verify tells the caller when to replace a
// stored hash with a new Argon2id one. A Policy checks new passwords for
// length, context words and commonness; a BreachChecker asks the Pwned
// Passwords service.
//
// # Guarantees
//
//   - Constant-time comparison. Every derived key is compared with the
//     stored one by crypto/subtle (x/crypto/bcrypt does the same inside).
//   - Bounded work. Every parameter read from a stored hash (memory,
//     iterations, lanes, cost, rounds, salt and output lengths) is checked
//     against a cap in limits.go before any derivation, so a hash string
//     from an import file or a tampered database cannot make a verification
//     allocate more than 1 GiB or run for more than a few seconds.
//     Passwords over MaxPasswordBytes are refused before hashing.
//   - Bounded concurrency. All key derivations of a Hasher run behind one
//     limiter sized to the CPUs and weighted by memory (limiter.go), so a
//     flood of logins queues instead of exhausting memory, and a queued
//     request whose context ends leaves the queue at once.
//   - No account enumeration by timing. DummyVerify spends the same work as
//     a verification against a current hash, for logins to accounts that do
//     not exist.
//   - Strict parsing. A stored hash is accepted only in its canonical form:
//     every field present, no extra field, numbers without sign or leading
//     zeros, base64 whose re-encoding gives the same text. On error the
//     parsers return nothing; no error text quotes a password, salt or hash.
//   - One normal form. Hash hashes Normalize(pw), the NFKC form that NIST SP
//     800-63B-4 section 3.1.1.2 asks for, and Policy measures the same form.
//
// # Assumptions
//
// The random source (crypto/rand by default) is sound. Stored hashes may be
// read by an attacker: they are salted and slow to guess, not secret. The
// parameters of new hashes come from configuration, checked by
// Params.Validate against OWASP's minimums.
//
// # What the caller must protect
//
// Passwords, in memory and in transit; never log them or put them in
// errors. The Firebase signer key, which turns the exported Firebase hashes
// into something an attacker can guess offline (FirebaseProject prints as
// redacted). The decision to call DummyVerify for unknown users, and to
// treat every error from Verify as a failed login. Rate limiting and
// lockout, which bound online guessing; this package only makes each guess
// slow and its cost bounded. Re-hashing: when Verify reports needsRehash,
// call Hash and store the result.
//
// # Where the rules come from
//
// RFC 9106 for Argon2 and its parameters; the OWASP Password Storage Cheat
// Sheet for the minimum Argon2id settings; RFC 7914 for scrypt; RFC 8018
// for PBKDF2; NIST SP 800-63B-4 section 3.1.1.2 (section 5.1.1.2 of rev 3)
// and OWASP ASVS 5.0 chapter 6 for the password policy; the Pwned
// Passwords API documentation for the range API; the README of Firebase's
// scrypt fork for its algorithm. Each rule cites its source where it is
// implemented.
package password
