// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) on
// loopback for other packages' tests, and reads back what it received: the
// text part of each message, so a test can take a code or link out of an
// email the way a person would.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received email.
type Message struct {
	From    string
	To      []string
	Subject string
	Text    string // the text/plain part, decoded
}

// Server records every message it receives.
type Server struct {
	Host string
	Port int

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
}

// Start runs a server for the rest of the test. It speaks plain SMTP
// without authentication, which cerrojo accepts only for loopback hosts.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{arrived: make(chan struct{}, 1024)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = true

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	// Serve returns when Cleanup closes the server; a test SMTP server has no
	// one to report either error to but the test, which sees failed sends.
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor returns the newest message to addr whose subject contains
// subject, waiting up to timeout for it to arrive.
func (s *Server) WaitFor(t testing.TB, addr, subject string, timeout time.Duration) Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		msgs := s.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			for _, to := range msgs[i].To {
				if strings.EqualFold(to, addr) && strings.Contains(msgs[i].Subject, subject) {
					return msgs[i]
				}
			}
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("no message to %s with subject containing %q within %s; got %d messages",
				addr, subject, timeout, len(msgs))
		}
	}
}

type session struct {
	s   *Server
	cur Message
}

func (ss *session) AuthPlain(string, string) error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.cur = Message{From: from}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.To = append(ss.cur.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	subject, text, err := decode(raw)
	if err != nil {
		return err
	}
	ss.cur.Subject, ss.cur.Text = subject, text
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, ss.cur)
	ss.s.mu.Unlock()
	select {
	case ss.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset()        { ss.cur = Message{} }
func (ss *session) Logout() error { return nil }

// decode returns a message's subject and its text/plain part.
func decode(raw []byte) (string, string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", "", err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return "", "", err
	}
	text, err := textPart(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"),
		m.Body)
	return subject, text, err
}

func textPart(contentType, encoding string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return "", errors.New("no text/plain part")
			}
			if err != nil {
				return "", err
			}
			text, err := textPart(p.Header.Get("Content-Type"),
				p.Header.Get("Content-Transfer-Encoding"), p)
			if err == nil {
				return text, nil
			}
		}
	}
	if mt != "text/plain" {
		return "", errors.New("not text/plain")
	}
	var r io.Reader = body
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}
