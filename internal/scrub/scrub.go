// Package scrub takes secrets and card data out of log lines before they
// are written. cerrojo's code logs no secret on purpose; this is the net
// under it, for what arrives inside an error message, a client's header or
// a third party's answer.
//
// Guarantees, for every attribute of every record (slog ReplaceAttr):
//   - Card numbers (PANs: 13 to 19 digits, optionally grouped by single
//     spaces or dashes, that pass the Luhn check) keep their first six and
//     last four digits and lose the rest, the most PCI DSS v4.0.1 3.4.1
//     allows to be shown.
//   - JSON Web Tokens and cerrojo's own tokens (crj_rt_, crj_mfa_, crj_cs_
//     and any other crj_ prefix) are replaced by their kind.
//   - An attribute whose key names a secret (password, secret, token,
//     code, otp, pin, cookie, authorization, card, cvv, seed...) is
//     replaced whole, whatever its value.
//
// Assumptions: document numbers are not recognisable by shape (a cédula is
// any run of 6 to 10 digits), so they are caught only by key (document,
// cedula); package docid's types print themselves redacted. Six-digit codes
// inside free text are not recognisable either: codes are never logged,
// and keys named code are scrubbed.
package scrub

import (
	"log/slog"
	"regexp"
	"strings"
)

// secretKeys are key segments that name a secret or personal number.
var secretKeys = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "passphrase": true, "secret": true,
	"token": true, "otp": true, "totp": true, "pin": true, "code": true, "codes": true,
	"cookie": true, "authorization": true, "cvv": true, "cvc": true, "pan": true,
	"card": true, "seed": true, "private": true, "document": true, "cedula": true,
}

// Redacted replaces a value whose key names a secret.
const Redacted = "[redacted]"

// secretKey reports whether a key, split on '_', '-' and '.', has a
// segment that names a secret.
func secretKey(k string) bool {
	for _, seg := range strings.FieldsFunc(strings.ToLower(k), func(r rune) bool {
		return r == '_' || r == '-' || r == '.'
	}) {
		if secretKeys[seg] {
			return true
		}
	}
	return false
}

var (
	// jwtPattern is three base64url parts, the first a JSON object.
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	// crjPattern is a cerrojo token: crj_, a kind, _, and its secret.
	crjPattern = regexp.MustCompile(`\bcrj_([a-z]{1,8})_[A-Za-z0-9_-]{8,}`)
	// panCandidate is 13 to 19 digits, possibly grouped by single spaces
	// or dashes, not inside a longer run of digits.
	panCandidate = regexp.MustCompile(`(?:^|[^0-9])([0-9](?:[ -]?[0-9]){12,18})(?:$|[^0-9])`)
)

// String returns s with card numbers masked and tokens replaced.
func String(s string) string {
	if len(s) < 13 {
		return s
	}
	s = jwtPattern.ReplaceAllString(s, "[jwt]")
	s = crjPattern.ReplaceAllString(s, "crj_${1}_[redacted]")
	return maskPANs(s)
}

// maskPANs masks card numbers until none is left: masking one can leave
// its neighbours' digits forming another (a long run of grouped digits).
// Each pass replaces at least three digits with stars, so it ends.
func maskPANs(s string) string {
	for {
		next := maskPANsOnce(s)
		if next == s {
			return s
		}
		s = next
	}
}

func maskPANsOnce(s string) string {
	locs := panCandidate.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		start, end := loc[2], loc[3]
		digits := onlyDigits(s[start:end])
		if !luhn(digits) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(digits[:6])
		b.WriteString(strings.Repeat("*", len(digits)-10))
		b.WriteString(digits[len(digits)-4:])
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

func onlyDigits(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// luhn reports whether digits pass the Luhn check (ISO/IEC 7812-1).
func luhn(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that scrubs every
// attribute: by key, then string and error values by content. Groups are
// walked by slog itself.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Key != slog.MessageKey && a.Key != slog.TimeKey && a.Key != slog.LevelKey &&
		secretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) >= 13 {
			a.Value = slog.StringValue(String(s))
		}
	case slog.KindInt64, slog.KindUint64:
		// A card number logged as a number.
		if s := a.Value.String(); len(s) >= 13 && len(s) <= 19 && luhn(s) {
			a.Value = slog.StringValue(maskPANs(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(String(err.Error()))
		}
	}
	return a
}
