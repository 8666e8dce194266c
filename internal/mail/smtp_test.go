package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/cerrojo/cerrojo/internal/clock"
)

func newTestSender(t *testing.T, cfg Config) *SMTPSender {
	t.Helper()
	s, err := NewSMTPSender(cfg, clock.NewFake(eventTime))
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	return s
}

// renderedMessage is a real email with accents in the subject and body.
func renderedMessage(t *testing.T) Message {
	t.Helper()
	m, err := newTestRenderer(t).Render(SpanishColombia, "ana@example.co", VerifyEmail{
		Code: "482913", Link: "https://mercado.example/verificar?token=abc", ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	m.Subject = "Confirmación de su correo en Mercado Ejemplo: ¿es usted, señora Muñoz?"
	return m
}

func TestSMTPDelivers(t *testing.T) {
	tests := []struct {
		name string
		opts serverOptions
		mode TLSMode
		tls  bool
	}{
		{"starttls with AUTH PLAIN", serverOptions{startTLS: true, auth: true}, TLSStartTLS, true},
		{"implicit TLS with AUTH PLAIN", serverOptions{implicitTLS: true, auth: true}, TLSImplicit, true},
		{"plain text to loopback", serverOptions{}, TLSNone, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.opts)
			m := renderedMessage(t)
			if err := newTestSender(t, ts.config(tc.mode)).Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}

			got := ts.received()
			if len(got) != 1 {
				t.Fatalf("server got %d messages, want 1", len(got))
			}
			r := got[0]
			if r.tls != tc.tls {
				t.Errorf("got TLS %v, want %v", r.tls, tc.tls)
			}
			if tc.opts.auth && r.user != testUser {
				t.Errorf("got authenticated user %q, want %q", r.user, testUser)
			}
			if r.from != "no-reply@mercado.example" {
				t.Errorf("got envelope sender %q", r.from)
			}
			if len(r.to) != 1 || r.to[0] != m.To {
				t.Errorf("got envelope recipients %v, want [%s]", r.to, m.To)
			}
			checkWireMessage(t, r.data, m)
		})
	}
}

// checkWireMessage checks the message as it crossed the wire: headers in
// ASCII with the UTF-8 subject encoded per RFC 2047, the date from the
// injected clock, both parts decoding to what was sent.
func checkWireMessage(t *testing.T, data []byte, want Message) {
	t.Helper()
	head, _, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of headers in %q", data)
	}
	for _, b := range head {
		if b >= 0x80 {
			t.Fatalf("raw 8-bit byte in the headers:\n%s", head)
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("got subject %q (%v), want %q", subject, err, want.Subject)
	}
	if raw := msg.Header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") {
		t.Errorf("subject is not RFC 2047 encoded: %q", raw)
	}
	if to := msg.Header.Get("To"); to != "<"+want.To+">" && to != want.To {
		t.Errorf("got To %q, want %s", to, want.To)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "no-reply@mercado.example" ||
		from[0].Name != "Mercado Ejemplo" {
		t.Errorf("got From %v (%v)", from, err)
	}
	if date, err := msg.Header.Date(); err != nil || !date.Equal(eventTime) {
		t.Errorf("got Date %v (%v), want %v", date, err, eventTime)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasSuffix(id, "@mercado.example>") {
		t.Errorf("got Message-ID %q, want one at the sender's domain", id)
	}
	for _, h := range []string{"User-Agent", "X-Mailer", "Bcc"} {
		if v := msg.Header.Get(h); v != "" {
			t.Errorf("got header %s: %q, want none", h, v)
		}
	}

	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("got Content-Type %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct, cparams, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if !strings.EqualFold(cparams["charset"], "utf-8") {
			t.Errorf("part %s has charset %q", ct, cparams["charset"])
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts[ct] = string(body)
	}
	norm := func(s string) string {
		return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	}
	if got := norm(parts["text/plain"]); got != norm(want.Text) {
		t.Errorf("text part differs:\ngot  %q\nwant %q", got, norm(want.Text))
	}
	if got := norm(parts["text/html"]); got != norm(want.HTML) {
		t.Errorf("HTML part differs:\ngot  %q\nwant %q", got, norm(want.HTML))
	}
}

func TestSMTPRetriesTemporaryFailure(t *testing.T) {
	busy := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Try again later"}
	ts := startServer(t, serverOptions{startTLS: true, rcptReplies: []error{busy, busy}})
	if err := newTestSender(t, ts.config(TLSStartTLS)).Send(context.Background(),
		validMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	conns, _, rcpts := ts.counts()
	if conns != 3 || rcpts != 3 {
		t.Errorf("got %d connections and %d RCPTs, want 3 of each", conns, rcpts)
	}
	if n := len(ts.received()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

func TestSMTPGivesUpAfterMaxAttempts(t *testing.T) {
	busy := &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 5},
		Message: "Too busy"}
	ts := startServer(t, serverOptions{startTLS: true,
		rcptReplies: []error{busy, busy, busy, busy, busy}})
	cfg := ts.config(TLSStartTLS)
	cfg.SMTP.MaxAttempts = 3

	err := newTestSender(t, cfg).Send(context.Background(), validMessage())
	if !errors.Is(err, ErrTemporary) {
		t.Fatalf("got %v, want ErrTemporary", err)
	}
	if _, _, rcpts := ts.counts(); rcpts != 3 {
		t.Errorf("got %d RCPTs, want 3", rcpts)
	}
	if !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("error %q does not say how many attempts were made", err)
	}
}

func TestSMTPDoesNotRetryPermanentFailure(t *testing.T) {
	noSuchUser := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "No such user here: ana@example.co"}
	ts := startServer(t, serverOptions{startTLS: true, rcptReplies: []error{noSuchUser}})

	err := newTestSender(t, ts.config(TLSStartTLS)).Send(context.Background(), validMessage())
	if !errors.Is(err, ErrRejected) || errors.Is(err, ErrTemporary) {
		t.Fatalf("got %v, want ErrRejected", err)
	}
	if conns, _, rcpts := ts.counts(); conns != 1 || rcpts != 1 {
		t.Errorf("got %d connections and %d RCPTs, want 1 of each", conns, rcpts)
	}
	if strings.Contains(err.Error(), "ana@example.co") {
		t.Errorf("error text holds the recipient's address: %q", err)
	}
}

func TestSMTPWrongPasswordIsPermanent(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, auth: true})
	cfg := ts.config(TLSStartTLS)
	cfg.SMTP.Password = "not-the-password"

	err := newTestSender(t, cfg).Send(context.Background(), validMessage())
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("got %v, want ErrRejected", err)
	}
	if _, auths, _ := ts.counts(); auths != 1 {
		t.Errorf("got %d AUTH attempts, want 1", auths)
	}
	if strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("error text holds the password: %q", err)
	}
}

func TestSMTPRequiresSTARTTLS(t *testing.T) {
	// The server offers AUTH without TLS, as a downgraded or misconfigured
	// one would; the password must still never be sent.
	ts := startServer(t, serverOptions{auth: true})
	err := newTestSender(t, ts.config(TLSStartTLS)).Send(context.Background(), validMessage())
	if err == nil || errors.Is(err, ErrTemporary) {
		t.Fatalf("got %v, want a permanent error", err)
	}
	conns, auths, _ := ts.counts()
	if conns != 1 || auths != 0 {
		t.Errorf("got %d connections and %d AUTH attempts, want 1 and 0", conns, auths)
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("server got %d messages in plain text", n)
	}
}

func TestSMTPRefusesUntrustedCertificate(t *testing.T) {
	for _, mode := range []TLSMode{TLSStartTLS, TLSImplicit} {
		t.Run(string(mode), func(t *testing.T) {
			ts := startServer(t, serverOptions{startTLS: mode == TLSStartTLS,
				implicitTLS: mode == TLSImplicit, auth: true})
			cfg := ts.config(mode)
			cfg.SMTP.RootCAs = x509NewEmptyPool()

			err := newTestSender(t, cfg).Send(context.Background(), validMessage())
			if err == nil || errors.Is(err, ErrTemporary) {
				t.Fatalf("got %v, want a permanent error", err)
			}
			if conns, auths, _ := ts.counts(); conns > 1 || auths != 0 {
				t.Errorf("got %d connections and %d AUTH attempts, want at most 1 and 0",
					conns, auths)
			}
		})
	}
}

func TestSMTPTimesOutWhenServerStalls(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, stallData: true})
	s := newTestSender(t, ts.config(TLSStartTLS))
	s.cfg.Timeout = 300 * time.Millisecond // below the configurable floor, to keep the test fast
	s.cfg.MaxAttempts = 2

	// The outer deadline only keeps a broken timeout from hanging the
	// test; the sender's own timeout must end the attempts first.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.Send(ctx, validMessage())
	if !errors.Is(err, ErrTemporary) || ctx.Err() != nil {
		t.Fatalf("got %v (context: %v), want ErrTemporary from the attempt timeout", err, ctx.Err())
	}
	if conns, _, _ := ts.counts(); conns != 2 {
		t.Errorf("got %d connections, want 2 (a timeout is retried)", conns)
	}
}

func TestSMTPTimesOutWhenGreetingNeverComes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, silent, until the test ends
		}
	}()

	cfg := DefaultConfig()
	cfg.SMTP.Host = "127.0.0.1"
	cfg.SMTP.Port = ln.Addr().(*net.TCPAddr).Port
	cfg.SMTP.MaxAttempts = 1
	s := newTestSender(t, cfg)
	s.cfg.Timeout = 300 * time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Send(ctx, validMessage()); !errors.Is(err, ErrTemporary) || ctx.Err() != nil {
		t.Fatalf("got %v (context: %v), want ErrTemporary", err, ctx.Err())
	}
}

func TestSMTPHonoursCancellation(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, stallData: true})
	s := newTestSender(t, ts.config(TLSStartTLS))

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if err := s.Send(ctx, validMessage()); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if conns, _, _ := ts.counts(); conns != 1 {
		t.Errorf("got %d connections, want 1 (no retry after cancellation)", conns)
	}
}

func TestSMTPRetriesRefusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now

	cfg := DefaultConfig()
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.RetryBackoff = "127.0.0.1", port, minBackoff
	var waits []time.Duration
	s := newTestSender(t, cfg)
	s.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}

	err = s.Send(context.Background(), validMessage())
	if !errors.Is(err, ErrTemporary) {
		t.Fatalf("got %v, want ErrTemporary", err)
	}
	want := []time.Duration{minBackoff, 2 * minBackoff}
	if len(waits) != len(want) || waits[0] != want[0] || waits[1] != want[1] {
		t.Errorf("got waits %v, want %v (doubling)", waits, want)
	}
}

func TestSMTPRefusesInvalidMessageWithoutConnecting(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true})
	m := validMessage()
	m.Subject = "Hola\r\nBcc: todos@example.co"
	err := newTestSender(t, ts.config(TLSStartTLS)).Send(context.Background(), m)
	if !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("got %v, want ErrInvalidMessage", err)
	}
	m = validMessage()
	m.To = "ana@example.co\r\nRCPT TO:<todos@example.co>"
	err = newTestSender(t, ts.config(TLSStartTLS)).Send(context.Background(), m)
	if !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("got %v, want ErrInvalidMessage", err)
	}
	if conns, _, _ := ts.counts(); conns != 0 {
		t.Errorf("got %d connections, want none", conns)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"421 greeting", &textproto.Error{Code: 421, Msg: "busy"}, ErrTemporary},
		{"454 TLS not available", &textproto.Error{Code: 454, Msg: "later"}, ErrTemporary},
		{"535 bad credentials", &textproto.Error{Code: 535, Msg: "no"}, ErrRejected},
		{"554 transaction failed", &textproto.Error{Code: 554, Msg: "no"}, ErrRejected},
		{"connection reset", &net.OpError{Op: "read", Err: errors.New("reset")}, ErrTemporary},
		{"EOF", io.EOF, ErrTemporary},
		{"anything else", errors.New("STARTTLS required but not offered"), nil},
	}
	for _, tc := range tests {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNewSMTPSenderNeedsHost(t *testing.T) {
	if _, err := NewSMTPSender(DefaultConfig(), clock.System{}); err == nil {
		t.Error("got nil error without a host")
	}
}
