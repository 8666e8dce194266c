package passkeys

import (
	"errors"
	"testing"

	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestSignCounter(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		a.Counter = 1
		c := f.register(t, "usr_ana", a)
		if got := f.stored(t, "usr_ana", c.ID).SignCount; got != 1 {
			t.Fatalf("stored counter after registration: got %d, want 1", got)
		}

		f.mustLogin(t, "usr_ana", a, passkeytest.WithCounter(5))
		for _, tc := range []struct {
			name    string
			counter uint32
		}{
			{"refuses an equal counter", 5},
			{"refuses a lower counter", 3},
			{"refuses a counter gone back to 0", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				warnings := len(f.records(t, "mfa.passkey.clone_warning"))
				_, err := f.login(t, "", a, passkeytest.WithCounter(tc.counter))
				wantErr(t, err, ErrCloned)
				wantErr(t, err, ErrRejected)
				recs := f.records(t, "mfa.passkey.clone_warning")
				if len(recs) != warnings+1 || recs[0].Target.ID != c.ID ||
					recs[0].Actor.ID != "usr_ana" || recs[0].Details["stored_sign_count"] != "5" {
					t.Errorf("clone warnings: %+v", recs)
				}
				if got := f.stored(t, "usr_ana", c.ID).SignCount; got != 5 {
					t.Errorf("stored counter: got %d, want 5", got)
				}
			})
		}

		f.mustLogin(t, "usr_ana", a, passkeytest.WithCounter(6))
		if got := f.stored(t, "usr_ana", c.ID).SignCount; got != 6 {
			t.Errorf("stored counter: got %d, want 6", got)
		}
	})
}

func TestZeroCounterAccepted(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin) // counter stays 0, as synced passkeys do
		c := f.register(t, "usr_ana", a)
		for i := range 3 {
			if _, err := f.login(t, "usr_ana", a); err != nil {
				t.Fatalf("login %d with a zero counter: %v", i, err)
			}
		}
		if got := f.stored(t, "usr_ana", c.ID).SignCount; got != 0 {
			t.Errorf("stored counter: got %d, want 0", got)
		}
		if n := len(f.records(t, "mfa.passkey.clone_warning")); n != 0 {
			t.Errorf("got %d clone warnings, want 0", n)
		}
	})
}

func TestConcurrentLoginsCannotReuseACounter(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		a.Counter = 1
		c := f.register(t, "usr_ana", a)

		// Copies of one key answer several ceremonies with the same counter
		// at once. Whether a copy's records are read before or after the
		// winner's UPDATE, only one login may succeed.
		const copies = 6
		ids, resps := make([]string, copies), make([][]byte, copies)
		for i := range copies {
			id, opts, err := f.svc.BeginLogin(ctx, "usr_ana")
			if err != nil {
				t.Fatal(err)
			}
			ids[i], resps[i] = id, a.Get(t, opts, passkeytest.WithCounter(2))
		}
		errs := make(chan error, copies)
		for i := range copies {
			go func() {
				_, err := f.svc.FinishLogin(ctx, ids[i], resps[i], meta)
				errs <- err
			}()
		}
		ok := 0
		for range copies {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrCloned):
				t.Errorf("got %v, want nil or ErrCloned", err)
			}
		}
		if ok != 1 {
			t.Errorf("got %d successful logins with one counter value, want 1", ok)
		}
		if got := f.stored(t, "usr_ana", c.ID).SignCount; got != 2 {
			t.Errorf("stored counter: got %d, want 2", got)
		}
		if n := len(f.records(t, "mfa.passkey.clone_warning")); n != copies-1 {
			t.Errorf("got %d clone warnings, want %d", n, copies-1)
		}
	})
}

func TestRecordUseRechecksTheCounter(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		c := f.register(t, "usr_ana", a)
		f.mustLogin(t, "usr_ana", a, passkeytest.WithCounter(7))

		// What a login verified against records read before another
		// login stored counter 7: only the UPDATE can tell.
		rec := f.stored(t, "usr_ana", c.ID)
		rec.SignCount = 6
		at := attempt{actor: person("usr_ana"), rec: &rec}
		for _, count := range []uint32{6, 7, 0} {
			cred := rec.credential()
			cred.Authenticator.SignCount = count
			err := f.svc.recordUse(ctx, at, &cred, Result{AMR: []string{"hwk"}}, false,
				f.clock.Now(), meta)
			wantErr(t, err, ErrCloned)
			if rec.SignCount != 7 {
				t.Errorf("clone warning details: stored counter %d, want 7", rec.SignCount)
			}
		}

		if err := f.svc.Remove(ctx, "usr_ana", c.ID, meta); err != nil {
			t.Fatal(err)
		}
		cred := rec.credential()
		cred.Authenticator.SignCount = 8
		err := f.svc.recordUse(ctx, at, &cred, Result{}, false, f.clock.Now(), meta)
		wantErr(t, err, ErrRejected)
		if errors.Is(err, ErrCloned) {
			t.Errorf("a removed passkey is reported as cloned: %v", err)
		}
	})
}
