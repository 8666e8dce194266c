package sms

import "time"

// Bounds on what this package accepts, each with the reason it exists. A
// test sits just past each one.
const (
	// maxBodyRunes: three concatenated segments of GSM 03.38 text (153
	// characters each). A code message fits in one; anything near this is
	// a bug, and every extra segment is billed.
	maxBodyRunes = 459
	// maxNumberInputBytes caps a typed phone number: E.164 has at most 15
	// digits, and people add spaces, dashes, parentheses and a prefix.
	maxNumberInputBytes = 32
	// minE164Digits, maxE164Digits: ITU-T E.164 allows at most 15 digits
	// with the country code; no country's numbers are shorter than 7.
	minE164Digits = 7
	maxE164Digits = 15
	// maxSenderIDBytes: an alphanumeric sender id is at most 11 characters
	// (3GPP TS 23.040, TP-Originating-Address); a number sender is an
	// E.164 number.
	maxSenderIDBytes = 11
	// maxCredentialBytes caps a token, user name or password: gateways
	// issue tokens of a few hundred bytes; longer values are a paste error.
	maxCredentialBytes = 4096
	// maxURLBytes: more than any gateway endpoint needs.
	maxURLBytes = 2048
)

// Bounds on the HTTP sender.
const (
	// minTimeout, maxTimeout bound one attempt. Under a second a TLS
	// handshake on a slow network fails; over a minute holds the person's
	// request for longer than they will wait for a code.
	minTimeout     = time.Second
	maxTimeout     = time.Minute
	defaultTimeout = 10 * time.Second
	// maxAttempts: beyond 10 a queue, not the request waiting for a code,
	// should keep trying.
	maxAttempts     = 10
	defaultAttempts = 3
	// minBackoff, maxBackoff bound the wait before the second attempt; it
	// doubles before each later one. Under 10ms the retry meets the same
	// failure; over 10s the person has given up.
	minBackoff     = 10 * time.Millisecond
	maxBackoff     = 10 * time.Second
	defaultBackoff = 500 * time.Millisecond
	// maxRetryAfter: a gateway that asks for a longer pause (Retry-After)
	// gets none from us; the send fails at once so the person can be told.
	maxRetryAfter = 10 * time.Second
	// maxResponseBytes caps what is read of a gateway's answer: enough for
	// any error document; the rest is discarded.
	maxResponseBytes = 4 << 10
	// maxErrorSnippetBytes caps how much of an error answer goes into the
	// error text, which callers log.
	maxErrorSnippetBytes = 128
	// maxVisibleDigits: runs of this many digits or more are hidden in
	// error text. A code has 6 digits and a phone number more; gateway
	// error numbers (such as 21211) are shorter and stay readable.
	maxVisibleDigits = 6
)

// Bounds on the outbox file.
const (
	// minOutboxBytes: a few entries must fit before the file rotates.
	minOutboxBytes = 1 << 10
	// maxOutboxBytes: the outbox is for development; a gigabyte of text
	// messages is a loop, not a test session. The file and its one rotated
	// copy together never exceed about twice this.
	maxOutboxBytes     = 1 << 30
	defaultOutboxBytes = 10 << 20
)
