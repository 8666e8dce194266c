package docid

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// nitVector is one published NIT from testdata/nit_vectors.txt.
type nitVector struct {
	published string // as printed by the source
	entity    string
	source    string
}

// loadNITVectors reads the published vectors and insists that each one
// follows its own "# source:" line.
func loadNITVectors(tb testing.TB) []nitVector {
	tb.Helper()
	raw, err := os.ReadFile("testdata/nit_vectors.txt")
	if err != nil {
		tb.Fatalf("read vectors: %v", err)
	}

	var out []nitVector
	source := ""
	for i, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "# source: "):
			source = strings.TrimPrefix(line, "# source: ")
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			published, entity, ok := strings.Cut(line, "\t")
			if !ok || source == "" {
				tb.Fatalf("line %d: vector needs a tab and its own source line", i+1)
			}
			out = append(out, nitVector{published, entity, source})
			source = ""
		}
	}
	if len(out) < 10 {
		tb.Fatalf("got %d published vectors, want at least 10", len(out))
	}
	return out
}

// splitPublished separates a published NIT into body and digit without
// using the parser under test: every digit but the last is the body.
func splitPublished(tb testing.TB, s string) (string, int) {
	tb.Helper()
	var ds []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			ds = append(ds, s[i])
		}
	}
	if len(ds) < 2 {
		tb.Fatalf("published NIT has %d digits, want at least 2", len(ds))
	}
	return string(ds[:len(ds)-1]), int(ds[len(ds)-1] - '0')
}

func TestCheckDigitAgreesWithPublishedNITs(t *testing.T) {
	for _, v := range loadNITVectors(t) {
		t.Run(v.entity, func(t *testing.T) {
			body, digit := splitPublished(t, v.published)

			got, err := CheckDigit(body)
			if err != nil {
				t.Fatalf("CheckDigit: got error %v, want nil", err)
			}
			if got != digit {
				t.Errorf("CheckDigit: got %d, want %d as published at %s",
					got, digit, v.source)
			}

			n, err := ParseNIT(v.published)
			if err != nil {
				t.Fatalf("ParseNIT of the published form: got error %v, want nil", err)
			}
			if n.Body() != body || n.CheckDigit() != digit {
				t.Errorf("ParseNIT: got %s, want %s-%d", n.Compact(), body, digit)
			}

			m, err := NewNIT(body, digit)
			if err != nil || m != n {
				t.Errorf("NewNIT: got %s, %v, want %s, nil", m.Compact(), err, n.Compact())
			}
		})
	}
}

func TestEveryOtherDigitIsRejectedNamingThePublishedOne(t *testing.T) {
	for _, v := range loadNITVectors(t) {
		body, digit := splitPublished(t, v.published)
		for wrong := 0; wrong <= 9; wrong++ {
			if wrong == digit {
				continue
			}
			_, err := NewNIT(body, wrong)
			var ce *CheckDigitError
			if !errors.As(err, &ce) {
				t.Fatalf("%s with digit %d: got %v, want a *CheckDigitError",
					v.entity, wrong, err)
			}
			if ce.Got != wrong || ce.Want != digit {
				t.Errorf("%s: got Got=%d Want=%d, want Got=%d Want=%d",
					v.entity, ce.Got, ce.Want, wrong, digit)
			}
		}
	}
}

// TestCheckDigitWeightsByPosition pins each weight: a body of a 1 followed by
// i zeros sums to the weight at position i alone. The expected digits were
// worked out by hand from DIAN's list 3, 7, 13, ..., 71.
func TestCheckDigitWeightsByPosition(t *testing.T) {
	want := []int{8, 4, 9, 5, 3, 1, 4, 7, 3, 1, 8, 2, 7, 1, 6}
	for i, w := range want {
		body := "1" + strings.Repeat("0", i)
		got, err := CheckDigit(body)
		if err != nil || got != w {
			t.Errorf("CheckDigit(1 followed by %d zeros): got %d, %v, want %d, nil",
				i, got, err, w)
		}
	}
}

func TestCheckDigitInput(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    int
		wantErr error
	}{
		{"computes a 9-digit body", "890903938", 8, nil},
		{"computes a 15-digit body", "123456789012345", 2, nil},
		{"ignores leading zeros", "000890903938", 8, nil},
		{"rejects an empty body", "", 0, ErrEmpty},
		{"rejects a 16-digit body", "1234567890123456", 0, ErrLength},
		{"rejects separators", "890.903.938", 0, ErrInvalidCharacter},
		{"rejects letters", "89090393A", 0, ErrInvalidCharacter},
		{"rejects Arabic-Indic digits", "٨٩٠٩٠٣٩٣٨", 0, ErrInvalidCharacter},
		{"rejects input past the byte cap", strings.Repeat("1", MaxInputBytes+1), 0, ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckDigit(tc.body)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestParseNITAcceptsTheWaysPeopleWriteIt(t *testing.T) {
	pad := strings.Repeat(" ", MaxInputBytes-len("890903938-8"))
	tests := []struct {
		name string
		in   string
		want string // compact
	}{
		{"dots and dash", "890.903.938-8", "890903938-8"},
		{"compact with dash", "890903938-8", "890903938-8"},
		{"spaces as thousands separators", "890 903 938 - 8", "890903938-8"},
		{"commas as thousands separators", "890,903,938-8", "890903938-8"},
		{"space before the dash", "890903938 -8", "890903938-8"},
		{"space after the dash", "890903938- 8", "890903938-8"},
		{"surrounding spaces", "  890.903.938-8  ", "890903938-8"},
		{"input exactly at the byte cap", pad + "890903938-8", "890903938-8"},
		{"shortest body", "100-9", "100-9"},
		{"longest body", "123.456.789.012.345-2", "123456789012345-2"},
		{"10-digit body of a person", "1.000.000.000-1", "1000000000-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNIT(tc.in)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := n.Compact(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// nitRejects are the invalid NIT inputs; the fuzz targets reuse them as seeds.
var nitRejects = []struct {
	name    string
	in      string
	wantErr error
}{
	{"empty input", "", ErrEmpty},
	{"only spaces", "   ", ErrEmpty},
	{"wrong check digit", "890903938-3", ErrCheckDigit},
	{"letter in the body", "89090393A-8", ErrInvalidCharacter},
	{"letter as check digit", "890903938-X", ErrInvalidCharacter},
	{"no dash, so the check digit is ambiguous", "8909039388", ErrMissingCheckDigit},
	{"space instead of dash is ambiguous", "890 903 938 8", ErrMissingCheckDigit},
	{"dash with no digit after it", "890903938-", ErrMissingCheckDigit},
	{"two dashes", "890-903938-8", ErrSeparator},
	{"doubled dash", "890903938--8", ErrSeparator},
	{"two digits after the dash", "890903938-88", ErrCheckDigitRange},
	{"Arabic-Indic digits", "٨٩٠٩٠٣٩٣٨-٨", ErrInvalidCharacter},
	{"full-width digits", "８９０９０３９３８-８", ErrInvalidCharacter},
	{"en dash", "890903938–8", ErrInvalidCharacter},
	{"non-breaking spaces", "890\u00a0903\u00a0938-8", ErrInvalidCharacter},
	{"tab", "890903938-8\t", ErrInvalidCharacter},
	{"line feed", "890903938-8\n", ErrInvalidCharacter},
	{"NUL byte", "890903938\x00-8", ErrInvalidCharacter},
	{"one byte past the cap", strings.Repeat(" ", MaxInputBytes-10) + "890903938-8", ErrTooLong},
	{"far past the cap", strings.Repeat("9", 10000) + "-1", ErrTooLong},
	{"16-digit body", "1234567890123456-0", ErrLength},
	{"2-digit body", "12-7", ErrLength},
	{"empty body", "-8", ErrLength},
	{"leading zero", "0890903938-8", ErrLeadingZero},
	{"first group of 4 digits", "8909.039.38-8", ErrSeparator},
	{"group of 2 digits", "890.903.93.8-8", ErrSeparator},
	{"mixed separators", "890.903,938-8", ErrSeparator},
	{"doubled separator", "890..903.938-8", ErrSeparator},
	{"leading separator", ".890.903.938-8", ErrSeparator},
	{"separator before the dash", "890.903.938.-8", ErrSeparator},
}

func TestParseNITRejects(t *testing.T) {
	for _, tc := range nitRejects {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNIT(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if n != (NIT{}) {
				t.Errorf("got a non-zero NIT on error, want the zero value")
			}
		})
	}
}

func TestCheckDigitErrorNamesTheExpectedDigit(t *testing.T) {
	_, err := ParseNIT("890.903.938-3")

	var ce *CheckDigitError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *CheckDigitError", err)
	}
	if ce.Got != 3 || ce.Want != 8 {
		t.Errorf("got Got=%d Want=%d, want Got=3 Want=8", ce.Got, ce.Want)
	}
	if got, want := ce.Error(), "nit check digit is 3, want 8"; got != want {
		t.Errorf("got message %q, want %q", got, want)
	}
	if got, want := err.Error(), "docid: parse nit: nit check digit is 3, want 8"; got != want {
		t.Errorf("got wrapped message %q, want %q", got, want)
	}
	if got, want := Reason(err), "check_digit_mismatch"; got != want {
		t.Errorf("got reason %q, want %q", got, want)
	}
}

func TestNewNIT(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		digit   int
		want    string
		wantErr error
	}{
		{"plain body", "890903938", 8, "890903938-8", nil},
		{"grouped body", "890.903.938", 8, "890903938-8", nil},
		{"digit below range", "890903938", -1, "", ErrCheckDigitRange},
		{"digit above range", "890903938", 10, "", ErrCheckDigitRange},
		{"wrong digit", "890903938", 7, "", ErrCheckDigit},
		{"body carrying its own dash", "890903938-8", 8, "", ErrInvalidCharacter},
		{"empty body", "", 0, "", ErrEmpty},
		{"body past the cap", strings.Repeat("1", MaxInputBytes+1), 1, "", ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NewNIT(tc.body, tc.digit)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if got := n.Compact(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNITForms(t *testing.T) {
	n, err := ParseNIT("890903938-8")
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got, want := n.Formatted(), "890.903.938-8"; got != want {
		t.Errorf("Formatted: got %q, want %q", got, want)
	}
	if got, want := n.Compact(), "890903938-8"; got != want {
		t.Errorf("Compact: got %q, want %q", got, want)
	}
	if got, want := n.Body(), "890903938"; got != want {
		t.Errorf("Body: got %q, want %q", got, want)
	}
	if got, want := (NIT{}).Formatted(), ""; got != want {
		t.Errorf("zero NIT Formatted: got %q, want %q", got, want)
	}
}

func TestNITPrintsRedacted(t *testing.T) {
	n, err := ParseNIT("890903938-8")
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("vendor", "nit", n)
	outputs := []string{
		fmt.Sprintf("%v", n), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", n),
		//lint:ignore S1025 the test is about what each fmt verb prints
		fmt.Sprintf("%s", n),
		fmt.Sprint(n), logged.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, "890903938") {
			t.Errorf("got %q, want no NIT digits in it", out)
		}
	}
}

func BenchmarkParseNIT(b *testing.B) {
	for b.Loop() {
		if _, err := ParseNIT("890.903.938-8"); err != nil {
			b.Fatal(err)
		}
	}
}
