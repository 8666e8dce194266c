package audit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaskEmail keeps the first character of the local part and the domain:
// "juan.perez@example.com" becomes "j***@example.com". Enough for a person
// to recognise their own address in a report, too little to write to it.
// The first character is kept only when it is a letter or a digit; control
// characters and invalid UTF-8 are dropped from the domain, which is cut at
// 253 bytes, the longest a DNS name can be. A value that is not an address
// becomes "***". The result is always accepted in Details.
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 {
		return "***"
	}
	domain := strings.ToLower(cleanUserAgent(email[at+1:]))
	domain = truncate(domain, maxDomainLen)
	r, _ := utf8.DecodeRuneInString(email)
	if at == 0 || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return "***@" + domain
	}
	return string(r) + "***@" + domain
}

// maxDomainLen is the longest DNS name (RFC 1035 section 2.3.4, less the
// final dot).
const maxDomainLen = 253

// MaskDocument keeps the last four digits or letters of an identity
// document number and drops separators: "1.020.304.050" becomes "***4050".
// The mask has a fixed width, so it does not reveal the number's length.
// Numbers of four characters or fewer are masked whole.
func MaskDocument(number string) string {
	var kept []byte
	for i := 0; i < len(number); i++ {
		c := number[i]
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			kept = append(kept, c)
		}
	}
	if len(kept) <= 4 {
		return "***"
	}
	return "***" + string(kept[len(kept)-4:])
}

// secretWords are key segments that name a secret. A details key made of
// snake_case segments is refused when any segment is one of these: the log
// must never hold a password, a token, a one-time or recovery code, a
// session id or card data (PCI DSS 10.2.1, 3.3), even by mistake.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "passphrase": true,
	"secret": true, "token": true, "otp": true, "totp": true, "pin": true,
	"code": true, "codes": true, "cookie": true, "session": true,
	"cvv": true, "cvc": true, "pan": true, "card": true, "seed": true,
	"private": true, "authorization": true,
}

// checkDetails validates a details map and returns a copy, so that a caller
// changing its map afterwards cannot change what was hashed.
func checkDetails(details map[string]string) (map[string]string, error) {
	if len(details) > maxDetails {
		return nil, invalid("details", "has more than %d entries", maxDetails)
	}
	out := make(map[string]string, len(details))
	total := 0
	for k, v := range details {
		if !isDetailKey(k) {
			return nil, invalid("details", "key %q must be 1-%d characters of a-z, 0-9 and '_', "+
				"starting with a letter", truncate(k, maxDetailKeyLen), maxDetailKeyLen)
		}
		for _, seg := range strings.Split(k, "_") {
			if secretWords[seg] {
				return nil, invalid("details", "key %q names a secret; secrets are never recorded",
					k)
			}
		}
		if err := checkText("details."+k, v, maxDetailValueLen); err != nil {
			return nil, err
		}
		if hasUnmaskedEmail(v) {
			return nil, invalid("details."+k, "holds an email address; record MaskEmail(address)")
		}
		total += len(k) + len(v)
		out[k] = v
	}
	if total > maxDetailsBytes {
		return nil, invalid("details", "hold more than %d bytes", maxDetailsBytes)
	}
	return out, nil
}

func isDetailKey(k string) bool {
	if k == "" || len(k) > maxDetailKeyLen || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// hasUnmaskedEmail reports whether some '@' in v is not preceded by "***",
// the mark MaskEmail leaves. It errs on the side of refusing: "@handle" is
// refused too.
func hasUnmaskedEmail(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == '@' && !strings.HasSuffix(v[:i], "***") {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
