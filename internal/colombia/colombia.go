// Package colombia serves the Colombian reference checks that a
// marketplace's other services need while they build forms and answer
// people: validating a NIT or an identity document number as the DIAN codes
// it, listing national holidays, and computing the legal terms of a Habeas
// Data request. The rules live in packages docid and calendar; this package
// only speaks HTTP.
//
// The endpoints read no stored data and reveal nothing about anyone, so they
// need no authentication. Document numbers are personal data: they are never
// logged and never echoed in error messages.
package colombia

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/docid"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// Problem codes of this package.
const (
	CodeInvalidNIT      = "invalid_nit"
	CodeInvalidDocument = "invalid_document"
	CodeInvalidYear     = "invalid_year"
	CodeInvalidRequest  = "invalid_request"
)

// Routes registers the package's routes.
func Routes(r *httpx.Router) {
	r.HandleFunc("POST /v1/colombia/nit/validate", validateNIT)
	r.HandleFunc("GET /v1/colombia/document-types", documentTypes)
	r.HandleFunc("POST /v1/colombia/documents/validate", validateDocument)
	r.HandleFunc("GET /v1/colombia/holidays/{year}", holidays)
	r.HandleFunc("POST /v1/colombia/habeas-data/terms", habeasDataTerms)
}

type nitRequest struct {
	NIT string `json:"nit"`
}

type nitResponse struct {
	Valid      bool   `json:"valid"`
	NIT        string `json:"nit"`
	Formatted  string `json:"formatted"`
	Body       string `json:"body"`
	CheckDigit int    `json:"check_digit"`
}

func validateNIT(w http.ResponseWriter, r *http.Request) error {
	var req nitRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}

	nit, err := docid.ParseNIT(req.NIT)
	if err != nil {
		return documentProblem(CodeInvalidNIT, "/nit", err)
	}
	return httpx.WriteJSON(w, http.StatusOK, nitResponse{
		Valid:      true,
		NIT:        nit.Compact(),
		Formatted:  nit.Formatted(),
		Body:       nit.Body(),
		CheckDigit: nit.CheckDigit(),
	})
}

type documentTypeJSON struct {
	Code    int    `json:"code"`
	Spanish string `json:"name_es"`
	English string `json:"name_en"`
}

func documentTypes(w http.ResponseWriter, r *http.Request) error {
	types := docid.Types()
	out := make([]documentTypeJSON, 0, len(types))
	for _, t := range types {
		out = append(out, documentTypeJSON{Code: int(t.Code), Spanish: t.Spanish, English: t.English})
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"document_types": out})
}

type documentRequest struct {
	// Type is the DIAN code of the document type, such as 13 for a cédula
	// de ciudadanía.
	Type   int    `json:"type"`
	Number string `json:"number"`
}

type documentResponse struct {
	Valid     bool   `json:"valid"`
	Type      int    `json:"type"`
	TypeName  string `json:"type_name"`
	Number    string `json:"number"`
	Formatted string `json:"formatted"`
}

func validateDocument(w http.ResponseWriter, r *http.Request) error {
	var req documentRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}

	typ, ok := docid.LookupCode(docid.Code(req.Type))
	if !ok {
		p := httpx.Problemf(http.StatusBadRequest, CodeInvalidDocument,
			"%d is not a DIAN document type code (see GET /v1/colombia/document-types)", req.Type)
		p.Errors = []httpx.FieldError{{Field: "/type", Code: "unknown_type",
			Message: "unknown document type code"}}
		return p
	}
	doc, err := docid.Parse(typ.Code, req.Number)
	if err != nil {
		return documentProblem(CodeInvalidDocument, "/number", err)
	}
	return httpx.WriteJSON(w, http.StatusOK, documentResponse{
		Valid:     true,
		Type:      int(doc.Code()),
		TypeName:  typ.Spanish,
		Number:    doc.Number(),
		Formatted: doc.Formatted(),
	})
}

// documentProblem explains why a number was refused. docid's messages never
// quote the input, so they may be sent as they are.
func documentProblem(code, field string, err error) error {
	p := httpx.NewProblem(http.StatusBadRequest, code, err.Error())
	fe := httpx.FieldError{Field: field, Code: docid.Reason(err), Message: err.Error()}
	var cd *docid.CheckDigitError
	if errors.As(err, &cd) {
		p.Detail = "the check digit is " + strconv.Itoa(cd.Got) + ", but the number's check " +
			"digit is " + strconv.Itoa(cd.Want) + " (el dígito de verificación correcto es " +
			strconv.Itoa(cd.Want) + ")"
	}
	p.Errors = []httpx.FieldError{fe}
	return p
}

type holidayJSON struct {
	Date     string `json:"date"`
	Original string `json:"original_date"`
	Name     string `json:"name"`
	Moved    bool   `json:"moved"`
}

func holidays(w http.ResponseWriter, r *http.Request) error {
	raw := r.PathValue("year")
	year, err := strconv.Atoi(raw)
	if err != nil || len(raw) != 4 {
		return httpx.Problemf(http.StatusBadRequest, CodeInvalidYear,
			"the year must be written with four digits, such as 2026")
	}
	list, err := calendar.Holidays(year)
	if err != nil {
		return httpx.Problemf(http.StatusBadRequest, CodeInvalidYear,
			"holidays are computed for %d to %d", calendar.MinYear, calendar.MaxYear)
	}

	out := make([]holidayJSON, 0, len(list))
	for _, h := range list {
		out = append(out, holidayJSON{Date: h.Date.String(), Original: h.Original.String(),
			Name: h.Name, Moved: h.Date != h.Original})
	}
	// Holidays of a year never change: let clients and proxies keep them.
	w.Header().Set("Cache-Control", "public, max-age=86400")
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"year": year, "holidays": out})
}

type termsRequest struct {
	Kind       string    `json:"kind"`
	ReceivedAt time.Time `json:"received_at"`
}

type termsResponse struct {
	Kind        string `json:"kind"`
	Received    string `json:"received"`
	Due         string `json:"due"`
	ExtendedDue string `json:"extended_due"`
	CompleteBy  string `json:"complete_by,omitempty"`
	TransferBy  string `json:"transfer_by,omitempty"`
}

func habeasDataTerms(w http.ResponseWriter, r *http.Request) error {
	var req termsRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}

	var kind calendar.RequestKind
	switch req.Kind {
	case "consulta":
		kind = calendar.Consulta
	case "reclamo":
		kind = calendar.Reclamo
	default:
		p := httpx.NewProblem(http.StatusBadRequest, CodeInvalidRequest,
			`kind must be "consulta" or "reclamo"`)
		p.Errors = []httpx.FieldError{{Field: "/kind", Code: "invalid_value",
			Message: `must be "consulta" or "reclamo"`}}
		return p
	}
	if req.ReceivedAt.IsZero() {
		p := httpx.NewProblem(http.StatusBadRequest, CodeInvalidRequest,
			"received_at is required (RFC 3339, such as 2026-04-01T10:00:00-05:00)")
		p.Errors = []httpx.FieldError{{Field: "/received_at", Code: "required",
			Message: "required"}}
		return p
	}

	terms, err := calendar.HabeasData(kind, req.ReceivedAt)
	if err != nil {
		return httpx.Problemf(http.StatusBadRequest, CodeInvalidRequest,
			"received_at is outside the years %d to %d", calendar.MinYear, calendar.MaxYear)
	}
	out := termsResponse{
		Kind:        req.Kind,
		Received:    terms.Received.String(),
		Due:         terms.Due.String(),
		ExtendedDue: terms.ExtendedDue.String(),
	}
	if !terms.CompleteBy.IsZero() {
		out.CompleteBy = terms.CompleteBy.String()
		out.TransferBy = terms.TransferBy.String()
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
