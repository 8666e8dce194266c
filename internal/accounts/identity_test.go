package accounts

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseEmail(t *testing.T) {
	tests := []struct {
		name, in, normalized string // normalized "" means rejected
	}{
		{"keeps what was typed and lower-cases the key", " Ana.Perez@Ejemplo.CO ", "ana.perez@ejemplo.co"},
		{"plus addressing", "ana+tienda@ejemplo.co", "ana+tienda@ejemplo.co"},
		{"internationalised domain becomes punycode", "josé@café.co", "josé@xn--caf-dma.co"},
		{"fullwidth letters fold to ASCII", "ａｎａ@ejemplo.co", "ana@ejemplo.co"},
		{"accented local part kept", "MARÍA@ejemplo.co", "maría@ejemplo.co"},
		{"no at sign", "ana.ejemplo.co", ""},
		{"two at signs", "a@b@ejemplo.co", ""},
		{"empty local part", "@ejemplo.co", ""},
		{"domain without a dot", "ana@localhost", ""},
		{"IP literal", "ana@[127.0.0.1]", ""},
		{"numeric top-level domain", "ana@1.2.3.4", ""},
		{"leading dot", ".ana@ejemplo.co", ""},
		{"double dot", "an..a@ejemplo.co", ""},
		{"quoted local part", `"ana perez"@ejemplo.co`, ""},
		{"space inside", "ana perez@ejemplo.co", ""},
		{"control character", "ana\n@ejemplo.co", ""},
		{"label starting with a hyphen", "ana@-ejemplo.co", ""},
		{"local part over 64 bytes", strings.Repeat("a", 65) + "@ejemplo.co", ""},
		{"address over 254 bytes", "a@" + strings.Repeat("b", 250) + ".co", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseEmail(tc.in)
			if tc.normalized == "" {
				if err == nil {
					t.Fatalf("got %+v, want rejected", e)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if e.Normalized != tc.normalized || e.Address != strings.TrimSpace(tc.in) {
				t.Errorf("got %+v, want normalized %q and the address as typed", e, tc.normalized)
			}
		})
	}
}

func TestParsePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"300 123 4567", "+573001234567"},
		{"3001234567", "+573001234567"},
		{"+57 300 123 4567", "+573001234567"},
		{"+57-300-123-4567", "+573001234567"},
		{"(601) 234 5678", "+576012345678"},
		{"+1 415 555 2671", "+14155552671"},
		{"12", ""},
		{"300 123 45", ""},
		{"not a number", ""},
		{strings.Repeat("9", 40), ""},
	}
	for _, tc := range tests {
		got, err := ParsePhone(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q: got %q, want rejected", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCleanName(t *testing.T) {
	if got, err := CleanName("  Ana María Pérez Gómez "); err != nil || got != "Ana María Pérez Gómez" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"", "   ", "Ana\nMaría", "Ana\u2028Pérez", strings.Repeat("a", maxNameRunes+1)} {
		if _, err := CleanName(bad); err == nil {
			t.Errorf("%q: got accepted, want rejected", bad)
		}
	}
	if _, err := CleanName(strings.Repeat("ñ", maxNameRunes)); err != nil {
		t.Errorf("name of exactly %d runes: %v", maxNameRunes, err)
	}
}

// FuzzParseEmail checks the parser's promises on any input: no panic; an
// accepted address is within the length limits; its normalised form is
// valid UTF-8, lower-case, has one @, and is a fixed point (normalising it
// again gives itself), so uniqueness cannot be dodged by normalising twice.
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"ana@ejemplo.co", "ＡＮＡ@ＥＪＥＭＰＬＯ.CO", "josé@café.co",
		"a@b.c", "\"x\"@y.z", "a@@b.co", "ß@straße.de", "ﬁ@ejemplo.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEmail(s)
		if err != nil {
			if e != (Email{}) {
				t.Fatalf("error with a half-built result %+v", e)
			}
			return
		}
		if len(e.Address) > maxEmailBytes || !utf8.ValidString(e.Normalized) ||
			strings.Count(e.Normalized, "@") != 1 {
			t.Fatalf("accepted %q as %+v", s, e)
		}
		again, err := ParseEmail(e.Normalized)
		if err != nil || again.Normalized != e.Normalized {
			t.Fatalf("normalised %q to %q, which normalises to %q (%v)", s, e.Normalized,
				again.Normalized, err)
		}
	})
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"300 123 4567", "+57 300 123 4567", "+1 415 555 2671", "+", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParsePhone(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "+") || len(got) > 16 {
			t.Fatalf("%q parsed to %q, which is not E.164", s, got)
		}
		again, err := ParsePhone(got)
		if err != nil || again != got {
			t.Fatalf("E.164 %q does not parse to itself: %q, %v", got, again, err)
		}
	})
}
