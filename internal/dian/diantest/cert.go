package diantest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Certificate is a test certificate of a marketplace: a self-signed RSA
// 2048 certificate, its key, and both in a PKCS#12 file.
type Certificate struct {
	Cert     *x509.Certificate
	Key      *rsa.PrivateKey
	P12      []byte
	Password string
}

// NewCertificate makes a certificate valid from an hour ago until
// notAfter, encoded with PKCS#12's modern algorithms (AES-256, PBKDF2).
func NewCertificate(t testing.TB, notAfter time.Time) Certificate {
	t.Helper()
	return newCertificate(t, notAfter, pkcs12.Modern)
}

// NewLegacyCertificate is NewCertificate encoded with 3DES and SHA-1, as
// older tools (and some certification authorities) still write PKCS#12.
func NewLegacyCertificate(t testing.TB, notAfter time.Time) Certificate {
	t.Helper()
	return newCertificate(t, notAfter, pkcs12.LegacyDES)
}

func newCertificate(t testing.TB, notAfter time.Time, enc *pkcs12.Encoder) Certificate {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial,
		Subject: pkix.Name{CommonName: "MARKETPLACE DE PRUEBA S.A.S.",
			SerialNumber: "900373115", Country: []string{"CO"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pw := rand.Text()
	p12, err := enc.Encode(key, cert, nil, pw)
	if err != nil {
		t.Fatal(err)
	}
	return Certificate{Cert: cert, Key: key, P12: p12, Password: pw}
}
