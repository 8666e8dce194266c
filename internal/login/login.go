// Package login is how a person proves who they are over HTTP: the
// password, the second factor that follows it, passkeys with no password,
// the restricted enrolment of a first factor that policy demands, step-up
// before sensitive operations, and the management of one's own factors.
// It composes packages accounts (passwords, lockout), mfa (TOTP, recovery,
// email and text codes), passkeys (WebAuthn) and sessions; it keeps only
// the sign-in challenges between the first and the second step.
//
// Guarantees:
//   - A correct password never yields a session for a person who holds a
//     second factor: the answer is a challenge, single use, valid
//     ChallengeTTL, that only the factor completes (NIST SP 800-63B
//     AAL2).
//   - A person whom policy obliges to hold a factor and holds none gets
//     only an enrolment challenge, which reaches no API but enrolment
//     (PCI DSS v4.0.1 8.4.1); enrolling completes the sign-in.
//   - Wrong codes count toward the factor's limit, the challenge's
//     attempts and the account's lockout together.
//   - Tokens carry acr ("pwd" or "mfa") and amr (RFC 8176: pwd, otp, hwk,
//     swk, user, sms, mail).
//   - Sensitive operations demand an authentication within the step-up
//     window, with a second factor for people who hold one, and answer
//     401 step_up_required (RFC 9470) otherwise.
package login

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/passkeys"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// Handlers serves sign-in, second factors, step-up and sign-out.
type Handlers struct {
	Accounts   *accounts.Service
	Sessions   *sessions.Service
	MFA        *mfa.Service
	Passkeys   *passkeys.Service
	Challenges *Challenges
	Policy     Policy
	Clock      clock.Clock
	// Limits, when set, add per-account rate limits to the per-address ones
	// the server applies: sign-ins per account, codes per person.
	Limits *ratelimit.Middleware
	// Notices, when set, tells people a passkey was added to or removed
	// from their account (package mfa tells them about its own factors).
	Notices PasskeyNotifier
	Logger  *slog.Logger

	pending sync.WaitGroup
}

// PasskeyNotifier tells a person about a change to their passkeys.
type PasskeyNotifier interface {
	PasskeyChanged(ctx context.Context, userID string, added bool, label string) error
}

// noticePasskey sends a passkey notice in the background, after the
// change committed; a failure is logged, since the change stands.
func (h *Handlers) noticePasskey(userID string, added bool, label string) {
	if h.Notices == nil {
		return
	}
	h.pending.Add(1)
	go func() {
		defer h.pending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.Notices.PasskeyChanged(ctx, userID, added, label); err != nil &&
			h.Logger != nil {
			h.Logger.Warn("passkey notice failed", "user_id", userID, "error", err.Error())
		}
	}()
}

// Wait returns when the notices in flight are sent; call it at shutdown.
func (h *Handlers) Wait() { h.pending.Wait() }

// Routes registers the public routes; requireSession guards those that
// act on the caller's own session.
func (h *Handlers) Routes(r *httpx.Router, requireSession func(http.Handler) http.Handler) {
	r.HandleFunc("POST /v1/auth/login", h.login)
	r.Handle("POST /v1/auth/logout", requireSession(httpx.HandlerFunc(h.logout)))

	r.HandleFunc("POST /v1/auth/mfa/verify", h.verify)
	r.HandleFunc("POST /v1/auth/mfa/passkey-options", h.challengePasskeyOptions)
	r.HandleFunc("POST /v1/auth/mfa/send-code", h.challengeSendCode)
	r.HandleFunc("POST /v1/auth/mfa/enroll/totp", h.enrollTOTP)
	r.HandleFunc("POST /v1/auth/mfa/enroll/totp/activate", h.enrollTOTPActivate)
	r.HandleFunc("POST /v1/auth/mfa/enroll/passkey-options", h.enrollPasskeyOptions)
	r.HandleFunc("POST /v1/auth/mfa/enroll/passkey", h.enrollPasskey)

	r.HandleFunc("POST /v1/auth/passkey/options", h.passkeyOptions)
	r.HandleFunc("POST /v1/auth/passkey", h.passkeyLogin)

	r.Handle("POST /v1/auth/step-up", requireSession(httpx.HandlerFunc(h.stepUp)))
	r.Handle("POST /v1/auth/step-up/passkey-options",
		requireSession(httpx.HandlerFunc(h.stepUpPasskeyOptions)))
	r.Handle("POST /v1/auth/step-up/send-code",
		requireSession(httpx.HandlerFunc(h.stepUpSendCode)))
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// TokenResponse is the answer to a login and to a refresh, shaped like an
// RFC 6749 section 5.1 token response so OAuth clients read it as one.
type TokenResponse struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in,omitempty"`
	SessionID             string `json:"session_id"`
	// MustChangePassword asks the client to send the person to change
	// their password before anything else.
	MustChangePassword bool               `json:"must_change_password,omitempty"`
	User               *accounts.UserJSON `json:"user,omitempty"`
	// RecoveryCodes are shown once, when enrolling a first factor made
	// them.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

// NewTokenResponse renders issued tokens as of now.
func NewTokenResponse(is sessions.Issued, now time.Time) TokenResponse {
	out := TokenResponse{
		AccessToken: is.AccessToken,
		TokenType:   "Bearer",
		ExpiresIn:   int64(is.AccessExpiresAt.Sub(now).Round(time.Second) / time.Second),
		SessionID:   is.Session.ID,
	}
	if is.RefreshToken != "" {
		out.RefreshToken = is.RefreshToken
		out.RefreshTokenExpiresIn = int64(is.RefreshExpiresAt.Sub(now).Round(time.Second) /
			time.Second)
	}
	return out
}

// ChallengeResponse is the answer to a right password when a second step
// is needed: either a factor (MFARequired) or, for a person whom policy
// obliges to hold one, the enrolment of a first factor
// (EnrollmentRequired).
type ChallengeResponse struct {
	MFARequired        bool   `json:"mfa_required,omitempty"`
	EnrollmentRequired bool   `json:"mfa_enrollment_required,omitempty"`
	MFAToken           string `json:"mfa_token"`
	ExpiresIn          int64  `json:"expires_in"`
	// Factors are the ways to answer an MFA challenge.
	Factors []FactorOption `json:"factors,omitempty"`
	// Enroll lists the kinds of factor an enrolment challenge accepts.
	Enroll []string `json:"enroll,omitempty"`
}

func (h *Handlers) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}

	m := accounts.MetaOf(r)
	// Before any hashing: a password spray over many addresses at one
	// account stops here, at no cost to the CPU.
	if err := h.limit(r, ratelimit.ClassLogin, h.Accounts.RateKey(req.Email)); err != nil {
		return err
	}
	res, err := h.Accounts.Authenticate(r.Context(), req.Email, req.Password, m)
	if err != nil {
		return accounts.Problem(r, err)
	}
	return h.afterFirstFactor(w, r, res.User, []string{"pwd"}, h.Clock.Now(),
		res.MustChangePassword)
}

// limit counts the request against the per-account limit of class c.
func (h *Handlers) limit(r *http.Request, c ratelimit.Class, account string) error {
	if h.Limits == nil {
		return nil
	}
	return h.Limits.Check(r.Context(), c, ratelimit.Key(ratelimit.KindAccount, account))
}

// CompleteFirstFactor answers for a person who passed a first factor
// outside this package (package social: a federated sign-in, amr "fed")
// exactly as a right password is answered: an MFA challenge, an enrolment
// challenge, or a session, so that MFA policy applies whatever the first
// factor. The caller has checked the account's state.
func (h *Handlers) CompleteFirstFactor(w http.ResponseWriter, r *http.Request, u accounts.User,
	amr []string, authTime time.Time) error {
	return h.afterFirstFactor(w, r, u, amr, authTime, false)
}

// afterFirstFactor decides what a person who passed a first factor gets:
// a challenge for the second, an enrolment challenge, or a session.
func (h *Handlers) afterFirstFactor(w http.ResponseWriter, r *http.Request, u accounts.User,
	amr []string, authTime time.Time, mustChange bool) error {
	ctx := r.Context()
	st, err := h.standingOf(ctx, u.ID)
	if err != nil {
		return err
	}
	if st.any() {
		token, ch, err := h.Challenges.Create(ctx, u.ID, PurposeVerify, amr, authTime)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, ChallengeResponse{MFARequired: true,
			MFAToken: token, ExpiresIn: h.secondsUntil(ch.ExpiresAt), Factors: st.options()})
	}
	must, err := h.mustHaveFactor(ctx, u.ID)
	if err != nil {
		return err
	}
	if must {
		token, ch, err := h.Challenges.Create(ctx, u.ID, PurposeEnroll, amr, authTime)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, ChallengeResponse{EnrollmentRequired: true,
			MFAToken: token, ExpiresIn: h.secondsUntil(ch.ExpiresAt),
			Enroll: []string{"totp", "passkey"}})
	}
	return h.startSession(w, r, u, amr, authTime, mustChange, false)
}

func (h *Handlers) secondsUntil(t time.Time) int64 {
	return int64(t.Sub(h.Clock.Now()).Round(time.Second) / time.Second)
}

// startSession creates the session of a complete sign-in and answers with
// its tokens. With firstFactor, the sign-in just enrolled the person's
// first factor: the answer brings their first recovery codes, made once
// the session exists so that a refused sign-in leaves no unseen set.
func (h *Handlers) startSession(w http.ResponseWriter, r *http.Request, u accounts.User,
	amr []string, authTime time.Time, mustChange, firstFactor bool) error {
	acr := "pwd"
	if len(amr) >= 2 {
		acr = "mfa"
	}
	if err := h.Accounts.SignInCompleted(r.Context(), u.ID); err != nil {
		return err
	}
	is, err := h.Sessions.Create(r.Context(), sessions.CreateInput{UserID: u.ID, ACR: acr,
		AMR: amr, AuthTime: authTime}, sessions.Meta(accounts.MetaOf(r)))
	if errors.Is(err, sessions.ErrSessionLimit) {
		return httpx.NewProblem(http.StatusConflict, "session_limit",
			"you have as many active sessions as allowed; end one first")
	}
	if err != nil {
		return err
	}
	out := NewTokenResponse(is, h.Clock.Now())
	out.MustChangePassword = mustChange
	if firstFactor {
		out.RecoveryCodes, err = h.firstRecoveryCodes(r.Context(), u.ID, accounts.MetaOf(r))
		if err != nil {
			return err
		}
		noStore(w)
	}
	uj := u.JSON()
	out.User = &uj
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) error {
	ses, ok := sessions.FromContext(r.Context())
	if !ok {
		return httpx.NewProblem(http.StatusUnauthorized, "missing_token", "sign in first")
	}
	m := sessions.Meta(accounts.MetaOf(r))
	if err := h.Sessions.End(r.Context(), ses.UserID, ses.ID, "logout", m); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
