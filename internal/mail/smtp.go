package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/cerrojo/cerrojo/internal/clock"
)

// SMTPSender delivers messages to an SMTP server with
// github.com/wneessen/go-mail, one connection per message. It is safe for
// concurrent use.
type SMTPSender struct {
	cfg    SMTPConfig
	from   *mail.Address
	domain string // of the From address, for Message-IDs
	clock  clock.Clock
	dialer net.Dialer
	// sleep waits between attempts; tests replace it to run fast.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewSMTPSender checks cfg and returns a sender for its SMTP server. It does
// not connect: a server that is down at start-up is a temporary failure
// of the first Send, not a reason to refuse to start.
func NewSMTPSender(cfg Config, clk clock.Clock) (*SMTPSender, error) {
	if cfg.SMTP.Host == "" {
		return nil, fmt.Errorf("new SMTP sender: %w", &FieldError{Field: "mail.smtp.host",
			Reason: "must be set"})
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new SMTP sender: %w", err)
	}
	from, err := parseFrom(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("new SMTP sender: mail.from %w", err)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &SMTPSender{cfg: cfg.SMTP, from: from, domain: domain, clock: clk, sleep: sleepCtx}, nil
}

// Send delivers m, trying again after a temporary failure (a 4xx reply, a
// network error, a timeout) up to MaxAttempts times with a doubling wait,
// and never after a permanent one (a 5xx reply, a TLS or certificate
// failure, a server without STARTTLS when it is required). The error
// wraps ErrTemporary or ErrRejected when it was one of those; its text
// never holds the recipient's address or the message.
//
// NOTE: a connection that fails after the server has received the whole
// message but before it answered leaves the outcome unknown; the retry
// then may deliver the message twice. A duplicate code or notice is
// harmless; a lost one is not.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	msg, err := s.build(m)
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}

	wait := s.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, msg)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("send mail: %w (attempt %d: %s)", ctx.Err(), attempt,
				redact(err, m.To))
		}
		failure := classify(err)
		if failure != ErrTemporary || attempt >= s.cfg.MaxAttempts {
			return &deliveryError{attempts: attempt, kind: failure, text: redact(err, m.To),
				cause: err}
		}
		if sleepErr := s.sleep(ctx, wait); sleepErr != nil {
			return fmt.Errorf("send mail: %w (attempt %d: %s)", sleepErr, attempt,
				redact(err, m.To))
		}
		wait *= 2
	}
}

// build turns m into go-mail's message once, so that every attempt sends
// the same bytes with the same Message-ID.
func (s *SMTPSender) build(m Message) (*gomail.Msg, error) {
	// No User-Agent: the library and its version are nobody's business.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w: %v", ErrInvalidMessage, err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.clock.Now())
	// The Message-ID names the sender's domain rather than this host's
	// name, which go-mail would use and which is internal detail.
	msg.SetMessageIDWithValue(randomID() + "@" + s.domain)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// attempt makes one connection and sends msg over it. The attempt's
// context bounds all of it: when it ends (timeout or the caller's
// cancellation) the connection is closed under whatever command is
// running, because go-mail only watches the context while dialling.
func (s *SMTPSender) attempt(ctx context.Context, msg *gomail.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()

	tlsConfig := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12,
		RootCAs: s.cfg.RootCAs}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.port()))
	dial := func(dialCtx context.Context, network, _ string) (net.Conn, error) {
		conn, err := s.dialer.DialContext(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.cfg.tlsMode() == TLSImplicit {
			tc := tls.Client(conn, tlsConfig)
			if err := tc.HandshakeContext(dialCtx); err != nil {
				_ = conn.Close()
				return nil, err
			}
			conn = tc
		}
		context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.port()),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsConfig),
		// The connection is new and closed after one message: a NOOP
		// before and an RSET after only add round trips, and a failed
		// RSET after a delivered message would be retried as a failure.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	switch s.cfg.tlsMode() {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// The dial function has done the TLS handshake; this tells
		// go-mail not to try STARTTLS on top of it.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		// The strongest mechanism the server offers. PLAIN and LOGIN
		// still refuse to send the password without TLS unless the
		// host is localhost (go-mail's smtp package checks).
		opts = append(opts,
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password.Reveal()),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256PLUS,
				gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1PLUS,
				gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("configure SMTP client: %w", err)
	}

	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	// QUIT's answer changes nothing: the message was accepted or the
	// send error below says why not.
	defer func() { _ = client.CloseWithSMTPClient(conn) }()
	return client.SendWithSMTPClient(conn, msg)
}

// randomID returns 128 random bits in hex for a Message-ID's left part.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
