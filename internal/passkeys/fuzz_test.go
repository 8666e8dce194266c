package passkeys

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// checkingRecorder validates every event as the audit log would and keeps
// only the first invalid one, so a long fuzzing run does not fill memory.
type checkingRecorder struct {
	mu      sync.Mutex
	invalid error
}

func (r *checkingRecorder) Append(ctx context.Context, _ *sql.Tx, e audit.Event) (*audit.Record,
	error) {
	return r.Record(ctx, e)
}

func (r *checkingRecorder) Record(_ context.Context, e audit.Event) (*audit.Record, error) {
	err := e.Validate()
	if err != nil {
		r.mu.Lock()
		if r.invalid == nil {
			r.invalid = err
		}
		r.mu.Unlock()
	}
	return &audit.Record{Event: e}, err
}

// fuzzSeeds are a's genuine responses (for another challenge) and near
// misses.
func fuzzSeeds(f *testing.F, a *passkeytest.Authenticator, create bool) {
	opts := []byte(`{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rp":{"id":"cuenta.ejemplo.co"},` +
		`"rpId":"cuenta.ejemplo.co","user":{"id":"dXNyX2FuYQ"}}`)
	var valid []byte
	if create {
		valid = a.Create(f, opts)
	} else {
		valid = a.Get(f, opts)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte("\xff"))
}

// newFuzzService is a service over SQLite with one account, usr_ana,
// holding one passkey, whose authenticator it returns.
func newFuzzService(f testing.TB) (*Service, *checkingRecorder, *passkeytest.Authenticator) {
	db := storagetest.SQLite(f)
	addUser(f, db, "usr_ana")
	rec := &checkingRecorder{}
	svc, err := New(Options{DB: db, Audit: rec, Clock: clock.NewFake(t0), RPID: testRPID,
		RPDisplayName: "Ejemplo", Origins: []string{testOrigin}})
	if err != nil {
		f.Fatal(err)
	}
	a := passkeytest.New(f, testOrigin)
	fx := &fixture{svc: svc, db: db}
	fx.register(f, "usr_ana", a)
	return svc, rec, a
}

// FuzzFinishLogin: whatever the bytes, FinishLogin neither panics nor
// succeeds nor fails with an internal error, every event it records is
// one the audit log accepts, and the passkey is untouched.
func FuzzFinishLogin(f *testing.F) {
	svc, rec, a := newFuzzService(f)
	fuzzSeeds(f, a, false)
	before, err := svc.List(ctx, "usr_ana")
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		userID := ""
		if len(data)%2 == 1 {
			userID = "usr_ana"
		}
		id, _, err := svc.BeginLogin(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.FinishLogin(ctx, id, data, meta)
		if err == nil {
			t.Fatalf("arbitrary bytes signed in: %+v", res)
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrRejected) {
			t.Fatalf("got %v, want ErrMalformed or ErrRejected", err)
		}
		if rec.invalid != nil {
			t.Fatalf("recorded an event the audit log refuses: %v", rec.invalid)
		}
		after, err := svc.List(ctx, "usr_ana")
		if err != nil || len(after) != 1 || !after[0].LastUsedAt.Equal(before[0].LastUsedAt) {
			t.Fatalf("passkeys changed: %+v, %v", after, err)
		}
	})
}

// FuzzFinishRegistration: whatever the bytes, FinishRegistration neither
// panics nor stores a passkey nor fails with an internal error.
func FuzzFinishRegistration(f *testing.F) {
	svc, rec, a := newFuzzService(f)
	fuzzSeeds(f, passkeytest.New(f, testOrigin), true)
	fuzzSeeds(f, a, true) // already registered

	f.Fuzz(func(t *testing.T, data []byte) {
		id, _, err := svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.FinishRegistration(ctx, "usr_ana", id, data, "", meta)
		if err == nil {
			t.Fatalf("arbitrary bytes registered a passkey: %+v", c)
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrRejected) {
			t.Fatalf("got %v, want ErrMalformed or ErrRejected", err)
		}
		if rec.invalid != nil {
			t.Fatalf("recorded an event the audit log refuses: %v", rec.invalid)
		}
		if n, err := svc.Count(ctx, "usr_ana"); n != 1 || err != nil {
			t.Fatalf("count: got %d, %v; want 1", n, err)
		}
	})
}

// FuzzParse: the decoding step alone, much faster than a ceremony. A
// response either decodes or fails with ErrMalformed, never both and
// never a panic.
func FuzzParse(f *testing.F) {
	a := passkeytest.New(f, testOrigin)
	a.UserHandle = []byte("usr_ana")
	fuzzSeeds(f, a, true)
	fuzzSeeds(f, a, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseAssertion(data)
		if (p == nil) == (err == nil) || err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("parseAssertion: got %v, %v", p, err)
		}
		c, err := parseCreation(data)
		if (c == nil) == (err == nil) || err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("parseCreation: got %v, %v", c, err)
		}
		if err == nil && checkJSON(data) != nil {
			t.Fatal("parseCreation accepted what checkJSON refuses")
		}
	})
}
