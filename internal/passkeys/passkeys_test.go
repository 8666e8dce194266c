package passkeys

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit/audittest"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestRegisterThenLogin(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)

		id, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		var creation struct {
			RP struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"rp"`
			User struct {
				ID, Name, DisplayName string
			} `json:"user"`
			Attestation string `json:"attestation"`
			Selection   struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			Timeout int `json:"timeout"`
		}
		if err := json.Unmarshal(opts, &creation); err != nil {
			t.Fatal(err)
		}
		if creation.RP.ID != testRPID || creation.RP.Name != "Ejemplo" ||
			creation.User.ID != passkeytest.B64.EncodeToString([]byte("usr_ana")) ||
			creation.User.Name != "usr_ana@ejemplo.co" || creation.User.DisplayName != "Ana Test" ||
			creation.Attestation != "none" || creation.Selection.ResidentKey != "preferred" ||
			creation.Selection.UserVerification != "preferred" ||
			creation.Timeout != int(ChallengeTTL.Milliseconds()) {
			t.Errorf("creation options: %s", opts)
		}

		c, err := f.svc.FinishRegistration(ctx, "usr_ana", id, a.Create(t, opts), " Mi llave ",
			meta)
		if err != nil {
			t.Fatal(err)
		}
		want := Credential{ID: c.ID, Name: "Mi llave", CreatedAt: t0, UserVerified: true,
			Transports: []string{"internal", "hybrid"}, AAGUID: hex.EncodeToString(a.AAGUID)}
		if !strings.HasPrefix(c.ID, "pk_") || !equalCredential(c, want) {
			t.Errorf("got %+v, want %+v", c, want)
		}

		for _, userID := range []string{"usr_ana", ""} {
			f.clock.Advance(time.Minute)
			res, err := f.login(t, userID, a)
			if err != nil {
				t.Fatalf("login (user %q): %v", userID, err)
			}
			want := Result{UserID: "usr_ana", CredentialID: c.ID, UserVerified: true,
				AMR: []string{"hwk", "user"}}
			if res.UserID != want.UserID || res.CredentialID != want.CredentialID ||
				!res.UserVerified || !slices.Equal(res.AMR, want.AMR) {
				t.Errorf("login (user %q): got %+v, want %+v", userID, res, want)
			}
		}

		list, err := f.svc.List(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || !list[0].LastUsedAt.Equal(f.clock.Now()) {
			t.Errorf("list: got %+v, want one passkey last used at %v", list, f.clock.Now())
		}
		if n := len(f.records(t, "mfa.passkey.register")); n != 1 {
			t.Errorf("got %d mfa.passkey.register records, want 1", n)
		}
		uses := f.records(t, "mfa.passkey.use")
		if len(uses) != 2 || uses[0].Outcome != "success" || uses[0].Actor.ID != "usr_ana" ||
			uses[0].Target.ID != c.ID || uses[0].Details["amr"] != "hwk user" ||
			uses[0].Details["discoverable"] != "true" {
			t.Errorf("mfa.passkey.use records: %+v", uses)
		}
	})
}

func equalCredential(a, b Credential) bool {
	return a.ID == b.ID && a.Name == b.Name && a.CreatedAt.Equal(b.CreatedAt) &&
		a.LastUsedAt.Equal(b.LastUsedAt) && a.BackupEligible == b.BackupEligible &&
		a.BackupState == b.BackupState && a.UserVerified == b.UserVerified &&
		slices.Equal(a.Transports, b.Transports) && a.AAGUID == b.AAGUID
}

func TestChallengeIsSingleUse(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		addUser(t, db, "usr_eve")
		a := passkeytest.New(t, testOrigin)

		id, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		resp := a.Create(t, opts)
		_, err = f.svc.FinishRegistration(ctx, "usr_eve", id, resp, "", meta)
		wantErr(t, err, ErrChallenge) // another account's challenge, left in place
		if _, err := f.svc.FinishRegistration(ctx, "usr_ana", id, resp, "", meta); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.FinishRegistration(ctx, "usr_ana", id, resp, "", meta)
		wantErr(t, err, ErrChallenge)

		for _, userID := range []string{"usr_ana", ""} {
			id, opts, err := f.svc.BeginLogin(ctx, userID)
			if err != nil {
				t.Fatal(err)
			}
			resp := a.Get(t, opts)
			if _, err := f.svc.FinishLogin(ctx, id, resp, meta); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.FinishLogin(ctx, id, resp, meta)
			wantErr(t, err, ErrChallenge)
		}

		// A login challenge does not finish a registration, nor the other
		// way round, and a refused attempt spends the challenge too.
		id, opts, err = f.svc.BeginLogin(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		other := passkeytest.New(t, testOrigin)
		_, err = f.svc.FinishRegistration(ctx, "usr_ana", id, other.Create(t, opts), "", meta)
		wantErr(t, err, ErrChallenge)
		evil := a.Get(t, opts, passkeytest.WithOrigin("https://evil.example"))
		_, err = f.svc.FinishLogin(ctx, id, evil, meta)
		wantErr(t, err, ErrRejected)
		_, err = f.svc.FinishLogin(ctx, id, a.Get(t, opts), meta)
		wantErr(t, err, ErrChallenge)

		regID, _, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.FinishLogin(ctx, regID, a.Get(t, opts), meta)
		wantErr(t, err, ErrChallenge)
		_, err = f.svc.FinishLogin(ctx, "pkc_unknown", a.Get(t, opts), meta)
		wantErr(t, err, ErrChallenge)
	})
}

func TestChallengeExpires(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)

		id, opts, err := f.svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(ChallengeTTL)
		_, err = f.svc.FinishRegistration(ctx, "usr_ana", id, a.Create(t, opts), "", meta)
		wantErr(t, err, ErrChallenge)

		f.register(t, "usr_ana", a)
		id, opts, err = f.svc.BeginLogin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(ChallengeTTL - time.Millisecond)
		lateID, lateOpts, err := f.svc.BeginLogin(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.FinishLogin(ctx, id, a.Get(t, opts), meta); err != nil {
			t.Fatalf("login just before expiry: %v", err)
		}

		f.clock.Advance(ChallengeTTL)
		_, err = f.svc.FinishLogin(ctx, lateID, a.Get(t, lateOpts), meta)
		wantErr(t, err, ErrChallenge)

		// Two expired challenges remain: the first registration's and the
		// late login's. A refused expired challenge is not deleted.
		n, err := f.svc.SweepChallenges(ctx, f.clock.Now())
		if err != nil || n != 2 {
			t.Errorf("sweep: got %d, %v; want 2 expired challenges removed", n, err)
		}
		n, err = f.svc.SweepChallenges(ctx, f.clock.Now())
		if err != nil || n != 0 {
			t.Errorf("second sweep: got %d, %v; want 0", n, err)
		}
	})
}

func TestGarbageResponses(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		f.register(t, "usr_ana", a)
		_, opts, _ := f.svc.BeginLogin(ctx, "usr_ana")
		valid := string(a.Get(t, opts))

		for _, tc := range []struct {
			name string
			body string
		}{
			{"empty", ""},
			{"not JSON", "hola"},
			{"a JSON string", `"public-key"`},
			{"an empty object", "{}"},
			{"trailing data", valid + "{}"},
			{"a duplicate member", strings.Replace(valid, `{"authenticatorAttachment"`,
				`{"type":"public-key","authenticatorAttachment"`, 1)},
			{"a duplicate member in another case", strings.Replace(valid,
				`{"authenticatorAttachment"`, `{"TYPE":"public-key","authenticatorAttachment"`, 1)},
			{"invalid UTF-8", strings.Replace(valid, "platform", "plat\xffform", 1)},
			{"too deep", strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)},
			{"too large", `{"id":"` + strings.Repeat("A", MaxResponseBytes) + `"}`},
			{"bad base64", strings.Replace(valid, `"signature":"`, `"signature":"*`, 1)},
			{"id and rawId differ", strings.Replace(valid, `"rawId":"`, `"rawId":"AA`, 1)},
			{"clientDataJSON not JSON", `{"id":"AA","rawId":"AA","type":"public-key",` +
				`"response":{"clientDataJSON":"AA","authenticatorData":"AA","signature":"AA"}}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, _, err := f.svc.BeginLogin(ctx, "usr_ana")
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.svc.FinishLogin(ctx, id, []byte(tc.body), meta)
				wantErr(t, err, ErrMalformed)
				if errors.Is(err, ErrRejected) {
					t.Errorf("malformed is also rejected: %v", err)
				}

				regID, _, err := f.svc.BeginRegistration(ctx, "usr_ana")
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.svc.FinishRegistration(ctx, "usr_ana", regID, []byte(tc.body), "", meta)
				wantErr(t, err, ErrMalformed)
			})
		}
	})
}

func TestUnknownAccounts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")

		_, _, err := f.svc.BeginRegistration(ctx, "usr_nadie")
		wantErr(t, err, ErrUnknownUser)
		_, _, err = f.svc.BeginLogin(ctx, "usr_nadie")
		wantErr(t, err, ErrUnknownUser)
		_, _, err = f.svc.BeginLogin(ctx, "usr_ana")
		wantErr(t, err, ErrNoPasskeys)
	})
}

func TestAuditFailures(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		addUser(t, db, "usr_ana")
		var logs strings.Builder
		broken := &audittest.Recorder{Err: errors.New("audit log down")}
		svc, err := New(Options{DB: db, Audit: broken, Clock: clock.NewFake(t0),
			Logger: slog.New(slog.NewJSONHandler(&logs, nil)), RPID: testRPID,
			RPDisplayName: "Ejemplo", Origins: []string{testOrigin}})
		if err != nil {
			t.Fatal(err)
		}
		a := passkeytest.New(t, testOrigin)

		// A change whose record cannot be written does not happen.
		id, opts, err := svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.FinishRegistration(ctx, "usr_ana", id, a.Create(t, opts), "", meta)
		if !errors.Is(err, broken.Err) {
			t.Errorf("got %v, want the audit log's error", err)
		}
		if n, _ := svc.Count(ctx, "usr_ana"); n != 0 {
			t.Errorf("got %d passkeys stored without an audit record, want 0", n)
		}

		// A refusal stands, and the missing record is logged.
		id, _, err = svc.BeginRegistration(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.FinishRegistration(ctx, "usr_ana", id, []byte("{"), "", meta)
		wantErr(t, err, ErrMalformed)
		if !strings.Contains(logs.String(), `"msg":"audit passkey failure"`) ||
			!strings.Contains(logs.String(), `"request_id":"r1"`) {
			t.Errorf("log: %s", logs.String())
		}
	})
}
