package mfa

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit/audittest"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func testRing(t *testing.T) *keyring.Ring {
	t.Helper()
	master := make([]byte, 32)
	rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func TestNewRefusesMissingOptions(t *testing.T) {
	db := storagetest.SQLite(t)
	ok := Options{DB: db, Ring: testRing(t), Audit: &audittest.Recorder{}, Issuer: "Cerrojo"}
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"refuses no database", func(o *Options) { o.DB = nil }, "no database"},
		{"refuses no key ring", func(o *Options) { o.Ring = nil }, "no key ring"},
		{"refuses no audit log", func(o *Options) { o.Audit = nil }, "no audit log"},
		{"refuses no issuer", func(o *Options) { o.Issuer = "" }, "issuer"},
		{"refuses an issuer with a colon", func(o *Options) { o.Issuer = "a:b" }, "colon"},
		{"refuses a bad config", func(o *Options) { o.Config.MaxFailures = 21 }, "max_failures"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.mutate(&o)
			if _, err := New(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
	if _, err := New(ok); err != nil {
		t.Errorf("complete options: got %v, want nil", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"accepts the zero value", Config{}, true},
		{"accepts bounds", Config{MaxFailures: 20, FailureWindow: 24 * time.Hour,
			MaxTOTPFactors: 20, EnrollmentTTL: time.Minute}, true},
		{"refuses too many failures", Config{MaxFailures: 21}, false},
		{"refuses negative failures", Config{MaxFailures: -1}, false},
		{"refuses a short window", Config{FailureWindow: 59 * time.Second}, false},
		{"refuses a long window", Config{FailureWindow: 25 * time.Hour}, false},
		{"refuses too many factors", Config{MaxTOTPFactors: 21}, false},
		{"refuses a short enrolment", Config{EnrollmentTTL: time.Second}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// failingNotifier fails every notification.
type failingNotifier struct{}

func (failingNotifier) FactorsChanged(context.Context, string, Change) error {
	return errors.New("smtp down")
}

func (failingNotifier) RecoveryCodeUsed(context.Context, string, int) error {
	return errors.New("smtp down")
}

func TestNotifierOptional(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		for i, n := range []Notifier{nil, failingNotifier{}} {
			var logged bytes.Buffer
			fake := clock.NewFake(start)
			rec := &audittest.Recorder{}
			svc, err := New(Options{DB: db, Ring: testRing(t), Audit: rec, Notifier: n,
				Issuer: "Cerrojo", Clock: fake,
				Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
			if err != nil {
				t.Fatal(err)
			}
			user := "usr_" + strings.Repeat("n", i+1)
			addUser(t, db, user, "active")
			codes, err := svc.GenerateRecoveryCodes(context.Background(), user, meta)
			if err != nil {
				t.Fatalf("generate with notifier %T: %v", n, err)
			}
			if _, err := svc.UseRecoveryCode(context.Background(), user, codes[0],
				meta); err != nil {
				t.Fatalf("use with notifier %T: %v", n, err)
			}
			svc.Wait()
			failed := strings.Contains(logged.String(), "send mfa notification")
			if failed != (n != nil) {
				t.Errorf("notifier %T: got log %q", n, logged.String())
			}
			if strings.Contains(logged.String(), strings.ReplaceAll(codes[0], "-", "")) {
				t.Error("the log holds a recovery code")
			}
		}
	})
}

func TestAuditFailureIsAnError(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		rec := &audittest.Recorder{}
		svc, err := New(Options{DB: db, Ring: testRing(t), Audit: rec, Issuer: "Cerrojo",
			Clock: clock.NewFake(start)})
		if err != nil {
			t.Fatal(err)
		}
		addUser(t, db, "usr_a", "active")
		rec.Err = errors.New("log full")
		_, err = svc.VerifyTOTP(context.Background(), "usr_a", "123456", meta)
		if err == nil || errors.Is(err, ErrNoFactor) {
			t.Errorf("got %v, want the audit log's error", err)
		}
		_, err = svc.GenerateRecoveryCodes(context.Background(), "usr_a", meta)
		if err == nil {
			t.Error("generate with a failing log: got nil, want an error")
		}
		if n, _ := svc.RecoveryCodesLeft(context.Background(), "usr_a"); n != 0 {
			t.Errorf("got %d codes stored, want 0: the change must roll back with its record", n)
		}
	})
}
