package sdk

import (
	"errors"
	"fmt"
)

// Error is a reason why a token was refused. Code is stable: services log
// it, count it and branch on it. The message is for logs, never for the
// client, which gets the fixed descriptions of Middleware.
type Error struct {
	// Code is a stable machine code such as "expired".
	Code string
	msg  string
}

func (e *Error) Error() string { return "sdk: " + e.msg }

// Reasons a token is refused. Verify wraps them with detail; compare with
// errors.Is, or take the code with errors.As.
var (
	// ErrMalformed means the token is not a well-formed compact JWS carrying
	// a JSON claims object, or uses an encoding cerrojo never writes.
	ErrMalformed = &Error{"malformed", "token is malformed"}
	// ErrTooLarge means the token is longer than MaxTokenBytes.
	ErrTooLarge = &Error{"too_large", "token is too large"}
	// ErrAlgorithm means the alg header is not in the allow-list (none and
	// HMAC never are) or is not the algorithm of the key named by kid.
	ErrAlgorithm = &Error{"unsupported_algorithm", "token algorithm is not accepted"}
	// ErrForbiddenHeader means the header has a parameter other than alg,
	// kid and typ: jku, x5u, jwk, x5c, crit and the like are refused.
	ErrForbiddenHeader = &Error{"forbidden_header", "token header has a forbidden parameter"}
	// ErrWrongType means typ is not at+jwt (RFC 9068 section 4).
	ErrWrongType = &Error{"wrong_type", "token is not an access token (typ)"}
	// ErrUnknownKey means no published key has the token's kid.
	ErrUnknownKey = &Error{"unknown_key", "token is signed by an unknown key"}
	// ErrSignature means the signature does not verify.
	ErrSignature = &Error{"bad_signature", "token signature does not verify"}
	// ErrDuplicateClaim means a claim name appears twice in the token.
	ErrDuplicateClaim = &Error{"duplicate_claim", "token has a duplicate claim"}
	// ErrMissingClaim means a claim that RFC 9068 section 2.2 requires is
	// absent or empty.
	ErrMissingClaim = &Error{"missing_claim", "token lacks a required claim"}
	// ErrIssuer means iss is not the configured issuer.
	ErrIssuer = &Error{"wrong_issuer", "token issuer is not accepted"}
	// ErrAudience means aud names none of the configured audiences.
	ErrAudience = &Error{"wrong_audience", "token audience is not accepted"}
	// ErrExpired means exp has passed, beyond the leeway.
	ErrExpired = &Error{"expired", "token has expired"}
	// ErrNotYetValid means nbf or iat is in the future, beyond the leeway.
	ErrNotYetValid = &Error{"not_yet_valid", "token is not valid yet"}
	// ErrRevoked means the token's session or the token itself was revoked.
	ErrRevoked = &Error{"revoked", "token has been revoked"}
	// ErrKeysUnavailable means the keys could not be fetched: the token may
	// be fine, and the service should answer 503, not 401.
	ErrKeysUnavailable = &Error{"keys_unavailable", "signing keys are unavailable"}
	// ErrRevocationUnavailable means the revocation list could not be
	// consulted; Verify fails closed.
	ErrRevocationUnavailable = &Error{"revocation_unavailable",
		"revocation list is unavailable"}
)

// Temporary reports whether the failure is the verifier's, not the
// token's: the same token may verify once keys or revocations are reachable.
func (e *Error) Temporary() bool {
	return e == ErrKeysUnavailable || e == ErrRevocationUnavailable
}

// ErrorCode returns the stable code of a Verify error, or "" for nil and
// for errors that are not the SDK's.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// refuse wraps a reason with detail for the logs.
func refuse(reason *Error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{reason}, args...)...)
}
