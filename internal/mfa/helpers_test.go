package mfa

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// start is the fake clock's first reading: 10 seconds into a time step,
// so advancing by TOTPPeriod moves exactly one step.
var start = time.Date(2026, 12, 3, 15, 0, 10, 0, time.UTC)

var meta = Meta{IP: "203.0.113.9", UserAgent: "Mozilla/5.0 (Linux; Android 14)", RequestID: "r1"}

// notices records what the service told the Notifier.
type notices struct {
	mu      sync.Mutex
	changes []string
}

func (n *notices) FactorsChanged(_ context.Context, userID string, what Change) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.changes = append(n.changes, userID+" "+string(what))
	return nil
}

func (n *notices) RecoveryCodeUsed(_ context.Context, userID string, remaining int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.changes = append(n.changes, userID+" recovery_code_used "+strconv.Itoa(remaining))
	return nil
}

// list returns the notices sorted: they are sent in the background, in no
// particular order.
func (n *notices) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.changes)
	slices.Sort(out)
	return out
}

type fixture struct {
	svc     *Service
	db      *storage.DB
	ring    *keyring.Ring
	log     *audit.Log
	clock   *clock.Fake
	notices *notices
}

func newFixture(t *testing.T, db *storage.DB, cfg Config) *fixture {
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
	n := &notices{}
	svc, err := New(Options{DB: db, Ring: ring, Audit: log, Notifier: n, Issuer: "Cerrojo",
		Clock: fake, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Wait)
	return &fixture{svc: svc, db: db, ring: ring, log: log, clock: fake, notices: n}
}

// addUser inserts a bare account in the given state.
func addUser(t *testing.T, db *storage.DB, id, state string) {
	storagetest.AddUser(t, db, id, "customer", state)
}

// codeAt is the code an authenticator app shows for secret at t,
// computed by an independent implementation.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enroll enrols a TOTP factor for user.
func (f *fixture) enroll(t *testing.T, user string) Enrollment {
	t.Helper()
	e, err := f.svc.EnrollTOTP(context.Background(), user,
		EnrollInput{Account: user + "@ejemplo.co"}, meta)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	return e
}

// activeFactor enrols and activates a TOTP factor for user with the
// current code, then moves the clock to the next step so that the next
// code is not a replay.
func (f *fixture) activeFactor(t *testing.T, user string) Enrollment {
	t.Helper()
	e := f.enroll(t, user)
	err := f.svc.ActivateTOTP(context.Background(), user, e.FactorID,
		codeAt(t, e.Secret, f.clock.Now()), meta)
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	f.clock.Advance(TOTPPeriod)
	return e
}

// events returns the audit events whose actor is user, oldest first.
func (f *fixture) events(t *testing.T, user string) []audit.Event {
	t.Helper()
	page, err := f.log.Search(context.Background(), audit.Query{ActorID: user,
		Limit: audit.MaxSearchLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]audit.Event, 0, len(page.Records))
	for i := len(page.Records) - 1; i >= 0; i-- {
		out = append(out, page.Records[i].Event)
	}
	return out
}
