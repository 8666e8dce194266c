package accounts

import "time"

// Bounds on what a client sends and on how often, each with its reason.
const (
	// maxEmailBytes: RFC 5321 section 4.5.3.1.3 limits a path to 256
	// octets including the angle brackets, so an address has at most 254.
	maxEmailBytes = 254
	// maxLocalPartBytes: RFC 5321 section 4.5.3.1.1.
	maxLocalPartBytes = 64
	// maxNameRunes: long enough for any real full name (Colombian names often
	// have two given names and two surnames), short enough to keep emails
	// and lists readable.
	maxNameRunes = 200
	// maxPhoneBytes: E.164 numbers have at most 15 digits; people add
	// spaces, dashes and a prefix.
	maxPhoneBytes = 32

	// verificationCodeTTL: long enough to switch to a mail app on a slow
	// connection, short enough that a leaked inbox backup is stale.
	verificationCodeTTL = 30 * time.Minute
	// VerificationCodeTTL is how long a verification code or link works.
	VerificationCodeTTL = verificationCodeTTL
	// maxCodeAttempts: a 6-digit code guessed at most 5 times has a 1 in
	// 200,000 chance; then the code is spent and a new one must be sent.
	maxCodeAttempts = 5
	// resendInterval: one new verification message per minute and person,
	// so the resend button cannot be used to flood an inbox.
	resendInterval = time.Minute

	// resetTokenTTL: the issue asks 15 minutes for password-reset links.
	resetTokenTTL = 15 * time.Minute
	// ResetTokenTTL is how long a password-reset link works.
	ResetTokenTTL = resetTokenTTL
)
