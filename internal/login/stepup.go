package login

import (
	"errors"
	"net/http"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// RequireRecent guards a sensitive operation (OWASP ASVS 5.0 7.5.1 and
// 7.5.2: changing the password, the email recovery goes to, or the
// factors; granting roles): the session's last authentication must be
// within Policy.StepUpMaxAge, and must have used a second factor when the
// person holds one. Otherwise the answer is 401 step_up_required with an
// RFC 9470 challenge, and the client steps up (POST /v1/auth/step-up) and
// retries. It must run after the session middleware.
func (h *Handlers) RequireRecent(next http.Handler) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ses, ok := sessions.FromContext(r.Context())
		if !ok {
			return httpx.NewProblem(http.StatusUnauthorized, "missing_token", "sign in first")
		}
		need, err := h.recentFor(r, ses.UserID)
		if err != nil {
			return err
		}
		if err := need.Check(ses, h.Clock.Now()); err != nil {
			var up *sessions.StepUpRequired
			if errors.As(err, &up) {
				return up.Problem(w)
			}
			return err
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// recentFor is the authentication a sensitive operation of userID needs:
// a second factor for people who hold one, the password for the rest.
func (h *Handlers) recentFor(r *http.Request, userID string) (sessions.Recent, error) {
	st, err := h.standingOf(r.Context(), userID)
	if err != nil {
		return sessions.Recent{}, err
	}
	need := sessions.Recent{MaxAge: h.Policy.StepUpMaxAge, Level: 1}
	if st.any() {
		need.Level = 2
	}
	return need, nil
}

type stepUpRequest struct {
	proof
	// Password steps up with the password, for people with no second
	// factor; it gives level 1 only.
	Password string `json:"password"`
}

// StepUpResponse is a new access token for the same session; the refresh
// token is unchanged.
type StepUpResponse struct {
	AccessToken string   `json:"access_token"`
	TokenType   string   `json:"token_type"`
	ExpiresIn   int64    `json:"expires_in"`
	SessionID   string   `json:"session_id"`
	ACR         string   `json:"acr"`
	AMR         []string `json:"amr"`
}

// stepUp re-authenticates the person of the current session with a
// factor (or the password) and issues an access token whose auth_time is
// now.
func (h *Handlers) stepUp(w http.ResponseWriter, r *http.Request) error {
	var req stepUpRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ses, ok := sessions.FromContext(r.Context())
	if !ok {
		return httpx.NewProblem(http.StatusUnauthorized, "missing_token", "sign in first")
	}
	ctx, m := r.Context(), accounts.MetaOf(r)
	if err := h.limit(r, ratelimit.ClassCode, ses.UserID); err != nil {
		return err
	}
	var amr []string
	if req.Method == "password" {
		u, err := h.Accounts.Store.UserByID(ctx, ses.UserID)
		if err != nil {
			return accounts.Problem(r, err)
		}
		res, err := h.Accounts.Authenticate(ctx, u.Email.Address, req.Password, m)
		if err != nil {
			return accounts.Problem(r, err)
		}
		if res.User.ID != ses.UserID {
			return accounts.Problem(r, accounts.ErrInvalidCredentials)
		}
		amr = []string{"pwd"}
	} else {
		var err error
		amr, err = h.check(ctx, ses.UserID, req.proof, m)
		var p *httpx.Problem
		if errors.As(err, &p) && p.Code == httpx.CodeValidationFailed {
			return badMethod(true)
		}
		if err != nil {
			return factorProblem(err)
		}
	}
	up, err := h.stepUpWith(r, ses, amr, m)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, up)
}

// stepUpWith records that the person of ses just proved amr and returns
// the session's new access token.
func (h *Handlers) stepUpWith(r *http.Request, ses sessions.Session, amr []string,
	m accounts.Meta) (StepUpResponse, error) {
	is, err := h.Sessions.StepUp(r.Context(), ses, amr, sessions.Meta(m))
	if errors.Is(err, sessions.ErrSessionEnded) {
		return StepUpResponse{}, httpx.NewProblem(http.StatusUnauthorized, "invalid_token",
			"the session has ended; sign in again")
	}
	if err != nil {
		return StepUpResponse{}, err
	}
	return StepUpResponse{AccessToken: is.AccessToken, TokenType: "Bearer",
		ExpiresIn: NewTokenResponse(is, h.Clock.Now()).ExpiresIn, SessionID: is.Session.ID,
		ACR: is.Session.ACR, AMR: is.Session.AMR}, nil
}

func (h *Handlers) stepUpPasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ses, _ := sessions.FromContext(r.Context())
	id, opts, err := h.Passkeys.BeginLogin(r.Context(), ses.UserID)
	if err != nil {
		return factorProblem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, PasskeyOptions{ChallengeID: id, PublicKey: opts})
}

type factorOnly struct {
	FactorID string `json:"factor_id"`
}

func (h *Handlers) stepUpSendCode(w http.ResponseWriter, r *http.Request) error {
	var req factorOnly
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ses, _ := sessions.FromContext(r.Context())
	return h.sendCode(w, r, ses.UserID, req.FactorID)
}
