package login

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/passkeys"
)

// proof is a second factor as a client sends it, to complete a sign-in or
// to step up.
type proof struct {
	// Method is totp, recovery_code, passkey, sms or email.
	Method string `json:"method"`
	// Code is the TOTP, recovery, text or email code.
	Code string `json:"code"`
	// FactorID names the text or email factor the code was sent to.
	FactorID string `json:"factor_id"`
	// ChallengeID and Credential answer a passkey challenge: the id from
	// the options endpoint and the PublicKeyCredential's JSON.
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
}

// errWrongUser is a passkey of another account offered for this one.
var errWrongUser = errors.New("login: the passkey belongs to another account")

// check verifies p as a second factor of userID and returns the RFC 8176
// authentication methods it proves. A wrong code counts toward the
// account's lockout as well as the factor's own limit.
func (h *Handlers) check(ctx context.Context, userID string, p proof,
	m accounts.Meta) ([]string, error) {
	var (
		amr []string
		err error
	)
	switch p.Method {
	case "totp":
		_, err = h.MFA.VerifyTOTP(ctx, userID, p.Code, mfa.Meta(m))
		amr = []string{"otp"}
	case "recovery_code":
		// A recovery code is a one-time password in RFC 8176's sense; the
		// audit log tells it apart (mfa.recovery.use).
		_, err = h.MFA.UseRecoveryCode(ctx, userID, p.Code, mfa.Meta(m))
		amr = []string{"otp"}
	case "sms", "email":
		amr, err = h.checkOOB(ctx, userID, p, m)
	case "passkey":
		var res passkeys.Result
		res, err = h.Passkeys.FinishLogin(ctx, p.ChallengeID, p.Credential, passkeys.Meta(m))
		if err == nil && res.UserID != userID {
			err = errWrongUser
		}
		amr = res.AMR
	default:
		return nil, badMethod(false)
	}
	if errors.Is(err, mfa.ErrInvalidCode) {
		if ferr := h.Accounts.SecondFactorFailed(ctx, userID, m); ferr != nil {
			return nil, ferr
		}
	}
	if err != nil {
		return nil, err
	}
	return amr, nil
}

// badMethod is the problem of an unknown method; withPassword for
// step-up, which also takes the password.
func badMethod(withPassword bool) *httpx.Problem {
	list := "totp, recovery_code, passkey, sms or email"
	if withPassword {
		list = "password, " + list
	}
	p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
		"method must be one of "+list)
	p.Errors = []httpx.FieldError{{Field: "/method", Code: "unknown_method",
		Message: "unknown method"}}
	return p
}

// factorProblem turns the errors of packages mfa and passkeys into problem
// documents; others pass through.
func factorProblem(err error) error {
	if p := oobProblem(err); p != nil {
		return p
	}
	switch {
	case errors.Is(err, mfa.ErrTooManyAttempts):
		return httpx.NewProblem(http.StatusTooManyRequests, "too_many_attempts",
			"too many wrong codes; wait and try again later")
	case errors.Is(err, mfa.ErrInvalidCode):
		return httpx.NewProblem(http.StatusUnauthorized, "invalid_code",
			"the code is not valid, has expired or was already used")
	case errors.Is(err, mfa.ErrNoFactor), errors.Is(err, passkeys.ErrNoPasskeys):
		return httpx.NewProblem(http.StatusConflict, "no_such_factor",
			"you have no factor of that kind; choose another method")
	case errors.Is(err, mfa.ErrNoSuchFactor), errors.Is(err, passkeys.ErrNotFound):
		return httpx.NewProblem(http.StatusNotFound, "no_such_factor", "no such factor")
	case errors.Is(err, mfa.ErrNotPending):
		return httpx.NewProblem(http.StatusConflict, "not_pending",
			"the factor is not waiting for activation; enrol it again")
	case errors.Is(err, mfa.ErrEnrollmentExpired):
		return httpx.NewProblem(http.StatusGone, "enrollment_expired",
			"the enrolment has expired; start again")
	case errors.Is(err, mfa.ErrTooManyFactors), errors.Is(err, passkeys.ErrTooMany):
		return httpx.NewProblem(http.StatusConflict, "too_many_factors",
			"you have as many factors of this kind as allowed; remove one first")
	case errors.Is(err, mfa.ErrInvalidInput), errors.Is(err, passkeys.ErrInvalidName):
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed, err.Error())
		p.Errors = []httpx.FieldError{{Field: "/name", Code: "invalid", Message: err.Error()}}
		return p
	case errors.Is(err, errWrongUser):
		return httpx.NewProblem(http.StatusUnauthorized, "invalid_credential",
			"that passkey does not belong to this account")
	case errors.Is(err, passkeys.ErrAlreadyRegistered):
		return httpx.NewProblem(http.StatusConflict, "already_registered",
			"this passkey is already registered")
	case errors.Is(err, passkeys.ErrRejected):
		return httpx.NewProblem(http.StatusUnauthorized, "invalid_credential",
			"the passkey's answer was not accepted")
	case errors.Is(err, passkeys.ErrChallenge):
		return httpx.NewProblem(http.StatusBadRequest, "invalid_challenge",
			"the passkey challenge is unknown, used or expired; ask for new options")
	case errors.Is(err, passkeys.ErrMalformed):
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"the passkey credential is malformed")
		p.Errors = []httpx.FieldError{{Field: "/credential", Code: "malformed",
			Message: "not a PublicKeyCredential in JSON form"}}
		return p
	case errors.Is(err, mfa.ErrUnknownUser), errors.Is(err, passkeys.ErrUnknownUser):
		return httpx.NewProblem(http.StatusNotFound, accounts.CodeUserNotFound, "no such user")
	}
	return err
}
