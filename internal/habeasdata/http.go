package habeasdata

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// Handlers serve the ledger over HTTP: to the titular (their consents,
// requests and export), to the marketplace's services (the consent check,
// consents they collect, contacts and legal holds) and to operators.
type Handlers struct {
	Service *Service
}

// operator is the admin listener's actor: it has no identity of its own.
var operator = audit.Actor{Type: audit.ActorSystem, ID: "admin"}

// operatorOf is the actor of an admin request: the operator the admin
// listener authenticated, else the system actor "admin".
func operatorOf(r *http.Request) audit.Actor { return audit.Operator(r.Context(), operator) }

// PublicRoutes registers the titular's and the services' routes.
// requireRecent guards the export, which hands over all of a person's data
// (a sensitive operation that needs a recent sign-in).
func (h *Handlers) PublicRoutes(r *httpx.Router, requireSession,
	requireRecent, requireClient func(http.Handler) http.Handler) {
	me := func(fn httpx.HandlerFunc) http.Handler { return requireSession(fn) }
	r.HandleFunc("GET /v1/habeas-data/policy", h.currentPolicy)
	r.Handle("GET /v1/me/consents", me(h.myConsents))
	r.Handle("POST /v1/me/consents", me(h.myRecordConsent))
	r.Handle("GET /v1/me/habeas-data/requests", me(h.myRequests))
	r.Handle("POST /v1/me/habeas-data/requests", me(h.myFile))
	r.Handle("GET /v1/me/habeas-data/requests/{id}", me(h.myRequest))
	r.Handle("POST /v1/me/habeas-data/requests/{id}/messages", me(h.myReply))
	r.Handle("GET /v1/me/habeas-data/export",
		requireSession(requireRecent(httpx.HandlerFunc(h.myExport))))

	svc := func(fn httpx.HandlerFunc) http.Handler { return requireClient(fn) }
	r.Handle("GET /v1/habeas-data/check", svc(h.check))
	r.Handle("POST /v1/habeas-data/consents", svc(h.serviceRecordConsent))
	r.Handle("POST /v1/habeas-data/contacts", svc(h.recordContact))
	r.Handle("POST /v1/habeas-data/holds", svc(h.serviceAddHold))
}

// AdminRoutes registers the operators' routes.
func (h *Handlers) AdminRoutes(r *httpx.Router) {
	r.Handle("GET /v1/admin/habeas-data/policies", httpx.HandlerFunc(h.listPolicies))
	r.Handle("POST /v1/admin/habeas-data/policies", httpx.HandlerFunc(h.publishPolicy))
	r.Handle("GET /v1/admin/habeas-data/requests", httpx.HandlerFunc(h.adminRequests))
	r.Handle("POST /v1/admin/habeas-data/requests", httpx.HandlerFunc(h.adminFile))
	r.Handle("GET /v1/admin/habeas-data/requests/{id}", httpx.HandlerFunc(h.adminRequest))
	r.Handle("POST /v1/admin/habeas-data/requests/{id}/assign", httpx.HandlerFunc(h.assign))
	r.Handle("POST /v1/admin/habeas-data/requests/{id}/messages",
		httpx.HandlerFunc(h.adminReply))
	r.Handle("POST /v1/admin/habeas-data/requests/{id}/incomplete",
		httpx.HandlerFunc(h.incomplete))
	r.Handle("POST /v1/admin/habeas-data/requests/{id}/extend", httpx.HandlerFunc(h.extend))
	r.Handle("POST /v1/admin/habeas-data/requests/{id}/answer", httpx.HandlerFunc(h.answer))
	r.Handle("POST /v1/admin/habeas-data/requests/{id}/suppress",
		httpx.HandlerFunc(h.suppress))
	r.Handle("GET /v1/admin/users/{id}/consents", httpx.HandlerFunc(h.adminConsents))
	r.Handle("POST /v1/admin/users/{id}/consents", httpx.HandlerFunc(h.adminRecordConsent))
	r.Handle("GET /v1/admin/users/{id}/habeas-data/export", httpx.HandlerFunc(h.adminExport))
	r.Handle("GET /v1/admin/users/{id}/legal-holds", httpx.HandlerFunc(h.adminHolds))
	r.Handle("POST /v1/admin/users/{id}/legal-holds", httpx.HandlerFunc(h.adminAddHold))
}

// problem maps the service's errors to problem documents.
func problem(err error) error {
	var inv *InvalidError
	var blocked *BlockedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv):
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			strings.TrimPrefix(inv.Field, "/")+": "+inv.Message)
		p.Errors = []httpx.FieldError{{Field: inv.Field, Code: "invalid_value",
			Message: inv.Message}}
		return p
	case errors.Is(err, ErrNotFound):
		return httpx.NewProblem(http.StatusNotFound, "habeas_data_not_found",
			"there is no such request")
	case errors.Is(err, ErrNoPolicy):
		return httpx.NewProblem(http.StatusConflict, "no_privacy_policy",
			"no privacy policy is in effect yet: an operator must publish one")
	case errors.Is(err, ErrPolicyChanged):
		return httpx.NewProblem(http.StatusConflict, "policy_changed",
			"the policy version shown is not the one in effect: show the current one "+
				"(GET /v1/habeas-data/policy) and ask again")
	case errors.Is(err, ErrNothingToRevoke):
		return httpx.NewProblem(http.StatusConflict, "nothing_to_revoke", err.Error())
	case errors.As(err, &blocked):
		return httpx.NewProblem(http.StatusConflict, "suppression_blocked", blocked.Reason)
	case errors.Is(err, ErrNotSuppression):
		return httpx.NewProblem(http.StatusConflict, "not_a_suppression_request",
			"only an open reclamo of type suppression can be carried out")
	case errors.Is(err, ErrConflict):
		return httpx.NewProblem(http.StatusConflict, "request_state",
			strings.TrimPrefix(err.Error(), ErrConflict.Error()+": "))
	}
	return err
}

func metaOf(r *http.Request) audit.Event {
	return audit.Event{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

func person(r *http.Request) (audit.Actor, string) {
	ses, _ := sessions.FromContext(r.Context())
	return audit.Actor{Type: audit.ActorPerson, ID: ses.UserID}, ses.UserID
}

func client(r *http.Request) audit.Actor {
	c, _ := clients.FromContext(r.Context())
	return audit.Actor{Type: audit.ActorClient, ID: c.ID}
}

func (h *Handlers) currentPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Service.CurrentPolicy(r.Context())
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, p)
}

// consentBody is what a titular, a service or an operator sends to record
// decisions.
type consentBody struct {
	SubjectID       string          `json:"subject_id"`
	PolicyVersion   string          `json:"policy_version"`
	Decisions       []Choice        `json:"decisions"`
	Channel         string          `json:"channel"`
	ShownText       string          `json:"shown_text"`
	ShownTextSHA256 string          `json:"shown_text_sha256"`
	IP              string          `json:"ip"`
	UserAgent       string          `json:"user_agent"`
	Minor           bool            `json:"minor"`
	Representative  *Representative `json:"representative"`
}

func (b consentBody) consent(subject string, ev Evidence) NewConsent {
	ev.Channel, ev.ShownText, ev.ShownTextSHA256 = b.Channel, b.ShownText, b.ShownTextSHA256
	return NewConsent{SubjectID: subject, PolicyVersion: b.PolicyVersion, Choices: b.Decisions,
		Evidence: ev, Minor: b.Minor, Representative: b.Representative}
}

func (h *Handlers) record(w http.ResponseWriter, r *http.Request, n NewConsent,
	by audit.Actor) error {
	list, err := h.Service.RecordConsent(r.Context(), n, by, metaOf(r))
	if err != nil {
		return problem(err)
	}
	st, err := h.Service.Status(r.Context(), n.SubjectID)
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, map[string]any{"recorded": list,
		"status": st})
}

func (h *Handlers) myRecordConsent(w http.ResponseWriter, r *http.Request) error {
	var b consentBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.SubjectID != "" || b.IP != "" || b.UserAgent != "" {
		return problem(invalid("/subject_id", "subject_id, ip and user_agent are taken "+
			"from the session and the request; do not send them"))
	}
	if b.Channel == "" {
		b.Channel = "web"
	}
	if b.Channel != "web" && b.Channel != "app" {
		return problem(invalid("/channel", "a person records their own decisions on the "+
			"web or in an app"))
	}
	by, me := person(r)
	ev := Evidence{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent()}
	return h.record(w, r, b.consent(me, ev), by)
}

func (h *Handlers) serviceRecordConsent(w http.ResponseWriter, r *http.Request) error {
	var b consentBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	return h.record(w, r, b.consent(b.SubjectID, Evidence{IP: b.IP, UserAgent: b.UserAgent}),
		client(r))
}

func (h *Handlers) adminRecordConsent(w http.ResponseWriter, r *http.Request) error {
	var b consentBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.SubjectID != "" {
		return problem(invalid("/subject_id", "the subject is the user in the path"))
	}
	return h.record(w, r, b.consent(r.PathValue("id"),
		Evidence{IP: b.IP, UserAgent: b.UserAgent}), operatorOf(r))
}

func (h *Handlers) consents(w http.ResponseWriter, r *http.Request, subject string) error {
	st, err := h.Service.Status(r.Context(), subject)
	if err != nil {
		return problem(err)
	}
	history, err := h.Service.History(r.Context(), subject)
	if err != nil {
		return err
	}
	if history == nil {
		history = []Consent{}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"status": st, "history": history})
}

func (h *Handlers) myConsents(w http.ResponseWriter, r *http.Request) error {
	_, me := person(r)
	return h.consents(w, r, me)
}

func (h *Handlers) adminConsents(w http.ResponseWriter, r *http.Request) error {
	return h.consents(w, r, r.PathValue("id"))
}

func (h *Handlers) check(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	subject, purpose := q.Get("subject_id"), q.Get("purpose")
	if purpose == "" {
		return problem(invalid("/purpose", "is required"))
	}
	a, err := h.Service.Check(r.Context(), subject, purpose, q.Get("contact_channel"))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, a)
}

func (h *Handlers) recordContact(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		SubjectID string `json:"subject_id"`
		Channel   string `json:"channel"`
	}
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	if err := h.Service.RecordContact(r.Context(), b.SubjectID, b.Channel); err != nil {
		return problem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) addHold(w http.ResponseWriter, r *http.Request, n NewHold,
	by audit.Actor) error {
	hold, err := h.Service.AddHold(r.Context(), n, by, metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, hold)
}

func (h *Handlers) serviceAddHold(w http.ResponseWriter, r *http.Request) error {
	var n NewHold
	if err := httpx.DecodeJSON(r, &n); err != nil {
		return err
	}
	return h.addHold(w, r, n, client(r))
}

func (h *Handlers) adminAddHold(w http.ResponseWriter, r *http.Request) error {
	var n NewHold
	if err := httpx.DecodeJSON(r, &n); err != nil {
		return err
	}
	if n.SubjectID != "" {
		return problem(invalid("/subject_id", "the subject is the user in the path"))
	}
	n.SubjectID = r.PathValue("id")
	return h.addHold(w, r, n, operatorOf(r))
}

func (h *Handlers) adminHolds(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Service.Holds(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"legal_holds": list})
}

func (h *Handlers) listPolicies(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Service.Policies(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []Policy{}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"policies": list})
}

func (h *Handlers) publishPolicy(w http.ResponseWriter, r *http.Request) error {
	var n NewPolicy
	if err := httpx.DecodeJSON(r, &n); err != nil {
		return err
	}
	p, err := h.Service.PublishPolicy(r.Context(), n, operatorOf(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, p)
}

type fileBody struct {
	SubjectID   string `json:"subject_id"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Channel     string `json:"channel"`
}

func (h *Handlers) myFile(w http.ResponseWriter, r *http.Request) error {
	var b fileBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.SubjectID != "" || b.Channel != "" {
		return problem(invalid("/subject_id", "a person files for themselves, on the web: "+
			"send only type and description"))
	}
	by, me := person(r)
	req, err := h.Service.File(r.Context(), NewRequest{SubjectID: me, Type: b.Type,
		Description: b.Description, Channel: "web"}, by, metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, req)
}

func (h *Handlers) adminFile(w http.ResponseWriter, r *http.Request) error {
	var b fileBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	req, err := h.Service.File(r.Context(), NewRequest(b), operatorOf(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, req)
}

func (h *Handlers) myRequests(w http.ResponseWriter, r *http.Request) error {
	_, me := person(r)
	list, err := h.Service.List(r.Context(), Filter{SubjectID: me})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"requests": list})
}

// mine loads a request of the signed-in titular; another person's request
// is not found, so ids cannot be probed.
func (h *Handlers) mine(r *http.Request) (Request, error) {
	_, me := person(r)
	req, err := h.Service.Get(r.Context(), r.PathValue("id"))
	if err == nil && req.SubjectID != me {
		err = ErrNotFound
	}
	return req, problem(err)
}

func (h *Handlers) myRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := h.mine(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, req)
}

type textBody struct {
	Text string `json:"text"`
}

func (h *Handlers) myReply(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.mine(r); err != nil {
		return err
	}
	var b textBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	by, _ := person(r)
	req, err := h.Service.Reply(r.Context(), r.PathValue("id"), b.Text, true, by, metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, req)
}

func (h *Handlers) myExport(w http.ResponseWriter, r *http.Request) error {
	_, me := person(r)
	return h.export(w, r, me)
}

func (h *Handlers) adminExport(w http.ResponseWriter, r *http.Request) error {
	return h.export(w, r, r.PathValue("id"))
}

func (h *Handlers) export(w http.ResponseWriter, r *http.Request, subject string) error {
	e, err := h.Service.Export(r.Context(), subject)
	if err != nil {
		return problem(err)
	}
	w.Header().Set("Content-Disposition", `attachment; filename="datos-personales.json"`)
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, e)
}

func (h *Handlers) adminRequests(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := Filter{SubjectID: q.Get("subject_id"), Status: q.Get("status"),
		Overdue: q.Get("overdue") == "true"}
	switch f.Status {
	case "", StatusOpen, StatusIncomplete, StatusAnswered, StatusWithdrawn:
	default:
		return problem(invalid("/status", "must be open, incomplete, answered or withdrawn"))
	}
	if v := q.Get("due_within"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 30 {
			return problem(invalid("/due_within", "must be a number of business days, 1-30"))
		}
		f.DueWithin = n
	}
	list, err := h.Service.List(r.Context(), f)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"requests": list})
}

// adminRequest shows a request with its audit trail.
func (h *Handlers) adminRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := h.Service.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return problem(err)
	}
	trail, err := h.Service.Trail(r.Context(), req.ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Request
		AuditTrail []TrailEntry `json:"audit_trail"`
	}{req, trail})
}

// act decodes a one-field body and applies an operator's action.
func (h *Handlers) act(w http.ResponseWriter, r *http.Request, field string,
	fn func(ctx context.Context, id, text string, by audit.Actor,
		meta audit.Event) (Request, error)) error {
	var b map[string]string
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	for k := range b {
		if k != field {
			return problem(invalid("/"+k, "is not a field of this request; send %q", field))
		}
	}
	req, err := fn(r.Context(), r.PathValue("id"), b[field], operatorOf(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, req)
}

func (h *Handlers) assign(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "assignee", h.Service.Assign)
}

func (h *Handlers) adminReply(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "text", func(ctx context.Context, id, text string, by audit.Actor,
		meta audit.Event) (Request, error) {
		return h.Service.Reply(ctx, id, text, false, by, meta)
	})
}

func (h *Handlers) incomplete(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "missing", h.Service.MarkIncomplete)
}

func (h *Handlers) extend(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "reason", h.Service.Extend)
}

func (h *Handlers) answer(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "answer", h.Service.AnswerRequest)
}

func (h *Handlers) suppress(w http.ResponseWriter, r *http.Request) error {
	rep, err := h.Service.Suppress(r.Context(), r.PathValue("id"), operatorOf(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, rep)
}
