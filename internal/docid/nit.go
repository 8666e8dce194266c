package docid

import (
	"fmt"
	"log/slog"
	"strings"
)

// nitWeights are DIAN's multipliers for the NIT check digit, applied from the
// rightmost body digit leftwards. Source: DIAN, Orden Administrativa 4 de
// 1989, as described in Spanish Wikipedia's "Número de Identificación
// Tributaria"; checked against the published NITs in testdata.
var nitWeights = [...]int{3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71}

// nitBodyRule is the format of a NIT body: 3 to 15 digits, no leading zero.
// A person's NIT is their cédula number, which never starts with 0, and the
// company NITs seen published start with 8 or 9. A leading zero would also
// give one NIT two spellings, since it does not change the check digit.
var nitBodyRule = rule{
	chars:         digits,
	min:           nitMinBodyDigits,
	max:           nitMaxBodyDigits,
	noLeadingZero: true,
}

// NIT is a parsed Número de Identificación Tributaria: a body and the check
// digit that matches it. The zero value is not a valid NIT. NITs compare
// equal with == exactly when body and digit are equal.
//
// A natural person's NIT is their cédula number, so a NIT prints as redacted
// through fmt and log/slog; use Compact or Formatted to get the number.
type NIT struct {
	body  string
	digit uint8
}

// ParseNIT parses a NIT written with its check digit, which must be marked
// off by a dash. The body may group its digits in thousands with '.', ',' or
// ' ', and spaces may surround the dash. All of these parse to the same
// value:
//
//	800.197.268-4   800197268-4   800 197 268 - 4   800,197,268-4
//
// A NIT written without a dash ("8001972684") is rejected with
// ErrMissingCheckDigit rather than guessed at: "8001972684" may be the NIT
// 800197268-4, or the 10-digit body of the NIT 8001972684-9 with its check
// digit left off, and both readings pass the check. Callers that hold
// the body and the digit in separate fields (a form, or the DIAN invoice XML
// where the digit sits in an attribute) should use NewNIT.
//
// A wrong check digit returns a *CheckDigitError naming the expected digit.
func ParseNIT(s string) (NIT, error) {
	n, err := parseNIT(s)
	if err != nil {
		return NIT{}, fmt.Errorf("docid: parse nit: %w", err)
	}
	return n, nil
}

// NewNIT builds a NIT from its body and check digit given separately. The
// body follows the same syntax as in ParseNIT, without the dash and digit.
// The digit must be 0 to 9 and must match the body.
func NewNIT(body string, digit int) (NIT, error) {
	n, err := newNIT(body, digit)
	if err != nil {
		return NIT{}, fmt.Errorf("docid: new nit: %w", err)
	}
	return n, nil
}

// CheckDigit computes the DIAN check digit of a NIT body given as 1 to 15
// plain ASCII digits, with no separators. Leading zeros are allowed here and
// do not change the result; ParseNIT and NewNIT reject them.
func CheckDigit(body string) (int, error) {
	if err := plainDigits(body); err != nil {
		return 0, fmt.Errorf("docid: nit check digit: %w", err)
	}
	return nitDigit(body), nil
}

// Body returns the digits before the check digit, with no separators.
func (n NIT) Body() string { return n.body }

// CheckDigit returns the check digit, 0 to 9.
func (n NIT) CheckDigit() int { return int(n.digit) }

// Compact returns the canonical compact form, body and digit joined by a
// dash: "800197268-4". It parses back to n.
func (n NIT) Compact() string {
	if n.body == "" {
		return ""
	}
	return n.body + "-" + string('0'+n.digit)
}

// Formatted returns the display form DIAN uses, the body grouped in
// thousands by dots: "800.197.268-4". It parses back to n.
func (n NIT) Formatted() string {
	if n.body == "" {
		return ""
	}
	var b strings.Builder
	thousands(&b, n.body)
	b.WriteByte('-')
	b.WriteByte('0' + n.digit)
	return b.String()
}

// String prints the NIT redacted, so it cannot leak into logs by accident.
func (n NIT) String() string { return "docid.NIT(redacted)" }

// GoString prints the NIT redacted for %#v.
func (n NIT) GoString() string { return n.String() }

// LogValue keeps the number out of log/slog records.
func (n NIT) LogValue() slog.Value { return slog.StringValue(n.String()) }

// parseNIT is ParseNIT without the error prefix, shared with Parse.
func parseNIT(s string) (NIT, error) {
	// 1. Bound and trim the input.
	t, off, err := precheck(s)
	if err != nil {
		return NIT{}, err
	}

	// 2. Only digits, the thousands separators and the dash may appear.
	dash, dashes := -1, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9', c == '.', c == ',', c == ' ':
		case c == '-':
			dash = i
			dashes++
		default:
			return NIT{}, invalidAt(off + i)
		}
	}

	// 3. Exactly one dash separates body and check digit.
	switch {
	case dashes == 0:
		return NIT{}, ErrMissingCheckDigit
	case dashes > 1:
		return NIT{}, separatorError("more than one dash")
	}
	left := strings.TrimRight(t[:dash], " ")
	right := strings.TrimLeft(t[dash+1:], " ")
	if right == "" {
		return NIT{}, ErrMissingCheckDigit
	}
	if len(right) != 1 || right[0] < '0' || right[0] > '9' {
		return NIT{}, ErrCheckDigitRange
	}

	// 4. Validate the body, then the digit against it.
	body, err := groupedDigits(left, off)
	if err != nil {
		return NIT{}, err
	}
	return checkNIT(body, int(right[0]-'0'))
}

func newNIT(body string, digit int) (NIT, error) {
	if digit < 0 || digit > 9 {
		return NIT{}, ErrCheckDigitRange
	}
	t, off, err := precheck(body)
	if err != nil {
		return NIT{}, err
	}
	ds, err := groupedDigits(t, off)
	if err != nil {
		return NIT{}, err
	}
	return checkNIT(ds, digit)
}

// checkNIT applies the body rule and compares the digit with the computed
// one. body holds only ASCII digits.
func checkNIT(body string, digit int) (NIT, error) {
	if err := checkLength(body, nitBodyRule); err != nil {
		return NIT{}, err
	}
	if want := nitDigit(body); digit != want {
		return NIT{}, &CheckDigitError{Got: digit, Want: want}
	}
	return NIT{body: body, digit: uint8(digit)}, nil // #nosec G115 -- digit == want, 0..9
}

// plainDigits checks a body for CheckDigit: bounded, 1 to 15 ASCII digits.
func plainDigits(body string) error {
	if len(body) > MaxInputBytes {
		return fmt.Errorf("%w: %d bytes, max %d", ErrTooLong, len(body), MaxInputBytes)
	}
	if body == "" {
		return ErrEmpty
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; c < '0' || c > '9' {
			return invalidAt(i)
		}
	}
	if len(body) > nitMaxBodyDigits {
		return lengthError(len(body), 1, nitMaxBodyDigits)
	}
	return nil
}

// nitDigit computes the check digit of body, which holds 1 to 15 ASCII
// digits. DIAN, Orden Administrativa 4 de 1989:
//
//  1. Multiply each body digit by its weight, the rightmost digit by 3, the
//     next by 7, and so on through nitWeights.
//  2. Take the sum modulo 11.
//  3. A remainder of 0 or 1 is the check digit; otherwise the check digit is
//     11 minus the remainder.
func nitDigit(body string) int {
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += int(body[len(body)-1-i]-'0') * nitWeights[i]
	}
	r := sum % 11
	if r < 2 {
		return r
	}
	return 11 - r
}
