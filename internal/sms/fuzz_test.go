package sms

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseNumber checks that the phone parser never panics, that what it
// returns is a valid message recipient that parses to itself, and that
// nothing is returned with an error.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"+573001234567", "300 123 4567", "(300) 123-4567", "601 234 5678",
		"+1 415 555 2671", "300 123 4567 ext. 5", "+99 1", "", "+", "++57", "३००१२३४५६७",
		"+57 ３００ １２３ ４５６７", "tel:+57-300-123-4567", strings.Repeat("9", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseNumber(in)
		if err != nil {
			if got != "" {
				t.Fatalf("ParseNumber(%q): error %v but returned %q", in, err, got)
			}
			return
		}
		if len(strings.TrimSpace(in)) > maxNumberInputBytes {
			t.Fatalf("ParseNumber(%q): accepted %d bytes", in, len(in))
		}
		if err := (Message{To: got, Body: "x"}).Validate(); err != nil {
			t.Fatalf("ParseNumber(%q) = %q, which is no recipient: %v", in, got, err)
		}
		again, err := ParseNumber(got)
		if err != nil || again != got {
			t.Fatalf("ParseNumber(%q) = %q, which parses to (%q, %v)", in, got, again, err)
		}
		if mask := MaskNumber(got); strings.Contains(mask, got[len(got)-6:]) {
			t.Fatalf("MaskNumber(%q) = %q shows six digits in a row", got, mask)
		}
	})
}

// e164 is the recipient shape stated independently of isE164.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzMessageValidate checks Message.Validate against the documented
// rules, stated independently.
func FuzzMessageValidate(f *testing.F) {
	f.Add("+573001234567", "Cerrojo: 123456")
	f.Add("+0573001234567", "x")
	f.Add("+57300", "a\nb")
	f.Add("+123456789012345", "a\rb")
	f.Add("573001234567", "\u0085")
	f.Add("+١٢٣٤٥٦٧٨", "x")
	f.Fuzz(func(t *testing.T, to, body string) {
		err := Message{To: to, Body: body}.Validate()
		valid := e164.MatchString(to) && body != "" && utf8.ValidString(body) &&
			utf8.RuneCountInString(body) <= maxBodyRunes &&
			!strings.ContainsFunc(body, func(r rune) bool {
				return r < 0x20 && r != '\n' || r >= 0x7f && r < 0xa0
			})
		if (err == nil) != valid {
			t.Fatalf("Validate(%q, %q) = %v, want valid=%v", to, body, err, valid)
		}
	})
}
