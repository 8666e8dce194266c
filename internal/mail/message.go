package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Message is one email to one person: a subject, a plain-text body and,
// optionally, an HTML version of the same content. Headers other than the
// recipient and the subject are the sender's business.
type Message struct {
	// To is one bare address, such as ana@example.co: no display name,
	// no angle brackets, no list.
	To string
	// Subject is one line of text.
	Subject string
	// Text is the plain-text body. It is required: every message can be
	// read without HTML.
	Text string
	// HTML is the optional HTML alternative of Text.
	HTML string
}

// Sender delivers messages. Implementations are safe for concurrent use.
type Sender interface {
	// Send delivers m or returns why it could not. It validates m first
	// and sends nothing when m is invalid.
	Send(ctx context.Context, m Message) error
}

// ErrInvalidMessage is wrapped by every error that Message.Validate and
// CheckAddress return.
var ErrInvalidMessage = errors.New("invalid message")

// Validate checks that m can be sent as it is: a well-formed recipient, a
// subject on one line, bodies of valid UTF-8 within the size caps, and no
// control characters that could start a new header or hide text.
func (m Message) Validate() error {
	if err := CheckAddress(m.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	if err := checkSubject(m.Subject); err != nil {
		return err
	}
	if m.Text == "" {
		return fmt.Errorf("%w: the text body is empty", ErrInvalidMessage)
	}
	if err := checkBody("text body", m.Text); err != nil {
		return err
	}
	if err := checkBody("HTML body", m.HTML); err != nil {
		return err
	}
	return nil
}

// CheckAddress accepts one bare email address (local@domain) and refuses
// anything a header could be built from besides it: display names, angle
// brackets, lists, comments, quoted local parts, domain literals, spaces
// and control characters (CR and LF above all). RFC 6532 addresses (UTF-8
// local parts) are accepted; whether they can be delivered is the mail
// server's to say.
func CheckAddress(addr string) error {
	switch {
	case addr == "":
		return fmt.Errorf("%w: the address is empty", ErrInvalidMessage)
	case len(addr) > MaxAddressBytes:
		return fmt.Errorf("%w: the address is longer than %d bytes", ErrInvalidMessage,
			MaxAddressBytes)
	case !utf8.ValidString(addr):
		return fmt.Errorf("%w: the address is not valid UTF-8", ErrInvalidMessage)
	case strings.ContainsFunc(addr, forbiddenInAddress):
		return fmt.Errorf("%w: the address contains a space, a control character, a quote, "+
			"brackets or a list separator", ErrInvalidMessage)
	}

	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return fmt.Errorf("%w: the address must have the form name@domain", ErrInvalidMessage)
	}
	if len(local) > maxLocalPartBytes {
		return fmt.Errorf("%w: the part before @ is longer than %d bytes", ErrInvalidMessage,
			maxLocalPartBytes)
	}

	// net/mail applies RFC 5322's grammar; requiring its result to be the
	// input itself refuses every form that it would have rewritten.
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr {
		return fmt.Errorf("%w: the address is not a valid RFC 5322 address", ErrInvalidMessage)
	}
	return nil
}

// forbiddenInAddress reports characters that a bare address never needs
// and that header injection or display tricks rely on.
func forbiddenInAddress(r rune) bool {
	switch r {
	case '"', '<', '>', '(', ')', ',', ';', ':', '[', ']', '\\':
		return true
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || isBidiControl(r)
}

func checkSubject(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: the subject is empty", ErrInvalidMessage)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%w: the subject starts or ends with a space", ErrInvalidMessage)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: the subject is not valid UTF-8", ErrInvalidMessage)
	case strings.ContainsAny(s, "\r\n"):
		return fmt.Errorf("%w: the subject contains a line break", ErrInvalidMessage)
	case strings.ContainsFunc(s, isControlOrBidi):
		return fmt.Errorf("%w: the subject contains a control character", ErrInvalidMessage)
	case utf8.RuneCountInString(s) > MaxSubjectRunes:
		return fmt.Errorf("%w: the subject is longer than %d characters", ErrInvalidMessage,
			MaxSubjectRunes)
	}
	return nil
}

// checkBody accepts text with LF line endings and tabs; any other control
// character, a CR included, is refused so that every sender writes the
// same bytes and nothing invisible reaches the reader.
func checkBody(what, s string) error {
	switch {
	case len(s) > MaxBodyBytes:
		return fmt.Errorf("%w: the %s is larger than %d bytes", ErrInvalidMessage, what,
			MaxBodyBytes)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: the %s is not valid UTF-8", ErrInvalidMessage, what)
	case strings.ContainsFunc(s, func(r rune) bool {
		return r != '\n' && r != '\t' && unicode.IsControl(r)
	}):
		return fmt.Errorf("%w: the %s contains a control character other than "+
			"newline and tab", ErrInvalidMessage, what)
	}
	return nil
}

// isBidiControl reports the Unicode bidirectional controls (the embedding,
// override and isolate characters), which can make text read differently
// from what it is, as in "Trojan Source".
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// isControlOrBidi reports characters that one line of human text never
// needs: control characters (CR and LF among them) and bidi controls.
func isControlOrBidi(r rune) bool { return unicode.IsControl(r) || isBidiControl(r) }
