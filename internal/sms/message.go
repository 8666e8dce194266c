package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// ErrInvalidMessage is wrapped by the errors of Message.Validate.
var ErrInvalidMessage = errors.New("sms: invalid message")

// ErrDisabled is what Disabled.Send returns: the deployment sends no text
// messages.
var ErrDisabled = errors.New("sms: sending text messages is disabled")

// Message is one text message. Body usually holds a one-time code, so the
// type prints with the body redacted and the number masked.
type Message struct {
	// To is the recipient in E.164 form, such as "+573001234567"; see
	// ParseNumber for what people type.
	To string
	// Body is plain text: no control characters other than line feeds.
	Body string
}

// Validate reports why m cannot be sent, wrapping ErrInvalidMessage.
func (m Message) Validate() error {
	if !isE164(m.To) {
		return fmt.Errorf("%w: the recipient is not an E.164 number", ErrInvalidMessage)
	}
	switch {
	case m.Body == "":
		return fmt.Errorf("%w: the body is empty", ErrInvalidMessage)
	case !utf8.ValidString(m.Body):
		return fmt.Errorf("%w: the body is not UTF-8", ErrInvalidMessage)
	case utf8.RuneCountInString(m.Body) > maxBodyRunes:
		return fmt.Errorf("%w: the body is longer than %d characters", ErrInvalidMessage,
			maxBodyRunes)
	case strings.ContainsFunc(m.Body, isControl):
		return fmt.Errorf("%w: the body contains control characters", ErrInvalidMessage)
	}
	return nil
}

// String implements fmt.Stringer without the body.
func (m Message) String() string {
	return "sms.Message{To: " + MaskNumber(m.To) + ", Body: [redacted]}"
}

// GoString implements fmt.GoStringer without the body.
func (m Message) GoString() string { return m.String() }

// LogValue implements slog.LogValuer without the body.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.String("to", MaskNumber(m.To)))
}

// isControl reports the characters a body may not hold: C0 except line
// feed, DEL and C1. A carriage return is refused too, since gateways
// disagree on whether it starts a line.
func isControl(r rune) bool {
	return r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0
}

// isE164 reports whether s is "+" and 7 to 15 ASCII digits, the first not
// zero (ITU-T E.164: country codes do not start with 0).
func isE164(s string) bool {
	n := len(s) - 1
	if n < minE164Digits || n > maxE164Digits || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Sender delivers text messages.
type Sender interface {
	// Send delivers m or returns why it could not. It validates m first
	// and sends nothing when m is invalid. Send returns once the provider
	// has accepted the message, which is not the same as delivered to the
	// phone.
	Send(ctx context.Context, m Message) error
}

// Disabled is the Sender of deployments that send no text messages.
type Disabled struct{}

// Send returns ErrDisabled.
func (Disabled) Send(context.Context, Message) error { return ErrDisabled }
