package login

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/passkeys"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
)

// challengeProblem renders the errors of Open, Spend and Fail.
func challengeProblem(err error) error {
	switch {
	case errors.Is(err, ErrChallengeSpent):
		return httpx.NewProblem(http.StatusUnauthorized, "challenge_spent",
			"too many wrong answers; sign in again")
	case errors.Is(err, ErrChallengeInvalid):
		return httpx.NewProblem(http.StatusUnauthorized, "invalid_mfa_token",
			"the sign-in challenge is invalid, used or expired; sign in again")
	}
	return err
}

// open returns the live challenge the request's mfa_token names.
func (h *Handlers) open(ctx context.Context, token string, p Purpose) (Challenge, error) {
	ch, err := h.Challenges.Open(ctx, token, p)
	if err != nil {
		return Challenge{}, challengeProblem(err)
	}
	return ch, nil
}

// failed counts a wrong answer against the challenge when err is the
// person's mistake, and returns the problem to answer with.
func (h *Handlers) failed(ctx context.Context, ch Challenge, err error) error {
	var p *httpx.Problem
	if errors.As(factorProblem(err), &p) && p.Status == http.StatusUnauthorized {
		if ferr := h.Challenges.Fail(ctx, ch.ID); ferr != nil {
			return ferr
		}
	}
	return factorProblem(err)
}

type verifyRequest struct {
	MFAToken string `json:"mfa_token"`
	proof
}

// verify completes an MFA challenge with a second factor and starts the
// session.
func (h *Handlers) verify(w http.ResponseWriter, r *http.Request) error {
	var req verifyRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ctx, m := r.Context(), accounts.MetaOf(r)
	ch, err := h.open(ctx, req.MFAToken, PurposeVerify)
	if err != nil {
		return err
	}
	if err := h.limit(r, ratelimit.ClassCode, ch.UserID); err != nil {
		return err
	}
	amr, err := h.check(ctx, ch.UserID, req.proof, m)
	if err != nil {
		return h.failed(ctx, ch, err)
	}
	return h.complete(w, r, ch, amr, false)
}

// complete spends the challenge and starts the session of a sign-in whose
// second step succeeded with amr.
func (h *Handlers) complete(w http.ResponseWriter, r *http.Request, ch Challenge,
	amr []string, firstFactor bool) error {
	ctx := r.Context()
	if err := h.Challenges.Spend(ctx, ch.ID); err != nil {
		return challengeProblem(err)
	}
	u, err := h.Accounts.CanSignIn(ctx, ch.UserID, "mfa", accounts.MetaOf(r))
	if err != nil {
		return signInProblem(r, err)
	}
	methods := append(append([]string{}, ch.AMR...), amr...)
	return h.startSession(w, r, u, methods, h.Clock.Now(), u.MustChangePassword, firstFactor)
}

func signInProblem(r *http.Request, err error) error {
	if errors.Is(err, accounts.ErrCannotSignIn) {
		return accounts.Problem(r, accounts.ErrInvalidCredentials)
	}
	return accounts.Problem(r, err)
}

type tokenOnly struct {
	MFAToken string `json:"mfa_token"`
}

// PasskeyOptions is the start of a passkey ceremony: the challenge id to
// send back and the options for navigator.credentials.get() or create().
type PasskeyOptions struct {
	ChallengeID string          `json:"challenge_id"`
	PublicKey   json.RawMessage `json:"public_key"`
}

// challengePasskeyOptions starts a passkey assertion that answers an MFA
// challenge.
func (h *Handlers) challengePasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	var req tokenOnly
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ch, err := h.open(r.Context(), req.MFAToken, PurposeVerify)
	if err != nil {
		return err
	}
	id, opts, err := h.Passkeys.BeginLogin(r.Context(), ch.UserID)
	if err != nil {
		return factorProblem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, PasskeyOptions{ChallengeID: id, PublicKey: opts})
}

type sendCodeRequest struct {
	MFAToken string `json:"mfa_token"`
	FactorID string `json:"factor_id"`
}

// challengeSendCode sends a text or email code for an MFA challenge.
func (h *Handlers) challengeSendCode(w http.ResponseWriter, r *http.Request) error {
	var req sendCodeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ch, err := h.open(r.Context(), req.MFAToken, PurposeVerify)
	if err != nil {
		return err
	}
	return h.sendCode(w, r, ch.UserID, req.FactorID)
}

// passkeyOptions starts a passwordless sign-in with a discoverable
// passkey.
func (h *Handlers) passkeyOptions(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	id, opts, err := h.Passkeys.BeginLogin(r.Context(), "")
	if err != nil {
		return factorProblem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, PasskeyOptions{ChallengeID: id, PublicKey: opts})
}

type passkeyLoginRequest struct {
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
}

// passkeyLogin completes a passwordless sign-in. A passkey with user
// verification is two factors in one (possession, and the PIN or
// biometric that unlocked it); the options demand it. A person who also
// must or does hold other factors needs nothing more.
func (h *Handlers) passkeyLogin(w http.ResponseWriter, r *http.Request) error {
	var req passkeyLoginRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ctx, m := r.Context(), accounts.MetaOf(r)
	res, err := h.Passkeys.FinishLogin(ctx, req.ChallengeID, req.Credential, passkeys.Meta(m))
	if err != nil {
		return factorProblem(err)
	}
	u, err := h.Accounts.CanSignIn(ctx, res.UserID, "passkey", m)
	if err != nil {
		return signInProblem(r, err)
	}
	return h.startSession(w, r, u, res.AMR, h.Clock.Now(), u.MustChangePassword, false)
}
