package docid

import (
	"strings"
	"testing"
)

// seedNIT adds the published vectors and the rejected inputs as seeds.
func seedNIT(f *testing.F, add func(s string)) {
	f.Helper()
	for _, v := range loadNITVectors(f) {
		add(v.published)
	}
	for _, tc := range nitRejects {
		add(tc.in)
	}
}

// FuzzParseNIT checks that ParseNIT never panics, returns the zero value on
// error, and on success returns a value whose every form parses back to it.
func FuzzParseNIT(f *testing.F) {
	seedNIT(f, func(s string) { f.Add(s) })

	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNIT(s)
		if err != nil {
			if n != (NIT{}) {
				t.Fatalf("got a non-zero NIT on error %v", err)
			}
			if Reason(err) == "invalid" {
				t.Fatalf("got error %v, want one wrapping a sentinel", err)
			}
			return
		}
		checkNITProperties(t, n)
		if len(s) > MaxInputBytes {
			t.Fatalf("got success on %d bytes, want ErrTooLong", len(s))
		}
	})
}

// FuzzNewNIT checks NewNIT the same way, with body and digit apart.
func FuzzNewNIT(f *testing.F) {
	for _, v := range loadNITVectors(f) {
		body, digit := splitPublished(f, v.published)
		f.Add(body, digit)
		f.Add(body, digit+1)
	}
	f.Add("", -1)
	f.Add("٨٩٠", 10)

	f.Fuzz(func(t *testing.T, body string, digit int) {
		n, err := NewNIT(body, digit)
		if err != nil {
			if n != (NIT{}) {
				t.Fatalf("got a non-zero NIT on error %v", err)
			}
			return
		}
		checkNITProperties(t, n)
		if n.CheckDigit() != digit {
			t.Fatalf("got digit %d, want %d", n.CheckDigit(), digit)
		}
	})
}

// checkNITProperties asserts what holds for every successfully parsed NIT.
func checkNITProperties(t *testing.T, n NIT) {
	t.Helper()
	if d := n.CheckDigit(); d < 0 || d > 9 {
		t.Fatalf("got check digit %d, want 0..9", d)
	}
	body := n.Body()
	if len(body) < nitMinBodyDigits || len(body) > nitMaxBodyDigits {
		t.Fatalf("got a body of %d digits, want 3..15", len(body))
	}
	if body[0] == '0' {
		t.Fatalf("got a body with a leading zero, want none")
	}
	if strings.Trim(body, "0123456789") != "" {
		t.Fatalf("got a body with a non-digit, want digits only")
	}
	if want, err := CheckDigit(body); err != nil || want != n.CheckDigit() {
		t.Fatalf("CheckDigit(body): got %d, %v, want %d, nil", want, err, n.CheckDigit())
	}
	for _, form := range []string{n.Compact(), n.Formatted()} {
		back, err := ParseNIT(form)
		if err != nil || back != n {
			t.Fatalf("reparse %q: got %q, %v, want %q, nil", form, back.Compact(), err,
				n.Compact())
		}
	}
	if again, err := NewNIT(body, n.CheckDigit()); err != nil || again != n {
		t.Fatalf("NewNIT from fields: got %q, %v, want %q, nil", again.Compact(), err,
			n.Compact())
	}
}

// FuzzParse checks Parse for every type: no panic, zero value on error, and
// on success a canonical number within the type's bounds whose number and
// display form both parse back to the same document.
func FuzzParse(f *testing.F) {
	seedNIT(f, func(s string) { f.Add(uint8(CodeNIT), s) })
	for _, typ := range Types() {
		for _, s := range []string{
			"1.020.304.050", "1020304050", "123", "AO-258413", "ab 12", "123456789012345",
			"٨٩٠", "  ", "12,345", "1 234", "--", strings.Repeat("9", 65),
		} {
			f.Add(uint8(typ.Code), s)
		}
	}
	f.Add(uint8(99), "123456")

	f.Fuzz(func(t *testing.T, c uint8, s string) {
		code := Code(c)
		d, err := Parse(code, s)
		if err != nil {
			if d != (Document{}) {
				t.Fatalf("got a non-zero Document on error %v", err)
			}
			if Reason(err) == "invalid" {
				t.Fatalf("got error %v, want one wrapping a sentinel", err)
			}
			return
		}

		if d.Code() != code {
			t.Fatalf("got code %d, want %d", d.Code(), code)
		}
		if len(s) > MaxInputBytes {
			t.Fatalf("got success on %d bytes, want ErrTooLong", len(s))
		}
		e, ok := lookup(code)
		if !ok {
			t.Fatalf("got success for unknown code %d", code)
		}
		if code == CodeNIT {
			n, ok := d.NIT()
			if !ok {
				t.Fatalf("NIT(): got false for a NIT document")
			}
			checkNITProperties(t, n)
		} else if l := len(d.Number()); l < e.rule.min || l > e.rule.max {
			t.Fatalf("got %d characters, want %d..%d", l, e.rule.min, e.rule.max)
		}
		for _, form := range []string{d.Number(), d.Formatted()} {
			back, err := Parse(code, form)
			if err != nil || back != d {
				t.Fatalf("reparse %q: got %q, %v, want %q, nil", form, back.Number(), err,
					d.Number())
			}
		}
	})
}
