// Package accounts is how people get into a marketplace: registration,
// email verification, password login, lockout, password reset and change,
// and account states.
//
// Guarantees:
//   - No account enumeration. Registration, login, resending a verification
//     and asking for a password reset answer alike whether or not the email
//     belongs to an account; login runs a dummy password hash for unknown
//     emails so the answer takes alike time. Failures of every kind (unknown
//     email, wrong password, locked or disabled account) are one error.
//   - Lockout holds across nodes: failures are counted per account and per
//     client IP in shared counters (Redis, or the database), with growing
//     delays from the third failure and a lockout after at most 10 for at
//     least 30 minutes by default (PCI DSS v4.0.1 requirement 8.3.4).
//     Counters are keyed by email whether or not an account exists, so a
//     locked email tells an attacker nothing either.
//   - Secrets sent by mail (verification codes and links, reset links) are
//     single use, expire, and are stored only as MACs under a key derived
//     from the master key; codes allow a few attempts, then are spent.
//   - Passwords are checked against the policy (NIST SP 800-63B, OWASP ASVS
//     5.0 chapter 6) before hashing, hashed with Argon2id, and re-hashed at
//     login when the parameters changed or the hash was imported.
//   - Every change is recorded in the audit log in the same transaction as
//     the change; failed logins are recorded on their own.
//
// The caller must put a rate limit in front of these operations (abuse
// protection does) and must not log the inputs.
package accounts
