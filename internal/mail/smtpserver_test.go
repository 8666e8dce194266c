package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	testUser     = "cerrojo"
	testPassword = "clave-de-prueba-123"
)

// serverOptions shape the in-process SMTP server.
type serverOptions struct {
	startTLS    bool // offer STARTTLS
	implicitTLS bool // speak TLS from the first byte
	auth        bool // require AUTH PLAIN before MAIL
	// rcptReplies are returned by successive RCPT commands, nil meaning
	// accept; after the list runs out every RCPT is accepted.
	rcptReplies []error
	// stallData makes DATA wait until the test ends.
	stallData bool
}

// received is one message as the server got it.
type received struct {
	from string
	to   []string
	data []byte
	tls  bool
	user string
}

// testServer is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1:0 whose backend records what it receives.
type testServer struct {
	t    *testing.T
	opts serverOptions
	host string
	port int
	pool *x509.CertPool // trusts the server's self-signed certificate
	done chan struct{}

	mu       sync.Mutex
	conns    int
	authTry  int
	rcptTry  int
	messages []received
}

func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	ts := &testServer{t: t, opts: opts, done: make(chan struct{})}
	cert, pool := selfSignedCert(t)
	ts.pool = pool
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	srv := smtp.NewServer(smtp.BackendFunc(ts.newSession))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	if opts.startTLS {
		srv.TLSConfig = tlsConfig
	}

	var ln net.Listener
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = countingListener{Listener: ln, ts: ts}
	if opts.implicitTLS {
		ln = tls.NewListener(ln, tlsConfig)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	ts.host = host
	ts.port, _ = strconv.Atoi(port)

	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		close(ts.done)
		_ = srv.Close()
	})
	return ts
}

// config returns a sender configuration for this server: its own CA,
// fast retries and the test credentials.
func (ts *testServer) config(mode TLSMode) Config {
	cfg := DefaultConfig()
	cfg.From = "Mercado Ejemplo <no-reply@mercado.example>"
	cfg.SMTP.Host = ts.host
	cfg.SMTP.Port = ts.port
	cfg.SMTP.TLS = mode
	cfg.SMTP.RootCAs = ts.pool
	cfg.SMTP.RetryBackoff = minBackoff
	cfg.SMTP.Timeout = 10 * time.Second
	if ts.opts.auth {
		cfg.SMTP.Username = testUser
		cfg.SMTP.Password = testPassword
	}
	return cfg
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.messages...)
}

func (ts *testServer) counts() (conns, authTries, rcptTries int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.conns, ts.authTry, ts.rcptTry
}

// newSession runs for every connection and again after STARTTLS, which
// starts a new session (RFC 3207 section 4.2), so connections are counted
// by the listener instead.
func (ts *testServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{ts: ts, conn: c}, nil
}

// countingListener counts the connections the server accepts.
type countingListener struct {
	net.Listener
	ts *testServer
}

func (l countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.ts.mu.Lock()
		l.ts.conns++
		l.ts.mu.Unlock()
	}
	return conn, err
}

type session struct {
	ts   *testServer
	conn *smtp.Conn
	user string
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		s.ts.mu.Lock()
		s.ts.authTry++
		s.ts.mu.Unlock()
		if user != testUser || pass != testPassword {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.opts.auth && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from, user: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	n := s.ts.rcptTry
	s.ts.rcptTry++
	s.ts.mu.Unlock()
	if n < len(s.ts.opts.rcptReplies) && s.ts.opts.rcptReplies[n] != nil {
		return s.ts.opts.rcptReplies[n]
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.opts.stallData {
		<-s.ts.done
		return errors.New("stalled")
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.data = data
	s.ts.mu.Lock()
	s.ts.messages = append(s.ts.messages, s.cur)
	s.ts.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

// selfSignedCert makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSignedCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cerrojo test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func x509NewEmptyPool() *x509.CertPool { return x509.NewCertPool() }
