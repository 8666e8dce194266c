package mfa

import (
	"strings"
	"testing"
)

func TestParseTOTPCode(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"accepts six digits", "123456", "123456", true},
		{"accepts leading zeros", "000042", "000042", true},
		{"ignores the space apps show", "123 456", "123456", true},
		{"ignores spaces around", "  123456 ", "123456", true},
		{"accepts input at the bound", "123456" + strings.Repeat(" ", maxCodeInputBytes-6),
			"123456", true},
		{"refuses input past the bound",
			"123456" + strings.Repeat(" ", maxCodeInputBytes-5), "", false},
		{"refuses five digits", "12345", "", false},
		{"refuses seven digits", "1234567", "", false},
		{"refuses letters", "12345a", "", false},
		{"refuses a dash", "123-456", "", false},
		{"refuses a tab", "123\t456", "", false},
		{"refuses full-width digits", "１２３４５６", "", false},
		{"refuses a sign", "+123456", "", false},
		{"refuses empty input", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseTOTPCode(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got (%q, %v), want (%q, %v)", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestParseRecoveryCode(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"accepts the displayed form", "ABCDE-12345", "ABCDE12345", true},
		{"accepts lower case", "abcde-12345", "ABCDE12345", true},
		{"accepts no dash", "abcde12345", "ABCDE12345", true},
		{"accepts spaces and dashes anywhere", " ab cde--123 45 ", "ABCDE12345", true},
		{"reads I and L as 1 and O as 0", "iIlLo-OABCD", "11110" + "0ABCD", true},
		{"accepts input at the bound", "ABCDE12345" + strings.Repeat("-",
			maxRecoveryInputBytes-10), "ABCDE12345", true},
		{"refuses input past the bound", "ABCDE12345" + strings.Repeat("-",
			maxRecoveryInputBytes-9), "", false},
		{"refuses U, which Crockford reserves", "ABCDU-12345", "", false},
		{"refuses nine symbols", "ABCDE-1234", "", false},
		{"refuses eleven symbols", "ABCDE-123456", "", false},
		{"refuses punctuation", "ABCDE_12345", "", false},
		{"refuses a tab", "ABCDE\t12345", "", false},
		{"refuses a dotless i", "ABCDE-1234ı", "", false},
		{"refuses empty input", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseRecoveryCode(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got (%q, %v), want (%q, %v)", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFormatRecoveryCode(t *testing.T) {
	if got := formatRecoveryCode("ABCDE12345"); got != "ABCDE-12345" {
		t.Errorf("got %q, want %q", got, "ABCDE-12345")
	}
}

func TestRecoveryAlphabet(t *testing.T) {
	if len(recoveryAlphabet) != 32 {
		t.Fatalf("got %d symbols, want 32 (5 bits each)", len(recoveryAlphabet))
	}
	if strings.ContainsAny(recoveryAlphabet, "ILOU") {
		t.Errorf("the alphabet %q holds an ambiguous letter", recoveryAlphabet)
	}
}
