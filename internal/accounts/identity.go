package accounts

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Email is an address as the person typed it, with the form used to decide
// whether two addresses are the same account.
type Email struct {
	// Address is what the person typed, trimmed of surrounding spaces. It is
	// what cerrojo shows and writes to.
	Address string
	// Normalized decides uniqueness: NFKC-normalised and lower-cased, with
	// the domain in its ASCII (punycode) form, so that "Ana@Ejemplo.co",
	// "ana@ejemplo.co" and a fullwidth look-alike are one account.
	Normalized string
}

// Errors for identity fields. Their text is written for clients.
var (
	ErrEmailInvalid = errors.New("the email address is not valid")
	ErrPhoneInvalid = errors.New("the phone number is not valid")
	ErrNameInvalid  = errors.New("the name is required and may not contain control characters")
)

// ParseEmail checks an address and computes its normalised form. It accepts
// the addresses people use (dot-atom local parts, internationalised local
// parts and domains) and refuses quoted local parts, IP-literal domains and
// anything over the RFC 5321 length limits: those are valid in theory, used
// by no one who shops online, and a common source of parser confusion.
func ParseEmail(s string) (Email, error) {
	addr := strings.TrimSpace(s)
	if addr == "" || len(addr) > maxEmailBytes || !utf8.ValidString(addr) {
		return Email{}, ErrEmailInvalid
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.Count(addr, "@") != 1 {
		return Email{}, ErrEmailInvalid
	}
	local, domain := addr[:at], addr[at+1:]
	if len(local) > maxLocalPartBytes || !validLocal(local) {
		return Email{}, ErrEmailInvalid
	}

	asciiDomain, err := idna.Lookup.ToASCII(domain)
	if err != nil || !validDomain(asciiDomain) {
		return Email{}, ErrEmailInvalid
	}

	normLocal := strings.ToLower(norm.NFKC.String(local))
	if !validLocal(normLocal) {
		return Email{}, ErrEmailInvalid
	}
	return Email{Address: addr, Normalized: normLocal + "@" + strings.ToLower(asciiDomain)}, nil
}

// validLocal accepts a dot-atom (RFC 5322 section 3.2.3) whose atoms may
// also hold non-ASCII letters (RFC 6531).
func validLocal(local string) bool {
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' ||
		strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r):
		case r > 0x7f && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
		default:
			return false
		}
	}
	return true
}

// validDomain accepts a host name with at least two labels, each 1-63
// letters, digits or hyphens, not starting or ending with a hyphen.
func validDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// A top-level domain is never all digits; this also refuses bare IPs.
	tld := labels[len(labels)-1]
	return strings.TrimFunc(tld, func(r rune) bool { return r >= '0' && r <= '9' }) != ""
}

// ParsePhone parses a phone number written in national Colombian form
// ("300 123 4567") or international form ("+57 300 123 4567", or another
// country's "+1 ...") and returns it in E.164 ("+573001234567").
func ParsePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxPhoneBytes {
		return "", ErrPhoneInvalid
	}
	n, err := phonenumbers.Parse(s, "CO")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrPhoneInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// CleanName trims a display name and refuses empty names, control
// characters and names longer than maxNameRunes.
func CleanName(s string) (string, error) {
	name := strings.TrimSpace(norm.NFC.String(s))
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameRunes {
		return "", ErrNameInvalid
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", ErrNameInvalid
		}
	}
	return name, nil
}
