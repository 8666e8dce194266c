package password

import (
	"errors"
	"fmt"
)

// Errors returned by this package wrap one of these sentinels; use errors.Is
// to tell them apart. No error text quotes a password, a salt or a hash.
var (
	// ErrMalformedHash means a stored hash string that does not follow its
	// scheme's format exactly: missing or extra fields, a parameter written
	// twice or in a non-canonical way, or base64 that is not canonical.
	ErrMalformedHash = errors.New("malformed password hash")

	// ErrUnknownScheme means a stored hash whose prefix names no scheme this
	// package verifies.
	ErrUnknownScheme = errors.New("unknown password hash scheme")

	// ErrParamsOutOfRange means a stored hash, Params or FirebaseProject
	// whose parameters fall outside the bounds in limits.go.
	ErrParamsOutOfRange = errors.New("password hash parameters out of range")

	// ErrFirebaseNotConfigured means a Firebase scrypt hash was given to a
	// Hasher built without Config.Firebase.
	ErrFirebaseNotConfigured = errors.New("firebase scrypt hash but no firebase project")

	// ErrPasswordTooLong means a password over MaxPasswordBytes, before or
	// after normalisation. It was not hashed.
	ErrPasswordTooLong = errors.New("password too long")

	// ErrInvalidConfig means a Config or Policy that fails Validate.
	ErrInvalidConfig = errors.New("invalid password configuration")

	// ErrBreachCheckUnavailable means the breached-password service could
	// not give an answer: network failure, timeout, a non-200 status or a
	// response that does not parse. The password was neither accepted nor
	// rejected; see Policy.CheckBreach for what the caller should do.
	ErrBreachCheckUnavailable = errors.New("breached-password service unavailable")
)

// malformed reports a format error, naming the field but never its value.
func malformed(scheme Scheme, what string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformedHash, scheme, what)
}

// outOfRange reports a parameter outside [lo, hi] with its value; parameters
// are not secret.
func outOfRange(scheme Scheme, name string, got, lo, hi uint64) error {
	return fmt.Errorf("%w: %s: %s is %d, want %d to %d",
		ErrParamsOutOfRange, scheme, name, got, lo, hi)
}

// configError reports a configuration field with its bad value.
func configError(field string, got any, want string) error {
	return fmt.Errorf("%w: %s is %v, want %s", ErrInvalidConfig, field, got, want)
}
