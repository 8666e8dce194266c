package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// ContentTypeProblem is the media type of RFC 9457 problem documents.
const ContentTypeProblem = "application/problem+json"

// problemTypePrefix makes a problem's stable code into the URI that RFC 9457
// section 3.1.1 asks for. docs/api.md lists every code.
const problemTypePrefix = "urn:cerrojo:problem:"

// Stable problem codes. Clients branch on these, so they never change
// meaning; new situations get new codes.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeUnknownField         = "unknown_field"
	CodeDuplicateField       = "duplicate_field"
	CodeWrongType            = "wrong_type"
	CodeTrailingData         = "trailing_data"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeValidationFailed     = "validation_failed"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeInternal             = "internal_error"
	CodeUnavailable          = "unavailable"
)

// Problem is an RFC 9457 problem document and an error that handlers return
// to answer with it. Everything in it is sent to the client: put only what
// the client may know in Detail.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Code      string       `json:"code"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError says what is wrong with one field of a request.
type FieldError struct {
	// Field is a JSON Pointer (RFC 6901) to the field, such as /email.
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// NewProblem returns a problem with the given status, stable code and detail.
func NewProblem(status int, code, detail string) *Problem {
	return &Problem{
		Type:   problemTypePrefix + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
	}
}

// Problemf is NewProblem with a formatted detail.
func Problemf(status int, code, format string, args ...any) *Problem {
	return NewProblem(status, code, fmt.Sprintf(format, args...))
}

// Error makes a Problem usable as an error.
func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail)
}

// WriteProblem sends p, filling in the request id and instance.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	out := *p
	if out.RequestID == "" {
		out.RequestID = RequestID(r.Context())
	}
	if out.Instance == "" {
		out.Instance = r.URL.Path
	}
	if out.Type == "" {
		out.Type = problemTypePrefix + out.Code
	}
	if out.Title == "" {
		out.Title = http.StatusText(out.Status)
	}

	body, err := json.Marshal(out)
	if err != nil {
		// A Problem holds only strings and ints; this cannot happen.
		body = []byte(`{"type":"urn:cerrojo:problem:internal_error","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(out.Status)
	// The status is sent; a failed write means the client has gone and
	// nothing more can be told to it.
	_, _ = w.Write(append(body, '\n'))
}

// WriteError answers with err: an error that is also an http.Handler
// writes its own answer; a *Problem is sent as it is; anything else is
// recorded for the access log and answered with a generic 500, because its
// text is internal.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	// An error that knows its own answer, headers included (a rate limit's
	// Retry-After, say), writes it.
	var self http.Handler
	if errors.As(err, &self) {
		self.ServeHTTP(w, r)
		return
	}
	var p *Problem
	if errors.As(err, &p) {
		WriteProblem(w, r, p)
		return
	}
	noteError(r.Context(), err)
	WriteProblem(w, r, NewProblem(http.StatusInternalServerError, CodeInternal,
		"the server failed to handle the request; quote the request id when reporting it"))
}

// HandlerFunc is an http.HandlerFunc that may return an error: a *Problem is
// sent to the client, and any other error becomes a logged 500.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP calls f and answers with its error, if any.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		WriteError(w, r, err)
	}
}

// WriteJSON sends v as a JSON document with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	return err
}
