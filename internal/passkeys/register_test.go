package passkeys

import (
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestRegistrationRefusals(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		zeros := passkeytest.B64.EncodeToString(make([]byte, 32)) // a challenge never issued

		for _, tc := range []struct {
			name   string
			mod    passkeytest.Mod // nil for none
			reason string
		}{
			{"refuses another origin", passkeytest.WithOrigin("https://evil.example"), "origin"},
			{"refuses another RP ID hash",
				passkeytest.WithRPID("evil.example"), "authenticator response"},
			{"refuses a get ceremony type", passkeytest.WithType("webauthn.get"), "ceremony type"},
			{"refuses another challenge",
				passkeytest.WithChallenge(zeros), "challenge"},
			{"refuses a cross-origin request", passkeytest.WithCrossOrigin(), "cross origin"},
			{"refuses without user presence",
				passkeytest.WithFlags(0, passkeytest.FlagUP), "authenticator response"},
			{"refuses backup state without eligibility",
				passkeytest.WithFlags(passkeytest.FlagBS, 0), "Backup State Flag"},
			{"refuses a none attestation with a statement",
				passkeytest.WithAttStmt("none", []passkeytest.Pair{{K: "alg", V: -7}}),
				"Invalid attestation format"},
			{"refuses an unknown attestation format",
				passkeytest.WithAttStmt("made-up", nil), "Invalid attestation format"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := passkeytest.New(t, testOrigin)
				err := f.tryRegister(t, "usr_ana", a, modsOf(tc.mod)...)
				wantErr(t, err, ErrRejected)
				if n, _ := f.svc.Count(ctx, "usr_ana"); n != 0 {
					t.Errorf("got %d passkeys after a refused registration, want 0", n)
				}
				recs := f.records(t, "mfa.passkey.register")
				if len(recs) == 0 || recs[0].Outcome != "failure" {
					t.Errorf("got records %+v, want a failure first", recs)
				} else if got := recs[0].Details["reason"]; !strings.Contains(got, tc.reason) {
					t.Errorf("audited reason: got %q, want it to mention %q", got, tc.reason)
				}
			})
		}
	})
}

func TestExcludeCredentials(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		addUser(t, db, "usr_eve")
		a := passkeytest.New(t, testOrigin)
		f.register(t, "usr_ana", a)

		_, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		if !a.ExcludedBy(t, opts) {
			t.Errorf("second registration options do not exclude the first passkey: %s", opts)
		}
		_, opts, _ = f.svc.BeginRegistration(ctx, "usr_eve")
		if a.ExcludedBy(t, opts) {
			t.Errorf("another account's options exclude ana's passkey: %s", opts)
		}

		// A client that ignores the exclude list is refused, for the same
		// account and for another.
		err = f.tryRegister(t, "usr_ana", a)
		wantErr(t, err, ErrAlreadyRegistered)
		wantErr(t, err, ErrRejected)
		err = f.tryRegister(t, "usr_eve", a)
		wantErr(t, err, ErrAlreadyRegistered)
		if n, _ := f.svc.Count(ctx, "usr_eve"); n != 0 {
			t.Errorf("eve holds %d passkeys, want 0", n)
		}
	})
}

func TestPasskeyCap(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		for range MaxPasskeysPerUser - 1 {
			f.register(t, "usr_ana", passkeytest.New(t, testOrigin))
		}

		// The last one allowed; a ceremony begun before it finishes is then
		// refused at Finish, and a new one at Begin.
		id, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		f.register(t, "usr_ana", passkeytest.New(t, testOrigin))
		other := passkeytest.New(t, testOrigin)
		_, err = f.svc.FinishRegistration(ctx, "usr_ana", id, other.Create(t, opts), "", meta)
		wantErr(t, err, ErrTooMany)
		_, _, err = f.svc.BeginRegistration(ctx, "usr_ana")
		wantErr(t, err, ErrTooMany)
		if n, _ := f.svc.Count(ctx, "usr_ana"); n != MaxPasskeysPerUser {
			t.Errorf("count: got %d, want %d", n, MaxPasskeysPerUser)
		}
	})
}

func TestInvalidNameKeepsChallenge(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		id, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		resp := a.Create(t, opts)
		_, err = f.svc.FinishRegistration(ctx, "usr_ana", id, resp,
			strings.Repeat("n", MaxNameRunes+1), meta)
		wantErr(t, err, ErrInvalidName)
		c, err := f.svc.FinishRegistration(ctx, "usr_ana", id, resp, "", meta)
		if err != nil || c.Name != defaultName {
			t.Errorf("got %+v, %v; want a passkey named %q", c, err, defaultName)
		}
	})
}
