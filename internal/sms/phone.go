package sms

import (
	"errors"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Errors of ParseNumber.
var (
	// ErrInvalidNumber is text that is not a valid phone number.
	ErrInvalidNumber = errors.New("sms: not a valid phone number")
	// ErrNotMobile is a valid number that cannot receive text messages,
	// such as a Colombian landline, or one with an extension.
	ErrNotMobile = errors.New("sms: the number cannot receive text messages")
)

// defaultRegion is the country of numbers typed without a country code.
const defaultRegion = "CO"

// ParseNumber reads a phone number as people type it, in national
// Colombian form ("300 123 4567") or international form ("+57 300 123
// 4567", or another country's "+1 ..."), and returns it in E.164
// ("+573001234567"). The number must be valid by the numbering plan's
// metadata and be able to receive text messages: mobile numbers, and
// numbers the plan does not tell apart from landlines (as in North
// America).
//
// It reads numbers by the same rule as accounts.ParsePhone, checked by a
// test, and adds the mobile requirement. It is kept here, rather than
// imported, so that this low-level package does not depend on accounts.
func ParseNumber(s string) (string, error) {
	// 1. Bound the input before the library parses it.
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxNumberInputBytes {
		return "", ErrInvalidNumber
	}

	// 2. Parse and check against the numbering plan.
	n, err := phonenumbers.Parse(s, defaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalidNumber
	}
	if n.GetExtension() != "" {
		return "", ErrNotMobile
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	default:
		return "", ErrNotMobile
	}

	// 3. Format, and check the result has the shape Message requires.
	out := phonenumbers.Format(n, phonenumbers.E164)
	if !isE164(out) {
		return "", ErrInvalidNumber
	}
	return out, nil
}

// MaskNumber shows an E.164 number the way a person recognises their own
// without giving it away: the country code, the first digits of the
// national number and its last two, such as "+57 300 ••• ••67". At least
// four digits are always hidden. Anything that is not an E.164 number
// masks to "•••".
func MaskNumber(e164 string) string {
	if !isE164(e164) {
		return "•••"
	}
	cc, national := splitCountryCode(e164)

	// Show up to 3 leading digits (the operator or area prefix) and the
	// last 2, hiding at least 4.
	const tail = 2
	head := min(3, max(0, len(national)-tail-4))
	hidden := len(national) - head - tail

	var b strings.Builder
	b.WriteString("+" + cc + " ")
	if head > 0 {
		b.WriteString(national[:head] + " ")
	}
	for i := range hidden {
		if i > 0 && i%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteString("•")
	}
	b.WriteString(national[len(national)-tail:])
	return b.String()
}

// splitCountryCode splits an E.164 number into its country code and
// national significant number, by the numbering plan's metadata when it
// knows the number, else taking the first digit as the country code.
func splitCountryCode(e164 string) (cc, national string) {
	if n, err := phonenumbers.Parse(e164, ""); err == nil {
		cc = strconv.Itoa(int(n.GetCountryCode()))
		national = phonenumbers.GetNationalSignificantNumber(n)
		if cc != "0" && "+"+cc+national == e164 {
			return cc, national
		}
	}
	return e164[1:2], e164[2:]
}
