package passkeys

import "errors"

// Errors the service returns; the HTTP layer maps each to a problem. The
// wrapped chain under them (go-webauthn's reasons) is for the internal log
// only and must not be sent to clients.
var (
	// ErrUnknownUser: the account does not exist.
	ErrUnknownUser = errors.New("passkeys: unknown user")
	// ErrNotFound: the account has no passkey with that id.
	ErrNotFound = errors.New("passkeys: no such passkey")
	// ErrNoPasskeys: a login was begun for an account without passkeys.
	ErrNoPasskeys = errors.New("passkeys: the account has no passkeys")
	// ErrTooMany: the account already holds MaxPasskeysPerUser passkeys.
	ErrTooMany = errors.New("passkeys: the account has the most passkeys allowed")
	// ErrInvalidName: a passkey name is too long or holds control
	// characters or invalid UTF-8.
	ErrInvalidName = errors.New("passkeys: invalid passkey name")
	// ErrChallenge: the challenge is unknown, already used, expired, of
	// the other ceremony, or belongs to another account.
	ErrChallenge = errors.New("passkeys: the challenge is unknown, used or expired")
	// ErrMalformed: the browser's response cannot be decoded (too large,
	// not strict JSON, missing members, bad base64url or CBOR).
	ErrMalformed = errors.New("passkeys: the response is malformed")
	// ErrRejected: the response was decoded but does not verify (wrong
	// origin, RP ID, challenge, signature, flags or credential). ErrCloned
	// and ErrAlreadyRegistered match it too.
	ErrRejected = errors.New("passkeys: the response does not verify")
)

// refusal is a specific reason for a refused ceremony that also matches
// ErrRejected, so a handler that only knows ErrRejected still answers it.
type refusal struct{ msg string }

func (r *refusal) Error() string        { return r.msg }
func (r *refusal) Is(target error) bool { return target == ErrRejected }

var (
	// ErrCloned: the signature counter did not advance (WebAuthn Level 3
	// section 6.1.1), so two copies of the private key may exist. The login
	// is refused and audited as mfa.passkey.clone_warning; the passkey stays
	// registered, and the person or an admin decides whether to remove it.
	ErrCloned error = &refusal{"passkeys: the signature counter did not advance; " +
		"the authenticator may be cloned"}
	// ErrAlreadyRegistered: the authenticator's credential is registered
	// already, to this account or another (a client that ignored
	// excludeCredentials).
	ErrAlreadyRegistered error = &refusal{"passkeys: the credential is already registered"}
)
