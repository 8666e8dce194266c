package accounts

import (
	"errors"
	"net/http"
	"strings"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/sdk"
)

// Problem codes of this package.
const (
	CodeInvalidCredentials = "invalid_credentials" // #nosec G101 -- a problem code, not a secret
	CodeInvalidCode        = "invalid_code"
	CodeWrongPassword      = "wrong_password"
	CodeUserNotFound       = "user_not_found"
)

// Handlers serves the account operations over HTTP.
type Handlers struct {
	Service  *Service
	Sessions SessionEnder // ends sessions on reset and disable; may be nil
}

// PublicRoutes registers the routes anyone may call.
func (h *Handlers) PublicRoutes(r *httpx.Router) {
	r.HandleFunc("POST /v1/accounts", h.register)
	r.HandleFunc("POST /v1/accounts/email-verification", h.verifyEmail)
	r.HandleFunc("POST /v1/accounts/email-verification/resend", h.resendVerification)
	r.HandleFunc("POST /v1/accounts/password-reset", h.requestReset)
	r.HandleFunc("POST /v1/accounts/password-reset/complete", h.completeReset)
	r.HandleFunc("POST /v1/accounts/email-change/confirm", h.confirmEmailLink)
}

// MeRoutes registers the signed-in person's own routes behind
// requireSession, which verifies the access token and its session.
func (h *Handlers) MeRoutes(r *httpx.Router, requireSession,
	requireRecent func(http.Handler) http.Handler) {
	// Changing the password or the address recovery goes to needs a recent
	// authentication, with a second factor for people who hold one (OWASP
	// ASVS 5.0 7.5.1); requireRecent runs after requireSession.
	recent := func(f httpx.HandlerFunc) http.Handler { return requireSession(requireRecent(f)) }
	r.Handle("GET /v1/me", requireSession(httpx.HandlerFunc(h.me)))
	r.Handle("POST /v1/me/password", recent(h.changePassword))
	r.Handle("POST /v1/me/email", recent(h.requestEmailChange))
	r.Handle("POST /v1/me/email/confirm", requireSession(httpx.HandlerFunc(h.confirmEmailCode)))
}

// AdminRoutes registers the routes of the admin listener.
func (h *Handlers) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("GET /v1/admin/users/{id}", h.getUser)
	r.HandleFunc("POST /v1/admin/users/{id}/unlock", h.unlock)
	r.HandleFunc("POST /v1/admin/users/{id}/disable", h.disable)
	r.HandleFunc("POST /v1/admin/users/{id}/enable", h.enable)
}

// MetaOf describes r for the audit log.
func MetaOf(r *http.Request) Meta {
	return Meta{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

// english reports whether the client prefers English; Spanish is the
// default for everyone else.
func english(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language"))),
		"en")
}

// Problem turns the package's errors into problem documents; other errors
// pass through and become a 500.
func Problem(r *http.Request, err error) error {
	var v *ValidationError
	switch {
	case errors.As(err, &v):
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"some fields are not acceptable; see errors")
		for _, f := range v.Fields {
			msg := f.Message
			if english(r) {
				msg = f.English
			}
			p.Errors = append(p.Errors,
				httpx.FieldError{Field: f.Field, Code: f.Code, Message: msg})
		}
		return p
	case errors.Is(err, ErrWrongPassword):
		p := httpx.NewProblem(http.StatusBadRequest, CodeWrongPassword,
			"the current password is not correct")
		p.Errors = []httpx.FieldError{{Field: "/current_password", Code: CodeWrongPassword,
			Message: "incorrect"}}
		return p
	case errors.Is(err, ErrInvalidCredentials):
		return httpx.NewProblem(http.StatusUnauthorized, CodeInvalidCredentials,
			"the email or password is not correct")
	case errors.Is(err, ErrInvalidCode):
		return httpx.NewProblem(http.StatusBadRequest, CodeInvalidCode,
			"the code or link is not valid or has expired; ask for a new one")
	case errors.Is(err, ErrReauthenticate):
		return httpx.NewProblem(http.StatusUnauthorized, "reauthentication_required",
			"sign in again (within the last 15 minutes) to do this")
	case errors.Is(err, ErrSameEmail):
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"the new email address is the current one")
		p.Errors = []httpx.FieldError{{Field: "/email", Code: "same_email", Message: "unchanged"}}
		return p
	case errors.Is(err, ErrNotFound):
		return httpx.NewProblem(http.StatusNotFound, CodeUserNotFound, "no such user")
	}
	return err
}

// accepted is the one answer to requests whose outcome must not be told:
// registration, resending a code, asking for a reset.
type accepted struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func writeAccepted(w http.ResponseWriter, r *http.Request, es, en string) error {
	msg := es
	if english(r) {
		msg = en
	}
	return httpx.WriteJSON(w, http.StatusAccepted, accepted{Status: "accepted", Message: msg})
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Kind     Kind   `json:"kind"`
	Locale   string `json:"locale"`
}

func (h *Handlers) register(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	err := h.Service.Register(r.Context(), RegisterInput(req), MetaOf(r))
	if err != nil {
		return Problem(r, err)
	}
	return writeAccepted(w, r,
		"Si el correo puede registrarse, le enviamos un código para verificarlo.",
		"If the address can be registered, we sent it a code to verify it.")
}

type verifyRequest struct {
	Email string `json:"email"`
	Code  string `json:"code"`
	Token string `json:"token"`
}

func (h *Handlers) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	var req verifyRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	var err error
	switch {
	case req.Token != "" && req.Code == "" && req.Email == "":
		err = h.Service.VerifyEmailLink(r.Context(), req.Token, MetaOf(r))
	case req.Token == "" && req.Code != "" && req.Email != "":
		err = h.Service.VerifyEmailCode(r.Context(), req.Email, req.Code, MetaOf(r))
	default:
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"send either token, or email and code")
		p.Errors = []httpx.FieldError{{Field: "/token", Code: "required",
			Message: "send token, or email and code"}}
		return p
	}
	if err != nil {
		return Problem(r, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"email_verified": true})
}

type emailRequest struct {
	Email string `json:"email"`
}

func (h *Handlers) resendVerification(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.ResendVerification(r.Context(), req.Email, MetaOf(r)); err != nil {
		return Problem(r, err)
	}
	return writeAccepted(w, r,
		"Si la cuenta existe y falta verificarla, le enviamos un código nuevo.",
		"If the account exists and is not verified yet, we sent it a new code.")
}

func (h *Handlers) requestReset(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.RequestPasswordReset(r.Context(), req.Email, MetaOf(r)); err != nil {
		return Problem(r, err)
	}
	return writeAccepted(w, r,
		"Si existe una cuenta con ese correo, le enviamos un enlace para cambiar la contraseña.",
		"If an account uses that address, we sent it a link to change the password.")
}

type completeResetRequest struct {
	Token            string `json:"token"`
	Password         string `json:"password"`
	EndOtherSessions bool   `json:"end_other_sessions"`
}

func (h *Handlers) completeReset(w http.ResponseWriter, r *http.Request) error {
	var req completeResetRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	err := h.Service.ResetPassword(r.Context(), ResetInput(req), h.Sessions, MetaOf(r))
	if err != nil {
		return Problem(r, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"password_changed": true})
}

// UserJSON is what the API shows of an account.
type UserJSON struct {
	ID                 string `json:"id"`
	Email              string `json:"email"`
	EmailVerified      bool   `json:"email_verified"`
	Phone              string `json:"phone,omitempty"`
	Name               string `json:"name"`
	Kind               Kind   `json:"kind"`
	State              State  `json:"state"`
	LockedUntil        string `json:"locked_until,omitempty"`
	MustChangePassword bool   `json:"must_change_password"`
	Locale             string `json:"locale"`
	CreatedAt          string `json:"created_at"`
}

// JSON renders u for the API.
func (u User) JSON() UserJSON {
	out := UserJSON{ID: u.ID, Email: u.Email.Address, EmailVerified: u.EmailVerified,
		Phone: u.Phone, Name: u.Name, Kind: u.Kind, State: u.State,
		MustChangePassword: u.MustChangePassword, Locale: u.Locale,
		CreatedAt: u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
	if !u.LockedUntil.IsZero() {
		out.LockedUntil = u.LockedUntil.UTC().Format("2006-01-02T15:04:05Z")
	}
	return out
}

func (h *Handlers) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Service.Store.UserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return Problem(r, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, u.JSON())
}

func (h *Handlers) unlock(w http.ResponseWriter, r *http.Request) error {
	return h.stateChange(w, r,
		h.Service.Unlock(r.Context(), audit.OperatorID(r.Context()), r.PathValue("id"), MetaOf(r)))
}

func (h *Handlers) disable(w http.ResponseWriter, r *http.Request) error {
	return h.stateChange(w, r, h.Service.Disable(r.Context(), audit.OperatorID(r.Context()),
		r.PathValue("id"), h.Sessions, MetaOf(r)))
}

func (h *Handlers) enable(w http.ResponseWriter, r *http.Request) error {
	return h.stateChange(w, r,
		h.Service.Enable(r.Context(), audit.OperatorID(r.Context()), r.PathValue("id"), MetaOf(r)))
}

func (h *Handlers) stateChange(w http.ResponseWriter, r *http.Request, err error) error {
	if err != nil {
		return Problem(r, err)
	}
	return h.getUser(w, r)
}

func (h *Handlers) me(w http.ResponseWriter, r *http.Request) error {
	claims, _ := sdk.ClaimsFrom(r.Context())
	u, err := h.Service.Store.UserByID(r.Context(), claims.Subject)
	if err != nil {
		return Problem(r, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, u.JSON())
}

type changePasswordRequest struct {
	CurrentPassword  string `json:"current_password"`
	NewPassword      string `json:"new_password"`
	EndOtherSessions bool   `json:"end_other_sessions"`
}

func (h *Handlers) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req changePasswordRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	claims, _ := sdk.ClaimsFrom(r.Context())
	err := h.Service.ChangePassword(r.Context(), claims.Subject, req.CurrentPassword,
		req.NewPassword, claims.SessionID, req.EndOtherSessions, h.Sessions, MetaOf(r))
	if err != nil {
		var v *ValidationError
		if errors.As(err, &v) {
			for i := range v.Fields {
				if v.Fields[i].Field == "/password" {
					v.Fields[i].Field = "/new_password"
				}
			}
		}
		return Problem(r, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"password_changed": true})
}

func (h *Handlers) requestEmailChange(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	claims, _ := sdk.ClaimsFrom(r.Context())
	err := h.Service.RequestEmailChange(r.Context(), claims.Subject, req.Email,
		claims.AuthTime.Time(), MetaOf(r))
	if err != nil {
		return Problem(r, err)
	}
	return writeAccepted(w, r, "Le enviamos un código al correo nuevo para confirmarlo.",
		"We sent a code to the new address to confirm it.")
}

type codeRequest struct {
	Code string `json:"code"`
}

func (h *Handlers) confirmEmailCode(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	claims, _ := sdk.ClaimsFrom(r.Context())
	if err := h.Service.ConfirmEmailChange(r.Context(), claims.Subject, req.Code, "",
		MetaOf(r)); err != nil {
		return Problem(r, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"email_changed": true})
}

type tokenRequest struct {
	Token string `json:"token"`
}

func (h *Handlers) confirmEmailLink(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.ConfirmEmailChange(r.Context(), "", "", req.Token, MetaOf(r)); err != nil {
		return Problem(r, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"email_changed": true})
}
