package docid

import (
	"errors"
	"fmt"
)

// Errors returned by this package wrap one of these sentinels; use errors.Is
// to tell them apart and Reason to turn them into a stable code for clients.
// No error text quotes the input.
var (
	// ErrEmpty means the input held nothing but spaces.
	ErrEmpty = errors.New("empty document number")

	// ErrTooLong means the input exceeded MaxInputBytes and was not parsed.
	ErrTooLong = errors.New("input too long")

	// ErrInvalidCharacter means a byte the type does not allow, including
	// any byte outside printable ASCII.
	ErrInvalidCharacter = errors.New("character not allowed")

	// ErrSeparator means separators that are misplaced, doubled, mixed, or
	// that do not group the digits in thousands; also more than one dash in
	// a NIT.
	ErrSeparator = errors.New("misplaced separator")

	// ErrLength means too few or too many digits or characters for the type.
	ErrLength = errors.New("wrong length")

	// ErrLeadingZero means a number that starts with 0 where the type's
	// numbering never does.
	ErrLeadingZero = errors.New("leading zero")

	// ErrMissingCheckDigit means a NIT whose check digit is not marked off
	// by a dash, so it cannot be told apart from the body.
	ErrMissingCheckDigit = errors.New("nit check digit not marked by a dash")

	// ErrCheckDigitRange means a NIT check digit that is not a single digit
	// from 0 to 9.
	ErrCheckDigitRange = errors.New("nit check digit must be one digit 0-9")

	// ErrCheckDigit means a NIT whose check digit does not match its body.
	// The error is a *CheckDigitError, which says which digit was expected.
	ErrCheckDigit = errors.New("nit check digit mismatch")

	// ErrUnknownType means a code that is not in Types.
	ErrUnknownType = errors.New("unknown document type")
)

// CheckDigitError reports a NIT whose check digit does not match its body.
// Want is the digit DIAN's algorithm gives for the body. Telling the user the
// expected digit is accepted on purpose: the algorithm is public, so the
// digit is no secret, and naming it helps a person spot the typo.
type CheckDigitError struct {
	Got  int
	Want int
}

// Error says which digit was given and which was expected.
func (e *CheckDigitError) Error() string {
	return fmt.Sprintf("nit check digit is %d, want %d", e.Got, e.Want)
}

// Is makes errors.Is(err, ErrCheckDigit) true for a *CheckDigitError.
func (e *CheckDigitError) Is(target error) bool { return target == ErrCheckDigit }

// Reason returns a stable snake_case code for an error from this package, for
// API responses where the message text must not be relied on. It returns ""
// for nil and "invalid" for an error that wraps none of the sentinels.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTooLong):
		return "too_long"
	case errors.Is(err, ErrEmpty):
		return "empty"
	case errors.Is(err, ErrInvalidCharacter):
		return "invalid_character"
	case errors.Is(err, ErrSeparator):
		return "misplaced_separator"
	case errors.Is(err, ErrLength):
		return "wrong_length"
	case errors.Is(err, ErrLeadingZero):
		return "leading_zero"
	case errors.Is(err, ErrMissingCheckDigit):
		return "missing_check_digit"
	case errors.Is(err, ErrCheckDigitRange):
		return "check_digit_out_of_range"
	case errors.Is(err, ErrCheckDigit):
		return "check_digit_mismatch"
	case errors.Is(err, ErrUnknownType):
		return "unknown_type"
	default:
		return "invalid"
	}
}

// invalidAt reports a disallowed byte by position only, never by value, so
// the message carries no part of the input.
func invalidAt(pos int) error {
	return fmt.Errorf("%w at byte %d", ErrInvalidCharacter, pos)
}

// lengthError reports a length outside [lo, hi].
func lengthError(got, lo, hi int) error {
	return fmt.Errorf("%w: got %d, want %d to %d", ErrLength, got, lo, hi)
}

// separatorError says what was wrong with the separators.
func separatorError(what string) error {
	return fmt.Errorf("%w: %s", ErrSeparator, what)
}
