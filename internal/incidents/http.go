package incidents

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// Handlers serves the register on the admin listener.
type Handlers struct {
	Service *Service
	// Actor names who acts, for created_by, note authors and the audit log.
	// The admin listener has no per-person authentication yet, so when nil
	// every action is the system actor "admin_api".
	Actor func(r *http.Request) audit.Actor
}

// AdminRoutes registers the admin listener's routes.
func (h *Handlers) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("POST /v1/admin/incidents", h.open)
	r.HandleFunc("GET /v1/admin/incidents", h.list)
	r.HandleFunc("GET /v1/admin/incidents/{id}", h.get)
	r.HandleFunc("POST /v1/admin/incidents/{id}/notes", h.addNote)
	r.HandleFunc("POST /v1/admin/incidents/{id}/contained", h.contained)
	r.HandleFunc("POST /v1/admin/incidents/{id}/sic-report", h.sicReport)
	r.HandleFunc("POST /v1/admin/incidents/{id}/titulares-notified", h.titularesNotified)
	r.HandleFunc("POST /v1/admin/incidents/{id}/close", h.close)
}

var adminAPI = audit.Actor{Type: audit.ActorSystem, ID: "admin_api"}

func (h *Handlers) actor(r *http.Request) audit.Actor {
	if h.Actor == nil {
		return audit.Operator(r.Context(), adminAPI)
	}
	return h.Actor(r)
}

func metaOf(r *http.Request) Meta {
	return Meta{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

// IncidentJSON is what the API shows of an incident.
type IncidentJSON struct {
	ID                  string       `json:"id"`
	Title               string       `json:"title"`
	Description         string       `json:"description"`
	Category            Category     `json:"category"`
	Status              Status       `json:"status"`
	DetectedAt          string       `json:"detected_at"`
	NotifiedToAreaAt    string       `json:"notified_to_area_at"`
	Databases           []string     `json:"databases"`
	DataCategories      []string     `json:"data_categories"`
	AffectedSubjects    int64        `json:"affected_subjects"`
	SICDue              string       `json:"sic_due"`
	SICReportedAt       *string      `json:"sic_reported_at"`
	SICReference        string       `json:"sic_reference"`
	TitularesNotifiedAt *string      `json:"titulares_notified_at"`
	ContainedAt         *string      `json:"contained_at"`
	ClosedAt            *string      `json:"closed_at"`
	CloseReason         string       `json:"close_reason"`
	CreatedBy           string       `json:"created_by"`
	CreatedAt           string       `json:"created_at"`
	UpdatedAt           string       `json:"updated_at"`
	SICDeadline         DeadlineJSON `json:"sic_deadline"`
}

// DeadlineJSON is DeadlineState in the API.
type DeadlineJSON struct {
	Required         bool `json:"required"`
	Overdue          bool `json:"overdue"`
	DueSoon          bool `json:"due_soon"`
	BusinessDaysLeft int  `json:"business_days_left"`
}

// IncidentDetailJSON is an incident with its timeline.
type IncidentDetailJSON struct {
	IncidentJSON
	Timeline []NoteJSON `json:"timeline"`
}

// NoteJSON is what the API shows of a note.
type NoteJSON struct {
	ID         string `json:"id"`
	IncidentID string `json:"incident_id"`
	Author     string `json:"author"`
	Text       string `json:"text"`
	CreatedAt  string `json:"created_at"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}

func renderIncident(in Incident, st DeadlineState) IncidentJSON {
	return IncidentJSON{ID: in.ID, Title: in.Title, Description: in.Description,
		Category: in.Category, Status: in.Status, DetectedAt: rfc3339(in.DetectedAt),
		NotifiedToAreaAt: rfc3339(in.NotifiedToAreaAt), Databases: nonNil(in.Databases),
		DataCategories: nonNil(in.DataCategories), AffectedSubjects: in.AffectedSubjects,
		SICDue: in.SICDue.String(), SICReportedAt: optTime(in.SICReportedAt),
		SICReference: in.SICReference, TitularesNotifiedAt: optTime(in.TitularesNotifiedAt),
		ContainedAt: optTime(in.ContainedAt), ClosedAt: optTime(in.ClosedAt),
		CloseReason: in.CloseReason, CreatedBy: in.CreatedBy, CreatedAt: rfc3339(in.CreatedAt),
		UpdatedAt:   rfc3339(in.UpdatedAt),
		SICDeadline: DeadlineJSON(st)}
}

func renderNote(n Note) NoteJSON {
	return NoteJSON{ID: n.ID, IncidentID: n.IncidentID, Author: n.Author, Text: n.Text,
		CreatedAt: rfc3339(n.CreatedAt)}
}

// writeDetail answers with the incident as stored, timeline included.
func (h *Handlers) writeDetail(w http.ResponseWriter, r *http.Request, status int,
	id string) error {
	inc, err := h.Service.Get(r.Context(), id)
	if err != nil {
		return problem(err)
	}
	st, err := h.Service.Deadline(inc)
	if err != nil {
		return err
	}
	out := IncidentDetailJSON{IncidentJSON: renderIncident(inc, st),
		Timeline: make([]NoteJSON, 0, len(inc.Timeline))}
	for _, n := range inc.Timeline {
		out.Timeline = append(out.Timeline, renderNote(n))
	}
	return httpx.WriteJSON(w, status, out)
}

// problem turns the service's errors into problem documents.
func problem(err error) error {
	var v *ValidationError
	if errors.As(err, &v) && len(v.Fields) > 0 {
		f := v.Fields[0]
		p := httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			strings.TrimPrefix(f.Field, "/")+" "+f.Message)
		for _, f := range v.Fields {
			p.Errors = append(p.Errors, httpx.FieldError{Field: f.Field, Code: f.Code,
				Message: f.Message})
		}
		return p
	}
	var c *ConflictError
	if errors.As(err, &c) {
		return httpx.NewProblem(http.StatusConflict, c.Code, c.Message)
	}
	if errors.Is(err, ErrNotFound) {
		return httpx.NewProblem(http.StatusNotFound, "incident_not_found",
			"no incident has this id")
	}
	return err
}

// openRequest is the body of POST /v1/admin/incidents. Pointers tell a
// missing required field from a zero value.
type openRequest struct {
	Title            *string  `json:"title"`
	Description      string   `json:"description"`
	Category         *string  `json:"category"`
	DetectedAt       *string  `json:"detected_at"`
	NotifiedToAreaAt *string  `json:"notified_to_area_at"`
	Databases        []string `json:"databases"`
	DataCategories   []string `json:"data_categories"`
	AffectedSubjects *int64   `json:"affected_subjects"`
}

// parseOpenRequest decodes and checks the shape of a create body as the
// create route does, without the media type: strict JSON
// (httpx.DecodeJSONBytes), required fields present, instants in RFC 3339.
// The rules that need the clock are OpenInput.Validate's.
func parseOpenRequest(body []byte) (OpenInput, error) {
	var req openRequest
	if err := httpx.DecodeJSONBytes(body, &req); err != nil {
		return OpenInput{}, err
	}
	return req.input()
}

// input checks that the required fields are present and the instants parse.
func (req openRequest) input() (OpenInput, error) {
	var v ValidationError
	if req.Title == nil {
		v.add("/title", "required", "is required")
	}
	if req.Category == nil {
		v.add("/category", "required", "is required: confidentiality, integrity or availability")
	}
	if req.AffectedSubjects == nil {
		v.add("/affected_subjects", "required",
			"is required: an estimate of the titulares affected, 0 if none")
	}
	in := OpenInput{Description: req.Description, Databases: req.Databases,
		DataCategories: req.DataCategories}
	if req.Title != nil {
		in.Title = *req.Title
	}
	if req.Category != nil {
		in.Category = Category(*req.Category)
	}
	if req.AffectedSubjects != nil {
		in.AffectedSubjects = *req.AffectedSubjects
	}
	in.DetectedAt = parseInstant(&v, "/detected_at", req.DetectedAt)
	in.NotifiedToAreaAt = parseInstant(&v, "/notified_to_area_at", req.NotifiedToAreaAt)
	if err := v.err(); err != nil {
		return OpenInput{}, err
	}
	return in, nil
}

// parseInstant parses an optional RFC 3339 date-time; nil gives zero.
func parseInstant(v *ValidationError, field string, s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil || t.IsZero() {
		v.add(field, "invalid_value", "must be an RFC 3339 date-time with a zone, such as "+
			"2025-04-14T09:30:00-05:00")
		return time.Time{}
	}
	return t
}

// readBody reads a request body that may be empty. A body that is not
// empty must be JSON; it is returned with the media type checked.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, httpx.Problemf(http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge,
				"the request body is larger than the limit of %d bytes", tooLarge.Limit)
		}
		return nil, httpx.NewProblem(http.StatusBadRequest, httpx.CodeInvalidJSON,
			"the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	// Let DecodeJSON check the media type (and the body again).
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// decodeOptional decodes a body that may be absent into dst.
func decodeOptional(r *http.Request, dst any) error {
	body, err := readBody(r)
	if err != nil || body == nil {
		return err
	}
	return httpx.DecodeJSON(r, dst)
}

func (h *Handlers) open(w http.ResponseWriter, r *http.Request) error {
	var req openRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return problem(err)
	}
	inc, err := h.Service.Open(r.Context(), in, h.actor(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	w.Header().Set("Location", "/v1/admin/incidents/"+inc.ID)
	return h.writeDetail(w, r, http.StatusCreated, inc.ID)
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	items, err := h.Service.List(r.Context(), Status(r.URL.Query().Get("status")))
	if err != nil {
		return problem(err)
	}
	out := make([]IncidentJSON, 0, len(items))
	for _, it := range items {
		out = append(out, renderIncident(it.Incident, it.Deadline))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"incidents": out})
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) error {
	return h.writeDetail(w, r, http.StatusOK, r.PathValue("id"))
}

type noteRequest struct {
	Text *string `json:"text"`
}

func (h *Handlers) addNote(w http.ResponseWriter, r *http.Request) error {
	var req noteRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Text == nil {
		return problem(missing("/text"))
	}
	n, err := h.Service.AddNote(r.Context(), r.PathValue("id"), *req.Text, h.actor(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, renderNote(n))
}

func missing(field string) error {
	var v ValidationError
	v.add(field, "required", "is required")
	return v.err()
}

func (h *Handlers) contained(w http.ResponseWriter, r *http.Request) error {
	inc, err := h.Service.MarkContained(r.Context(), r.PathValue("id"), h.actor(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return h.writeDetail(w, r, http.StatusOK, inc.ID)
}

type sicReportRequest struct {
	Reference  *string `json:"reference"`
	ReportedAt *string `json:"reported_at"`
}

func (h *Handlers) sicReport(w http.ResponseWriter, r *http.Request) error {
	var req sicReportRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	var v ValidationError
	if req.Reference == nil {
		v.add("/reference", "required", "is required: the filing number the RNBD gave")
	}
	at := parseInstant(&v, "/reported_at", req.ReportedAt)
	if err := v.err(); err != nil {
		return problem(err)
	}
	inc, err := h.Service.RecordSICReport(r.Context(), r.PathValue("id"),
		SICReportInput{Reference: *req.Reference, ReportedAt: at}, h.actor(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return h.writeDetail(w, r, http.StatusOK, inc.ID)
}

type titularesRequest struct {
	NotifiedAt *string `json:"notified_at"`
}

func (h *Handlers) titularesNotified(w http.ResponseWriter, r *http.Request) error {
	var req titularesRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	var v ValidationError
	at := parseInstant(&v, "/notified_at", req.NotifiedAt)
	if err := v.err(); err != nil {
		return problem(err)
	}
	inc, err := h.Service.RecordTitularesNotified(r.Context(), r.PathValue("id"), at,
		h.actor(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return h.writeDetail(w, r, http.StatusOK, inc.ID)
}

type closeRequest struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

func (h *Handlers) close(w http.ResponseWriter, r *http.Request) error {
	var req closeRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	inc, err := h.Service.Close(r.Context(), r.PathValue("id"),
		CloseInput(req), h.actor(r), metaOf(r))
	if err != nil {
		return problem(err)
	}
	return h.writeDetail(w, r, http.StatusOK, inc.ID)
}
