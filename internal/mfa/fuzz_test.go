package mfa

import (
	"strings"
	"testing"
)

// FuzzParseTOTPCode checks that the TOTP code parser never panics and
// accepts exactly the documented shape: at most maxCodeInputBytes bytes of
// which, spaces removed, TOTPDigits ASCII digits remain, returned alone.
func FuzzParseTOTPCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", " 000000 ", "12345", "1234567", "12a456",
		"１２３４５６", "", strings.Repeat(" ", 40) + "123456", "94287082"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := parseTOTPCode(in)
		stripped := strings.ReplaceAll(in, " ", "")
		want := len(in) <= maxCodeInputBytes && len(stripped) == TOTPDigits &&
			strings.Trim(stripped, "0123456789") == ""
		if ok != want {
			t.Fatalf("parse %q: got ok=%v, want %v", in, ok, want)
		}
		if !ok {
			if got != "" {
				t.Fatalf("parse %q: refused but returned %q", in, got)
			}
			return
		}
		if got != stripped {
			t.Fatalf("parse %q: got %q, want %q", in, got, stripped)
		}
	})
}

// FuzzParseRecoveryCode checks that the recovery code parser never panics,
// accepts exactly the documented shape, and that what it accepts survives
// the round trip through the displayed form.
func FuzzParseRecoveryCode(f *testing.F) {
	for _, s := range []string{"ABCDE-12345", "abcde12345", " ab cde-123 45", "iloIL-O0000",
		"ABCDU-12345", "ABCDE-1234", "ABCDE-123456", "", "ABCDE_12345", "ABCDE-1234ı",
		strings.Repeat("-", 60) + "ABCDE12345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := parseRecoveryCode(in)

		// The documented shape, stated independently of the parser.
		var symbols []byte
		shaped := len(in) <= maxRecoveryInputBytes
		for i := 0; i < len(in) && shaped; i++ {
			c := in[i]
			if c == ' ' || c == '-' {
				continue
			}
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			switch c {
			case 'I', 'L':
				c = '1'
			case 'O':
				c = '0'
			}
			if !strings.ContainsRune(recoveryAlphabet, rune(c)) {
				shaped = false
			}
			symbols = append(symbols, c)
		}
		shaped = shaped && len(symbols) == recoveryCodeLen
		if ok != shaped {
			t.Fatalf("parse %q: got ok=%v, want %v", in, ok, shaped)
		}
		if !ok {
			if got != "" {
				t.Fatalf("parse %q: refused but returned %q", in, got)
			}
			return
		}
		if got != string(symbols) {
			t.Fatalf("parse %q: got %q, want %q", in, got, symbols)
		}
		again, ok := parseRecoveryCode(formatRecoveryCode(got))
		if !ok || again != got {
			t.Fatalf("round trip of %q: got (%q, %v)", got, again, ok)
		}
	})
}
