package dian

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
)

// The DIAN's web service endpoints (WcfDianCustomerServices).
const (
	EndpointHabilitacion = "https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc"
	EndpointProduction   = "https://vpfe.dian.gov.co/WcfDianCustomerServices.svc"
)

// Operations the client calls. All three are queries: calling one twice
// changes nothing at the DIAN, so they are retried.
const (
	OpGetStatus         = "GetStatus"
	OpGetStatusZip      = "GetStatusZip"
	OpGetNumberingRange = "GetNumberingRange"
)

// idempotent lists the operations that may be retried.
var idempotent = map[string]bool{OpGetStatus: true, OpGetStatusZip: true,
	OpGetNumberingRange: true}

// ClientConfig configures the web service client.
type ClientConfig struct {
	Environment Environment
	// Endpoint overrides the environment's endpoint (a proxy, the local
	// test server).
	Endpoint string
	// Timeout bounds each attempt.
	Timeout time.Duration
	// MaxAttempts bounds the attempts of an idempotent operation.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each further one up to MaxBackoff, with jitter.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxResponseBytes bounds an answer.
	MaxResponseBytes int64
	// TimestampTTL is how long a request's wsu:Timestamp is valid.
	TimestampTTL time.Duration
}

// DefaultClientConfig is habilitación with the defaults of the
// configuration file.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{Environment: Habilitacion, Timeout: 30 * time.Second, MaxAttempts: 3,
		Backoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second,
		MaxResponseBytes: 8 << 20, TimestampTTL: 5 * time.Minute}
}

// URL is the endpoint requests go to.
func (c ClientConfig) URL() string {
	if c.Endpoint != "" {
		return c.Endpoint
	}
	if c.Environment == Production {
		return EndpointProduction
	}
	return EndpointHabilitacion
}

// Validate checks the configuration.
func (c ClientConfig) Validate() error {
	if !c.Environment.Valid() {
		return errors.New("dian: environment must be produccion or habilitacion")
	}
	u, err := url.Parse(c.URL())
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("dian: endpoint must be an http(s) URL")
	}
	switch {
	case c.Timeout <= 0:
		return errors.New("dian: timeout must be positive")
	case c.MaxAttempts < 1 || c.MaxAttempts > 10:
		return errors.New("dian: max_attempts must be 1 to 10")
	case c.Backoff < 0 || c.MaxBackoff < c.Backoff:
		return errors.New("dian: backoff must be non-negative and at most max_backoff")
	case c.MaxResponseBytes < 1024:
		return errors.New("dian: max_response_bytes must be at least 1024")
	case c.TimestampTTL <= 0:
		return errors.New("dian: timestamp_ttl must be positive")
	}
	return nil
}

// Auditor records audit events; *audit.Log is one.
type Auditor interface {
	Record(ctx context.Context, e audit.Event) (*audit.Record, error)
}

// SignerSource gives the certificate requests are signed with, such as
// CertStore.Signer.
type SignerSource func(ctx context.Context) (Signer, error)

// Client calls the DIAN's web services.
type Client struct {
	cfg    ClientConfig
	http   *http.Client
	signer SignerSource
	audit  Auditor
	log    *slog.Logger
	clock  clock.Clock
}

// ClientOptions are the client's dependencies.
type ClientOptions struct {
	Config ClientConfig
	// HTTP is the client used; nil means a client with Go's defaults and
	// no redirects.
	HTTP   *http.Client
	Signer SignerSource
	Audit  Auditor
	Logger *slog.Logger
	Clock  clock.Clock
}

// NewClient returns a client.
func NewClient(o ClientOptions) (*Client, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Signer == nil {
		return nil, errors.New("dian: a signer is required")
	}
	c := &Client{cfg: o.Config, http: o.HTTP, signer: o.Signer, audit: o.Audit,
		log: o.Logger, clock: o.Clock}
	if c.http == nil {
		c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.System{}
	}
	return c, nil
}

// Response is a DianResponse: the DIAN's answer about one document.
type Response struct {
	IsValid           bool     `json:"is_valid"`
	StatusCode        string   `json:"status_code"`
	StatusDescription string   `json:"status_description"`
	StatusMessage     string   `json:"status_message"`
	ErrorMessages     []string `json:"error_messages"`
	XMLDocumentKey    string   `json:"xml_document_key"`
	XMLFileName       string   `json:"xml_file_name"`
	// XMLBytes is the decoded XmlBase64Bytes (the application response).
	XMLBytes []byte `json:"-"`
}

// NumberingRange is one authorized range of GetNumberingRange.
type NumberingRange struct {
	ResolutionNumber string `json:"resolution_number"`
	ResolutionDate   string `json:"resolution_date"`
	Prefix           string `json:"prefix"`
	FromNumber       int64  `json:"from_number"`
	ToNumber         int64  `json:"to_number"`
	ValidDateFrom    string `json:"valid_date_from"`
	ValidDateTo      string `json:"valid_date_to"`
	// TechnicalKey is the range's ClTec, which the CUFE needs.
	TechnicalKey string `json:"technical_key"`
}

// GetStatus asks the state of the document with that track id (its CUFE
// or the ZipKey of a batch). A document the DIAN rejected comes back with
// an *Error of code CodeDocumentRejected, and the response.
func (c *Client) GetStatus(ctx context.Context, trackID string) (*Response, error) {
	if err := checkID("trackId", trackID); err != nil {
		return nil, err
	}
	body := operation(OpGetStatus, "trackId", trackID)
	var out *Response
	err := c.call(ctx, OpGetStatus, trackID, body, func(res *etree.Element) error {
		r, err := parseDianResponse(only(res, NSWCF, "GetStatusResult"))
		if err != nil {
			return err
		}
		out = r
		return statusError(OpGetStatus, r)
	})
	return out, err
}

// GetStatusZip asks the state of the documents of a batch sent with
// SendTestSetAsync or SendBillAsync.
func (c *Client) GetStatusZip(ctx context.Context, trackID string) ([]Response, error) {
	if err := checkID("trackId", trackID); err != nil {
		return nil, err
	}
	body := operation(OpGetStatusZip, "trackId", trackID)
	var out []Response
	err := c.call(ctx, OpGetStatusZip, trackID, body, func(res *etree.Element) error {
		result := only(res, NSWCF, "GetStatusZipResult")
		if result == nil {
			return malformed("no GetStatusZipResult")
		}
		items := children(result, nsDianResponse, "DianResponse")
		if len(items) == 0 || len(items) > maxZipItems {
			return malformed("GetStatusZipResult must hold 1 to " +
				strconv.Itoa(maxZipItems) + " DianResponse")
		}
		var firstErr error
		for _, it := range items {
			r, err := parseDianResponse(it)
			if err != nil {
				return err
			}
			out = append(out, *r)
			if err := statusError(OpGetStatusZip, r); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		return firstErr
	})
	return out, err
}

// GetNumberingRange asks the numbering ranges authorized to the issuer
// accountCode (NIT of the issuer), as seen by accountCodeT (NIT of the
// technology provider or the issuer) for the software softwareCode.
func (c *Client) GetNumberingRange(ctx context.Context, accountCode, accountCodeT,
	softwareCode string) ([]NumberingRange, error) {
	for name, v := range map[string]string{"accountCode": accountCode,
		"accountCodeT": accountCodeT, "softwareCode": softwareCode} {
		if err := checkID(name, v); err != nil {
			return nil, err
		}
	}
	body := etree.NewElement("wcf:" + OpGetNumberingRange)
	body.CreateElement("wcf:accountCode").SetText(accountCode)
	body.CreateElement("wcf:accountCodeT").SetText(accountCodeT)
	body.CreateElement("wcf:softwareCode").SetText(softwareCode)
	var out []NumberingRange
	err := c.call(ctx, OpGetNumberingRange, accountCode, body, func(res *etree.Element) error {
		var err error
		out, err = parseNumberingRanges(only(res, NSWCF, "GetNumberingRangeResult"))
		return err
	})
	return out, err
}

func operation(name, param, value string) *etree.Element {
	el := etree.NewElement("wcf:" + name)
	el.CreateElement("wcf:" + param).SetText(value)
	return el
}

// checkID bounds the identifiers sent: letters, digits and '-', at most
// 128 (a CUFE is 96).
func checkID(name, v string) error {
	if v == "" || len(v) > 128 {
		return &InvalidDocumentError{Fields: []FieldError{{Field: "/" + name,
			Message: "must be 1 to 128 characters"}}}
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' ||
			ch == '-') {
			return &InvalidDocumentError{Fields: []FieldError{{Field: "/" + name,
				Message: "must be letters, digits and dashes"}}}
		}
	}
	return nil
}

// call sends one operation with retries, audits it and logs its outcome.
func (c *Client) call(ctx context.Context, op, docID string, body *etree.Element,
	parse func(*etree.Element) error) error {
	start := c.clock.Now()
	attempts := 1
	if idempotent[op] {
		attempts = c.cfg.MaxAttempts
	}
	var err error
	n := 0
	for {
		n++
		err = c.attempt(ctx, op, body.Copy(), parse)
		var de *Error
		if err == nil || !errors.As(err, &de) || !de.retryable || n >= attempts ||
			ctx.Err() != nil {
			break
		}
		wait := c.backoff(n)
		c.log.Warn("dian: attempt failed, retrying", "operation", op, "attempt", n,
			"problem", de.Code, "wait", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			err = &Error{Code: CodeTimeout, Operation: op,
				Detail: "cancelled while waiting to retry", cause: ctx.Err()}
		case <-t.C:
			continue
		}
		break
	}
	c.record(ctx, op, docID, n, err, c.clock.Now().Sub(start))
	return err
}

// backoff is the wait after failed attempt n (1-based): Backoff·2^(n-1),
// at most MaxBackoff, of which the second half is random ("equal
// jitter"), so that nodes retrying together spread out.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.Backoff
	for i := 1; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	half := d / 2
	if half <= 0 {
		return d
	}
	j, err := rand.Int(rand.Reader, big.NewInt(int64(half)+1))
	if err != nil {
		return d
	}
	return half + time.Duration(j.Int64())
}

func (c *Client) attempt(ctx context.Context, op string, body *etree.Element,
	parse func(*etree.Element) error) error {
	s, err := c.signer(ctx)
	if err != nil {
		return &Error{Code: CodeNoCertificate, Operation: op,
			Detail: "no certificate to sign with: import one with `cerrojo dian cert import`",
			cause:  err}
	}
	now := c.clock.Now()
	if now.After(s.Cert.NotAfter) {
		return &Error{Code: CodeNoCertificate, Operation: op,
			Detail: "the certificate expired on " + s.Cert.NotAfter.UTC().Format(time.DateOnly)}
	}
	if now.Before(s.Cert.NotBefore) {
		return &Error{Code: CodeNoCertificate, Operation: op,
			Detail: "the certificate is valid only from " +
				s.Cert.NotBefore.UTC().Format(time.RFC3339)}
	}
	to := c.cfg.URL()
	payload, err := signEnvelope(envelope{Action: ActionPrefix + op, To: to, Body: body,
		Created: now, TTL: c.cfg.TimestampTTL, IDs: newID}, s)
	if err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, to, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+
		ActionPrefix+op+`"`)
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(op, err)
	}
	defer func() { _ = resp.Body.Close() }() // the body is read in full below
	doc, rerr := readXML(resp.Body, c.cfg.MaxResponseBytes)
	if rerr != nil {
		if errors.Is(rerr, ErrTooLarge) {
			return &Error{Code: CodeResponseTooLarge, Operation: op, HTTPStatus: resp.StatusCode,
				Detail: "the answer is larger than " +
					strconv.FormatInt(c.cfg.MaxResponseBytes, 10) + " bytes"}
		}
		var ne net.Error
		if errors.As(rerr, &ne) || errors.Is(rerr, context.DeadlineExceeded) {
			return transportError(op, rerr)
		}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return &Error{Code: CodeUnavailable, Operation: op, HTTPStatus: resp.StatusCode,
				Detail:    "the DIAN answered HTTP " + strconv.Itoa(resp.StatusCode),
				retryable: true}
		}
		return &Error{Code: CodeMalformedResponse, Operation: op, HTTPStatus: resp.StatusCode,
			Detail: "the answer is not XML: " + rerr.Error()}
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil ||
		(mt != "application/soap+xml" && mt != "text/xml") {
		// A proxy's or load balancer's error page: the DIAN was not reached.
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return &Error{Code: CodeUnavailable, Operation: op, HTTPStatus: resp.StatusCode,
				Detail:    "the DIAN answered HTTP " + strconv.Itoa(resp.StatusCode),
				retryable: true}
		}
		return &Error{Code: CodeMalformedResponse, Operation: op, HTTPStatus: resp.StatusCode,
			Detail: "the answer is not a SOAP message"}
	}
	res, err := soapBody(doc, op)
	if err != nil {
		if de, ok := err.(*Error); ok {
			de.Operation, de.HTTPStatus = op, resp.StatusCode
		}
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &Error{Code: CodeMalformedResponse, Operation: op, HTTPStatus: resp.StatusCode,
			Detail: "an answer that is not a Fault came with HTTP " +
				strconv.Itoa(resp.StatusCode)}
	}
	if err := parse(res); err != nil {
		if de, ok := err.(*Error); ok {
			de.Operation, de.HTTPStatus = op, resp.StatusCode
		}
		return err
	}
	return nil
}

func transportError(op string, err error) *Error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Code: CodeTimeout, Operation: op, Detail: "the DIAN did not answer in time",
			retryable: true, cause: err}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: CodeTimeout, Operation: op, Detail: "the call was cancelled",
			cause: err}
	}
	return &Error{Code: CodeUnavailable, Operation: op, Detail: "the DIAN could not be reached",
		retryable: true, cause: err}
}

func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + hex.EncodeToString(b[:])
}

// record writes the call's audit event and log line: the operation, the
// document or track id, the attempts and the outcome; never the payload.
func (c *Client) record(ctx context.Context, op, docID string, attempts int, err error,
	took time.Duration) {
	outcome, result := audit.OutcomeSuccess, "ok"
	details := map[string]string{"operation": op, "environment": c.cfg.Environment.String(),
		"attempts": strconv.Itoa(attempts)}
	var de *Error
	if err != nil {
		outcome, result = audit.OutcomeFailure, "error"
		if errors.As(err, &de) {
			result = de.Code
			if de.StatusCode != "" {
				details["dian_status"] = clip(de.StatusCode, 32)
			}
		}
	}
	details["result"] = result
	c.log.Info("dian call", "operation", op, "document_id", docID, "outcome", string(outcome),
		"result", result, "attempts", attempts, "took", took.String())
	if c.audit == nil {
		return
	}
	ev := audit.Event{Actor: audit.Actor{Type: audit.ActorSystem, ID: "dian"},
		Action: "dian." + snake(op), Target: audit.Target{Type: "dian_document", ID: docID},
		Outcome: outcome, Details: details}
	if _, aerr := c.audit.Record(ctx, ev); aerr != nil {
		c.log.Error("dian: audit event not written", "operation", op, "error", aerr.Error())
	}
}

func snake(op string) string {
	switch op {
	case OpGetStatus:
		return "get_status"
	case OpGetStatusZip:
		return "get_status_zip"
	case OpGetNumberingRange:
		return "get_numbering_range"
	}
	return "call"
}

// Namespaces of the DIAN's data contracts in answers.
const (
	nsDianResponse = "http://schemas.datacontract.org/2004/07/DianResponse"
	nsArrays       = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
	nsRangeList    = "http://schemas.datacontract.org/2004/07/NumberRangeResponseList"
	nsRange        = "http://schemas.datacontract.org/2004/07/NumberRangeResponse"
)

// Bounds on what an answer may hold.
const (
	maxZipItems      = 1000
	maxErrorMessages = 200
	maxRanges        = 1000
	maxMessageLen    = 1000
)

func malformed(detail string) *Error {
	return &Error{Code: CodeMalformedResponse, Detail: "unexpected answer: " + detail}
}

// soapBody returns the operation's response element, or the Fault as an
// *Error. The envelope must be SOAP 1.2 with one Body holding exactly one
// element: <op>Response in the DIAN's namespace, or a Fault.
func soapBody(doc *etree.Document, op string) (*etree.Element, error) {
	env := doc.Root()
	if env.Tag != "Envelope" || env.NamespaceURI() != NSSoap {
		return nil, malformed("not a SOAP 1.2 envelope")
	}
	for _, ch := range env.ChildElements() {
		if ch.NamespaceURI() != NSSoap || (ch.Tag != "Header" && ch.Tag != "Body") {
			return nil, malformed("unexpected element in the envelope")
		}
	}
	body := only(env, NSSoap, "Body")
	if body == nil {
		return nil, malformed("no single Body")
	}
	els := body.ChildElements()
	if len(els) != 1 {
		return nil, malformed("the Body must hold one element")
	}
	el := els[0]
	if el.Tag == "Fault" && el.NamespaceURI() == NSSoap {
		return nil, parseFault(el)
	}
	if el.Tag != op+"Response" || el.NamespaceURI() != NSWCF {
		return nil, malformed("expected " + op + "Response")
	}
	return el, nil
}

// parseFault reads a SOAP 1.2 Fault (SOAP 1.2 part 1, section 5.4): the
// Code's Value and Subcode, and the Reason's Text.
func parseFault(f *etree.Element) *Error {
	e := &Error{Code: CodeFault, Detail: "the DIAN answered with a SOAP Fault"}
	var sub, reason *etree.Element
	if code := only(f, NSSoap, "Code"); code != nil {
		e.StatusCode = clip(textOf(code, NSSoap, "Value"), 100)
		if sc := only(code, NSSoap, "Subcode"); sc != nil {
			sub = only(sc, NSSoap, "Value")
		}
	}
	if sub != nil {
		e.StatusCode += " " + clip(sub.Text(), 100)
	}
	if r := only(f, NSSoap, "Reason"); r != nil {
		reason = only(r, NSSoap, "Text")
	}
	if reason != nil {
		e.Messages = []string{clip(reason.Text(), maxMessageLen)}
	}
	return e
}

// parseDianResponse reads a DianResponse: single-valued elements must
// appear at most once; IsValid and StatusCode must be there.
func parseDianResponse(el *etree.Element) (*Response, error) {
	if el == nil {
		return nil, malformed("no result")
	}
	one := func(tag string) (string, bool, error) {
		c := children(el, nsDianResponse, tag)
		switch len(c) {
		case 0:
			return "", false, nil
		case 1:
			return c[0].Text(), true, nil
		}
		return "", false, malformed(tag + " appears more than once")
	}
	r := &Response{ErrorMessages: []string{}}
	valid, ok, err := one("IsValid")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, malformed("no IsValid")
	}
	switch valid {
	case "true":
		r.IsValid = true
	case "false":
	default:
		return nil, malformed("IsValid is not a boolean")
	}
	var has bool
	if r.StatusCode, has, err = one("StatusCode"); err != nil {
		return nil, err
	} else if !has || len(r.StatusCode) > 8 {
		return nil, malformed("no StatusCode")
	}
	for _, f := range []struct {
		tag string
		dst *string
		max int
	}{{"StatusDescription", &r.StatusDescription, maxMessageLen},
		{"StatusMessage", &r.StatusMessage, maxMessageLen},
		{"XmlDocumentKey", &r.XMLDocumentKey, 200}, {"XmlFileName", &r.XMLFileName, 200}} {
		v, _, err := one(f.tag)
		if err != nil {
			return nil, err
		}
		*f.dst = clip(v, f.max)
	}
	b64, _, err := one("XmlBase64Bytes")
	if err != nil {
		return nil, err
	}
	if b64 != "" {
		if r.XMLBytes, err = base64.StdEncoding.DecodeString(b64); err != nil {
			return nil, malformed("XmlBase64Bytes is not base64")
		}
	}
	if em := children(el, nsDianResponse, "ErrorMessage"); len(em) > 1 {
		return nil, malformed("ErrorMessage appears more than once")
	} else if len(em) == 1 {
		msgs := children(em[0], nsArrays, "string")
		if len(msgs) > maxErrorMessages {
			return nil, malformed("too many ErrorMessage strings")
		}
		for _, m := range msgs {
			r.ErrorMessages = append(r.ErrorMessages, clip(m.Text(), maxMessageLen))
		}
	}
	return r, nil
}

// statusError maps a DianResponse to an error: StatusCode 00 with IsValid
// true is success; 66 and 90 are "not found"; IsValid false or 99 is a
// rejected document with the DIAN's messages; anything else is unexpected.
func statusError(op string, r *Response) error {
	e := &Error{Operation: op, StatusCode: r.StatusCode, Messages: r.ErrorMessages}
	switch {
	case r.StatusCode == "00" && r.IsValid:
		return nil
	case r.StatusCode == "66" || r.StatusCode == "90":
		e.Code, e.Detail = CodeNotFound, "the DIAN does not know this document: "+
			clip(r.StatusDescription, 200)
	case !r.IsValid || r.StatusCode == "99":
		e.Code, e.Detail = CodeDocumentRejected, "the DIAN rejected the document: "+
			clip(r.StatusDescription, 200)
	default:
		e.Code, e.Detail = CodeUnexpectedStatus, "unexpected StatusCode "+r.StatusCode
	}
	return e
}

// parseNumberingRanges reads GetNumberingRangeResult: OperationCode 100 is
// success, with a ResponseList of NumberRangeResponse.
func parseNumberingRanges(el *etree.Element) ([]NumberingRange, error) {
	if el == nil {
		return nil, malformed("no GetNumberingRangeResult")
	}
	code := only(el, nsRangeList, "OperationCode")
	desc := only(el, nsRangeList, "OperationDescription")
	if code == nil {
		return nil, malformed("no single OperationCode")
	}
	if code.Text() != "100" {
		e := &Error{Code: CodeNumberingRange, StatusCode: clip(code.Text(), 16),
			Detail: "the DIAN refused the numbering range query"}
		if desc != nil {
			e.Messages = []string{clip(desc.Text(), maxMessageLen)}
		}
		return nil, e
	}
	list := only(el, nsRangeList, "ResponseList")
	if list == nil {
		return nil, malformed("no single ResponseList")
	}
	items := children(list, nsRange, "NumberRangeResponse")
	if len(items) > maxRanges {
		return nil, malformed("too many ranges")
	}
	out := make([]NumberingRange, 0, len(items))
	for _, it := range items {
		get := func(tag string) (string, error) {
			c := only(it, nsRange, tag)
			if c == nil {
				return "", malformed("range without a single " + tag)
			}
			return clip(c.Text(), 200), nil
		}
		var r NumberingRange
		var from, to string
		var err error
		for _, f := range []struct {
			tag string
			dst *string
		}{{"ResolutionNumber", &r.ResolutionNumber}, {"ResolutionDate", &r.ResolutionDate},
			{"Prefix", &r.Prefix}, {"FromNumber", &from}, {"ToNumber", &to},
			{"ValidDateFrom", &r.ValidDateFrom}, {"ValidDateTo", &r.ValidDateTo},
			{"TechnicalKey", &r.TechnicalKey}} {
			if *f.dst, err = get(f.tag); err != nil {
				return nil, err
			}
		}
		if r.FromNumber, err = strconv.ParseInt(from, 10, 64); err != nil {
			return nil, malformed("FromNumber is not a number")
		}
		r.ToNumber, err = strconv.ParseInt(to, 10, 64)
		if err != nil || r.ToNumber < r.FromNumber {
			return nil, malformed("ToNumber is not a number at least FromNumber")
		}
		out = append(out, r)
	}
	return out, nil
}

// clip cuts s to at most n bytes on a rune boundary and drops control
// characters: the DIAN's messages are shown to operators.
func clip(s string, n int) string {
	out := make([]rune, 0, min(len(s), n))
	size := 0
	for _, r := range s {
		if r < 0x20 && r != ' ' || r == 0x7f || r == utf8.RuneError {
			r = ' '
		}
		size += utf8.RuneLen(r)
		if size > n {
			break
		}
		out = append(out, r)
	}
	return string(out)
}
