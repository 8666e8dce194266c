package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/testutil"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with serial
// number serial, and its key, as PEM files, and returns the certificate.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial),
		Subject:     pkix.Name{CommonName: "cerrojo test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{
			x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Write to temporary names and rename, as certificate tools do, so a
	// handshake never reads half a pair.
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{keyFile, "PRIVATE KEY", keyDER}, {certFile, "CERTIFICATE", der}} {
		tmp := f.path + ".tmp"
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der})
		if err := os.WriteFile(tmp, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// TestTLS serves HTTPS from certificate files: TLS 1.2 or newer only,
// HSTS on every answer, and a renewed pair is served without a restart
// while a broken one leaves the old pair in service.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first := writeCert(t, certFile, keyFile, 1)

	cfg := config.Default().HTTP
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	logs := &testutil.SyncBuffer{}
	s, err := New(Options{HTTP: cfg, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	url := "https://" + ln.Addr().String() + "/healthz"

	// served returns the serial number of the certificate a new TLS
	// connection gets, trusting pool.
	served := func(pool *x509.CertPool, maxVersion uint16) (int64, *http.Response, error) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
			MaxVersion: maxVersion}, DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url)
		if err != nil {
			return 0, nil, err
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64(), resp, nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(first)

	serial, resp, err := served(pool, 0)
	if err != nil || serial != 1 || resp.StatusCode != 200 {
		t.Fatalf("first certificate: serial %d, %v", serial, err)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
	if _, _, err := served(pool, tls.VersionTLS11); err == nil {
		t.Error("a TLS 1.1 client was served")
	}

	// A broken renewal keeps the old pair in service.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(certCheckEvery + 100*time.Millisecond)
	if serial, _, err := served(pool, 0); err != nil || serial != 1 {
		t.Fatalf("after a broken renewal: serial %d, %v", serial, err)
	}

	// A good renewal is served, once the next check sees it.
	second := writeCert(t, certFile, keyFile, 2)
	pool.AddCert(second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		serial, _, err := served(pool, 0)
		if err == nil && serial == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the renewed certificate was not served: serial %d, %v\n%s", serial, err,
				logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestTLSFilesMustLoad(t *testing.T) {
	cfg := config.Default().HTTP
	cfg.TLSCertFile, cfg.TLSKeyFile = "/nonexistent/tls.crt", "/nonexistent/tls.key"
	_, err := New(Options{HTTP: cfg, Logger: slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry()})
	if err == nil {
		t.Fatal("a server started without its certificate files")
	}
}
