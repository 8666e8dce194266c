package dian

import (
	"errors"
	"net/http"
	"strings"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// Problem codes of this package: each DIAN failure has its own, so that
// callers and operators can tell a document the DIAN refused from a DIAN
// that did not answer.
const (
	// CodeInvalidDocument: the fields given are not valid (HTTP 400).
	CodeInvalidDocument = "dian_invalid_document"
	// CodeFault: the DIAN answered with a SOAP Fault (a refused signature,
	// an unknown operation, a server error on its side).
	CodeFault = "dian_fault"
	// CodeDocumentRejected: IsValid false or StatusCode 99, with the
	// DIAN's ErrorMessage list.
	CodeDocumentRejected = "dian_document_rejected"
	// CodeNotFound: StatusCode 66 (NSU not found) or 90 (TrackId not
	// found).
	CodeNotFound = "dian_not_found"
	// CodeUnexpectedStatus: any other StatusCode than 00, 66, 90, 99.
	CodeUnexpectedStatus = "dian_unexpected_status"
	// CodeNumberingRange: GetNumberingRange's OperationCode was not 100.
	CodeNumberingRange = "dian_numbering_range_error"
	// CodeMalformedResponse: the answer is not the XML the operation
	// returns.
	CodeMalformedResponse = "dian_malformed_response"
	// CodeResponseTooLarge: the answer is larger than max_response_bytes.
	CodeResponseTooLarge = "dian_response_too_large"
	// CodeTimeout: no answer within timeout, on every attempt.
	CodeTimeout = "dian_timeout"
	// CodeUnavailable: the connection failed or the DIAN answered with an
	// HTTP error that is not a SOAP Fault, on every attempt.
	CodeUnavailable = "dian_unavailable"
	// CodeNoCertificate: no certificate was imported, or it expired.
	CodeNoCertificate = "dian_no_certificate"
)

// Error is a failed call to the DIAN. Its text never holds the request;
// Messages are the DIAN's own messages (ErrorMessage strings, Fault
// reason), cut to a bounded length.
type Error struct {
	Code      string
	Operation string
	// StatusCode is the DIAN's StatusCode, or the Fault's code.
	StatusCode string
	Detail     string
	Messages   []string
	// HTTPStatus is the status of the DIAN's answer, 0 when none came.
	HTTPStatus int
	retryable  bool
	cause      error
}

func (e *Error) Error() string {
	s := "dian: " + e.Operation + ": " + e.Code + ": " + e.Detail
	if len(e.Messages) > 0 {
		s += " (" + strings.Join(e.Messages, "; ") + ")"
	}
	return s
}

// Unwrap returns the underlying transport error, if any.
func (e *Error) Unwrap() error { return e.cause }

// Retryable reports whether another attempt might succeed.
func (e *Error) Retryable() bool { return e.retryable }

// Problem maps err to the problem the HTTP API answers with: a gateway
// error for failures of the DIAN, 422 for a document the DIAN rejected.
func Problem(err error) *httpx.Problem {
	var de *Error
	var ie *InvalidDocumentError
	switch {
	case errors.As(err, &ie):
		p := httpx.NewProblem(http.StatusBadRequest, CodeInvalidDocument,
			"the document's fields are not valid")
		for _, f := range ie.Fields {
			p.Errors = append(p.Errors, httpx.FieldError{Field: f.Field, Code: "invalid_value",
				Message: f.Message})
		}
		return p
	case errors.Is(err, ErrInvalidKey):
		return httpx.NewProblem(http.StatusBadRequest, CodeInvalidDocument, err.Error())
	case errors.As(err, &de):
		status := http.StatusBadGateway
		switch de.Code {
		case CodeDocumentRejected:
			status = http.StatusUnprocessableEntity
		case CodeNotFound:
			status = http.StatusNotFound
		case CodeTimeout:
			status = http.StatusGatewayTimeout
		case CodeUnavailable, CodeNoCertificate:
			status = http.StatusServiceUnavailable
		}
		p := httpx.NewProblem(status, de.Code, de.Detail)
		for _, m := range de.Messages {
			p.Errors = append(p.Errors, httpx.FieldError{Field: "", Code: de.Code, Message: m})
		}
		return p
	}
	return httpx.NewProblem(http.StatusInternalServerError, httpx.CodeInternal,
		"internal error")
}
