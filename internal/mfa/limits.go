package mfa

import "time"

// The TOTP parameters, fixed for every factor (RFC 6238 section 4 and the
// defaults of section 5). Every common authenticator app supports exactly
// these; offering others would only make enrolment fail on some phones.
const (
	// TOTPDigits is the length of a code.
	TOTPDigits = 6
	// TOTPPeriod is the time step X.
	TOTPPeriod = 30 * time.Second
	// totpSkew is how many steps either side of the current one are
	// accepted: RFC 6238 section 5.2 recommends at most one, to allow for
	// a phone's clock drift and the time the person takes to type.
	totpSkew = 1
	// seedBytes: RFC 4226 section 4, requirement R6, recommends a shared
	// secret of 160 bits, the output size of HMAC-SHA-1.
	seedBytes = 20
)

// Recovery codes.
const (
	// RecoveryCodeCount is how many codes one set holds: enough for years
	// of lost phones, few enough to print on one line each.
	RecoveryCodeCount = 10
	// recoveryCodeLen is the number of symbols of a code; each symbol
	// carries 5 bits, so a code has 50 bits of entropy. Guessing is also
	// capped by the rate limit, so 50 bits leaves a margin of many orders
	// of magnitude while staying short enough to type from paper.
	recoveryCodeLen = 10
	// recoverySaltBytes: 128 bits, so no two stored codes share a salt.
	recoverySaltBytes = 16
)

// Bounds on what a client sends, each checked before any crypto or
// storage.
const (
	// maxCodeInputBytes caps a typed TOTP code: six digits and the spaces
	// some apps show between groups, with room for stray ones.
	maxCodeInputBytes = 32
	// maxRecoveryInputBytes caps a typed recovery code: ten symbols with
	// dashes and spaces, with room for stray ones.
	maxRecoveryInputBytes = 64
	// maxNameRunes caps a factor's display name ("Phone", "Work tablet"):
	// long enough for any label, short enough to fit a settings page.
	maxNameRunes = 64
	// maxAccountBytes caps the account label written into the otpauth URI.
	// An email address is at most 254 bytes (RFC 5321); longer labels make
	// the QR code too dense for some phone cameras.
	maxAccountBytes = 254
	// maxIssuerBytes caps the issuer for the same reason.
	maxIssuerBytes = 64
)

// Defaults of Config, each with its reason.
const (
	// defaultMaxFailures and defaultFailureWindow: each guess at a TOTP
	// code tests three time steps, so five guesses per 15 minutes give an
	// attacker who already has the password about 1.4e-3 chances per day
	// and factor; the caller's account lockout must cut that further.
	defaultMaxFailures   = 5
	defaultFailureWindow = 15 * time.Minute
	// defaultMaxTOTPFactors: each active factor is one more code that a
	// guess can match, so their number is capped. Five covers a phone, a
	// tablet, a password manager and spares.
	defaultMaxTOTPFactors = 5
	// defaultEnrollmentTTL: long enough to install an app and scan the
	// code, short enough that an abandoned QR code on a shared screen
	// cannot be activated later.
	defaultEnrollmentTTL = 30 * time.Minute
)
