package mfa

import "time"

// Bounds of out-of-band codes (text message and email), each with its
// reason. They sit beside limits.go, which holds the TOTP and recovery
// bounds.
const (
	// OOBCodeDigits is the length of an emailed or texted code: the same
	// as a TOTP code, so people type both alike and one parser reads both.
	OOBCodeDigits = TOTPDigits
	// defaultCodeTTL and maxCodeTTL: NIST SP 800-63B section 5.1.3.2 has
	// an out-of-band secret accepted for at most 10 minutes; the issue
	// asks the same. minCodeTTL leaves time for a slow SMS to arrive.
	defaultCodeTTL = 10 * time.Minute
	maxCodeTTL     = 10 * time.Minute
	minCodeTTL     = time.Minute
	// maxCodeTries is how many times one code may be tried, right or
	// wrong; after that it is dead and a new one must be sent. With the
	// per-person limit this caps guesses per code at 3 in a million.
	maxCodeTries = 3
	// sendCooldown is the least time between two codes to one factor: a
	// text can take that long to arrive, and a person pressing "send
	// again" should not pay for, or invalidate, one still on its way.
	sendCooldown = 30 * time.Second
	// maxSends codes, enrolments included, may be sent to one person in
	// sendWindow. Each text costs money and can be aimed at someone
	// else's phone (SMS pumping); five an hour covers a person who
	// mistypes a number and asks again.
	maxSends   = 5
	sendWindow = time.Hour
	// maxSMSFactors caps a person's active text-message factors: a phone
	// and a spare. maxEmailFactors is one, since the only address a code
	// goes to is the account's own.
	maxSMSFactors   = 3
	maxEmailFactors = 1
)
