package passkeys

import (
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestRegistrationRefusals(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")

		for _, tc := range []struct {
			name   string
			mods   []mod
			reason string
		}{
			{"refuses another origin", []mod{withOrigin("https://evil.example")}, "origin"},
			{"refuses another RP ID hash",
				[]mod{withRPID("evil.example")}, "authenticator response"},
			{"refuses a get ceremony type", []mod{withType("webauthn.get")}, "ceremony type"},
			{"refuses another challenge",
				[]mod{withChallenge(b64.EncodeToString(make([]byte, 32)))}, "challenge"},
			{"refuses a cross-origin request", []mod{withCrossOrigin()}, "cross origin"},
			{"refuses without user presence",
				[]mod{withFlags(0, flagUP)}, "authenticator response"},
			{"refuses backup state without eligibility",
				[]mod{withFlags(flagBS, 0)}, "Backup State Flag"},
			{"refuses a none attestation with a statement",
				[]mod{withAttStmt("none", []pair{{"alg", -7}})}, "Invalid attestation format"},
			{"refuses an unknown attestation format",
				[]mod{withAttStmt("made-up", nil)}, "Invalid attestation format"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := f.tryRegister(t, "usr_ana", newAuthenticator(t), tc.mods...)
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
		a := newAuthenticator(t)
		f.register(t, "usr_ana", a)

		_, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		if !a.excludedBy(t, opts) {
			t.Errorf("second registration options do not exclude the first passkey: %s", opts)
		}
		_, opts, _ = f.svc.BeginRegistration(ctx, "usr_eve")
		if a.excludedBy(t, opts) {
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
			f.register(t, "usr_ana", newAuthenticator(t))
		}

		// The last one allowed; a ceremony begun before it finishes is then
		// refused at Finish, and a new one at Begin.
		id, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		f.register(t, "usr_ana", newAuthenticator(t))
		_, err = f.svc.FinishRegistration(ctx, "usr_ana", id, newAuthenticator(t).create(t, opts),
			"", meta)
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
		a := newAuthenticator(t)
		id, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		resp := a.create(t, opts)
		_, err = f.svc.FinishRegistration(ctx, "usr_ana", id, resp,
			strings.Repeat("n", MaxNameRunes+1), meta)
		wantErr(t, err, ErrInvalidName)
		c, err := f.svc.FinishRegistration(ctx, "usr_ana", id, resp, "", meta)
		if err != nil || c.Name != defaultName {
			t.Errorf("got %+v, %v; want a passkey named %q", c, err, defaultName)
		}
	})
}
