package login

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/passkeys"
)

// AdminRoutes registers the operators' routes on the admin listener.
func (h *Handlers) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("POST /v1/admin/users/{id}/mfa/reset", h.adminReset)
}

// maxReasonRunes bounds the reason an operator gives: a ticket reference
// and a sentence, kept in the audit log.
const maxReasonRunes = 200

type resetRequest struct {
	// Reason says why, such as the support ticket; it is kept in the audit
	// log and is required.
	Reason string `json:"reason"`
}

// ResetAnswer says what a reset removed.
type ResetAnswer struct {
	FactorsRemoved  int `json:"factors_removed"`
	PasskeysRemoved int `json:"passkeys_removed"`
}

// operator is the audit actor of the admin listener, which has no
// identity of its own yet: the network is its access control.
var operator = audit.Actor{Type: audit.ActorSystem, ID: "admin"}

// adminReset removes every second factor, passkey and recovery code of a
// person who lost them all, once an operator has checked who they are out
// of band. It is the most abused path to an account in any product, so it
// is an operator's act on the admin listener, requires a reason, is
// audited and notifies the person; their next sign-in asks them to enrol
// again when their role requires a factor.
func (h *Handlers) adminReset(w http.ResponseWriter, r *http.Request) error {
	var req resetRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" || utf8.RuneCountInString(req.Reason) > maxReasonRunes ||
		!utf8.ValidString(req.Reason) {
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"say why, in 1 to 200 characters (a support ticket, say)")
		p.Errors = []httpx.FieldError{{Field: "/reason", Code: "invalid",
			Message: "required, at most 200 characters"}}
		return p
	}
	ctx, id := r.Context(), r.PathValue("id")
	if _, err := h.Accounts.Store.UserByID(ctx, id); err != nil {
		return accounts.Problem(r, err)
	}
	m, by := accounts.MetaOf(r), audit.Operator(ctx, operator)
	factors, err := h.MFA.Reset(ctx, id, by, req.Reason, mfa.Meta(m))
	if err != nil {
		return err
	}
	keys, err := h.Passkeys.RemoveAll(ctx, id, by, req.Reason, passkeys.Meta(m))
	if err != nil {
		return err
	}
	if keys > 0 {
		h.noticePasskey(id, false, "")
	}
	return httpx.WriteJSON(w, http.StatusOK, ResetAnswer{FactorsRemoved: factors,
		PasskeysRemoved: keys})
}
