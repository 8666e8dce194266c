package authorizer

import (
	"errors"
	"fmt"
)

// Errors of this package. Decisions also fail with the errors of authz
// (authz.ErrUnknownPermission, authz.ErrUnknownResourceType,
// authz.ErrTypeMismatch, authz.ErrInvalidAttribute), which are the
// caller's mistakes. Compare with errors.Is.
var (
	// ErrUnavailable means no decision could be made: cerrojo could not be
	// reached or answered something unexpected, the policy is older than
	// MaxStale, or the client credentials were refused. The request may
	// be fine; answer 503, never 403.
	ErrUnavailable = errors.New("authorizer: authorization is unavailable")

	// ErrInvalidClient means cerrojo refused the service's client id or
	// secret. It comes together with ErrUnavailable: errors.Is matches
	// both.
	ErrInvalidClient = errors.New("authorizer: cerrojo refused the client credentials")

	// ErrInvalidRequest means the request cannot be decided as asked: it
	// has no claims, no subject, a subject over MaxSubjectIDBytes or that
	// is "." or "..", no resource, or a batch of no checks or more than
	// MaxBatchChecks; or cerrojo's check API refused it as invalid_request.
	ErrInvalidRequest = errors.New("authorizer: invalid authorization request")

	// ErrNotFound is what a resource loader given to Require returns when
	// the resource does not exist; Require then answers 404.
	ErrNotFound = errors.New("authorizer: resource not found")
)

// unavailable wraps ErrUnavailable with detail for the logs.
func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnavailable}, args...)...)
}

// invalidRequest wraps ErrInvalidRequest with detail for the logs.
func invalidRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
}
