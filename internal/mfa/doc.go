// Package mfa keeps people's second factors of three kinds, TOTP, codes
// by text message or email (out-of-band factors), and recovery codes, and
// checks the codes they type. It has no HTTP handlers and does not decide
// when a second factor is asked for: login, step-up and the routes are
// built on top of it. Passkeys are package passkeys.
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
//   - Text and email codes are 6 random digits, drawn uniformly, valid
//     for at most 10 minutes (Config.CodeTTL; NIST SP 800-63B section
//     5.1.3.2). A factor has one live code, replaced by each send. Only
//     an HMAC of a code is stored, under the key ring's MAC key and bound
//     to its factor and person; a master-key rotation invalidates codes
//     on their way, which live minutes at most.
//   - A code is tried at most 3 times, each try counted before the code
//     is compared, and is spent with a conditional update: of two
//     requests carrying it at the same moment exactly one passes, on
//     SQLite and PostgreSQL, across nodes. Expired, spent, replaced and
//     exhausted codes are refused like wrong ones.
//   - A factor gets at most one code per 30 seconds and a person at most
//     5 codes an hour, enrolments included, counted in the database every
//     node shares, so cerrojo cannot be made to send texts without limit
//     (toll fraud, SMS pumping) or flood someone's phone or mailbox.
//   - The phone number or address of an out-of-band factor is stored only
//     sealed with the key ring, bound to its row like TOTP seeds;
//     listings show a masked hint ("+57 300 ••• ••67", "a•••@ejemplo.co").
//     A text factor starts pending and becomes active only when its first
//     code comes back, which proves the number reaches the person. An
//     email factor sends only to the account's verified address, and
//     stops when the account's address is no longer the one enrolled.
//   - Codes by text message can be switched off (Config.SMSCodes), and
//     can be kept for people who also hold an authenticator app or a
//     passkey (Config.SMSRequiresStrongFactor, OWASP ASVS 5.0 6.6.1);
//     codes by email likewise (Config.EmailCodes). The policy is checked
//     at enrolment, at each send and at each verification.
//   - Codes are sent synchronously, so a failure reaches the caller
//     (ErrDelivery), and are never logged or audited.
//   - Wrong codes, of every kind together, are limited per person (5 in
//     a 15-minute window by default) in counters every node shares; past
//     the limit no code is checked until the window ends.
//   - Codes and recovery-code hashes are compared in constant time, and
//     every stored candidate is compared, so timing does not tell which
//     one matched.
//   - Every change is in the audit log in the same transaction as the
//     change, every code sent too; refused codes, refused enrolments and
//     sends, and failed deliveries are recorded on their own. No code,
//     seed, phone number or address is ever written to the log or
//     returned by a listing.
//
// Assumptions: the key ring's master key is protected (see package
// keyring); the server's clock is right to within a few seconds (NTP);
// the users table of package accounts exists, with each account's email
// address, whether it is verified, and its locale; the text-message
// provider (package sms) and the email sender deliver what they accept.
//
// Accepted risk: with the default limit, an attacker who already has the
// password and guesses without stopping has about 1.4e-3 chances per day
// of passing for each active factor (three steps tested per guess, 480
// guesses a day). The cap on factors bounds the multiplier; the caller's
// account lockout is what makes it negligible. A guess at a text or email
// code, drawn from the same limit, has one chance in a million; with at
// most 120 codes a day, each tried 3 times, that is about 3.6e-4 a day.
//
// Accepted risk: a text message is only as safe as the phone number.
// Whoever takes it over (SIM swap, number port, SS7 interception) reads
// the codes. That is why text codes can be limited to people who also
// hold a stronger factor, and cerrojo's default configuration does so. An email
// code is only as safe as the mailbox; the caller must not offer email
// codes as the second factor of an account recovery that mails a link to
// the same mailbox.
//
// The caller must:
//   - ask for a code at login only after the password, for people for
//     whom HasActiveFactor is true, and at step-up;
//   - count ErrInvalidCode toward account lockout (package accounts), on
//     top of this package's own limit;
//   - require a recent authentication (with a factor, when the person has
//     one) before EnrollTOTP, EnrollSMS, EnrollEmail, RemoveFactor,
//     GenerateRecoveryCodes and DeleteRecoveryCodes;
//   - call SendCode only for a person who passed the password (or holds
//     a session), and answer a *ThrottledError with its RetryAfter;
//   - show Enrollment and recovery codes once, over TLS, with no caching,
//     and never log them;
//   - implement Notifier, so people hear of changes they did not make, and
//     call Wait at shutdown.
package mfa
