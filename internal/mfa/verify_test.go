package mfa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestVerifySkew(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{})
		for i, tc := range []struct {
			steps int
			ok    bool
		}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
			t.Run(fmt.Sprintf("%+d steps", tc.steps), func(t *testing.T) {
				user := fmt.Sprintf("usr_%d", i)
				addUser(t, db, user, "active")
				e := f.activeFactor(t, user)
				// One more step, so that one step behind is after the
				// activation's step.
				f.clock.Advance(TOTPPeriod)
				at := f.clock.Now().Add(time.Duration(tc.steps) * TOTPPeriod)
				id, err := f.svc.VerifyTOTP(context.Background(), user, codeAt(t, e.Secret, at),
					meta)
				if tc.ok && (err != nil || id != e.FactorID) {
					t.Errorf("got (%q, %v), want (%q, nil)", id, err, e.FactorID)
				}
				if !tc.ok && !errors.Is(err, ErrInvalidCode) {
					t.Errorf("got (%q, %v), want ErrInvalidCode", id, err)
				}
			})
		}
	})
}

func TestVerifyReplay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		e := f.activeFactor(t, "usr_a")
		now := f.clock.Now()

		// A code from one step ahead is accepted; after it, the current
		// step's code is a replay too, since it is not later.
		if _, err := f.svc.VerifyTOTP(ctx, "usr_a", codeAt(t, e.Secret, now.Add(TOTPPeriod)),
			meta); err != nil {
			t.Fatalf("verify: %v", err)
		}
		for _, at := range []time.Time{now.Add(TOTPPeriod), now, now.Add(-TOTPPeriod)} {
			_, err := f.svc.VerifyTOTP(ctx, "usr_a", codeAt(t, e.Secret, at), meta)
			if !errors.Is(err, ErrCodeReused) || !errors.Is(err, ErrInvalidCode) {
				t.Errorf("code of %s: got %v, want ErrCodeReused", at, err)
			}
		}
	})
}

func TestVerifyOnlyOwnFactors(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")
		a := f.activeFactor(t, "usr_a")
		f.activeFactor(t, "usr_b")
		_, err := f.svc.VerifyTOTP(ctx, "usr_b", codeAt(t, a.Secret, f.clock.Now()), meta)
		if !errors.Is(err, ErrInvalidCode) {
			t.Errorf("verify A's code as B: got %v, want ErrInvalidCode", err)
		}
	})
}

func TestVerifyManyFactors(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		var es []Enrollment
		for range 3 {
			es = append(es, f.activeFactor(t, "usr_a"))
		}
		for _, e := range es {
			id, err := f.svc.VerifyTOTP(ctx, "usr_a", codeAt(t, e.Secret, f.clock.Now()), meta)
			if err != nil || id != e.FactorID {
				t.Errorf("got (%q, %v), want (%q, nil)", id, err, e.FactorID)
			}
		}
	})
}

func TestConcurrentVerifyHasOneWinner(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, Config{MaxFailures: 20})
		addUser(t, db, "usr_a", "active")
		e := f.activeFactor(t, "usr_a")
		code := codeAt(t, e.Secret, f.clock.Now())

		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := f.svc.VerifyTOTP(context.Background(), "usr_a", code, meta)
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
	})
}

func TestRateLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{})
		addUser(t, db, "usr_a", "active")
		e := f.activeFactor(t, "usr_a")
		wrong := codeAt(t, e.Secret, f.clock.Now().Add(10*TOTPPeriod))

		for i := range defaultMaxFailures {
			if _, err := f.svc.VerifyTOTP(ctx, "usr_a", wrong, meta); !errors.Is(err,
				ErrInvalidCode) {
				t.Fatalf("wrong code %d: got %v, want ErrInvalidCode", i+1, err)
			}
		}
		right := codeAt(t, e.Secret, f.clock.Now())
		if _, err := f.svc.VerifyTOTP(ctx, "usr_a", right, meta); !errors.Is(err,
			ErrTooManyAttempts) {
			t.Fatalf("right code past the limit: got %v, want ErrTooManyAttempts", err)
		}

		// The window is fixed: it ends 15 minutes after the first failure.
		f.clock.Advance(defaultFailureWindow)
		right = codeAt(t, e.Secret, f.clock.Now())
		if _, err := f.svc.VerifyTOTP(ctx, "usr_a", right, meta); err != nil {
			t.Fatalf("right code after the window: got %v, want nil", err)
		}

		// A success clears the count: a full allowance again.
		for i := range defaultMaxFailures {
			if _, err := f.svc.VerifyTOTP(ctx, "usr_a", wrong, meta); !errors.Is(err,
				ErrInvalidCode) {
				t.Fatalf("wrong code %d after a success: got %v, want ErrInvalidCode", i+1, err)
			}
		}
		if _, err := f.svc.VerifyTOTP(ctx, "usr_a", "000000", meta); !errors.Is(err,
			ErrTooManyAttempts) {
			t.Errorf("got %v, want ErrTooManyAttempts", err)
		}

		// Other people are not affected.
		addUser(t, db, "usr_b", "active")
		b := f.activeFactor(t, "usr_b")
		if _, err := f.svc.VerifyTOTP(ctx, "usr_b", codeAt(t, b.Secret, f.clock.Now()),
			meta); err != nil {
			t.Errorf("another person: got %v, want nil", err)
		}
	})
}

func TestMalformedCodesCount(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, Config{MaxFailures: 2})
		addUser(t, db, "usr_a", "active")
		f.activeFactor(t, "usr_a")
		for _, in := range []string{"12345", strings.Repeat("1", 1000)} {
			if _, err := f.svc.VerifyTOTP(ctx, "usr_a", in, meta); !errors.Is(err,
				ErrInvalidCode) {
				t.Fatalf("got %v, want ErrInvalidCode", err)
			}
		}
		if _, err := f.svc.VerifyTOTP(ctx, "usr_a", "123456", meta); !errors.Is(err,
			ErrTooManyAttempts) {
			t.Errorf("got %v, want ErrTooManyAttempts", err)
		}
	})
}
