package dian

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// Service is the DIAN capability of a node: the CUFE/CUDE and QR routes,
// the certificate store and the web service client.
type Service struct {
	Certs  *CertStore
	Client *Client
	// TechnicalKey and SoftwarePIN are the keys used when a verification
	// request gives none (dian.technical_key, dian.software_pin).
	TechnicalKey string
	SoftwarePIN  string
}

// Routes registers the public routes. They read no stored data: a CUFE is
// a function of the fields sent.
func (s *Service) Routes(r *httpx.Router) {
	r.HandleFunc("POST /v1/dian/cufe/verify", s.verify)
	r.HandleFunc("POST /v1/dian/qr/parse", s.parseQR)
}

type verifyRequest struct {
	Document
	// Key is the technical key (invoice) or software PIN (note); the
	// configured one when empty.
	Key string `json:"key"`
	// CUFE is the code to check: the CUFE of an invoice or the CUDE of a
	// note.
	CUFE string `json:"cufe"`
}

type verifyResponse struct {
	Valid     bool   `json:"valid"`
	Algorithm string `json:"algorithm"`
	// Computed is shown only when the caller gave the key: with the
	// configured key it would let anyone compute valid codes for
	// documents the marketplace never issued.
	Computed string `json:"computed,omitempty"`
	// QR is the invoice's QR content, when the CUFE is valid.
	QR string `json:"qr,omitempty"`
}

// Problem code for QR content that does not parse.
const CodeInvalidQR = "dian_invalid_qr"

func (s *Service) verify(w http.ResponseWriter, r *http.Request) error {
	var req verifyRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.Document.Validate(); err != nil {
		return Problem(err)
	}
	key, own := req.Key, req.Key != ""
	if !own {
		key = s.TechnicalKey
		if req.Kind != Invoice {
			key = s.SoftwarePIN
		}
	}
	if key == "" {
		p := httpx.NewProblem(http.StatusBadRequest, CodeInvalidDocument,
			"no key: give the technical key (invoice) or software PIN (note)")
		p.Errors = []httpx.FieldError{{Field: "/key", Code: "required",
			Message: "is required when none is configured"}}
		return p
	}
	if !cufeRule.MatchString(strings.ToLower(req.CUFE)) {
		p := httpx.NewProblem(http.StatusBadRequest, CodeInvalidDocument,
			"the document's fields are not valid")
		p.Errors = []httpx.FieldError{{Field: "/cufe", Code: "invalid_value",
			Message: "must be 96 hexadecimal digits"}}
		return p
	}
	ok, computed, err := Verify(req.Document, key, req.CUFE)
	if err != nil {
		return Problem(err)
	}
	out := verifyResponse{Valid: ok, Algorithm: req.Kind.Algorithm()}
	if own {
		out.Computed = computed
	}
	if ok && req.Kind == Invoice {
		if q, err := QRFor(req.Document, computed); err == nil {
			out.QR, _ = BuildQR(q)
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

type qrRequest struct {
	Content string `json:"content"`
}

func (s *Service) parseQR(w http.ResponseWriter, r *http.Request) error {
	var req qrRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	q, err := ParseQR(req.Content)
	if err != nil {
		return httpx.NewProblem(http.StatusBadRequest, CodeInvalidQR, err.Error())
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		QR
		URL string `json:"url"`
	}{q, q.URL()})
}

// CertificateNotice says how the stored certificate stands, for the log at
// start-up: "" when none is imported yet.
func (s *Service) CertificateNotice(ctx context.Context) (string, bool, error) {
	if s.Certs == nil {
		return "", false, nil
	}
	info, err := s.Certs.Status(ctx)
	if errors.Is(err, ErrNoCertificate) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	msg, warn := ExpiryNotice(info, s.Certs.now())
	return msg, warn, nil
}
