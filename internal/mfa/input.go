package mfa

// This file reads what people type. Both parsers run before any crypto or
// storage, work byte by byte on ASCII, and refuse anything outside the
// documented shapes instead of guessing.

// parseTOTPCode accepts exactly TOTPDigits ASCII digits, with ASCII spaces
// anywhere ignored (apps show "123 456"), in at most maxCodeInputBytes
// bytes. It returns the digits alone.
func parseTOTPCode(s string) (string, bool) {
	if len(s) > maxCodeInputBytes {
		return "", false
	}
	var out [TOTPDigits]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
		case c >= '0' && c <= '9' && n < TOTPDigits:
			out[n] = c
			n++
		default:
			return "", false
		}
	}
	if n != TOTPDigits {
		return "", false
	}
	return string(out[:]), true
}

// recoveryAlphabet is Crockford's base32 alphabet: digits and upper-case
// letters without I, L, O and U, so no two symbols look alike on paper.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// recoverySymbol maps a typed byte to its canonical symbol, 0 when it is
// none. Lower case is upper case, and as Crockford's decoding rules say, I
// and L read as 1 and O as 0, the mistakes people make when copying.
var recoverySymbol = func() (t [256]byte) {
	for i := 0; i < len(recoveryAlphabet); i++ {
		c := recoveryAlphabet[i]
		t[c] = c
		if c >= 'A' && c <= 'Z' {
			t[c+'a'-'A'] = c
		}
	}
	for _, c := range "IiLl" {
		t[c] = '1'
	}
	t['O'], t['o'] = '0', '0'
	return t
}()

// parseRecoveryCode accepts a recovery code as people type it: the
// recoveryCodeLen symbols of recoveryAlphabet in either case, with ASCII
// spaces and dashes anywhere ignored and I, L and O read as 1, 1 and 0, in
// at most maxRecoveryInputBytes bytes. It returns the canonical form: the
// symbols alone, upper case.
func parseRecoveryCode(s string) (string, bool) {
	if len(s) > maxRecoveryInputBytes {
		return "", false
	}
	var out [recoveryCodeLen]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' {
			continue
		}
		sym := recoverySymbol[c]
		if sym == 0 || n == recoveryCodeLen {
			return "", false
		}
		out[n] = sym
		n++
	}
	if n != recoveryCodeLen {
		return "", false
	}
	return string(out[:]), true
}

// formatRecoveryCode shows a canonical code as two groups of five,
// "ABCDE-12345", which is easier to copy than ten symbols in a row.
func formatRecoveryCode(canonical string) string {
	half := len(canonical) / 2
	return canonical[:half] + "-" + canonical[half:]
}
