package dian_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/dian/diantest"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

type storeRig struct {
	db    *storage.DB
	ring  *keyring.Ring
	log   *audit.Log
	store *dian.CertStore
	clock *clock.Fake
}

func newStoreRig(t *testing.T, db *storage.DB) *storeRig {
	t.Helper()
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(time.Now())
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	return &storeRig{db: db, ring: ring, log: log, clock: fake,
		store: &dian.CertStore{DB: db, Ring: ring, Audit: log, Clock: fake}}
}

// TestCertStore: a modern (AES) and a legacy (3DES) PKCS#12 import, the
// signer opens, a wrong password or an expired certificate is refused,
// importing again replaces, and the stored columns hold neither the file
// nor the password in clear.
func TestCertStore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := newStoreRig(t, db)
		ctx := context.Background()
		if _, err := r.store.Status(ctx); !errors.Is(err, dian.ErrNoCertificate) {
			t.Fatal(err)
		}
		if _, err := r.store.Signer(ctx); !errors.Is(err, dian.ErrNoCertificate) {
			t.Fatal(err)
		}
		legacy := diantest.NewLegacyCertificate(t, time.Now().Add(400*24*time.Hour))
		if _, err := r.store.Import(ctx, legacy.P12, legacy.Password+"x"); !errors.Is(err,
			dian.ErrBadCertificate) || strings.Contains(err.Error(), legacy.Password) {
			t.Fatalf("wrong password: %v", err)
		}
		expired := diantest.NewCertificate(t, time.Now().Add(-time.Hour))
		if _, err := r.store.Import(ctx, expired.P12, expired.Password); !errors.Is(err,
			dian.ErrBadCertificate) {
			t.Fatalf("expired: %v", err)
		}
		if _, err := r.store.Import(ctx, []byte("not a p12"), "x"); !errors.Is(err,
			dian.ErrBadCertificate) {
			t.Fatalf("garbage: %v", err)
		}
		info, err := r.store.Import(ctx, legacy.P12, legacy.Password)
		if err != nil {
			t.Fatal(err)
		}
		s, err := r.store.Signer(ctx)
		if err != nil || !s.Cert.Equal(legacy.Cert) {
			t.Fatal(err)
		}
		modern := diantest.NewCertificate(t, time.Now().Add(20*24*time.Hour))
		info2, err := r.store.Import(ctx, modern.P12, modern.Password)
		if err != nil || info2.Fingerprint == info.Fingerprint {
			t.Fatal(info2, err)
		}
		s, err = r.store.Signer(ctx)
		if err != nil || !s.Cert.Equal(modern.Cert) {
			t.Fatal("the new certificate is not the one used", err)
		}
		st, err := r.store.Status(ctx)
		if err != nil || st.Fingerprint != info2.Fingerprint ||
			!st.NotAfter.Equal(modern.Cert.NotAfter.UTC().Truncate(time.Second)) &&
				!st.NotAfter.Equal(modern.Cert.NotAfter.UTC()) {
			t.Fatal(st, err)
		}
		msg, warn := dian.ExpiryNotice(st, r.clock.Now())
		if !warn || !strings.Contains(msg, "renew") {
			t.Fatalf("20 days left must warn: %q", msg)
		}
		if msg, warn := dian.ExpiryNotice(info, r.clock.Now()); warn {
			t.Fatalf("400 days left must not warn: %q", msg)
		}

		var p12, pw []byte
		if err := db.QueryRowContext(ctx, `SELECT p12_sealed, password_sealed FROM
			dian_certificates`).Scan(&p12, &pw); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(p12, modern.P12[:64]) || bytes.Contains(pw, []byte(modern.Password)) {
			t.Fatal("stored in clear")
		}
		// The sealed values open only with their own column's context.
		for _, c := range dian.SealedColumns() {
			var v []byte
			_ = db.QueryRowContext(ctx, "SELECT "+c.Column+" FROM dian_certificates").Scan(&v)
			if _, err := r.ring.Open(v, c.AAD([]string{"default"})); err != nil {
				t.Fatalf("%s does not open with its AAD: %v", c.Name(), err)
			}
			if _, err := r.ring.Open(v, c.AAD([]string{"other"})); err == nil {
				t.Fatalf("%s opens for another row", c.Name())
			}
		}
		page, err := r.log.Search(ctx, audit.Query{Action: "dian.certificate_imported",
			Limit: audit.MaxSearchLimit})
		if err != nil || len(page.Records) != 2 {
			t.Fatalf("audit: %v %v", page, err)
		}
	})
}

// TestCertRotatesWithMasterKey: master key rotation (keyring.Reencrypt
// over SealedColumns, as `cerrojo secrets rotate` runs it) reseals both of
// the certificate's columns under the new key, and a ring holding only the
// new key opens the certificate.
func TestCertRotatesWithMasterKey(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		oldMaster, newMaster := make([]byte, 32), make([]byte, 32)
		_, _ = rand.Read(oldMaster)
		_, _ = rand.Read(newMaster)
		oldRing, _ := keyring.New(rand.Reader, oldMaster)
		c := diantest.NewCertificate(t, time.Now().Add(90*24*time.Hour))
		if _, err := (&dian.CertStore{DB: db, Ring: oldRing}).Import(ctx, c.P12,
			c.Password); err != nil {
			t.Fatal(err)
		}
		both, _ := keyring.New(rand.Reader, newMaster, oldMaster)
		counts, err := keyring.Reencrypt(ctx, db, both, dian.SealedColumns())
		if err != nil || len(counts) != 2 {
			t.Fatal(counts, err)
		}
		for _, cc := range counts {
			if cc.Resealed != 1 || cc.NotPrimary(both.PrimaryID().String()) != 0 {
				t.Fatalf("%+v", cc)
			}
		}
		onlyNew, _ := keyring.New(rand.Reader, newMaster)
		s, err := (&dian.CertStore{DB: db, Ring: onlyNew}).Signer(ctx)
		if err != nil || !s.Cert.Equal(c.Cert) {
			t.Fatal(err)
		}
	})
}

// TestNoSecretInLogsOrAudit runs imports and calls to the DIAN with a
// logger and the real audit log, then searches every log line and every
// audit record for the certificate's password and its private key (the
// PKCS#12 file and the key's DER, in base64 and hex): none may appear.
func TestNoSecretInLogsOrAudit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := newStoreRig(t, db)
		ctx := context.Background()
		logs := &syncBuffer{}
		logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := diantest.NewCertificate(t, time.Now().Add(90*24*time.Hour))
		if _, err := r.store.Import(ctx, c.P12, c.Password+"wrong"); err != nil {
			logger.Error("import failed", "error", err)
		}
		if _, err := r.store.Import(ctx, c.P12, c.Password); err != nil {
			t.Fatal(err)
		}
		srv := diantest.New(c.Cert)
		defer srv.Close()
		cfg := dian.DefaultClientConfig()
		cfg.Endpoint, cfg.Backoff, cfg.MaxBackoff = srv.URL, time.Millisecond, time.Millisecond
		client, err := dian.NewClient(dian.ClientOptions{Config: cfg, Signer: r.store.Signer,
			Audit: r.log, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.GetStatus(ctx, cufe); err != nil {
			t.Fatal(err)
		}
		if _, err := client.GetNumberingRange(ctx, "900373115", "900373115", "sw-1"); err != nil {
			t.Fatal(err)
		}
		srv.Tamper = func(b []byte) []byte {
			return bytes.Replace(b, []byte("sw-1"), []byte("sw-2"), 1)
		}
		if _, err := client.GetNumberingRange(ctx, "900373115", "900373115", "sw-1"); err == nil {
			t.Fatal("tampered call accepted")
		} else {
			logger.Error("call failed", "error", err)
		}

		var export bytes.Buffer
		if err := r.log.Export(ctx, &export, audit.ExportOptions{}); err != nil {
			t.Fatal(err)
		}
		page, err := r.log.Search(ctx, audit.Query{Limit: audit.MaxSearchLimit})
		if err != nil || len(page.Records) < 4 {
			t.Fatalf("%d audit records, %v", len(page.Records), err)
		}
		records, _ := json.Marshal(page.Records)
		haystack := logs.String() + "\n" + export.String() + "\n" + string(records)
		if !strings.Contains(haystack, "dian.get_numbering_range") {
			t.Fatal("the haystack does not hold the calls")
		}
		pkcs1 := x509.MarshalPKCS1PrivateKey(c.Key)
		pkcs8, _ := x509.MarshalPKCS8PrivateKey(c.Key)
		needles := map[string]string{"password": c.Password,
			"p12 base64": base64.StdEncoding.EncodeToString(c.P12)[:40],
			"p12 hex":    hex.EncodeToString(c.P12)[:40],
			"key d hex":  c.Key.D.Text(16)[:40],
			"key d dec":  c.Key.D.String()[:40],
		}
		for name, der := range map[string][]byte{"pkcs1": pkcs1, "pkcs8": pkcs8} {
			// Any 24-byte window of the key's encoding, at several offsets.
			for _, off := range []int{0, 100, 300, len(der) - 32} {
				w := der[off : off+24]
				needles[name+" base64"] = base64.StdEncoding.EncodeToString(w)[:28]
				needles[name+" hex"] = hex.EncodeToString(w)
				for n, v := range needles {
					if strings.Contains(haystack, v) ||
						strings.Contains(strings.ToLower(haystack), strings.ToLower(v)) {
						t.Fatalf("%s found in the logs or the audit log", n)
					}
				}
			}
		}
		var rows int
		_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dian_certificates").Scan(&rows)
		if rows != 1 {
			t.Fatal(rows)
		}
	})
}
