package passkeys

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

const (
	testRPID   = "cuenta.ejemplo.co"
	testOrigin = "https://cuenta.ejemplo.co"
)

var (
	t0   = time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	meta = Meta{IP: "203.0.113.9", UserAgent: "test", RequestID: "r1"}
	ctx  = context.Background()
)

type fixture struct {
	svc   *Service
	clock *clock.Fake
	log   *audit.Log
	db    *storage.DB
}

func newFixture(t testing.TB, db *storage.DB) *fixture {
	t.Helper()
	fake := clock.NewFake(t0)
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
	svc, err := New(Options{DB: db, Audit: log, Clock: fake, RPID: testRPID,
		RPDisplayName: "Ejemplo", Origins: []string{testOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, clock: fake, log: log, db: db}
}

// addUser inserts a bare account.
func addUser(t testing.TB, db *storage.DB, id string) {
	storagetest.AddUser(t, db, id, "customer", "active")
}

// register adds a's credential to userID's account.
func (f *fixture) register(t testing.TB, userID string, a *passkeytest.Authenticator,
	mods ...passkeytest.Mod) Credential {
	t.Helper()
	id, opts, err := f.svc.BeginRegistration(ctx, userID)
	if err != nil {
		t.Fatalf("begin registration: %v", err)
	}
	c, err := f.svc.FinishRegistration(ctx, userID, id, a.Create(t, opts, mods...), "Mi llave",
		meta)
	if err != nil {
		t.Fatalf("finish registration: %v", err)
	}
	return c
}

// tryRegister runs a registration and returns FinishRegistration's error.
func (f *fixture) tryRegister(t testing.TB, userID string, a *passkeytest.Authenticator,
	mods ...passkeytest.Mod) error {
	t.Helper()
	id, opts, err := f.svc.BeginRegistration(ctx, userID)
	if err != nil {
		t.Fatalf("begin registration: %v", err)
	}
	_, err = f.svc.FinishRegistration(ctx, userID, id, a.Create(t, opts, mods...), "", meta)
	return err
}

// login signs in with a; userID "" makes it a discoverable login.
func (f *fixture) login(t testing.TB, userID string, a *passkeytest.Authenticator,
	mods ...passkeytest.Mod) (Result, error) {
	t.Helper()
	id, opts, err := f.svc.BeginLogin(ctx, userID)
	if err != nil {
		t.Fatalf("begin login: %v", err)
	}
	return f.svc.FinishLogin(ctx, id, a.Get(t, opts, mods...), meta)
}

// mustLogin signs in with a and fails the test on an error.
func (f *fixture) mustLogin(t testing.TB, userID string, a *passkeytest.Authenticator,
	mods ...passkeytest.Mod) Result {
	t.Helper()
	res, err := f.login(t, userID, a, mods...)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return res
}

// records returns the audit records of action, newest first.
func (f *fixture) records(t testing.TB, action string) []*audit.Record {
	t.Helper()
	page, err := f.log.Search(ctx, audit.Query{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Records
}

// stored reads one passkey's row.
func (f *fixture) stored(t testing.TB, userID, id string) record {
	t.Helper()
	recs, err := f.svc.store.passkeys(ctx, f.db, userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("passkey %s of %s not stored", id, userID)
	return record{}
}

// modsOf is m alone, or nothing when m is nil.
func modsOf(m passkeytest.Mod) []passkeytest.Mod {
	if m == nil {
		return nil
	}
	return []passkeytest.Mod{m}
}

func wantErr(t testing.TB, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("got error %v, want %v", got, want)
	}
}
