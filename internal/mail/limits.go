package mail

import "time"

// Bounds on what this package accepts, each with the reason it exists. A
// test sits just past each one.
const (
	// MaxAddressBytes: RFC 5321 section 4.5.3.1.3 limits a path to 256
	// octets including the angle brackets, which leaves 254 for the address.
	MaxAddressBytes = 254
	// maxLocalPartBytes: RFC 5321 section 4.5.3.1.1.
	maxLocalPartBytes = 64
	// MaxSubjectRunes: mail clients cut subjects far shorter; a longer one
	// is a template bug or text pasted where a title belongs.
	MaxSubjectRunes = 200
	// MaxBodyBytes caps each part of a message. The templates render a few
	// kilobytes; 256 KiB leaves room for long vendor notices while keeping
	// one message, and one outbox entry, small.
	MaxBodyBytes = 256 << 10
	// MaxLinkBytes: links carry a token in their query; 2048 bytes is more
	// than any cerrojo link needs and what every mail client keeps intact.
	MaxLinkBytes = 2048
	// maxFieldRunes caps names that users choose (a store's name, a
	// passkey's label): they are shown in subjects and must stay readable.
	maxFieldRunes = 100
	// maxReasonRunes caps a reviewer's explanation to a vendor.
	maxReasonRunes = 2000
	// maxParagraphs and maxParagraphRunes cap a generic vendor notice.
	maxParagraphs     = 20
	maxParagraphRunes = 2000
	// maxNoticeRunes caps the text of a Habeas Data notice: an answer to
	// a request, which the API limits to 16 KiB.
	maxNoticeRunes      = 16 << 10
	maxNoticeParagraphs = 100
	// maxSiteNameRunes: the site name appears in every subject.
	maxSiteNameRunes = 60
	// maxLocaleTagBytes: BCP 47 tags in practice stay under 35 bytes
	// (RFC 5646 section 4.4.1); anything longer falls back to es-CO.
	maxLocaleTagBytes = 35
	// maxExpiry: no code or link cerrojo sends stays valid longer than 30
	// days; a longer expiry is a caller's unit mistake.
	maxExpiry = 30 * 24 * time.Hour
	// maxRecoveryCodes: recovery code sets hold 10 to 16 codes.
	maxRecoveryCodes = 100
)

// Bounds on the SMTP settings.
const (
	// minTimeout, maxTimeout: an SMTP exchange needs a few round trips; a
	// second is too little on a slow relay, and more than five minutes
	// holds a caller (often an HTTP request) hostage.
	minTimeout = time.Second
	maxTimeout = 5 * time.Minute
	// maxAttempts: beyond 10 attempts a queue, not a loop in the caller,
	// should keep trying.
	maxAttempts = 10
	// minBackoff, maxBackoff: under 10ms the retries hit the same failure;
	// over a minute the caller is better served by an error.
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Minute
)

// Bounds on the outbox file.
const (
	// minOutboxBytes: one entry of the largest message (two parts of
	// MaxBodyBytes plus headers) must fit in a fresh file.
	minOutboxBytes = 1 << 20
	// maxOutboxBytes: the outbox is for development; a gigabyte of mail
	// is a loop, not a test session. The file and its one rotated copy
	// together never exceed twice this.
	maxOutboxBytes = 1 << 30
)
