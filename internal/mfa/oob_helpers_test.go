package mfa

import (
	"context"
	"crypto/rand"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/sms"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// textBox is an sms.Sender that keeps what it was given, or fails with
// err when set.
type textBox struct {
	mu   sync.Mutex
	sent []sms.Message
	err  error
}

func (b *textBox) Send(_ context.Context, m sms.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	b.sent = append(b.sent, m)
	return nil
}

func (b *textBox) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

func (b *textBox) all() []sms.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sent)
}

// emailed is one code handed to the EmailCode function.
type emailed struct {
	userID, address, code string
	expires               time.Time
}

type mailBox struct {
	mu   sync.Mutex
	sent []emailed
}

func (b *mailBox) send(_ context.Context, userID, address, code string,
	expires time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, emailed{userID, address, code, expires})
	return nil
}

func (b *mailBox) all() []emailed {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sent)
}

// oobFixture is a fixture whose service also has text and email codes,
// with recording senders and a StrongFactor answer the test sets.
type oobFixture struct {
	*fixture
	texts   *textBox
	mails   *mailBox
	passkey atomic.Bool // what StrongFactor answers
}

// oobConfig is cfg with both channels on.
func oobConfig(cfg Config) Config {
	cfg.SMSCodes, cfg.EmailCodes = true, true
	return cfg
}

func newOOBFixture(t *testing.T, db *storage.DB, cfg Config) *oobFixture {
	t.Helper()
	fake := clock.NewFake(start)
	master := make([]byte, 32)
	rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	f := &oobFixture{fixture: &fixture{db: db, ring: ring, log: log, clock: fake,
		notices: &notices{}}, texts: &textBox{}, mails: &mailBox{}}
	f.svc = f.service(t, cfg)
	return f
}

// service returns another service on the fixture's database, key ring,
// audit log, clock and senders, with cfg: another node, or the same one
// after a configuration change.
func (f *oobFixture) service(t *testing.T, cfg Config) *Service {
	t.Helper()
	svc, err := New(Options{DB: f.db, Ring: f.ring, Audit: f.log, Notifier: f.notices,
		Issuer: "Cerrojo", Clock: f.clock, Config: cfg, SMS: f.texts, EmailCode: f.mails.send,
		StrongFactor: func(context.Context, string) (bool, error) {
			return f.passkey.Load(), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Wait)
	return svc
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// lastText returns the newest text message and the code in it.
func (f *oobFixture) lastText(t *testing.T) (sms.Message, string) {
	t.Helper()
	all := f.texts.all()
	if len(all) == 0 {
		t.Fatal("no text message was sent")
	}
	m := all[len(all)-1]
	code := sixDigits.FindString(m.Body)
	if code == "" {
		t.Fatalf("no code in %q", m.Body)
	}
	return m, code
}

// lastMail returns the newest emailed code.
func (f *oobFixture) lastMail(t *testing.T) emailed {
	t.Helper()
	all := f.mails.all()
	if len(all) == 0 {
		t.Fatal("no email was sent")
	}
	return all[len(all)-1]
}

// smsFactor enrols and activates a text factor for user on number and
// moves the clock past the send cooldown.
func (f *oobFixture) smsFactor(t *testing.T, user, number string) string {
	t.Helper()
	e, err := f.svc.EnrollSMS(context.Background(), user, number, meta)
	if err != nil {
		t.Fatalf("enroll sms: %v", err)
	}
	_, code := f.lastText(t)
	if err := f.svc.ActivateOOB(context.Background(), user, e.FactorID, code, meta); err != nil {
		t.Fatalf("activate: %v", err)
	}
	f.clock.Advance(sendCooldown)
	return e.FactorID
}

// sendText sends a sign-in code to a text factor and returns it.
func (f *oobFixture) sendText(t *testing.T, user, factorID string) string {
	t.Helper()
	if _, err := f.svc.SendCode(context.Background(), user, factorID, meta); err != nil {
		t.Fatalf("send code: %v", err)
	}
	_, code := f.lastText(t)
	return code
}

// verifyEmail marks the account's address verified.
func verifyEmail(t *testing.T, db *storage.DB, user string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), db.Rebind(
		`UPDATE users SET email_verified = TRUE WHERE id = ?`), user); err != nil {
		t.Fatal(err)
	}
}

// failures returns the reasons of the failed events of action, oldest
// first.
func (f *oobFixture) failures(t *testing.T, user, action string) []string {
	t.Helper()
	var out []string
	for _, e := range f.events(t, user) {
		if e.Action == action && e.Outcome == audit.OutcomeFailure {
			out = append(out, e.Details["reason"])
		}
	}
	return out
}

// wrongCode returns a six-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}
