package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// displayedCode is the documented display form of a recovery code.
var displayedCode = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$`)

func (f *fixture) generate(t *testing.T, user string) []string {
	t.Helper()
	codes, err := f.svc.GenerateRecoveryCodes(context.Background(), user, meta)
	if err != nil {
		t.Fatalf("generate recovery codes: %v", err)
	}
	return codes
}

func TestRecoveryCodesFormat(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		codes := f.generate(t, "usr_a")
		if len(codes) != RecoveryCodeCount {
			t.Fatalf("got %d codes, want %d", len(codes), RecoveryCodeCount)
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if !displayedCode.MatchString(c) {
				t.Errorf("code %q is not in the documented form", c)
			}
			if seen[c] {
				t.Errorf("code %q appears twice", c)
			}
			seen[c] = true
		}

		rows, err := db.QueryContext(context.Background(), db.Rebind(
			`SELECT salt, hash_sealed FROM mfa_recovery_codes WHERE user_id = ?`), "usr_a")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var salt, sealed []byte
			rows.Scan(&salt, &sealed)
			for _, c := range codes {
				canonical := strings.ReplaceAll(c, "-", "")
				if bytes.Contains(sealed, []byte(canonical)) ||
					bytes.Contains(sealed, recoveryDigest(salt, canonical)) {
					t.Error("a stored row holds a code or its hash in clear")
				}
			}
		}
	})
}

func TestRecoveryCodesWorkOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		codes := f.generate(t, "usr_a")

		for i, c := range codes {
			in := c
			switch i % 3 {
			case 1:
				in = strings.ToLower(strings.ReplaceAll(c, "-", ""))
			case 2:
				in = " " + c[:3] + " " + strings.ToLower(c[3:]) + " "
			}
			left, err := f.svc.UseRecoveryCode(ctx, "usr_a", in, meta)
			if err != nil || left != RecoveryCodeCount-1-i {
				t.Fatalf("use code %d as %q: got (%d, %v), want (%d, nil)", i, in, left, err,
					RecoveryCodeCount-1-i)
			}
			if n, _ := f.svc.RecoveryCodesLeft(ctx, "usr_a"); n != left {
				t.Errorf("got %d left, want %d", n, left)
			}
			if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", c, meta); !errors.Is(err,
				ErrCodeReused) {
				t.Fatalf("use code %d again: got %v, want ErrCodeReused", i, err)
			}
		}
	})
}

func TestRecoveryCodeAliases(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{MaxFailures: 20})
		addUser(t, db, "usr_a", "active")
		// Regenerate until a code holds a 0 or a 1, to type it as O or L.
		for range 20 {
			for _, c := range f.generate(t, "usr_a") {
				if !strings.ContainsAny(c, "01") {
					continue
				}
				typed := strings.NewReplacer("0", "o", "1", "L").Replace(c)
				if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", typed, meta); err != nil {
					t.Fatalf("use %q typed as %q: %v", c, typed, err)
				}
				return
			}
		}
		t.Skip("no code with a 0 or 1 in 200; astronomically unlikely")
	})
}

func TestRegenerateReplacesSet(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{MaxFailures: 20})
		addUser(t, db, "usr_a", "active")
		old := f.generate(t, "usr_a")
		if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", old[0], meta); err != nil {
			t.Fatal(err)
		}
		fresh := f.generate(t, "usr_a")

		if n, _ := f.svc.RecoveryCodesLeft(ctx, "usr_a"); n != RecoveryCodeCount {
			t.Errorf("got %d left, want %d", n, RecoveryCodeCount)
		}
		for _, c := range old[1:] {
			if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", c, meta); !errors.Is(err,
				ErrInvalidCode) {
				t.Errorf("old code: got %v, want ErrInvalidCode", err)
			}
		}
		if left, err := f.svc.UseRecoveryCode(ctx, "usr_a", fresh[9], meta); err != nil ||
			left != RecoveryCodeCount-1 {
			t.Errorf("new code: got (%d, %v), want (%d, nil)", left, err, RecoveryCodeCount-1)
		}
	})
}

func TestRecoveryCodesArePerPerson(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")
		a := f.generate(t, "usr_a")
		f.generate(t, "usr_b")
		if _, err := f.svc.UseRecoveryCode(ctx, "usr_b", a[0], meta); !errors.Is(err,
			ErrInvalidCode) {
			t.Errorf("A's code as B: got %v, want ErrInvalidCode", err)
		}
		if _, err := f.svc.UseRecoveryCode(ctx, "usr_c", a[0], meta); !errors.Is(err,
			ErrInvalidCode) {
			t.Errorf("A's code as a person with none: got %v, want ErrInvalidCode", err)
		}
		if _, err := f.svc.GenerateRecoveryCodes(ctx, "usr_nobody", meta); !errors.Is(err,
			ErrUnknownUser) {
			t.Errorf("generate for an unknown user: got %v, want ErrUnknownUser", err)
		}
	})
}

func TestConcurrentRecoveryUseHasOneWinner(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{MaxFailures: 20})
		addUser(t, db, "usr_a", "active")
		code := f.generate(t, "usr_a")[3]

		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := f.svc.UseRecoveryCode(context.Background(), "usr_a", code, meta)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		wins := 0
		for err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrCodeReused):
				t.Errorf("got %v, want nil or ErrCodeReused", err)
			}
		}
		if wins != 1 {
			t.Errorf("got %d successes, want exactly 1", wins)
		}
		if left, _ := f.svc.RecoveryCodesLeft(context.Background(), "usr_a"); left != 9 {
			t.Errorf("got %d left, want 9", left)
		}
	})
}

// TestUseDuringRegenerate checks that a code of a set being replaced does
// not spend the new code stored at its index.
func TestUseDuringRegenerate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		f.generate(t, "usr_a")
		rows, err := f.svc.store().codes(ctx, "usr_a")
		if err != nil {
			t.Fatal(err)
		}
		f.generate(t, "usr_a")
		// rows[0] is what a UseRecoveryCode that loaded before the
		// regeneration would try to spend.
		done, err := f.svc.store().spendCode(ctx, "usr_a", rows[0].idx, rows[0].salt, start)
		if err != nil || done {
			t.Errorf("spend a replaced code: got (%v, %v), want (false, nil)", done, err)
		}
		if n, _ := f.svc.RecoveryCodesLeft(ctx, "usr_a"); n != RecoveryCodeCount {
			t.Errorf("got %d left, want %d", n, RecoveryCodeCount)
		}
	})
}

func TestRecoveryFailuresShareTheLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		e := f.activeFactor(t, "usr_a")
		codes := f.generate(t, "usr_a")

		for i := range defaultMaxFailures {
			wrong := fmt.Sprintf("ZZZZZ-ZZZ%02d", i)
			if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", wrong, meta); !errors.Is(err,
				ErrInvalidCode) {
				t.Fatalf("wrong code %d: got %v, want ErrInvalidCode", i+1, err)
			}
		}
		if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", codes[0], meta); !errors.Is(err,
			ErrTooManyAttempts) {
			t.Errorf("right recovery code past the limit: got %v, want ErrTooManyAttempts", err)
		}
		_, err := f.svc.VerifyTOTP(ctx, "usr_a", codeAt(t, e.Secret, f.clock.Now()), meta)
		if !errors.Is(err, ErrTooManyAttempts) {
			t.Errorf("right TOTP code past the limit: got %v, want ErrTooManyAttempts", err)
		}
		f.clock.Advance(defaultFailureWindow)
		if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", codes[0], meta); err != nil {
			t.Errorf("after the window: got %v, want nil", err)
		}
	})
}

func TestDeleteRecoveryCodes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		codes := f.generate(t, "usr_a")
		if err := f.svc.DeleteRecoveryCodes(ctx, "usr_a", meta); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteRecoveryCodes(ctx, "usr_a", meta); err != nil {
			t.Errorf("delete when there are none: got %v, want nil", err)
		}
		if n, _ := f.svc.RecoveryCodesLeft(ctx, "usr_a"); n != 0 {
			t.Errorf("got %d left, want 0", n)
		}
		if _, err := f.svc.UseRecoveryCode(ctx, "usr_a", codes[0], meta); !errors.Is(err,
			ErrInvalidCode) {
			t.Errorf("deleted code: got %v, want ErrInvalidCode", err)
		}
	})
}

func TestRecoveryEventsAndNotices(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		codes := f.generate(t, "usr_a")
		f.svc.UseRecoveryCode(ctx, "usr_a", codes[0], meta)
		f.svc.UseRecoveryCode(ctx, "usr_a", codes[0], meta)
		f.svc.UseRecoveryCode(ctx, "usr_a", "ZZZZZ-ZZZZZ", meta)
		f.svc.DeleteRecoveryCodes(ctx, "usr_a", meta)

		want := []struct{ action, outcome, detail string }{
			{"mfa.recovery.generate", "success", "map[count:10 replaced:0]"},
			{"mfa.recovery.use", "success", "map[remaining:9]"},
			{"mfa.recovery.use", "failure", "map[reason:reused]"},
			{"mfa.recovery.use", "failure", "map[reason:wrong_code]"},
			{"mfa.recovery.delete", "success", "map[count:10]"},
		}
		got := f.events(t, "usr_a")
		if len(got) != len(want) {
			t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.Action != w.action || string(g.Outcome) != w.outcome ||
				fmt.Sprint(g.Details) != w.detail || g.Target.ID != "usr_a" {
				t.Errorf("event %d: got %s %s %v, want %s %s %s", i, g.Action, g.Outcome,
					g.Details, w.action, w.outcome, w.detail)
			}
		}

		f.svc.Wait()
		wantNotices := []string{"usr_a recovery_code_used 9", "usr_a recovery_codes_deleted",
			"usr_a recovery_codes_generated"}
		if n := f.notices.list(); fmt.Sprint(n) != fmt.Sprint(wantNotices) {
			t.Errorf("got notices %q, want %q", n, wantNotices)
		}
	})
}
