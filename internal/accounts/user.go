package accounts

import (
	"errors"
	"time"
)

// Kind is the kind of account a person asked for at registration.
type Kind string

// The account kinds. Vendor staff and admins are customers or vendors who
// hold roles; the authorization policy decides what each may do.
const (
	KindCustomer Kind = "customer"
	KindVendor   Kind = "vendor"
)

// State is an account's life-cycle state.
type State string

// The account states.
const (
	StateActive State = "active"
	// StateLocked: too many failed logins. It ends by itself at
	// LockedUntil, by an admin, or by a completed password reset.
	StateLocked State = "locked"
	// StateDisabled: an admin turned the account off. Every session ends.
	StateDisabled State = "disabled"
	// StatePendingDeletion: the person asked for deletion; the account can
	// no longer sign in while the request is processed.
	StatePendingDeletion State = "pending_deletion"
)

// User is a person's account.
type User struct {
	ID                 string
	Email              Email
	EmailVerified      bool
	Phone              string // E.164, or empty
	Name               string
	Kind               Kind
	State              State
	LockedUntil        time.Time // zero unless locked
	PasswordHash       string    // PHC string; empty for accounts without a password
	PasswordChangedAt  time.Time
	MustChangePassword bool
	Locale             string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Purpose says what a one-time token is for.
type Purpose string

// The purposes of one-time tokens.
const (
	PurposeVerifyEmail   Purpose = "verify_email"
	PurposeResetPassword Purpose = "reset_password"
	PurposeChangeEmail   Purpose = "change_email"
)

// OneTimeToken is a single-use secret sent to a person: a short code to type
// and a long token to follow as a link. Only their MACs are stored.
type OneTimeToken struct {
	ID         string
	UserID     string
	Purpose    Purpose
	CodeMAC    []byte // nil when the purpose has no code (links only)
	LinkMAC    []byte
	Target     string // the new address, for an email change
	Attempts   int
	ExpiresAt  time.Time
	ConsumedAt time.Time // zero until used or replaced
	CreatedAt  time.Time
}

// Store errors.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("accounts: not found")
	// ErrEmailTaken means another account has the same normalised email.
	ErrEmailTaken = errors.New("accounts: email already registered")
)
