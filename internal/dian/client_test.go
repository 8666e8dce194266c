package dian_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/cerrojo/cerrojo/internal/audit/audittest"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/dian/diantest"
)

const cufe = "8bb918b19ba22a694f1da11c643b5e9de39adf60311cf179179e9b33381030bc" +
	"d4c3c3f156c506ed5908f9276f5bd9b4"

// syncBuffer is a log sink safe for the server's and client's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type rig struct {
	srv    *diantest.Server
	client *dian.Client
	cert   diantest.Certificate
	audit  *audittest.Recorder
	logs   *syncBuffer
}

func newRig(t testing.TB, tweak func(*dian.ClientConfig)) *rig {
	t.Helper()
	cert := diantest.NewCertificate(t, time.Now().Add(365*24*time.Hour))
	srv := diantest.New(cert.Cert)
	t.Cleanup(srv.Close)
	cfg := dian.DefaultClientConfig()
	cfg.Endpoint = srv.URL
	cfg.Timeout = 2 * time.Second
	cfg.Backoff, cfg.MaxBackoff = time.Millisecond, 4*time.Millisecond
	if tweak != nil {
		tweak(&cfg)
	}
	r := &rig{srv: srv, cert: cert, audit: &audittest.Recorder{}, logs: &syncBuffer{}}
	var err error
	r.client, err = dian.NewClient(dian.ClientOptions{Config: cfg,
		Signer: func(context.Context) (dian.Signer, error) {
			return dian.Signer{Cert: cert.Cert, Key: cert.Key}, nil
		},
		Audit: r.audit,
		Logger: slog.New(slog.NewTextHandler(r.logs,
			&slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func asDIAN(t *testing.T, err error, code string) *dian.Error {
	t.Helper()
	var de *dian.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("got %v, want a %s", err, code)
	}
	return de
}

// TestSignedCallsAccepted: the local server verifies each request's
// WS-Security signature with the certificate's public key and accepts
// all three operations; answers are parsed and each call is audited.
func TestSignedCallsAccepted(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	res, err := r.client.GetStatus(ctx, cufe)
	if err != nil {
		t.Fatal(err, r.srv.Refusals())
	}
	if !res.IsValid || res.StatusCode != "00" || res.XMLDocumentKey != cufe ||
		string(res.XMLBytes) != "<ApplicationResponse/>" {
		t.Fatalf("%+v", res)
	}
	zip, err := r.client.GetStatusZip(ctx, "3f9c6a1e-0000-4000-8000-000000000001")
	if err != nil || len(zip) != 1 || !zip[0].IsValid {
		t.Fatal(zip, err)
	}
	ranges, err := r.client.GetNumberingRange(ctx, "900373115", "900373115",
		"1e3fa8f4-1a91-4028-9293-a9817406100f")
	if err != nil || len(ranges) != 1 || ranges[0].Prefix != "SETP" ||
		ranges[0].FromNumber != 990000000 || len(ranges[0].TechnicalKey) != 40 {
		t.Fatal(ranges, err)
	}
	if got := strings.Join(r.srv.Calls(), ","); got != "GetStatus,GetStatusZip,GetNumberingRange" {
		t.Fatal(got)
	}
	acts := r.audit.Actions()
	want := []string{"dian.get_status", "dian.get_status_zip", "dian.get_numbering_range"}
	if strings.Join(acts, ",") != strings.Join(want, ",") {
		t.Fatal(acts)
	}
	ev := r.audit.Events()[0]
	if ev.Target.ID != cufe || ev.Outcome != "success" || ev.Details["operation"] != "GetStatus" ||
		ev.Details["attempts"] != "1" {
		t.Fatalf("%+v", ev)
	}
}

// TestServerRefusesTamperedBody: a man in the middle changes the signed
// Body; the digest no longer matches and the server refuses with a Fault,
// which the client reports as dian_fault with the DIAN's reason.
func TestServerRefusesTamperedBody(t *testing.T) {
	r := newRig(t, nil)
	r.srv.Tamper = func(b []byte) []byte {
		return bytes.Replace(b, []byte(cufe), []byte(strings.Repeat("0", 96)), 1)
	}
	_, err := r.client.GetStatus(context.Background(), cufe)
	de := asDIAN(t, err, dian.CodeFault)
	if len(de.Messages) != 1 || !strings.Contains(de.Messages[0], "altered") {
		t.Fatalf("%+v", de)
	}
	if len(r.srv.Calls()) != 0 || len(r.srv.Refusals()) != 1 {
		t.Fatal("a fault must not be retried", r.srv.Refusals())
	}
	ev := r.audit.Events()[0]
	if ev.Outcome != "failure" || ev.Details["result"] != dian.CodeFault {
		t.Fatalf("%+v", ev)
	}
}

// TestServerRefusesTamperedSignature: changing the signed To or a digest
// without re-signing breaks the SignatureValue.
func TestServerRefusesTamperedSignature(t *testing.T) {
	r := newRig(t, nil)
	r.srv.Tamper = func(b []byte) []byte {
		doc := etree.NewDocument()
		_ = doc.ReadFromBytes(b)
		dv := doc.FindElement("//DigestValue")
		dv.SetText("AAAA" + dv.Text()[4:])
		out, _ := doc.WriteToBytes()
		return out
	}
	_, err := r.client.GetStatus(context.Background(), cufe)
	de := asDIAN(t, err, dian.CodeFault)
	if !strings.Contains(de.Messages[0], "signature does not verify") {
		t.Fatal(de.Messages)
	}
}

// TestServerRefusesStaleTimestamp: the server's clock is ten minutes past
// the request's Expires.
func TestServerRefusesStaleTimestamp(t *testing.T) {
	r := newRig(t, nil)
	r.srv.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	_, err := r.client.GetStatus(context.Background(), cufe)
	de := asDIAN(t, err, dian.CodeFault)
	if !strings.Contains(de.Messages[0], "stale") {
		t.Fatal(de.Messages)
	}
}

// TestServerRefusesLongLivedTimestamp: a request whose Timestamp would
// stay valid for an hour could be replayed for that hour.
func TestServerRefusesLongLivedTimestamp(t *testing.T) {
	r := newRig(t, func(c *dian.ClientConfig) { c.TimestampTTL = time.Hour })
	_, err := r.client.GetStatus(context.Background(), cufe)
	de := asDIAN(t, err, dian.CodeFault)
	if !strings.Contains(de.Messages[0], "lifetime") {
		t.Fatal(de.Messages)
	}
}

// TestServerRefusesWrongTo: a request signed for another endpoint (here the
// server expects the habilitación URL, the client addresses its own) is
// refused even though the signature verifies.
func TestServerRefusesWrongTo(t *testing.T) {
	r := newRig(t, nil)
	r.srv.To = dian.EndpointHabilitacion
	_, err := r.client.GetStatus(context.Background(), cufe)
	de := asDIAN(t, err, dian.CodeFault)
	if !strings.Contains(de.Messages[0], "another endpoint") {
		t.Fatal(de.Messages)
	}
}

// TestServerRefusesOtherCertificate: a request signed with a certificate
// the DIAN does not trust is refused.
func TestServerRefusesOtherCertificate(t *testing.T) {
	r := newRig(t, nil)
	r.srv.Trusted = diantest.NewCertificate(t, time.Now().Add(time.Hour)).Cert
	_, err := r.client.GetStatus(context.Background(), cufe)
	asDIAN(t, err, dian.CodeFault)
}

func respond(r *rig, status int, body string) {
	r.srv.Respond = func(string, *etree.Element) (int, []byte) { return status, []byte(body) }
}

// TestDIANErrorsMapped: each kind of DIAN answer maps to its problem code,
// with the DIAN's messages, and none of them is retried.
func TestDIANErrorsMapped(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     []byte
		code     string
		messages []string
	}{
		{"fault", 500, diantest.Fault("Receiver", "", "Error interno del servicio"),
			dian.CodeFault, []string{"Error interno del servicio"}},
		{"is valid false", 200, diantest.Status(dian.Response{IsValid: false, StatusCode: "99",
			StatusDescription: "Validación contiene errores en campos mandatorios.",
			ErrorMessages: []string{"Regla: FAD06, Rechazo: Valor del CUFE no está calculado " +
				"correctamente.", "Regla: FAJ43b, Rechazo: Nombre informado no corresponde"}}),
			dian.CodeDocumentRejected, []string{"Regla: FAD06, Rechazo: Valor del CUFE no " +
				"está calculado correctamente.", "Regla: FAJ43b, Rechazo: Nombre informado no " +
				"corresponde"}},
		{"track id not found", 200, diantest.Status(dian.Response{IsValid: false,
			StatusCode: "90", StatusDescription: "TrackId no encontrado"}),
			dian.CodeNotFound, nil},
		{"unexpected status", 200, diantest.Status(dian.Response{IsValid: true,
			StatusCode: "42"}), dian.CodeUnexpectedStatus, nil},
		{"malformed", 200, []byte("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-" +
			"envelope\"><s:Body><oops"), dian.CodeMalformedResponse, nil},
		{"not soap", 200, []byte("<html><body>maintenance</body></html>"),
			dian.CodeMalformedResponse, nil},
		{"other operation", 200, diantest.NumberingRanges("100", "ok"),
			dian.CodeMalformedResponse, nil},
		{"two bodies", 200, []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-` +
			`envelope"><s:Body/><s:Body/></s:Envelope>`), dian.CodeMalformedResponse, nil},
		{"dtd", 200, append([]byte(`<!DOCTYPE s [<!ENTITY x "y">]>`),
			diantest.Status(dian.Response{IsValid: true, StatusCode: "00"})...),
			dian.CodeMalformedResponse, nil},
		{"duplicate IsValid", 200, bytes.Replace(diantest.Status(dian.Response{IsValid: true,
			StatusCode: "00"}), []byte("<b:IsValid>true</b:IsValid>"),
			[]byte("<b:IsValid>true</b:IsValid><b:IsValid>false</b:IsValid>"), 1),
			dian.CodeMalformedResponse, nil},
		{"oversized", 200, diantest.Status(dian.Response{IsValid: true, StatusCode: "00",
			XMLBytes: bytes.Repeat([]byte("x"), 64<<10)}), dian.CodeResponseTooLarge, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, func(cfg *dian.ClientConfig) { cfg.MaxResponseBytes = 32 << 10 })
			respond(r, c.status, string(c.body))
			_, err := r.client.GetStatus(context.Background(), cufe)
			de := asDIAN(t, err, c.code)
			if c.messages != nil &&
				strings.Join(de.Messages, "|") != strings.Join(c.messages, "|") {
				t.Fatalf("messages %q", de.Messages)
			}
			if n := len(r.srv.Calls()); n != 1 {
				t.Fatalf("%d calls: only transport failures are retried", n)
			}
			if p := dian.Problem(err); p.Code != c.code || p.Status < 400 {
				t.Fatalf("problem %+v", p)
			}
		})
	}
}

// TestNumberingRangeError: an OperationCode other than 100 is
// dian_numbering_range_error with the DIAN's description.
func TestNumberingRangeError(t *testing.T) {
	r := newRig(t, nil)
	respond(r, 200, string(diantest.NumberingRanges("301",
		"Software no asociado al NIT")))
	_, err := r.client.GetNumberingRange(context.Background(), "900373115", "900373115", "sw")
	de := asDIAN(t, err, dian.CodeNumberingRange)
	if de.StatusCode != "301" || de.Messages[0] != "Software no asociado al NIT" {
		t.Fatalf("%+v", de)
	}
}

// TestTimeoutThenRetry: the first attempt gets no answer within the
// timeout, the second succeeds; the audit event says two attempts.
func TestTimeoutThenRetry(t *testing.T) {
	r := newRig(t, func(c *dian.ClientConfig) { c.Timeout = 200 * time.Millisecond })
	var n atomic.Int32
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	r.srv.Respond = func(op string, body *etree.Element) (int, []byte) {
		if n.Add(1) == 1 {
			select {
			case <-release:
			case <-time.After(2 * time.Second):
			}
		}
		return diantest.Default(op, body)
	}
	res, err := r.client.GetStatus(context.Background(), cufe)
	if err != nil || !res.IsValid {
		t.Fatal(res, err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d attempts", n.Load())
	}
	if ev := r.audit.Events()[0]; ev.Details["attempts"] != "2" || ev.Outcome != "success" {
		t.Fatalf("%+v", ev)
	}
}

// TestUnavailableRetriedUpToMax: HTTP 503 without a SOAP body is retried
// max_attempts times, then reported as dian_unavailable.
func TestUnavailableRetriedUpToMax(t *testing.T) {
	r := newRig(t, func(c *dian.ClientConfig) { c.MaxAttempts = 4 })
	respond(r, http.StatusServiceUnavailable, "Service Unavailable")
	_, err := r.client.GetStatus(context.Background(), cufe)
	asDIAN(t, err, dian.CodeUnavailable)
	if n := len(r.srv.Calls()); n != 4 {
		t.Fatalf("%d calls, want 4", n)
	}
	if p := dian.Problem(err); p.Status != http.StatusServiceUnavailable {
		t.Fatal(p)
	}
}

// TestProxyErrorPageRetried: a well-formed HTML error page with 502 from a
// proxy is unavailability, retried; the same page with 200 is malformed
// and not retried.
func TestProxyErrorPageRetried(t *testing.T) {
	r := newRig(t, nil)
	r.srv.ContentType = "text/html"
	respond(r, http.StatusBadGateway, "<html><body>Bad Gateway</body></html>")
	_, err := r.client.GetStatus(context.Background(), cufe)
	asDIAN(t, err, dian.CodeUnavailable)
	if n := len(r.srv.Calls()); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
	r = newRig(t, nil)
	r.srv.ContentType = "text/html"
	respond(r, http.StatusOK, "<html><body>Hello</body></html>")
	_, err = r.client.GetStatus(context.Background(), cufe)
	asDIAN(t, err, dian.CodeMalformedResponse)
	if n := len(r.srv.Calls()); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

// TestTimeoutEveryAttempt: no answer ever: dian_timeout after max_attempts.
func TestTimeoutEveryAttempt(t *testing.T) {
	r := newRig(t, func(c *dian.ClientConfig) {
		c.Timeout, c.MaxAttempts = 50*time.Millisecond, 2
	})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	r.srv.Respond = func(op string, body *etree.Element) (int, []byte) {
		<-release
		return diantest.Default(op, body)
	}
	_, err := r.client.GetStatus(context.Background(), cufe)
	asDIAN(t, err, dian.CodeTimeout)
	if ev := r.audit.Events()[0]; ev.Details["attempts"] != "2" {
		t.Fatalf("%+v", ev)
	}
}

// TestCertificateOutsideValidityNotUsed: an expired certificate, or one not
// valid yet, signs nothing and no request leaves (the local server sees
// none).
func TestCertificateOutsideValidityNotUsed(t *testing.T) {
	r := newRig(t, nil)
	cfg := dian.DefaultClientConfig()
	cfg.Endpoint = r.srv.URL
	expired := diantest.NewCertificate(t, time.Now().Add(-time.Minute))
	valid := diantest.NewCertificate(t, time.Now().Add(time.Hour)) // valid from an hour ago
	for name, c := range map[string]struct {
		cert diantest.Certificate
		now  time.Time
	}{
		"expired":       {expired, time.Now()},
		"not yet valid": {valid, time.Now().Add(-2 * time.Hour)},
	} {
		client, err := dian.NewClient(dian.ClientOptions{Config: cfg,
			Clock: clock.NewFake(c.now),
			Signer: func(context.Context) (dian.Signer, error) {
				return dian.Signer{Cert: c.cert.Cert, Key: c.cert.Key}, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.GetStatus(context.Background(), cufe)
		if de := asDIAN(t, err, dian.CodeNoCertificate); de.Detail == "" {
			t.Errorf("%s: no detail", name)
		}
	}
	if calls := r.srv.Calls(); len(calls) != 0 {
		t.Fatalf("requests left with an unusable certificate: %v", calls)
	}
}

func TestInputsBounded(t *testing.T) {
	r := newRig(t, nil)
	for _, id := range []string{"", strings.Repeat("a", 129), "a<b", "a b"} {
		if _, err := r.client.GetStatus(context.Background(), id); err == nil {
			t.Errorf("%q accepted", id)
		}
	}
	if len(r.srv.Calls()) != 0 {
		t.Fatal("bad input reached the DIAN")
	}
}

func TestEndpoints(t *testing.T) {
	c := dian.DefaultClientConfig()
	if c.URL() != "https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc" {
		t.Fatal(c.URL())
	}
	c.Environment = dian.Production
	if c.URL() != "https://vpfe.dian.gov.co/WcfDianCustomerServices.svc" {
		t.Fatal(c.URL())
	}
	c.Endpoint = "http://127.0.0.1:1/x"
	if c.URL() != "http://127.0.0.1:1/x" || c.Validate() != nil {
		t.Fatal(c.URL())
	}
	c.MaxAttempts = 0
	if c.Validate() == nil {
		t.Fatal("max_attempts 0 accepted")
	}
}
