// Package diantest is a local stand-in for the DIAN's web services
// (WcfDianCustomerServices) for tests: an httptest server that speaks the
// DIAN's SOAP 1.2 envelope format and, like the DIAN, refuses any request
// whose WS-Security signature does not verify with the trusted
// certificate's public key, whose Timestamp is stale or whose wsa:To is
// not its endpoint. The DIAN itself cannot be reached from tests.
package diantest

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/cerrojo/cerrojo/internal/dian"
)

// MaxRequestBytes bounds a request the server reads.
const MaxRequestBytes = 1 << 20

// Responder answers a verified request: the operation's name and its
// signed element. It returns the HTTP status and the SOAP message.
type Responder func(op string, body *etree.Element) (int, []byte)

// Server is the local DIAN.
type Server struct {
	*httptest.Server
	// Trusted is the certificate requests must be signed with.
	Trusted *x509.Certificate
	// To is the endpoint requests must be addressed to; the server's URL
	// by default.
	To string
	// Now is the server's clock; time.Now by default.
	Now     func() time.Time
	MaxSkew time.Duration
	// Tamper, when set, changes a request's bytes before verification: a
	// man in the middle.
	Tamper func([]byte) []byte
	// Respond answers verified requests; Default by default.
	Respond Responder
	// ContentType of the answers to verified requests; the SOAP 1.2 media
	// type by default (tests set text/html to play a proxy's error page).
	ContentType string

	mu       sync.Mutex
	refusals []string
	calls    []string
}

// New starts a server trusting cert.
func New(cert *x509.Certificate) *Server {
	s := &Server{Trusted: cert, Now: time.Now, MaxSkew: 30 * time.Second, Respond: Default}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	s.To = s.URL
	return s
}

// Refusals are the reasons of the requests refused so far.
func (s *Server) Refusals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refusals...)
}

// Calls are the operations of the verified requests so far.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost || err != nil || mt != "application/soap+xml" {
		s.refuse(w, http.StatusUnsupportedMediaType, "Sender", "", "not a SOAP 1.2 request")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes))
	if err != nil {
		s.refuse(w, http.StatusBadRequest, "Sender", "", "unreadable request")
		return
	}
	if s.Tamper != nil {
		raw = s.Tamper(raw)
	}
	v, err := dian.VerifyEnvelope(bytes.NewReader(raw), MaxRequestBytes, dian.VerifyOptions{
		To: s.To, Now: s.Now(), MaxSkew: s.MaxSkew, Trusted: s.Trusted})
	if err != nil {
		s.refuse(w, http.StatusInternalServerError, "Sender", "wsse:InvalidSecurity",
			"An error occurred when verifying security for the message: "+err.Error())
		return
	}
	op := v.Body.Tag
	if v.Body.NamespaceURI() != dian.NSWCF || v.Action != dian.ActionPrefix+op ||
		params["action"] != v.Action {
		s.refuse(w, http.StatusInternalServerError, "Sender", "a:ActionNotSupported",
			"The message with Action '"+v.Action+"' cannot be processed")
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, op)
	s.mu.Unlock()
	status, msg := s.Respond(op, v.Body)
	ct := s.ContentType
	if ct == "" {
		ct = "application/soap+xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write(msg)
}

func (s *Server) refuse(w http.ResponseWriter, status int, code, sub, reason string) {
	s.mu.Lock()
	s.refusals = append(s.refusals, reason)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(Fault(code, sub, reason))
}

// Param returns the text of the operation's parameter name.
func Param(body *etree.Element, name string) string {
	for _, c := range body.ChildElements() {
		if c.Tag == name && c.NamespaceURI() == dian.NSWCF {
			return c.Text()
		}
	}
	return ""
}

// Default answers as the DIAN does for a document it accepted: GetStatus
// and GetStatusZip with StatusCode 00 for the track id, GetNumberingRange
// with the habilitación SETP range.
func Default(op string, body *etree.Element) (int, []byte) {
	switch op {
	case dian.OpGetStatus:
		return http.StatusOK, Status(dian.Response{IsValid: true, StatusCode: "00",
			StatusDescription: "Procesado Correctamente.",
			XMLDocumentKey:    Param(body, "trackId"), XMLBytes: []byte("<ApplicationResponse/>")})
	case dian.OpGetStatusZip:
		return http.StatusOK, StatusZip(dian.Response{IsValid: true, StatusCode: "00",
			StatusDescription: "Procesado Correctamente.",
			XMLDocumentKey:    Param(body, "trackId")})
	case dian.OpGetNumberingRange:
		return http.StatusOK, NumberingRanges("100", "Acción completada OK.",
			dian.NumberingRange{ResolutionNumber: "18760000001", ResolutionDate: "2019-01-19",
				Prefix: "SETP", FromNumber: 990000000, ToNumber: 995000000,
				ValidDateFrom: "2019-01-19", ValidDateTo: "2030-01-19",
				TechnicalKey: "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"})
	}
	return http.StatusInternalServerError, Fault("Sender", "a:ActionNotSupported",
		"unknown operation")
}

// Envelope wraps a Body's content in the envelope the DIAN answers with.
func Envelope(action, inner string) []byte {
	return []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
		`xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>` +
		`<a:Action s:mustUnderstand="1">` + action + `</a:Action></s:Header><s:Body>` +
		inner + `</s:Body></s:Envelope>`)
}

// Fault is a SOAP 1.2 Fault as WCF writes it.
func Fault(code, subcode, reason string) []byte {
	sub := ""
	if subcode != "" {
		sub = `<s:Subcode><s:Value xmlns:a="http://docs.oasis-open.org/wss/2004/01/` +
			`oasis-200401-wss-wssecurity-secext-1.0.xsd">` + html.EscapeString(subcode) +
			`</s:Value></s:Subcode>`
	}
	return Envelope("http://www.w3.org/2005/08/addressing/soap/fault",
		`<s:Fault><s:Code><s:Value>s:`+code+`</s:Value>`+sub+`</s:Code><s:Reason>`+
			`<s:Text xml:lang="en-US">`+html.EscapeString(reason)+`</s:Text></s:Reason></s:Fault>`)
}

func dianResponse(prefix string, r dian.Response) string {
	var b strings.Builder
	el := func(tag, v string) {
		fmt.Fprintf(&b, "<%s:%s>%s</%s:%s>", prefix, tag, html.EscapeString(v), prefix, tag)
	}
	fmt.Fprintf(&b, `<%s:ErrorMessage xmlns:c="http://schemas.microsoft.com/2003/10/`+
		`Serialization/Arrays">`, prefix)
	for _, m := range r.ErrorMessages {
		b.WriteString("<c:string>" + html.EscapeString(m) + "</c:string>")
	}
	fmt.Fprintf(&b, "</%s:ErrorMessage>", prefix)
	el("IsValid", fmt.Sprint(r.IsValid))
	el("StatusCode", r.StatusCode)
	el("StatusDescription", r.StatusDescription)
	el("StatusMessage", r.StatusMessage)
	el("XmlBase64Bytes", base64.StdEncoding.EncodeToString(r.XMLBytes))
	fmt.Fprintf(&b, `<%s:XmlBytes i:nil="true"/>`, prefix)
	el("XmlDocumentKey", r.XMLDocumentKey)
	el("XmlFileName", r.XMLFileName)
	return b.String()
}

const resultNS = `xmlns:b="http://schemas.datacontract.org/2004/07/DianResponse" ` +
	`xmlns:i="http://www.w3.org/2001/XMLSchema-instance"`

// Status is GetStatus's answer.
func Status(r dian.Response) []byte {
	return Envelope(dian.ActionPrefix+"GetStatusResponse",
		`<GetStatusResponse xmlns="http://wcf.dian.colombia"><GetStatusResult `+resultNS+`>`+
			dianResponse("b", r)+`</GetStatusResult></GetStatusResponse>`)
}

// StatusZip is GetStatusZip's answer.
func StatusZip(rs ...dian.Response) []byte {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("<b:DianResponse>" + dianResponse("b", r) + "</b:DianResponse>")
	}
	return Envelope(dian.ActionPrefix+"GetStatusZipResponse",
		`<GetStatusZipResponse xmlns="http://wcf.dian.colombia"><GetStatusZipResult `+
			resultNS+`>`+b.String()+`</GetStatusZipResult></GetStatusZipResponse>`)
}

// NumberingRanges is GetNumberingRange's answer.
func NumberingRanges(code, description string, rs ...dian.NumberingRange) []byte {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "<c:NumberRangeResponse><c:ResolutionNumber>%s</c:ResolutionNumber>"+
			"<c:ResolutionDate>%s</c:ResolutionDate><c:Prefix>%s</c:Prefix>"+
			"<c:FromNumber>%d</c:FromNumber><c:ToNumber>%d</c:ToNumber>"+
			"<c:ValidDateFrom>%s</c:ValidDateFrom><c:ValidDateTo>%s</c:ValidDateTo>"+
			"<c:TechnicalKey>%s</c:TechnicalKey></c:NumberRangeResponse>",
			r.ResolutionNumber, r.ResolutionDate, r.Prefix, r.FromNumber, r.ToNumber,
			r.ValidDateFrom, r.ValidDateTo, r.TechnicalKey)
	}
	return Envelope(dian.ActionPrefix+"GetNumberingRangeResponse",
		`<GetNumberingRangeResponse xmlns="http://wcf.dian.colombia"><GetNumberingRangeResult `+
			`xmlns:b="http://schemas.datacontract.org/2004/07/NumberRangeResponseList" `+
			`xmlns:i="http://www.w3.org/2001/XMLSchema-instance">`+
			`<b:OperationCode>`+html.EscapeString(code)+`</b:OperationCode>`+
			`<b:OperationDescription>`+html.EscapeString(description)+
			`</b:OperationDescription><b:ResponseList xmlns:c="http://schemas.datacontract.org/`+
			`2004/07/NumberRangeResponse">`+b.String()+`</b:ResponseList>`+
			`</GetNumberingRangeResult></GetNumberingRangeResponse>`)
}
