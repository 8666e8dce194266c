package login

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
)

// Codes by email and text message (package mfa): enrolment, sending, and
// their answers at sign-in and step-up.

func factorHint(f mfa.Factor) string { return f.Hint }

// oobAMR is the RFC 8176 method a code of kind proves.
func oobAMR(kind string) string {
	if kind == mfa.KindEmail {
		return "mail"
	}
	return "sms"
}

// checkOOB verifies a code sent to one of the person's text or email
// factors; method must name the factor's kind.
func (h *Handlers) checkOOB(ctx context.Context, userID string, p proof,
	m accounts.Meta) ([]string, error) {
	kind, err := h.MFA.VerifyOOB(ctx, userID, p.FactorID, p.Code, mfa.Meta(m))
	if err != nil {
		return nil, err
	}
	if kind != p.Method {
		// The code was right, and is spent: the client named the wrong
		// kind, which a genuine client does not do.
		return nil, mfa.ErrNoSuchFactor
	}
	return []string{oobAMR(kind)}, nil
}

// CodeSent answers a request for a code.
type CodeSent struct {
	FactorID  string `json:"factor_id"`
	Hint      string `json:"hint,omitempty"`
	ExpiresIn int64  `json:"expires_in"`
}

// sendCode sends a code to a factor of userID, for sign-in or step-up.
func (h *Handlers) sendCode(w http.ResponseWriter, r *http.Request, userID,
	factorID string) error {
	ctx := r.Context()
	if err := h.limit(r, ratelimit.ClassRecovery, userID); err != nil {
		return err
	}
	expires, err := h.MFA.SendCode(ctx, userID, factorID, mfa.Meta(accounts.MetaOf(r)))
	if err != nil {
		return factorProblem(err)
	}
	out := CodeSent{FactorID: factorID, ExpiresIn: h.secondsUntil(expires)}
	if all, err := h.MFA.Factors(ctx, userID); err == nil {
		for _, f := range all {
			if f.ID == factorID {
				out.Hint = f.Hint
			}
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

// OOBEnrollmentJSON is a pending text or email factor whose first code was
// sent.
type OOBEnrollmentJSON struct {
	FactorID  string    `json:"factor_id"`
	Hint      string    `json:"hint"`
	ExpiresAt time.Time `json:"expires_at"`
}

type enrollSMSRequest struct {
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

func (h *Handlers) meEnrollSMS(w http.ResponseWriter, r *http.Request) error {
	var req enrollSMSRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	id := me(r)
	if err := h.limit(r, ratelimit.ClassRecovery, id); err != nil {
		return err
	}
	e, err := h.MFA.EnrollSMS(r.Context(), id, req.Phone, mfa.Meta(accounts.MetaOf(r)))
	return h.enrolledOOB(w, r, e, req.Name, err)
}

func (h *Handlers) meEnrollEmail(w http.ResponseWriter, r *http.Request) error {
	var req nameRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	id := me(r)
	if err := h.limit(r, ratelimit.ClassRecovery, id); err != nil {
		return err
	}
	e, err := h.MFA.EnrollEmail(r.Context(), id, mfa.Meta(accounts.MetaOf(r)))
	return h.enrolledOOB(w, r, e, req.Name, err)
}

// enrolledOOB answers an enrolment, naming the factor when asked to.
func (h *Handlers) enrolledOOB(w http.ResponseWriter, r *http.Request, e mfa.OOBEnrollment,
	name string, err error) error {
	if err != nil {
		return factorProblem(err)
	}
	if name != "" {
		err := h.MFA.RenameFactor(r.Context(), me(r), e.FactorID, name,
			mfa.Meta(accounts.MetaOf(r)))
		if err != nil {
			return factorProblem(err)
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, OOBEnrollmentJSON{FactorID: e.FactorID,
		Hint: e.Hint, ExpiresAt: e.ExpiresAt})
}

func (h *Handlers) meActivateOOB(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ctx, m, id := r.Context(), accounts.MetaOf(r), me(r)
	fid := r.PathValue("id")
	err := h.MFA.ActivateOOB(ctx, id, fid, req.Code, mfa.Meta(m))
	if isInvalidCode(err) {
		if ferr := h.Accounts.SecondFactorFailed(ctx, id, m); ferr != nil {
			return ferr
		}
	}
	if err != nil {
		return factorProblem(err)
	}
	kind := mfa.KindSMS
	if all, err := h.MFA.Factors(ctx, id); err == nil {
		for _, f := range all {
			if f.ID == fid {
				kind = f.Kind
			}
		}
	}
	return h.activated(w, r, []string{oobAMR(kind)})
}

// retryLater is a problem with a Retry-After field; it writes itself.
type retryLater struct {
	*httpx.Problem
	after time.Duration
}

func (e retryLater) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secs := int64((e.after + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	httpx.WriteProblem(w, r, e.Problem)
}

// oobProblem renders the errors of codes by email and text message, or
// returns nil for others.
func oobProblem(err error) error {
	var throttled *mfa.ThrottledError
	conflict := func(code, detail string) error {
		return httpx.NewProblem(http.StatusConflict, code, detail)
	}
	switch {
	case errors.As(err, &throttled):
		return retryLater{httpx.NewProblem(http.StatusTooManyRequests, "too_many_codes",
			"a code was sent recently; wait before asking for another"), throttled.RetryAfter}
	case errors.Is(err, mfa.ErrInvalidPhone):
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"the phone number is not a mobile number that can receive texts")
		p.Errors = []httpx.FieldError{{Field: "/phone", Code: "invalid",
			Message: "not a mobile number, such as +57 300 123 4567"}}
		return p
	case errors.Is(err, mfa.ErrSMSDisabled):
		return conflict("sms_disabled", "codes by text message are not offered")
	case errors.Is(err, mfa.ErrEmailCodesDisabled):
		return conflict("email_codes_disabled", "codes by email are not offered")
	case errors.Is(err, mfa.ErrStrongFactorRequired):
		return conflict("strong_factor_required", "codes by text message are a backup: "+
			"add an authenticator app or a passkey first")
	case errors.Is(err, mfa.ErrEmailNotVerified):
		return conflict("email_not_verified", "verify your email address first")
	case errors.Is(err, mfa.ErrAddressChanged):
		return conflict("address_changed",
			"your email address changed since this factor was added; add it again")
	case errors.Is(err, mfa.ErrAlreadyEnrolled):
		return conflict("already_enrolled", "that number or address is already a factor")
	case errors.Is(err, mfa.ErrDelivery):
		return httpx.NewProblem(http.StatusBadGateway, "delivery_failed",
			"the code could not be sent; try again later")
	}
	return nil
}
