// Package vendors onboards the marketplace's vendors: a vendor's legal
// identity (NIT with check digit or cédula), RUT tax responsibilities,
// contact, DANE address and bank account; its documents; the review by
// operators (with four eyes when configured); and its staff.
//
// Identity numbers and bank account numbers are sealed with the key ring;
// the identity number also has a keyed blind index, so uniqueness and
// search work without decrypting. Every change is an audit event written in
// the same transaction as the change.
package vendors

import (
	"errors"
	"strings"
)

// Errors returned by the service; the HTTP layer maps them to problems.
var (
	// ErrNotFound means no such vendor, or one the caller may not see.
	ErrNotFound = errors.New("vendors: not found")
	// ErrAlreadyRegistered means the identity number belongs to another
	// vendor.
	ErrAlreadyRegistered = errors.New("vendors: identification already registered")
	// ErrState is wrapped by a *StateError.
	ErrState = errors.New("vendors: illegal status transition")
	// ErrDocumentsMissing is wrapped by a *MissingDocumentsError.
	ErrDocumentsMissing = errors.New("vendors: required documents missing")
	// ErrSameReviewer means a reviewer approved the same round twice.
	ErrSameReviewer = errors.New("vendors: this reviewer already approved this round")
	// ErrInvitationNotFound means the token matches no invitation.
	ErrInvitationNotFound = errors.New("vendors: invitation not found")
	// ErrInvitationUsed means the invitation was already accepted.
	ErrInvitationUsed = errors.New("vendors: invitation already used")
	// ErrInvitationExpired means the invitation's time ran out.
	ErrInvitationExpired = errors.New("vendors: invitation expired")
	// ErrWrongInvitee means the signed-in person's verified email is not
	// the one invited.
	ErrWrongInvitee = errors.New("vendors: invitation is for another email address")
	// ErrAlreadyMember means the person already belongs to the vendor.
	ErrAlreadyMember = errors.New("vendors: already a member of this vendor")
	// ErrNotMember means the user is not a staff member of the vendor.
	ErrNotMember = errors.New("vendors: not a staff member")
)

// FieldError says what is wrong with one field of the input.
type FieldError struct {
	// Field is a JSON Pointer such as /identification/number.
	Field string
	// Code is a stable snake_case reason, such as check_digit_mismatch.
	Code    string
	Message string
}

// ValidationError lists everything wrong with an input.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "vendors: invalid input: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, code, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Code: code, Message: message})
}

func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

func invalid(field, code, message string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Code: code, Message: message}}}
}

// StateError is an action the vendor's status does not allow.
type StateError struct {
	Status string
	Action string
}

func (e *StateError) Error() string {
	return "vendors: cannot " + e.Action + " a vendor that is " + e.Status
}

// Unwrap makes errors.Is(err, ErrState) true.
func (e *StateError) Unwrap() error { return ErrState }

// MissingDocumentsError names the required documents not uploaded yet.
type MissingDocumentsError struct {
	Kinds []string
}

func (e *MissingDocumentsError) Error() string {
	return "vendors: required documents missing: " + strings.Join(e.Kinds, ", ")
}

// Unwrap makes errors.Is(err, ErrDocumentsMissing) true.
func (e *MissingDocumentsError) Unwrap() error { return ErrDocumentsMissing }
