package passkeys

import (
	"slices"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestLoginOptions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		f.register(t, "usr_ana", a)

		_, opts, err := f.svc.BeginLogin(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		o := passkeytest.ReadOptions(t, opts)
		if o.RPID != testRPID || len(o.Allow) != 1 ||
			o.Allow[0].ID != passkeytest.B64.EncodeToString(a.CredID) ||
			o.UserVerification != "preferred" {
			t.Errorf("second-factor options: %s", opts)
		}

		_, opts, err = f.svc.BeginLogin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		o = passkeytest.ReadOptions(t, opts)
		if o.RPID != testRPID || len(o.Allow) != 0 || o.UserVerification != "required" {
			t.Errorf("discoverable options: %s", opts)
		}
	})
}

func TestLoginRefusals(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		addUser(t, db, "usr_eve")
		ana := passkeytest.New(t, testOrigin)
		ana.Counting = true
		c := f.register(t, "usr_ana", ana)
		eve := passkeytest.New(t, testOrigin)
		f.register(t, "usr_eve", eve)
		stranger := passkeytest.New(t, testOrigin)
		stranger.UserHandle = []byte("usr_ana")
		zeros := passkeytest.B64.EncodeToString(make([]byte, 32)) // a challenge never issued

		for _, tc := range []struct {
			name   string
			userID string
			a      *passkeytest.Authenticator
			mod    passkeytest.Mod // nil for none
			reason string          // in the audited reason
		}{
			{"refuses another origin", "usr_ana", ana,
				passkeytest.WithOrigin("https://evil.example"), "origin"},
			{"refuses a sibling subdomain origin", "usr_ana", ana,
				passkeytest.WithOrigin("https://tienda.ejemplo.co"), "origin"},
			{"refuses another RP ID hash", "usr_ana", ana,
				passkeytest.WithRPID("evil.example"), "authenticator response"},
			{"refuses the parent domain's RP ID hash", "usr_ana", ana,
				passkeytest.WithRPID("ejemplo.co"), "authenticator response"},
			{"refuses a create ceremony type", "usr_ana", ana,
				passkeytest.WithType("webauthn.create"), "ceremony type"},
			{"refuses another challenge", "usr_ana", ana,
				passkeytest.WithChallenge(zeros), "challenge"},
			{"refuses a cross-origin request", "usr_ana", ana,
				passkeytest.WithCrossOrigin(), "cross origin"},
			{"refuses a signature by another key", "usr_ana", ana,
				passkeytest.WithSigner(eve.Key), "signature"},
			{"refuses without user presence", "usr_ana", ana,
				passkeytest.WithFlags(0, passkeytest.FlagUP), "authenticator response"},
			{"refuses a backup-eligibility change", "usr_ana", ana,
				passkeytest.WithFlags(passkeytest.FlagBE, 0),
				"Backup Eligible flag inconsistency"},
			{"refuses backup state without eligibility", "usr_ana", ana,
				passkeytest.WithFlags(passkeytest.FlagBS, 0), "Backup State Flag"},
			{"refuses a user handle of another account", "usr_ana", ana,
				passkeytest.WithUserHandle([]byte("usr_eve")),
				"User handle and User ID do not match"},
			{"refuses another account's passkey as second factor", "usr_ana", eve,
				nil, "not owned by the user"},
			{"refuses another account's passkey under this user handle", "", eve,
				passkeytest.WithUserHandle([]byte("usr_ana")), "Unable to find the credential"},
			{"refuses this passkey under another user handle", "", ana,
				passkeytest.WithUserHandle([]byte("usr_eve")), "Unable to find the credential"},
			{"refuses an unknown user handle", "", ana,
				passkeytest.WithUserHandle([]byte("usr_nadie")), "Failed to lookup"},
			{"refuses a discoverable login without a user handle", "", ana,
				passkeytest.WithUserHandle(nil), "blank User Handle"},
			{"refuses an unregistered credential", "", stranger,
				nil, "Unable to find the credential"},
			{"refuses a discoverable login without user verification", "", ana,
				passkeytest.WithFlags(0, passkeytest.FlagUV), "authenticator response"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := f.stored(t, "usr_ana", c.ID)
				failures := len(f.records(t, "mfa.passkey.use"))

				_, err := f.login(t, tc.userID, tc.a, modsOf(tc.mod)...)
				wantErr(t, err, ErrRejected)

				after := f.stored(t, "usr_ana", c.ID)
				if after.SignCount != before.SignCount || after.BackupState != before.BackupState ||
					!after.LastUsedAt.Equal(before.LastUsedAt) {
					t.Errorf("a refused login changed the passkey: %+v -> %+v", before, after)
				}
				recs := f.records(t, "mfa.passkey.use")
				if len(recs) != failures+1 || recs[0].Outcome != "failure" ||
					recs[0].Details["reason"] == "" {
					t.Errorf("got records %+v, want one more failure with a reason", recs)
				} else if got := recs[0].Details["reason"]; !strings.Contains(got, tc.reason) {
					t.Errorf("audited reason: got %q, want it to mention %q", got, tc.reason)
				}
			})
		}

		// After all that, the genuine authenticator still signs in.
		if _, err := f.login(t, "usr_ana", ana); err != nil {
			t.Errorf("genuine login after refusals: %v", err)
		}
	})
}

func TestAuthenticatorDataShapes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		f.register(t, "usr_ana", a)

		// The extension-data flag without extension data: the
		// authenticator data does not decode.
		_, err := f.login(t, "usr_ana", a, passkeytest.WithFlags(passkeytest.FlagED, 0))
		wantErr(t, err, ErrMalformed)
		// Attested credential data announced in an assertion without any.
		_, err = f.login(t, "usr_ana", a, passkeytest.WithFlags(passkeytest.FlagAT, 0))
		wantErr(t, err, ErrMalformed)
	})
}

func TestBackupFlags(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		synced := passkeytest.New(t, testOrigin)
		synced.Flags = passkeytest.FlagUV | passkeytest.FlagBE
		c := f.register(t, "usr_ana", synced)
		if !c.BackupEligible || c.BackupState {
			t.Fatalf("got %+v, want backup eligible, not backed up", c)
		}

		res := f.mustLogin(t, "usr_ana", synced, passkeytest.WithFlags(passkeytest.FlagBS, 0))
		if !slices.Equal(res.AMR, []string{"swk", "user"}) {
			t.Errorf("AMR of a synced passkey: got %v, want [swk user]", res.AMR)
		}
		if got := f.stored(t, "usr_ana", c.ID); !got.BackupState || !got.BackupEligible {
			t.Errorf("backup state change not stored: %+v", got)
		}
		f.mustLogin(t, "usr_ana", synced) // BS back to false is allowed too
		if got := f.stored(t, "usr_ana", c.ID); got.BackupState {
			t.Errorf("backup state change not stored: %+v", got)
		}

		_, err := f.login(t, "usr_ana", synced, passkeytest.WithFlags(0, passkeytest.FlagBE))
		wantErr(t, err, ErrRejected)
		if got := f.stored(t, "usr_ana", c.ID); !got.BackupEligible {
			t.Errorf("backup eligibility changed in storage: %+v", got)
		}
	})
}

func TestUserVerificationAndAMR(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		c := f.register(t, "usr_ana", a)

		res := f.mustLogin(t, "usr_ana", a, passkeytest.WithFlags(0, passkeytest.FlagUV))
		if res.UserVerified || !slices.Equal(res.AMR, []string{"hwk"}) {
			t.Errorf("login without UV: got %+v, want AMR [hwk], not user verified", res)
		}
		if got := f.stored(t, "usr_ana", c.ID); !got.UserVerified {
			t.Errorf("a login without UV cleared the stored uvInitialized: %+v", got)
		}
		recs := f.records(t, "mfa.passkey.use")
		if recs[0].Details["amr"] != "hwk" {
			t.Errorf("audited amr: got %q, want hwk", recs[0].Details["amr"])
		}

		// A credential registered without UV keeps user_verified false.
		b := passkeytest.New(t, testOrigin)
		b.Flags = 0
		c2 := f.register(t, "usr_ana", b)
		if c2.UserVerified {
			t.Errorf("registration without UV: got %+v", c2)
		}
		res = f.mustLogin(t, "usr_ana", b)
		if res.UserVerified || !slices.Equal(res.AMR, []string{"hwk"}) {
			t.Errorf("security key without UV: got %+v", res)
		}
	})
}

func TestAMR(t *testing.T) {
	for _, tc := range []struct {
		be, uv bool
		want   []string
	}{
		{false, false, []string{"hwk"}},
		{false, true, []string{"hwk", "user"}},
		{true, false, []string{"swk"}},
		{true, true, []string{"swk", "user"}},
	} {
		if got := AMR(tc.be, tc.uv); !slices.Equal(got, tc.want) {
			t.Errorf("AMR(be=%v, uv=%v): got %v, want %v", tc.be, tc.uv, got, tc.want)
		}
	}
}
