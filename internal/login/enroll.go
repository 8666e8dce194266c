package login

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/passkeys"
)

// The enrolment challenge is the restricted session PCI DSS v4.0.1 8.4.1
// leaves a person who must hold a second factor and holds none: its token
// reaches these four endpoints and nothing else, and enrolling a factor
// completes the sign-in with that factor in the session's amr.

// EnrollmentJSON is a pending authenticator-app factor. Secret, URI and
// QRPNG carry the seed: the client shows them once.
type EnrollmentJSON struct {
	FactorID string `json:"factor_id"`
	// Secret is the seed in base32, to type into an app by hand.
	Secret string `json:"secret"`
	// URI is the otpauth:// key URI the QR code holds.
	URI string `json:"otpauth_uri"`
	// QRPNG is the QR code as a PNG, base64.
	QRPNG     string    `json:"qr_png"`
	ExpiresAt time.Time `json:"expires_at"`
}

func enrollmentJSON(e mfa.Enrollment) EnrollmentJSON {
	return EnrollmentJSON{FactorID: e.FactorID, Secret: e.Secret, URI: e.URI,
		QRPNG: base64.StdEncoding.EncodeToString(e.QRPNG), ExpiresAt: e.ExpiresAt}
}

// noStore keeps secrets shown once out of caches.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

type enrollTOTPRequest struct {
	MFAToken string `json:"mfa_token"`
	Name     string `json:"name"`
}

// beginTOTP enrols a pending TOTP factor for userID and writes it.
func (h *Handlers) beginTOTP(w http.ResponseWriter, r *http.Request, userID,
	name string) error {
	ctx := r.Context()
	u, err := h.Accounts.Store.UserByID(ctx, userID)
	if err != nil {
		return accounts.Problem(r, err)
	}
	e, err := h.MFA.EnrollTOTP(ctx, userID, mfa.EnrollInput{Account: u.Email.Address,
		Name: name}, mfa.Meta(accounts.MetaOf(r)))
	if err != nil {
		return factorProblem(err)
	}
	noStore(w)
	return httpx.WriteJSON(w, http.StatusOK, enrollmentJSON(e))
}

func (h *Handlers) enrollTOTP(w http.ResponseWriter, r *http.Request) error {
	var req enrollTOTPRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ch, err := h.open(r.Context(), req.MFAToken, PurposeEnroll)
	if err != nil {
		return err
	}
	return h.beginTOTP(w, r, ch.UserID, req.Name)
}

type activateRequest struct {
	MFAToken string `json:"mfa_token"`
	FactorID string `json:"factor_id"`
	Code     string `json:"code"`
}

func (h *Handlers) enrollTOTPActivate(w http.ResponseWriter, r *http.Request) error {
	var req activateRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ctx, m := r.Context(), accounts.MetaOf(r)
	ch, err := h.open(ctx, req.MFAToken, PurposeEnroll)
	if err != nil {
		return err
	}
	if err := h.activateTOTP(ctx, ch.UserID, req.FactorID, req.Code, m); err != nil {
		return h.failed(ctx, ch, err)
	}
	return h.complete(w, r, ch, []string{"otp"}, true)
}

// activateTOTP activates a pending factor with its first code; a wrong
// code counts toward lockout like any other.
func (h *Handlers) activateTOTP(ctx context.Context, userID, factorID, code string,
	m accounts.Meta) error {
	err := h.MFA.ActivateTOTP(ctx, userID, factorID, code, mfa.Meta(m))
	if isInvalidCode(err) {
		if ferr := h.Accounts.SecondFactorFailed(ctx, userID, m); ferr != nil {
			return ferr
		}
	}
	return err
}

// firstRecoveryCodes makes a set of recovery codes for a person who has
// none, so that a first factor never comes without its backup (NIST SP
// 800-63B section 6.1.2.3 asks for a way back when a factor is lost).
func (h *Handlers) firstRecoveryCodes(ctx context.Context, userID string,
	m accounts.Meta) ([]string, error) {
	n, err := h.MFA.RecoveryCodesLeft(ctx, userID)
	if err != nil || n > 0 {
		return nil, err
	}
	return h.MFA.GenerateRecoveryCodes(ctx, userID, mfa.Meta(m))
}

func (h *Handlers) enrollPasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	var req tokenOnly
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ch, err := h.open(r.Context(), req.MFAToken, PurposeEnroll)
	if err != nil {
		return err
	}
	return h.beginPasskey(w, r, ch.UserID)
}

func (h *Handlers) beginPasskey(w http.ResponseWriter, r *http.Request, userID string) error {
	id, opts, err := h.Passkeys.BeginRegistration(r.Context(), userID)
	if err != nil {
		return factorProblem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, PasskeyOptions{ChallengeID: id, PublicKey: opts})
}

type registerPasskeyRequest struct {
	MFAToken    string          `json:"mfa_token"`
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
	Name        string          `json:"name"`
}

func (h *Handlers) enrollPasskey(w http.ResponseWriter, r *http.Request) error {
	var req registerPasskeyRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ctx, m := r.Context(), accounts.MetaOf(r)
	ch, err := h.open(ctx, req.MFAToken, PurposeEnroll)
	if err != nil {
		return err
	}
	cred, err := h.Passkeys.FinishRegistration(ctx, ch.UserID, req.ChallengeID, req.Credential,
		req.Name, passkeys.Meta(m))
	if err != nil {
		return h.failed(ctx, ch, err)
	}
	h.noticePasskey(ch.UserID, true, cred.Name)
	return h.complete(w, r, ch, passkeyAMR(cred), true)
}

func isInvalidCode(err error) bool { return errors.Is(err, mfa.ErrInvalidCode) }
