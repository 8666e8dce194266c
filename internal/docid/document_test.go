package docid

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestTypesListTheDIANCodes(t *testing.T) {
	want := []Code{11, 12, 13, 21, 22, 31, 41, 42, 47, 48, 50, 91}

	got := Types()
	if len(got) != len(want) {
		t.Fatalf("got %d types, want %d", len(got), len(want))
	}
	for i, typ := range got {
		if typ.Code != want[i] {
			t.Errorf("type %d: got code %d, want %d", i, typ.Code, want[i])
		}
		if typ.Spanish == "" || typ.English == "" {
			t.Errorf("code %d: got an empty name, want both names", typ.Code)
		}
		back, ok := LookupCode(typ.Code)
		if !ok || back != typ {
			t.Errorf("LookupCode(%d): got %+v, %v, want %+v, true", typ.Code, back, ok, typ)
		}
	}
}

func TestTypesReturnsACopy(t *testing.T) {
	Types()[0].Spanish = "changed"
	if got := Types()[0].Spanish; got != "Registro civil" {
		t.Errorf("got %q after changing the returned slice, want %q", got, "Registro civil")
	}
}

func TestLookupCodeRejectsUnknownCodes(t *testing.T) {
	for _, c := range []Code{0, 1, 14, 30, 99, -31} {
		if typ, ok := LookupCode(c); ok {
			t.Errorf("LookupCode(%d): got %+v, true, want false", c, typ)
		}
	}
	if got, want := CodeCedulaCiudadania.String(), "13"; got != want {
		t.Errorf("Code.String: got %q, want %q", got, want)
	}
}

func TestParseFormatRules(t *testing.T) {
	tests := []struct {
		name    string
		code    Code
		in      string
		want    string // canonical number
		wantErr error
	}{
		// 13 cédula de ciudadanía
		{"cédula with dots", CodeCedulaCiudadania, "1.020.304.050", "1020304050", nil},
		{"cédula without separators", CodeCedulaCiudadania, "1020304050", "1020304050", nil},
		{"old short cédula", CodeCedulaCiudadania, "123", "123", nil},
		{"cédula of 2 digits", CodeCedulaCiudadania, "12", "", ErrLength},
		{"cédula of 11 digits", CodeCedulaCiudadania, "10203040501", "", ErrLength},
		{"cédula with a leading zero", CodeCedulaCiudadania, "0123456", "", ErrLeadingZero},
		{"cédula with a check digit", CodeCedulaCiudadania, "1020304050-1", "",
			ErrInvalidCharacter},
		{"cédula with letter O for zero", CodeCedulaCiudadania, "1O20304050", "",
			ErrInvalidCharacter},
		{"cédula badly grouped", CodeCedulaCiudadania, "10.20.30.40", "", ErrSeparator},
		{"cédula in Arabic-Indic digits", CodeCedulaCiudadania, "١٠٢٠٣٠٤٠٥٠", "",
			ErrInvalidCharacter},

		// 12 tarjeta de identidad
		{"tarjeta de identidad of 10 digits", CodeTarjetaIdentidad, "1050324598",
			"1050324598", nil},
		{"older tarjeta de identidad of 11 digits", CodeTarjetaIdentidad, "97051812345",
			"97051812345", nil},
		{"tarjeta de identidad of 12 digits", CodeTarjetaIdentidad, "970518123456", "",
			ErrLength},

		// 11 registro civil
		{"registro civil upper-cases letters", CodeRegistroCivil, "12ab34", "12AB34", nil},
		{"registro civil of 3 characters", CodeRegistroCivil, "123", "", ErrLength},

		// 21 and 22, foreigners' cards
		{"tarjeta de extranjería", CodeTarjetaExtranjeria, "123456", "123456", nil},
		{"cédula de extranjería", CodeCedulaExtranjeria, "442113", "442113", nil},
		{"cédula de extranjería with a letter", CodeCedulaExtranjeria, "44A113", "",
			ErrInvalidCharacter},

		// 31 NIT
		{"NIT through Parse", CodeNIT, "890.903.938-8", "890903938-8", nil},
		{"NIT without dash through Parse", CodeNIT, "8909039388", "", ErrMissingCheckDigit},
		{"NIT with wrong digit through Parse", CodeNIT, "890903938-1", "", ErrCheckDigit},

		// 41 pasaporte
		{"passport with space", CodePasaporte, "ao 258413", "AO258413", nil},
		{"passport with dashes", CodePasaporte, "AO-258-413", "AO258413", nil},
		{"passport of 2 characters", CodePasaporte, "A1", "", ErrLength},
		{"passport of 21 characters", CodePasaporte, strings.Repeat("A", 21), "", ErrLength},
		{"passport with doubled dash", CodePasaporte, "AO--258413", "", ErrSeparator},
		{"passport ending in a dash", CodePasaporte, "AO258413-", "", ErrSeparator},
		{"passport with underscore", CodePasaporte, "AO_258413", "", ErrInvalidCharacter},
		{"passport with accented letter", CodePasaporte, "ÁO258413", "", ErrInvalidCharacter},

		// 42 documento de identificación extranjero
		{"foreign document", CodeDocumentoExtranjero, "x-1234567", "X1234567", nil},

		// 47 PEP and 48 PPT
		{"PEP of 15 digits", CodePEP, "123456789012345", "123456789012345", nil},
		{"PEP of 16 digits", CodePEP, "1234567890123456", "", ErrLength},
		{"PEP of 5 digits", CodePEP, "12345", "", ErrLength},
		{"PPT", CodePPT, "1234567", "1234567", nil},
		{"PPT with a prefix", CodePPT, "PPT1234567", "", ErrInvalidCharacter},
		{"PPT of 3 digits", CodePPT, "123", "", ErrLength},

		// 50 NIT de otro país
		{"foreign tax number with dash", CodeNITOtroPais, "12-3456789", "123456789", nil},
		{"foreign tax number with dots and letter", CodeNITOtroPais, "76.182.124-k",
			"76182124K", nil},

		// 91 NUIP
		{"NUIP", CodeNUIP, "1234567890", "1234567890", nil},
		{"NUIP with a leading zero", CodeNUIP, "0123456789", "", ErrLeadingZero},

		// Any type
		{"unknown type", Code(99), "123456", "", ErrUnknownType},
		{"zero type", Code(0), "123456", "", ErrUnknownType},
		{"empty input", CodeCedulaCiudadania, "  ", "", ErrEmpty},
		{"input past the cap", CodePasaporte, strings.Repeat("A", MaxInputBytes+1), "",
			ErrTooLong},
		{"input past the cap with unknown type", Code(99), strings.Repeat("A", 65), "",
			ErrTooLong},
		{"control character", CodePasaporte, "AO25\r\n8413", "", ErrInvalidCharacter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.code, tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if got := d.Number(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if err != nil && d != (Document{}) {
				t.Errorf("got a non-zero Document on error, want the zero value")
			}
		})
	}
}

// TestParseLengthBounds checks every non-NIT type at and just past both
// length bounds.
func TestParseLengthBounds(t *testing.T) {
	for _, e := range table {
		if e.typ.Code == CodeNIT {
			continue // bounds tested in nit_test.go, where the check digit is known
		}
		unit := "1"
		if e.rule.chars == alphanumeric {
			unit = "A"
		}
		cases := []struct {
			n  int
			ok bool
		}{{e.rule.min - 1, false}, {e.rule.min, true}, {e.rule.max, true}, {e.rule.max + 1, false}}
		for _, c := range cases {
			name := fmt.Sprintf("type %d with %d characters", e.typ.Code, c.n)
			t.Run(name, func(t *testing.T) {
				_, err := Parse(e.typ.Code, strings.Repeat(unit, c.n))
				if c.ok && err != nil {
					t.Errorf("got error %v, want nil", err)
				}
				if !c.ok && !errors.Is(err, ErrLength) && !errors.Is(err, ErrEmpty) {
					t.Errorf("got error %v, want %v", err, ErrLength)
				}
			})
		}
	}
}

func TestFormattedAndNumberParseBack(t *testing.T) {
	tests := []struct {
		name          string
		code          Code
		in            string
		wantFormatted string
	}{
		{"cédula groups in thousands", CodeCedulaCiudadania, "1020304050", "1.020.304.050"},
		{"short cédula has no dot", CodeCedulaCiudadania, "123", "123"},
		{"NIT in DIAN's display form", CodeNIT, "890903938-8", "890.903.938-8"},
		{"passport is shown as stored", CodePasaporte, "ao-258413", "AO258413"},
		{"PEP groups in thousands", CodePEP, "123456789012345", "123.456.789.012.345"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.code, tc.in)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := d.Formatted(); got != tc.wantFormatted {
				t.Errorf("Formatted: got %q, want %q", got, tc.wantFormatted)
			}
			for _, form := range []string{d.Number(), d.Formatted()} {
				back, err := Parse(tc.code, form)
				if err != nil || back != d {
					t.Errorf("reparse %q: got %q, %v, want %q, nil",
						form, back.Number(), err, d.Number())
				}
			}
		})
	}
}

func TestDocumentNIT(t *testing.T) {
	d, err := Parse(CodeNIT, "890 903 938 - 8")
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	n, ok := d.NIT()
	want, _ := ParseNIT("890903938-8")
	if !ok || n != want {
		t.Errorf("got %q, %v, want %q, true", n.Compact(), ok, want.Compact())
	}
	if d.Code() != CodeNIT {
		t.Errorf("got code %d, want %d", d.Code(), CodeNIT)
	}

	cc, err := Parse(CodeCedulaCiudadania, "1020304050")
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if _, ok := cc.NIT(); ok {
		t.Errorf("cédula NIT(): got true, want false")
	}
}

func TestDocumentPrintsRedacted(t *testing.T) {
	d, err := Parse(CodeCedulaCiudadania, "1020304050")
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("vendor", "document", d)
	outputs := []string{
		fmt.Sprintf("%v", d), fmt.Sprintf("%+v", d), fmt.Sprintf("%#v", d),
		fmt.Sprint(d), logged.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, "1020304050") {
			t.Errorf("got %q, want no document digits in it", out)
		}
	}
	if !strings.Contains(logged.String(), `"type":13`) {
		t.Errorf("got log %q, want the type code in it", logged.String())
	}
}

func TestErrorsDoNotQuoteTheInput(t *testing.T) {
	const marker = "987654"
	inputs := []struct {
		code Code
		in   string
	}{
		{CodeCedulaCiudadania, marker + "x"},
		{CodeCedulaCiudadania, marker + "98765"},
		{CodeNIT, marker + "321"},
		{CodeNIT, marker + "321-0"},
		{CodePasaporte, marker + "__"},
		{Code(77), marker},
		{CodePPT, strings.Repeat(marker, 20)},
	}
	for _, tc := range inputs {
		_, err := Parse(tc.code, tc.in)
		if err == nil {
			t.Fatalf("type %d: got nil error, want one", tc.code)
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("got error %q, want no part of the input in it", err)
		}
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"too long", ErrTooLong, "too_long"},
		{"empty", ErrEmpty, "empty"},
		{"invalid character", invalidAt(3), "invalid_character"},
		{"separator", separatorError("x"), "misplaced_separator"},
		{"length", lengthError(2, 3, 10), "wrong_length"},
		{"leading zero", ErrLeadingZero, "leading_zero"},
		{"missing check digit", ErrMissingCheckDigit, "missing_check_digit"},
		{"check digit range", ErrCheckDigitRange, "check_digit_out_of_range"},
		{"check digit mismatch", &CheckDigitError{Got: 1, Want: 2}, "check_digit_mismatch"},
		{"unknown type", ErrUnknownType, "unknown_type"},
		{"foreign error", errors.New("other"), "invalid"},
		{"wrapped", fmt.Errorf("docid: parse type 13: %w", ErrLength), "wrong_length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Reason(tc.err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
