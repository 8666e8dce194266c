package vendors

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/filestore"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// Handlers serve vendor onboarding over HTTP: to vendor owners and invited
// staff on the public listener, and to operators on the admin listener.
type Handlers struct {
	Service *Service
	// userOf replaces the session lookup in tests.
	userOf func(*http.Request) string
}

// operator is the admin listener's actor: it has no identity of its own,
// so reviews name their reviewer in the body.
var operator = audit.Actor{Type: audit.ActorSystem, ID: "admin"}

// operatorOf is the actor of an admin request: the operator the admin
// listener authenticated, else the system actor "admin".
func operatorOf(r *http.Request) audit.Actor { return audit.Operator(r.Context(), operator) }

// UploadPattern is the route that takes a document: its body is a file of
// up to Options.MaxDocumentBytes, not JSON, so the server's general body
// limit must not apply to it.
const UploadPattern = "PUT /v1/vendors/{id}/documents/{kind}"

// PublicRoutes registers the owner's and the invitee's routes, all behind
// requireSession. Only a vendor's owner may use its routes; anyone else
// gets 404, so vendor ids cannot be probed.
func (h *Handlers) PublicRoutes(r *httpx.Router, requireSession func(http.Handler) http.Handler) {
	me := func(fn httpx.HandlerFunc) http.Handler { return requireSession(fn) }
	r.Handle("POST /v1/vendors", me(h.create))
	r.Handle("GET /v1/vendors/{id}", me(h.get))
	r.Handle("PATCH /v1/vendors/{id}", me(h.update))
	r.Handle(UploadPattern, me(h.upload))
	r.Handle("GET /v1/vendors/{id}/documents/{kind}", me(h.download))
	r.Handle("POST /v1/vendors/{id}/submit", me(h.submit))
	r.Handle("POST /v1/vendors/{id}/staff/invitations", me(h.invite))
	r.Handle("GET /v1/vendors/{id}/staff", me(h.staff))
	r.Handle("DELETE /v1/vendors/{id}/staff/{userID}", me(h.removeStaff))
	r.Handle("POST /v1/vendor-invitations/accept", me(h.accept))
}

// AdminRoutes registers the operators' routes.
func (h *Handlers) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("GET /v1/admin/vendors", h.adminList)
	r.HandleFunc("GET /v1/admin/vendors/{id}", h.adminGet)
	r.HandleFunc("GET /v1/admin/vendors/{id}/identification", h.adminIdentification)
	r.HandleFunc("GET /v1/admin/vendors/{id}/documents/{kind}", h.adminDownload)
	r.HandleFunc("POST /v1/admin/vendors/{id}/approve", h.approve)
	r.HandleFunc("POST /v1/admin/vendors/{id}/reject", h.reject)
	r.HandleFunc("POST /v1/admin/vendors/{id}/suspend", h.suspend)
	r.HandleFunc("POST /v1/admin/vendors/{id}/reinstate", h.reinstate)
}

// problem maps the service's errors to problem documents.
func problem(err error) error {
	var ve *ValidationError
	var se *StateError
	var md *MissingDocumentsError
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			strings.TrimPrefix(ve.Fields[0].Field, "/")+": "+ve.Fields[0].Message)
		for _, f := range ve.Fields {
			p.Errors = append(p.Errors, httpx.FieldError{Field: f.Field, Code: f.Code,
				Message: f.Message})
		}
		return p
	case errors.Is(err, ErrNotFound):
		return httpx.NewProblem(http.StatusNotFound, "vendor_not_found",
			"there is no such vendor or document")
	case errors.Is(err, ErrAlreadyRegistered):
		return httpx.NewProblem(http.StatusConflict, "vendor_already_registered",
			"this identification number is already registered to a vendor")
	case errors.As(err, &se):
		return httpx.NewProblem(http.StatusConflict, "vendor_status",
			"cannot "+se.Action+" a vendor that is "+se.Status)
	case errors.As(err, &md):
		p := httpx.NewProblem(http.StatusConflict, "documents_missing",
			"upload the required documents before submitting: "+strings.Join(md.Kinds, ", "))
		for _, k := range md.Kinds {
			p.Errors = append(p.Errors, httpx.FieldError{Field: "/documents/" + k,
				Code: "required", Message: "is required"})
		}
		return p
	case errors.Is(err, ErrSameReviewer):
		return httpx.NewProblem(http.StatusConflict, "same_reviewer",
			"this reviewer already approved this round; another reviewer must approve")
	case errors.Is(err, ErrInvitationNotFound):
		return httpx.NewProblem(http.StatusNotFound, "invitation_not_found",
			"the invitation link is not valid")
	case errors.Is(err, ErrInvitationUsed):
		return httpx.NewProblem(http.StatusConflict, "invitation_used",
			"the invitation was already used")
	case errors.Is(err, ErrInvitationExpired):
		return httpx.NewProblem(http.StatusGone, "invitation_expired",
			"the invitation has expired; ask for a new one")
	case errors.Is(err, ErrWrongInvitee):
		return httpx.NewProblem(http.StatusForbidden, "invitation_wrong_account",
			"the invitation is for another email address, or yours is not verified yet")
	case errors.Is(err, ErrAlreadyMember):
		return httpx.NewProblem(http.StatusConflict, "already_member",
			"you already belong to this vendor")
	case errors.Is(err, ErrNotMember):
		return httpx.NewProblem(http.StatusNotFound, "staff_member_not_found",
			"that person is not on this vendor's staff")
	case errors.As(err, &tooLarge), errors.Is(err, filestore.ErrTooLarge):
		return httpx.NewProblem(http.StatusRequestEntityTooLarge, "document_too_large",
			"the document is larger than the limit")
	case errors.Is(err, filestore.ErrUnsupported):
		return httpx.NewProblem(http.StatusBadRequest, "unsupported_document",
			"only PDF, JPEG and PNG documents are accepted")
	case errors.Is(err, filestore.ErrMismatch):
		return httpx.NewProblem(http.StatusBadRequest, "document_type_mismatch",
			"the Content-Type does not match the document's content")
	case errors.Is(err, filestore.ErrMalformed):
		return httpx.NewProblem(http.StatusBadRequest, "malformed_document",
			"the document is damaged or incomplete")
	}
	return err
}

func metaOf(r *http.Request) audit.Event {
	return audit.Event{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

// me is the signed-in person's user id.
func (h *Handlers) me(r *http.Request) string {
	if h.userOf != nil {
		return h.userOf(r)
	}
	ses, _ := sessions.FromContext(r.Context())
	return ses.UserID
}

func (h *Handlers) create(w http.ResponseWriter, r *http.Request) error {
	var in Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	v, err := h.Service.Create(r.Context(), h.me(r), in, metaOf(r))
	if err != nil {
		return problem(err)
	}
	w.Header().Set("Location", "/v1/vendors/"+v.ID)
	return httpx.WriteJSON(w, http.StatusCreated, v)
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Service.Get(r.Context(), h.me(r), r.PathValue("id"))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (h *Handlers) update(w http.ResponseWriter, r *http.Request) error {
	var p Patch
	if err := httpx.DecodeJSON(r, &p); err != nil {
		return err
	}
	v, err := h.Service.Update(r.Context(), h.me(r), r.PathValue("id"), p, metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

// limitReader notes whether the body went over its cap, whatever the
// file store does with the error.
type limitReader struct {
	r        io.Reader
	exceeded bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		l.exceeded = true
	}
	return n, err
}

func (h *Handlers) upload(w http.ResponseWriter, r *http.Request) error {
	max := h.Service.opts.MaxDocumentBytes
	tooLarge := problem(filestore.ErrTooLarge).(*httpx.Problem)
	tooLarge.Detail = "the document is larger than the limit of " +
		strconv.FormatInt(max, 10) + " bytes"
	if r.ContentLength > max {
		return tooLarge
	}
	body := &limitReader{r: http.MaxBytesReader(w, r.Body, max)}
	d, err := h.Service.Upload(r.Context(), h.me(r), r.PathValue("id"), r.PathValue("kind"),
		r.Header.Get("Content-Type"), body, metaOf(r))
	if body.exceeded || errors.Is(err, filestore.ErrTooLarge) {
		return tooLarge
	}
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, d)
}

func serve(w http.ResponseWriter, d DocumentInfo, content []byte) error {
	w.Header().Set("Cache-Control", "no-store")
	filestore.ServeDownload(w, d.FileKind, d.Filename(), content)
	return nil
}

func (h *Handlers) download(w http.ResponseWriter, r *http.Request) error {
	d, content, err := h.Service.Download(r.Context(), h.me(r), r.PathValue("id"),
		r.PathValue("kind"), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return serve(w, d, content)
}

func (h *Handlers) submit(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Service.Submit(r.Context(), h.me(r), r.PathValue("id"), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (h *Handlers) invite(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	inv, err := h.Service.Invite(r.Context(), h.me(r), r.PathValue("id"), b.Email, b.Role,
		metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, inv)
}

func (h *Handlers) staff(w http.ResponseWriter, r *http.Request) error {
	st, err := h.Service.ListStaff(r.Context(), h.me(r), r.PathValue("id"))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, st)
}

func (h *Handlers) removeStaff(w http.ResponseWriter, r *http.Request) error {
	err := h.Service.Remove(r.Context(), h.me(r), r.PathValue("id"), r.PathValue("userID"),
		metaOf(r))
	if err != nil {
		return problem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) accept(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Token == "" {
		return problem(invalid("/token", "required", "is required"))
	}
	m, err := h.Service.Accept(r.Context(), h.me(r), b.Token, metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, m)
}

func (h *Handlers) adminList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		if k != "status" {
			return problem(invalid("/"+k, "unknown_parameter", "is not a parameter"))
		}
	}
	list, err := h.Service.List(r.Context(), q.Get("status"))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"vendors": list})
}

func (h *Handlers) adminGet(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Service.AdminGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (h *Handlers) adminIdentification(w http.ResponseWriter, r *http.Request) error {
	id, err := h.Service.Identification(r.Context(), operatorOf(r), r.PathValue("id"), metaOf(r))
	if err != nil {
		return problem(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, id)
}

func (h *Handlers) adminDownload(w http.ResponseWriter, r *http.Request) error {
	d, content, err := h.Service.AdminDownload(r.Context(), operatorOf(r), r.PathValue("id"),
		r.PathValue("kind"), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return serve(w, d, content)
}

// reviewBody is what operators send to review actions.
type reviewBody struct {
	Reviewer string   `json:"reviewer"`
	Reasons  []string `json:"reasons"`
	Reason   string   `json:"reason"`
}

func decodeReview(r *http.Request, allowEmpty bool) (reviewBody, error) {
	var b reviewBody
	if allowEmpty && r.ContentLength == 0 {
		return b, nil
	}
	err := httpx.DecodeJSON(r, &b)
	return b, err
}

func (h *Handlers) approve(w http.ResponseWriter, r *http.Request) error {
	b, err := decodeReview(r, false)
	if err != nil {
		return err
	}
	if len(b.Reasons) > 0 || b.Reason != "" {
		return problem(invalid("/reasons", "not_allowed", "an approval has no reasons"))
	}
	v, err := h.Service.Approve(r.Context(), operatorOf(r), b.Reviewer, r.PathValue("id"),
		metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (h *Handlers) reject(w http.ResponseWriter, r *http.Request) error {
	b, err := decodeReview(r, false)
	if err != nil {
		return err
	}
	if b.Reason != "" {
		b.Reasons = append(b.Reasons, b.Reason)
	}
	v, err := h.Service.Reject(r.Context(), operatorOf(r), b.Reviewer, r.PathValue("id"),
		b.Reasons, metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (h *Handlers) suspend(w http.ResponseWriter, r *http.Request) error {
	b, err := decodeReview(r, false)
	if err != nil {
		return err
	}
	if len(b.Reasons) > 0 {
		return problem(invalid("/reasons", "not_allowed", "send one reason in reason"))
	}
	v, err := h.Service.Suspend(r.Context(), operatorOf(r), b.Reviewer, r.PathValue("id"),
		b.Reason, metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (h *Handlers) reinstate(w http.ResponseWriter, r *http.Request) error {
	b, err := decodeReview(r, true)
	if err != nil {
		return err
	}
	if len(b.Reasons) > 0 || b.Reason != "" {
		return problem(invalid("/reason", "not_allowed", "a reinstatement has no reasons"))
	}
	v, err := h.Service.Reinstate(r.Context(), operatorOf(r), b.Reviewer, r.PathValue("id"),
		metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}
