package dian

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// MaxP12Bytes bounds an imported PKCS#12 file: a certificate, its chain
// and an RSA key take a few KiB.
const MaxP12Bytes = 64 << 10

// ExpiryWarning is how long before its expiry a certificate is warned
// about (cerrojo doctor, dian cert status, the log at start).
const ExpiryWarning = 30 * 24 * time.Hour

// certName is the one certificate's row.
const certName = "default"

// Errors of the certificate store.
var (
	// ErrNoCertificate means none was imported.
	ErrNoCertificate = errors.New("dian: no certificate imported")
	// ErrBadCertificate means the file or password is wrong, or the key
	// is not one the DIAN accepts.
	ErrBadCertificate = errors.New("dian: the PKCS#12 file cannot be used")
)

// CertInfo is what may be shown about the certificate: never the key, the
// file or the password.
type CertInfo struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	Serial      string    `json:"serial"`
	Fingerprint string    `json:"fingerprint_sha256"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	ImportedAt  time.Time `json:"imported_at"`
}

// ExpiresWithin reports whether the certificate expires before now+d.
func (c CertInfo) ExpiresWithin(now time.Time, d time.Duration) bool {
	return !c.NotAfter.After(now.Add(d))
}

// CertStore keeps the marketplace's certificate, sealed with the key ring.
type CertStore struct {
	DB    *storage.DB
	Ring  *keyring.Ring
	Audit audit.Recorder
	Clock clock.Clock

	mu     sync.Mutex
	cached *cachedSigner
}

type cachedSigner struct {
	fingerprint string
	imported    time.Time
	signer      Signer
}

func aadP12(name string) []byte      { return []byte("dian_certificates.p12_sealed:" + name) }
func aadPassword(name string) []byte { return []byte("dian_certificates.password_sealed:" + name) }

// SealedColumns lists the certificate's sealed values for master key
// rotation.
func SealedColumns() []keyring.Column {
	return []keyring.Column{
		{Table: "dian_certificates", Column: "p12_sealed", Keys: []string{"name"},
			AAD: func(k []string) []byte { return aadP12(k[0]) }},
		{Table: "dian_certificates", Column: "password_sealed", Keys: []string{"name"},
			AAD: func(k []string) []byte { return aadPassword(k[0]) }},
	}
}

// decode opens a PKCS#12 file (modern AES/PBKDF2 or legacy 3DES/RC2
// encryption) and checks that its key is RSA of at least 2048 bits and
// matches the certificate. Errors never include the password.
func decode(p12 []byte, password string) (Signer, error) {
	key, cert, _, err := pkcs12.DecodeChain(p12, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return Signer{}, fmt.Errorf("%w: wrong password", ErrBadCertificate)
		}
		return Signer{}, fmt.Errorf("%w: not a readable PKCS#12 file", ErrBadCertificate)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return Signer{}, fmt.Errorf("%w: the key is not RSA", ErrBadCertificate)
	}
	if rk.N.BitLen() < 2048 {
		return Signer{}, fmt.Errorf("%w: the RSA key is shorter than 2048 bits",
			ErrBadCertificate)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&rk.PublicKey) {
		return Signer{}, fmt.Errorf("%w: the key does not match the certificate",
			ErrBadCertificate)
	}
	return Signer{Cert: cert, Key: rk}, nil
}

func infoOf(cert *x509.Certificate, imported time.Time) CertInfo {
	fp := sha256.Sum256(cert.Raw)
	return CertInfo{Subject: cert.Subject.String(), Issuer: cert.Issuer.String(),
		Serial: cert.SerialNumber.Text(16), Fingerprint: hex.EncodeToString(fp[:]),
		NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC(),
		ImportedAt: imported.UTC()}
}

// Import checks the PKCS#12 file and its password, and stores both sealed,
// replacing any earlier certificate. An expired certificate is refused.
// The import is an audit event naming the fingerprint and the expiry.
func (s *CertStore) Import(ctx context.Context, p12 []byte, password string) (CertInfo, error) {
	if len(p12) == 0 || len(p12) > MaxP12Bytes {
		return CertInfo{}, fmt.Errorf("%w: the file must be 1 byte to %d KiB", ErrBadCertificate,
			MaxP12Bytes>>10)
	}
	sg, err := decode(p12, password)
	if err != nil {
		return CertInfo{}, err
	}
	now := s.now()
	if !sg.Cert.NotAfter.After(now) {
		return CertInfo{}, fmt.Errorf("%w: the certificate expired on %s", ErrBadCertificate,
			sg.Cert.NotAfter.UTC().Format(time.DateOnly))
	}
	info := infoOf(sg.Cert, now)
	sealedP12, err := s.Ring.Seal(p12, aadP12(certName))
	if err != nil {
		return CertInfo{}, err
	}
	sealedPw, err := s.Ring.Seal([]byte(password), aadPassword(certName))
	if err != nil {
		return CertInfo{}, err
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.DB.Rebind(`DELETE FROM dian_certificates
			WHERE name = ?`), certName); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.DB.Rebind(`INSERT INTO dian_certificates (name,
			p12_sealed, password_sealed, subject, issuer, serial, fingerprint, not_before,
			not_after, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), certName,
			sealedP12, sealedPw, info.Subject, info.Issuer, info.Serial, info.Fingerprint,
			info.NotBefore, info.NotAfter, info.ImportedAt); err != nil {
			return err
		}
		if s.Audit == nil {
			return nil
		}
		_, err := s.Audit.Append(ctx, tx, audit.Event{
			Actor:  audit.Actor{Type: audit.ActorSystem, ID: "cli"},
			Action: "dian.certificate_imported", Outcome: audit.OutcomeSuccess,
			Target: audit.Target{Type: "dian_certificate", ID: info.Fingerprint},
			Details: map[string]string{"not_after": info.NotAfter.Format(time.RFC3339),
				"serial": clip(info.Serial, 64)}})
		return err
	})
	if err != nil {
		return CertInfo{}, err
	}
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
	return info, nil
}

// Status returns what may be shown about the stored certificate, without
// opening it.
func (s *CertStore) Status(ctx context.Context) (CertInfo, error) {
	var c CertInfo
	err := s.DB.QueryRowContext(ctx, s.DB.Rebind(`SELECT subject, issuer, serial, fingerprint,
		not_before, not_after, imported_at FROM dian_certificates WHERE name = ?`), certName).
		Scan(&c.Subject, &c.Issuer, &c.Serial, &c.Fingerprint, &c.NotBefore, &c.NotAfter,
			&c.ImportedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return CertInfo{}, ErrNoCertificate
	}
	if err != nil {
		return CertInfo{}, err
	}
	c.NotBefore, c.NotAfter, c.ImportedAt = c.NotBefore.UTC(), c.NotAfter.UTC(),
		c.ImportedAt.UTC()
	return c, nil
}

// Signer opens the stored certificate for signing; the client calls it
// for every request. The decoded key is kept in memory until another
// certificate is imported (by any node: the row's fingerprint and import
// time are checked on every call).
func (s *CertStore) Signer(ctx context.Context) (Signer, error) {
	var sealedP12, sealedPw []byte
	var fp string
	var imported time.Time
	err := s.DB.QueryRowContext(ctx, s.DB.Rebind(`SELECT p12_sealed, password_sealed,
		fingerprint, imported_at FROM dian_certificates WHERE name = ?`), certName).
		Scan(&sealedP12, &sealedPw, &fp, &imported)
	if errors.Is(err, sql.ErrNoRows) {
		return Signer{}, ErrNoCertificate
	}
	if err != nil {
		return Signer{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cached; c != nil && c.fingerprint == fp && c.imported.Equal(imported) {
		return c.signer, nil
	}
	p12, err := s.Ring.Open(sealedP12, aadP12(certName))
	if err != nil {
		return Signer{}, fmt.Errorf("dian: the certificate does not open: %w", err)
	}
	pw, err := s.Ring.Open(sealedPw, aadPassword(certName))
	if err != nil {
		return Signer{}, fmt.Errorf("dian: the certificate's password does not open: %w", err)
	}
	sg, err := decode(p12, string(pw))
	clear(p12)
	clear(pw)
	if err != nil {
		return Signer{}, err
	}
	s.cached = &cachedSigner{fingerprint: fp, imported: imported, signer: sg}
	return sg, nil
}

func (s *CertStore) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

// ExpiryNotice is the line operators read about the certificate's expiry,
// and whether it is a warning (expired, or within ExpiryWarning).
func ExpiryNotice(c CertInfo, now time.Time) (string, bool) {
	days := int(c.NotAfter.Sub(now).Hours() / 24)
	switch {
	case !c.NotAfter.After(now):
		return "the DIAN certificate expired on " + c.NotAfter.Format(time.DateOnly) +
			": import a new one with `cerrojo dian cert import`", true
	case c.ExpiresWithin(now, ExpiryWarning):
		return fmt.Sprintf("the DIAN certificate expires on %s, in %d days: renew it",
			c.NotAfter.Format(time.DateOnly), days), true
	}
	return fmt.Sprintf("the DIAN certificate is valid until %s (%d days)",
		c.NotAfter.Format(time.DateOnly), days), false
}
