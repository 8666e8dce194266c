package login

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/passkeys"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// MeRoutes registers a person's management of their own factors. Every
// change that adds or removes a way to sign in needs a recent
// authentication (RequireRecent); listing and renaming do not.
func (h *Handlers) MeRoutes(r *httpx.Router, requireSession func(http.Handler) http.Handler) {
	plain := func(f httpx.HandlerFunc) http.Handler { return requireSession(f) }
	recent := func(f httpx.HandlerFunc) http.Handler { return requireSession(h.RequireRecent(f)) }

	r.Handle("GET /v1/me/mfa", plain(h.listFactors))
	r.Handle("POST /v1/me/mfa/totp", recent(h.meEnrollTOTP))
	r.Handle("POST /v1/me/mfa/totp/{id}/activate", plain(h.meActivateTOTP))
	r.Handle("PATCH /v1/me/mfa/factors/{id}", plain(h.meRenameFactor))
	r.Handle("DELETE /v1/me/mfa/factors/{id}", recent(h.meRemoveFactor))
	r.Handle("POST /v1/me/mfa/recovery-codes", recent(h.meRecoveryCodes))
	r.Handle("DELETE /v1/me/mfa/recovery-codes", recent(h.meDeleteRecoveryCodes))
	r.Handle("POST /v1/me/mfa/sms", recent(h.meEnrollSMS))
	r.Handle("POST /v1/me/mfa/email", recent(h.meEnrollEmail))
	r.Handle("POST /v1/me/mfa/codes/{id}/activate", plain(h.meActivateOOB))

	r.Handle("GET /v1/me/passkeys", plain(h.listPasskeys))
	r.Handle("POST /v1/me/passkeys/options", recent(h.mePasskeyOptions))
	r.Handle("POST /v1/me/passkeys", recent(h.meRegisterPasskey))
	r.Handle("PATCH /v1/me/passkeys/{id}", plain(h.meRenamePasskey))
	r.Handle("DELETE /v1/me/passkeys/{id}", recent(h.meRemovePasskey))
}

func me(r *http.Request) string {
	ses, _ := sessions.FromContext(r.Context())
	return ses.UserID
}

// FactorJSON is one of a person's TOTP, text or email factors.
type FactorJSON struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Name        string    `json:"name"`
	Hint        string    `json:"hint,omitempty"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	LastUsedAt  time.Time `json:"last_used_at,omitzero"`
}

// MFAStatus is what GET /v1/me/mfa answers.
type MFAStatus struct {
	// Required: policy obliges the person to hold a second factor, so the
	// last one cannot be removed.
	Required          bool                  `json:"required"`
	Factors           []FactorJSON          `json:"factors"`
	Passkeys          []passkeys.Credential `json:"passkeys"`
	RecoveryCodesLeft int                   `json:"recovery_codes_left"`
	Methods           []FactorOption        `json:"methods"`
}

func (h *Handlers) listFactors(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), me(r)
	all, err := h.MFA.Factors(ctx, id)
	if err != nil {
		return err
	}
	creds, err := h.Passkeys.List(ctx, id)
	if err != nil {
		return err
	}
	st, err := h.standingOf(ctx, id)
	if err != nil {
		return err
	}
	must, err := h.mustHaveFactor(ctx, id)
	if err != nil {
		return err
	}
	out := MFAStatus{Required: must, Factors: []FactorJSON{}, Passkeys: creds,
		RecoveryCodesLeft: st.recovery, Methods: st.options()}
	if out.Passkeys == nil {
		out.Passkeys = []passkeys.Credential{}
	}
	for _, f := range all {
		out.Factors = append(out.Factors, FactorJSON{ID: f.ID, Type: f.Kind, Name: f.Name,
			Hint: factorHint(f), Active: f.Active(), CreatedAt: f.CreatedAt,
			ActivatedAt: f.ActivatedAt, LastUsedAt: f.LastUsedAt})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

type nameRequest struct {
	Name string `json:"name"`
}

func (h *Handlers) meEnrollTOTP(w http.ResponseWriter, r *http.Request) error {
	var req nameRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	return h.beginTOTP(w, r, me(r), req.Name)
}

type codeRequest struct {
	Code string `json:"code"`
}

// Activated answers the activation of a factor; RecoveryCodes are set,
// and shown this once, when it was the person's first. The code that
// activated the factor proved it: the session steps up with it, and
// AccessToken carries the new level (the refresh token is unchanged).
type Activated struct {
	Activated     bool     `json:"activated"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	StepUpResponse
}

func (h *Handlers) meActivateTOTP(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ctx, m, id := r.Context(), accounts.MetaOf(r), me(r)
	if err := h.activateTOTP(ctx, id, r.PathValue("id"), req.Code, m); err != nil {
		return factorProblem(err)
	}
	return h.activated(w, r, []string{"otp"})
}

// activated answers the activation of a factor that proved amr: the
// session steps up with it, and a first factor brings recovery codes.
func (h *Handlers) activated(w http.ResponseWriter, r *http.Request, amr []string) error {
	ses, _ := sessions.FromContext(r.Context())
	m := accounts.MetaOf(r)
	up, err := h.stepUpWith(r, ses, amr, m)
	if err != nil {
		return err
	}
	codes, err := h.firstRecoveryCodes(r.Context(), ses.UserID, m)
	if err != nil {
		return err
	}
	noStore(w)
	return httpx.WriteJSON(w, http.StatusOK, Activated{Activated: true, RecoveryCodes: codes,
		StepUpResponse: up})
}

func (h *Handlers) meRenameFactor(w http.ResponseWriter, r *http.Request) error {
	var req nameRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	err := h.MFA.RenameFactor(r.Context(), me(r), r.PathValue("id"), req.Name,
		mfa.Meta(accounts.MetaOf(r)))
	if err != nil {
		return factorProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// keepsRequiredFactor refuses to remove the last factor of a person whom
// policy obliges to hold one: they would be back to a password alone.
func (h *Handlers) keepsRequiredFactor(ctx context.Context, userID string,
	removingActive bool) error {
	if !removingActive {
		return nil
	}
	st, err := h.standingOf(ctx, userID)
	if err != nil {
		return err
	}
	if st.count() > 1 {
		return nil
	}
	must, err := h.mustHaveFactor(ctx, userID)
	if err != nil || !must {
		return err
	}
	return httpx.NewProblem(http.StatusConflict, "factor_required",
		"your role requires a second factor; add another before removing this one")
}

func (h *Handlers) meRemoveFactor(w http.ResponseWriter, r *http.Request) error {
	ctx, id, fid := r.Context(), me(r), r.PathValue("id")
	all, err := h.MFA.Factors(ctx, id)
	if err != nil {
		return err
	}
	active := false
	for _, f := range all {
		active = active || f.ID == fid && f.Active()
	}
	if err := h.keepsRequiredFactor(ctx, id, active); err != nil {
		return err
	}
	if err := h.MFA.RemoveFactor(ctx, id, fid, mfa.Meta(accounts.MetaOf(r))); err != nil {
		return factorProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RecoveryCodes is a new set, shown this once.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (h *Handlers) meRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	codes, err := h.MFA.GenerateRecoveryCodes(r.Context(), me(r), mfa.Meta(accounts.MetaOf(r)))
	if err != nil {
		return factorProblem(err)
	}
	noStore(w)
	return httpx.WriteJSON(w, http.StatusOK, RecoveryCodes{RecoveryCodes: codes})
}

func (h *Handlers) meDeleteRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	if err := h.MFA.DeleteRecoveryCodes(r.Context(), me(r),
		mfa.Meta(accounts.MetaOf(r))); err != nil {
		return factorProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	creds, err := h.Passkeys.List(r.Context(), me(r))
	if err != nil {
		return err
	}
	if creds == nil {
		creds = []passkeys.Credential{}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"passkeys": creds})
}

func (h *Handlers) mePasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	return h.beginPasskey(w, r, me(r))
}

type meRegisterPasskeyRequest struct {
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
	Name        string          `json:"name"`
}

// PasskeyRegistered answers a new passkey; RecoveryCodes and the new
// access token as in Activated.
type PasskeyRegistered struct {
	Passkey       passkeys.Credential `json:"passkey"`
	RecoveryCodes []string            `json:"recovery_codes,omitempty"`
	StepUpResponse
}

func (h *Handlers) meRegisterPasskey(w http.ResponseWriter, r *http.Request) error {
	var req meRegisterPasskeyRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ctx, m, id := r.Context(), accounts.MetaOf(r), me(r)
	cred, err := h.Passkeys.FinishRegistration(ctx, id, req.ChallengeID, req.Credential,
		req.Name, passkeys.Meta(m))
	if err != nil {
		return factorProblem(err)
	}
	h.noticePasskey(id, true, cred.Name)
	ses, _ := sessions.FromContext(ctx)
	up, err := h.stepUpWith(r, ses, passkeyAMR(cred), m)
	if err != nil {
		return err
	}
	codes, err := h.firstRecoveryCodes(ctx, id, m)
	if err != nil {
		return err
	}
	noStore(w)
	return httpx.WriteJSON(w, http.StatusCreated, PasskeyRegistered{Passkey: cred,
		RecoveryCodes: codes, StepUpResponse: up})
}

func (h *Handlers) meRenamePasskey(w http.ResponseWriter, r *http.Request) error {
	var req nameRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	err := h.Passkeys.Rename(r.Context(), me(r), r.PathValue("id"), req.Name,
		passkeys.Meta(accounts.MetaOf(r)))
	if err != nil {
		return factorProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) meRemovePasskey(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), me(r)
	creds, err := h.Passkeys.List(ctx, id)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(creds, func(c passkeys.Credential) bool {
		return c.ID == r.PathValue("id")
	})
	if i < 0 {
		return factorProblem(passkeys.ErrNotFound)
	}
	if err := h.keepsRequiredFactor(ctx, id, true); err != nil {
		return err
	}
	if err := h.Passkeys.Remove(ctx, id, r.PathValue("id"),
		passkeys.Meta(accounts.MetaOf(r))); err != nil {
		return factorProblem(err)
	}
	h.noticePasskey(id, false, creds[i].Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
