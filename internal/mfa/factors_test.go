package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestActivation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		e := f.enroll(t, "usr_a")

		if has, err := f.svc.HasActiveFactor(ctx, "usr_a"); err != nil || has {
			t.Fatalf("pending factor: got HasActiveFactor (%v, %v), want false", has, err)
		}
		code := codeAt(t, e.Secret, f.clock.Now())
		if _, err := f.svc.VerifyTOTP(ctx, "usr_a", code, meta); !errors.Is(err, ErrNoFactor) {
			t.Fatalf("verify with a pending factor: got %v, want ErrNoFactor", err)
		}

		wrong := codeAt(t, e.Secret, f.clock.Now().Add(5*TOTPPeriod))
		err := f.svc.ActivateTOTP(ctx, "usr_a", e.FactorID, wrong, meta)
		if !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("activate with a wrong code: got %v, want ErrInvalidCode", err)
		}
		if err := f.svc.ActivateTOTP(ctx, "usr_a", e.FactorID, code, meta); err != nil {
			t.Fatalf("activate: %v", err)
		}
		if has, err := f.svc.HasActiveFactor(ctx, "usr_a"); err != nil || !has {
			t.Fatalf("got HasActiveFactor (%v, %v), want true", has, err)
		}
		err = f.svc.ActivateTOTP(ctx, "usr_a", e.FactorID, code, meta)
		if !errors.Is(err, ErrNotPending) {
			t.Errorf("activate twice: got %v, want ErrNotPending", err)
		}

		// The code that activated is spent.
		if _, err := f.svc.VerifyTOTP(ctx, "usr_a", code, meta); !errors.Is(err, ErrCodeReused) {
			t.Errorf("verify the activation code: got %v, want ErrCodeReused", err)
		}
		f.clock.Advance(TOTPPeriod)
		id, err := f.svc.VerifyTOTP(ctx, "usr_a", codeAt(t, e.Secret, f.clock.Now()), meta)
		if err != nil || id != e.FactorID {
			t.Fatalf("verify the next code: got (%q, %v), want (%q, nil)", id, err, e.FactorID)
		}

		fs, err := f.svc.Factors(ctx, "usr_a")
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].ID != e.FactorID || fs[0].Kind != KindTOTP || !fs[0].Active() ||
			!fs[0].LastUsedAt.Equal(f.clock.Now()) || !fs[0].CreatedAt.Equal(start) {
			t.Errorf("got factors %+v, want the one active factor, used now", fs)
		}
	})
}

func TestActivationRefusals(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")
		e := f.enroll(t, "usr_a")
		code := codeAt(t, e.Secret, f.clock.Now())

		tests := []struct {
			name           string
			user, id, code string
			want           error
		}{
			{"refuses another person's factor", "usr_b", e.FactorID, code, ErrNoSuchFactor},
			{"refuses an unknown factor", "usr_a", "mfa_" + strings.Repeat("a", 26), code,
				ErrNoSuchFactor},
			{"refuses a malformed factor id", "usr_a", "nope", code, ErrNoSuchFactor},
			{"refuses a malformed code", "usr_a", e.FactorID, "12345", ErrInvalidCode},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := f.svc.ActivateTOTP(ctx, tc.user, tc.id, tc.code, meta)
				if !errors.Is(err, tc.want) {
					t.Errorf("got %v, want %v", err, tc.want)
				}
			})
		}

		f.clock.Advance(defaultEnrollmentTTL)
		code = codeAt(t, e.Secret, f.clock.Now())
		err := f.svc.ActivateTOTP(ctx, "usr_a", e.FactorID, code, meta)
		if !errors.Is(err, ErrEnrollmentExpired) {
			t.Errorf("activate after the TTL: got %v, want ErrEnrollmentExpired", err)
		}
		if fs, _ := f.svc.Factors(ctx, "usr_a"); len(fs) != 0 {
			t.Errorf("got factors %+v, want the expired enrolment hidden", fs)
		}
	})
}

func TestEnrollReplacesPending(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		first := f.enroll(t, "usr_a")
		second := f.enroll(t, "usr_a")

		err := f.svc.ActivateTOTP(ctx, "usr_a", first.FactorID,
			codeAt(t, first.Secret, f.clock.Now()), meta)
		if !errors.Is(err, ErrNoSuchFactor) {
			t.Errorf("activate the replaced enrolment: got %v, want ErrNoSuchFactor", err)
		}
		fs, err := f.svc.Factors(ctx, "usr_a")
		if err != nil || len(fs) != 1 || fs[0].ID != second.FactorID || fs[0].Active() {
			t.Errorf("got (%+v, %v), want only the second, pending", fs, err)
		}
		if _, err := f.svc.EnrollTOTP(ctx, "usr_nobody", EnrollInput{Account: "x"},
			meta); !errors.Is(err, ErrUnknownUser) {
			t.Errorf("enrol an unknown user: got %v, want ErrUnknownUser", err)
		}
	})
}

func TestConcurrentEnrollKeepsOnePending(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Go(func() {
				_, err := f.svc.EnrollTOTP(context.Background(), "usr_a",
					EnrollInput{Account: "a"}, meta)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("enrol: %v", err)
			}
		}
		var n int
		db.QueryRowContext(context.Background(), db.Rebind(
			`SELECT COUNT(*) FROM mfa_factors WHERE user_id = ?`), "usr_a").Scan(&n)
		if n != 1 {
			t.Errorf("got %d factors, want 1 pending", n)
		}
	})
}

func TestFactorCap(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{MaxTOTPFactors: 2})
		addUser(t, db, "usr_a", "active")
		f.activeFactor(t, "usr_a")
		pending := f.enroll(t, "usr_a")
		f.activeFactor(t, "usr_a")

		if _, err := f.svc.EnrollTOTP(ctx, "usr_a", EnrollInput{Account: "a"},
			meta); !errors.Is(err, ErrTooManyFactors) {
			t.Errorf("enrol past the cap: got %v, want ErrTooManyFactors", err)
		}
		// The second activeFactor's enrolment replaced pending.
		err := f.svc.ActivateTOTP(ctx, "usr_a", pending.FactorID,
			codeAt(t, pending.Secret, f.clock.Now()), meta)
		if !errors.Is(err, ErrNoSuchFactor) {
			t.Errorf("activate a replaced enrolment: got %v, want ErrNoSuchFactor", err)
		}
	})
}

func TestCapCheckedAtActivation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{MaxTOTPFactors: 1})
		addUser(t, db, "usr_a", "active")
		// Enrol while under the cap, then reach it with another factor
		// inserted behind the service's back, as a concurrent activation
		// on another node would.
		e := f.enroll(t, "usr_a")
		_, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO mfa_factors (id, user_id, kind,
			secret_sealed, created_at, activated_at) VALUES (?, ?, 'totp', ?, ?, ?)`),
			"mfa_"+strings.Repeat("b", 26), "usr_a", []byte("x"), start, start)
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.ActivateTOTP(ctx, "usr_a", e.FactorID, codeAt(t, e.Secret, f.clock.Now()),
			meta)
		if !errors.Is(err, ErrTooManyFactors) {
			t.Errorf("got %v, want ErrTooManyFactors", err)
		}
	})
}

func TestSeedIsSealed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		e := f.enroll(t, "usr_a")
		seed, err := seedEncoding.DecodeString(e.Secret)
		if err != nil || len(seed) != seedBytes {
			t.Fatalf("secret %q: got %d bytes (%v), want %d", e.Secret, len(seed), err, seedBytes)
		}

		var sealed []byte
		if err := db.QueryRowContext(ctx, db.Rebind(
			`SELECT secret_sealed FROM mfa_factors WHERE id = ?`), e.FactorID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, seed) || bytes.Contains(sealed, []byte(e.Secret)) {
			t.Fatal("the stored column holds the seed in clear")
		}
		got, err := f.ring.Open(sealed, seedAAD(e.FactorID, "usr_a"))
		if err != nil || !bytes.Equal(got, seed) {
			t.Fatalf("open with the right context: got (%x, %v), want the seed", got, err)
		}
		for _, aad := range [][]byte{seedAAD(e.FactorID, "usr_b"),
			seedAAD("mfa_"+strings.Repeat("a", 26), "usr_a"), nil} {
			if _, err := f.ring.Open(sealed, aad); !errors.Is(err, keyring.ErrDecrypt) {
				t.Errorf("open with context %q: got %v, want ErrDecrypt", aad, err)
			}
		}
	})
}

func TestEnrollmentOutput(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		e := f.enroll(t, "usr_a")

		if !e.ExpiresAt.Equal(start.Add(defaultEnrollmentTTL)) {
			t.Errorf("got expiry %s, want %s", e.ExpiresAt, start.Add(defaultEnrollmentTTL))
		}
		img, err := png.Decode(bytes.NewReader(e.QRPNG))
		if err != nil {
			t.Fatalf("decode QR PNG: %v", err)
		}
		b := img.Bounds()
		if b.Dx() != b.Dy() || b.Dx() < 200 || b.Dx() > 1000 {
			t.Errorf("got a %dx%d image, want a square of 200 to 1000 pixels", b.Dx(), b.Dy())
		}

		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("enrolled", "enrollment", e)
		for _, out := range []string{fmt.Sprint(e), fmt.Sprintf("%+v", e),
			fmt.Sprintf("%#v", e), logged.String()} {
			if strings.Contains(out, e.Secret) || !strings.Contains(out, e.FactorID) {
				t.Errorf("printed as %q, want the id and no secret", out)
			}
		}
	})
}

func TestEnrollInputs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		tests := []struct {
			name string
			in   EnrollInput
			ok   bool
		}{
			{"accepts an account and a name", EnrollInput{Account: "a@b.co", Name: "Phone"}, true},
			{"accepts a name at the bound", EnrollInput{Account: "a",
				Name: strings.Repeat("é", maxNameRunes)}, true},
			{"refuses a name past the bound", EnrollInput{Account: "a",
				Name: strings.Repeat("é", maxNameRunes+1)}, false},
			{"refuses a name with a newline", EnrollInput{Account: "a", Name: "a\nb"}, false},
			{"refuses an empty account", EnrollInput{}, false},
			{"refuses an account with a colon", EnrollInput{Account: "a:b"}, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.EnrollTOTP(context.Background(), "usr_a", tc.in, meta)
				if tc.ok && err != nil || !tc.ok && !errors.Is(err, ErrInvalidInput) {
					t.Errorf("got %v, want ok=%v", err, tc.ok)
				}
			})
		}
	})
}

func TestRenameAndRemove(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")
		e := f.activeFactor(t, "usr_a")

		if err := f.svc.RenameFactor(ctx, "usr_a", e.FactorID, "  Teléfono  ", meta); err != nil {
			t.Fatalf("rename: %v", err)
		}
		fs, _ := f.svc.Factors(ctx, "usr_a")
		if len(fs) != 1 || fs[0].Name != "Teléfono" {
			t.Errorf("got %+v, want the trimmed name", fs)
		}
		if err := f.svc.RenameFactor(ctx, "usr_a", e.FactorID, "a\x00b", meta); !errors.Is(err,
			ErrInvalidInput) {
			t.Errorf("rename with a control character: got %v, want ErrInvalidInput", err)
		}
		if err := f.svc.RenameFactor(ctx, "usr_b", e.FactorID, "mine", meta); !errors.Is(err,
			ErrNoSuchFactor) {
			t.Errorf("rename another person's factor: got %v, want ErrNoSuchFactor", err)
		}
		if err := f.svc.RemoveFactor(ctx, "usr_b", e.FactorID, meta); !errors.Is(err,
			ErrNoSuchFactor) {
			t.Errorf("remove another person's factor: got %v, want ErrNoSuchFactor", err)
		}

		if err := f.svc.RemoveFactor(ctx, "usr_a", e.FactorID, meta); err != nil {
			t.Fatalf("remove: %v", err)
		}
		if has, _ := f.svc.HasActiveFactor(ctx, "usr_a"); has {
			t.Error("got an active factor after removing the only one")
		}
		if err := f.svc.RemoveFactor(ctx, "usr_a", e.FactorID, meta); !errors.Is(err,
			ErrNoSuchFactor) {
			t.Errorf("remove twice: got %v, want ErrNoSuchFactor", err)
		}
		_, err := f.svc.VerifyTOTP(ctx, "usr_a", codeAt(t, e.Secret, f.clock.Now()), meta)
		if !errors.Is(err, ErrNoFactor) {
			t.Errorf("verify with the removed factor: got %v, want ErrNoFactor", err)
		}
	})
}

func TestAdoption(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{})
		for _, u := range []string{"usr_a", "usr_b", "usr_c"} {
			addUser(t, db, u, "active")
		}
		addUser(t, db, "usr_off", "disabled")
		f.activeFactor(t, "usr_a")
		f.activeFactor(t, "usr_a")
		f.enroll(t, "usr_b") // pending only
		f.activeFactor(t, "usr_off")

		with, active, err := f.svc.Adoption(context.Background())
		if err != nil || with != 1 || active != 3 {
			t.Errorf("got (%d, %d, %v), want (1, 3, nil)", with, active, err)
		}
	})
}

func TestFactorEventsAndNotices(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		e := f.activeFactor(t, "usr_a")
		code := codeAt(t, e.Secret, f.clock.Now())
		f.svc.VerifyTOTP(ctx, "usr_a", code, meta)
		f.svc.VerifyTOTP(ctx, "usr_a", code, meta)
		f.svc.VerifyTOTP(ctx, "usr_a", "12", meta)
		f.svc.RenameFactor(ctx, "usr_a", e.FactorID, "Phone", meta)
		f.svc.RemoveFactor(ctx, "usr_a", e.FactorID, meta)

		want := []struct{ action, outcome, reason string }{
			{"mfa.totp.enroll", "success", ""},
			{"mfa.totp.activate", "success", ""},
			{"mfa.totp.verify", "success", ""},
			{"mfa.totp.verify", "failure", "reused"},
			{"mfa.totp.verify", "failure", "malformed"},
			{"mfa.factor.rename", "success", ""},
			{"mfa.factor.remove", "success", ""},
		}
		got := f.events(t, "usr_a")
		if len(got) != len(want) {
			t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.Action != w.action || string(g.Outcome) != w.outcome ||
				g.Details["reason"] != w.reason || g.RequestID != meta.RequestID ||
				g.IP != meta.IP {
				t.Errorf("event %d: got %s %s %v, want %s %s reason=%q", i, g.Action,
					g.Outcome, g.Details, w.action, w.outcome, w.reason)
			}
			for k, v := range g.Details {
				if strings.Contains(v, code) || strings.Contains(v, e.Secret) {
					t.Errorf("event %d: detail %s holds a code or the secret", i, k)
				}
			}
		}

		f.svc.Wait()
		wantNotices := []string{"usr_a factor_removed", "usr_a totp_added"}
		if n := f.notices.list(); fmt.Sprint(n) != fmt.Sprint(wantNotices) {
			t.Errorf("got notices %q, want %q", n, wantNotices)
		}
	})
}

func TestMovedSeedDoesNotOpen(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")
		a := f.activeFactor(t, "usr_a")
		f.activeFactor(t, "usr_b")
		// Someone with write access to the database copies A's sealed seed
		// into B's factor, hoping A's codes will then pass as B.
		_, err := db.ExecContext(ctx, db.Rebind(`UPDATE mfa_factors SET secret_sealed =
			(SELECT secret_sealed FROM mfa_factors WHERE id = ?) WHERE user_id = ?`),
			a.FactorID, "usr_b")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.VerifyTOTP(ctx, "usr_b", codeAt(t, a.Secret, f.clock.Now()), meta)
		if err == nil || !errors.Is(err, keyring.ErrDecrypt) {
			t.Errorf("got %v, want an error wrapping keyring.ErrDecrypt", err)
		}
	})
}
