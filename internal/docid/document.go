package docid

import (
	"fmt"
	"log/slog"
	"strings"
)

// Document is a parsed identity document number of a known type. The zero
// value is not a valid document. Documents compare equal with == exactly
// when type and canonical number are equal.
//
// A Document prints as redacted through fmt and log/slog; use Number or
// Formatted to get the number.
type Document struct {
	code   Code
	number string // canonical: see Number
}

// Parse validates s as a number of the document type code and returns it in
// canonical form. Surrounding spaces are ignored.
//
//   - Numeric types (cédula, tarjeta de identidad, permits, ...) accept
//     digits, optionally grouped in thousands by one of '.', ',' or ' ':
//     "1.020.304.050" and "1020304050" are the same cédula.
//   - Alphanumeric types (passport, foreign documents) accept ASCII letters
//     and digits with single ' ', '-' or '.' between them; separators are
//     dropped and letters upper-cased: "ab-123 456" is "AB123456".
//   - CodeNIT follows ParseNIT: the check digit must be marked by a dash.
//
// Each type's length bounds and their sources are in rules.go.
func Parse(code Code, s string) (Document, error) {
	d, err := parse(code, s)
	if err != nil {
		return Document{}, fmt.Errorf("docid: parse type %d: %w", code, err)
	}
	return d, nil
}

func parse(code Code, s string) (Document, error) {
	// 1. Cap the input before anything else, whatever the type.
	if len(s) > MaxInputBytes {
		return Document{}, fmt.Errorf("%w: %d bytes, max %d", ErrTooLong, len(s), MaxInputBytes)
	}
	e, ok := lookup(code)
	if !ok {
		return Document{}, ErrUnknownType
	}

	// 2. The NIT has its own syntax for the check digit.
	if code == CodeNIT {
		n, err := parseNIT(s)
		if err != nil {
			return Document{}, err
		}
		return Document{code: code, number: n.Compact()}, nil
	}

	// 3. Normalise by character set, then apply the type's bounds.
	t, off, err := precheck(s)
	if err != nil {
		return Document{}, err
	}
	var v string
	switch e.rule.chars {
	case digits:
		v, err = groupedDigits(t, off)
	default:
		v, err = alnum(t, off)
	}
	if err != nil {
		return Document{}, err
	}
	if err := checkLength(v, e.rule); err != nil {
		return Document{}, err
	}
	return Document{code: code, number: v}, nil
}

// Code returns the document's DIAN type code.
func (d Document) Code() Code { return d.code }

// Number returns the canonical compact number: digits only for numeric
// types, upper-case letters and digits for alphanumeric types, and body,
// dash and check digit for a NIT ("800197268-4"). It parses back to d.
func (d Document) Number() string { return d.number }

// Formatted returns the number for display: numeric types grouped in
// thousands by dots ("1.020.304.050"), a NIT as "800.197.268-4", and
// alphanumeric types as Number. It parses back to d.
func (d Document) Formatted() string {
	if d.code == CodeNIT {
		n, _ := d.NIT()
		return n.Formatted()
	}
	e, ok := lookup(d.code)
	if !ok || e.rule.chars != digits {
		return d.number
	}
	var b strings.Builder
	thousands(&b, d.number)
	return b.String()
}

// NIT returns the document as a NIT when its type is CodeNIT.
func (d Document) NIT() (NIT, bool) {
	if d.code != CodeNIT || len(d.number) < 2 {
		return NIT{}, false
	}
	i := len(d.number) - 2 // canonical form ends in "-d"
	return NIT{body: d.number[:i], digit: d.number[i+1] - '0'}, true
}

// String prints the type code and hides the number, so a document cannot
// leak into logs by accident.
func (d Document) String() string {
	return fmt.Sprintf("docid.Document(type %d, number redacted)", d.code)
}

// GoString prints the document redacted for %#v.
func (d Document) GoString() string { return d.String() }

// LogValue keeps the number out of log/slog records.
func (d Document) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("type", int(d.code)),
		slog.String("number", "redacted"),
	)
}
