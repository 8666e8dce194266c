// Package mfa keeps people's TOTP factors and recovery codes and checks
// the codes they type. It has no HTTP handlers and does not decide when a
// second factor is asked for: login, step-up and the routes are built on
// top of it.
//
// Guarantees:
//   - TOTP follows RFC 6238 with the parameters every authenticator app
//     supports: HMAC-SHA-1, 6 digits, a 30-second step, T0 = 0. Seeds are
//     160 random bits (RFC 4226 section 4, R6) and are handed over once,
//     as base32, an otpauth:// key URI and its QR code.
//   - Seeds are stored only sealed with the key ring (AES-256-GCM), bound
//     to their factor and person, so a copy of the database reveals none
//     and a sealed seed moved to another row does not open.
//   - A factor is pending until a first right code from it activates it;
//     pending factors pass no verification and expire.
//   - One step of clock skew either way is accepted (RFC 6238 section
//     5.2). A code whose step is not after the last one accepted for its
//     factor is refused, and the step is recorded with a conditional
//     update, so a code works once even when two requests carry it at the
//     same moment, on SQLite and on PostgreSQL, across nodes.
//   - Recovery codes are 10 per set, 50 random bits each, single use,
//     shown once and stored only as salted hashes sealed with the key
//     ring (see recovery.go for why not a MAC or a slow hash). A new set
//     replaces the old one whole.
//   - Wrong codes, TOTP and recovery together, are limited per person
//     (5 in a 15-minute window by default) in counters every node shares;
//     past the limit no code is checked until the window ends.
//   - Codes and recovery-code hashes are compared in constant time, and
//     every stored candidate is compared, so timing does not tell which
//     one matched.
//   - Every change is in the audit log in the same transaction as the
//     change; refused codes are recorded on their own. No code or seed is
//     ever written to the log or returned by a listing.
//
// Assumptions: the key ring's master key is protected (see package
// keyring); the server's clock is right to within a few seconds (NTP);
// the users table of package accounts exists.
//
// Accepted risk: with the default limit, an attacker who already has the
// password and guesses without stopping has about 1.4e-3 chances per day
// of passing for each active factor (three steps tested per guess, 480
// guesses a day). The cap on factors bounds the multiplier; the caller's
// account lockout is what makes it negligible.
//
// The caller must:
//   - ask for a code at login only after the password, for people for
//     whom HasActiveFactor is true, and at step-up;
//   - count ErrInvalidCode toward account lockout (package accounts), on
//     top of this package's own limit;
//   - require a recent authentication (with a factor, when the person has
//     one) before EnrollTOTP, RemoveFactor, GenerateRecoveryCodes and
//     DeleteRecoveryCodes;
//   - show Enrollment and recovery codes once, over TLS, with no caching,
//     and never log them;
//   - implement Notifier, so people hear of changes they did not make, and
//     call Wait at shutdown.
package mfa
