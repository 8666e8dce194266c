package mfa

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMaskAddress checks that an address hint never panics, keeps the
// domain, and shows at most the first character of the local part.
func FuzzMaskAddress(f *testing.F) {
	for _, s := range []string{"ana@example.com", "a@b", "@example.com", "nobody", "",
		"ñandú@ejemplo.co", "\xff@x.co", "a@b@c", "x\"@\"@y.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := maskAddress(in)
		at := strings.LastIndexByte(in, '@')
		if at < 1 {
			if got != "•••" {
				t.Fatalf("maskAddress(%q) = %q, want •••", in, got)
			}
			return
		}
		// Exactly the first character, the mask and the domain: nothing
		// else of the local part.
		r, _ := utf8.DecodeRuneInString(in)
		if want := string(r) + "•••" + in[at:]; got != want {
			t.Fatalf("maskAddress(%q) = %q, want %q", in, got, want)
		}
	})
}
