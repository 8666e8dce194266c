package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckEvery is how often a handshake may look at the certificate
// files for a change: renewals are rare, handshakes are not.
const certCheckEvery = time.Second

// certReloader serves a certificate from a pair of files and reads them
// again when either changes, so a renewed certificate (certbot, cert-manager)
// is used without a restart. A pair that fails to load keeps the old one in
// service and is logged; it is tried again at the next change.
type certReloader struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu        sync.Mutex
	cert      *tls.Certificate
	stamp     string // modification times and sizes of the pair in use
	checkedAt time.Time
}

func newCertReloader(certFile, keyFile string, logger *slog.Logger) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile, logger: logger}
	stamp, err := c.fileStamp()
	if err != nil {
		return nil, err
	}
	if err := c.load(stamp); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certReloader) fileStamp() (string, error) {
	var stamp string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("tls: %w", err)
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

func (c *certReloader) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load %s and %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.stamp = &cert, stamp
	return nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (c *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if now.Sub(c.checkedAt) < certCheckEvery {
		return c.cert, nil
	}
	c.checkedAt = now
	stamp, err := c.fileStamp()
	if err != nil || stamp == c.stamp {
		return c.cert, nil
	}
	if err := c.load(stamp); err != nil {
		// Keep serving the old pair; a half-written renewal is common.
		c.stamp = stamp
		c.logger.Error("the renewed TLS certificate cannot be loaded; still serving the "+
			"previous one", "error", err.Error())
		return c.cert, nil
	}
	c.logger.Info("TLS certificate reloaded", "file", c.certFile)
	return c.cert, nil
}

// tlsConfig is TLS 1.2 or newer (PCI DSS v4.0.1 4.2.1, NIST SP 800-52r2)
// with Go's default cipher suites, which are all AEAD with forward secrecy
// for TLS 1.2.
func tlsConfig(c *certReloader) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate,
		NextProtos: []string{"h2", "http/1.1"}}
}
