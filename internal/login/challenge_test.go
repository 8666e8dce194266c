package login

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func addUser(t *testing.T, db *storage.DB, id string) {
	storagetest.AddUser(t, db, id, "customer", "active")
}

func TestChallengeLifeCycle(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		fake := clock.NewFake(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
		c := &Challenges{DB: db, Clock: fake}
		addUser(t, db, "usr_a")
		token, ch, err := c.Create(ctx, "usr_a", PurposeVerify, []string{"pwd"}, fake.Now())
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Open(ctx, token, PurposeVerify)
		if err != nil || got.ID != ch.ID || got.UserID != "usr_a" || got.AMR[0] != "pwd" {
			t.Fatalf("open: %+v, %v", got, err)
		}
		for _, bad := range []string{"", "crj_mfa_nope", token + "x", "x" + token} {
			if _, err := c.Open(ctx, bad, PurposeVerify); !errors.Is(err, ErrChallengeInvalid) {
				t.Errorf("open %q: %v", bad, err)
			}
		}
		if _, err := c.Open(ctx, token, PurposeEnroll); !errors.Is(err, ErrChallengeInvalid) {
			t.Errorf("a verify challenge opened as enroll: %v", err)
		}
		// Wrong answers run out the challenge.
		for range MaxChallengeAttempts {
			if err := c.Fail(ctx, ch.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Open(ctx, token, PurposeVerify); !errors.Is(err, ErrChallengeSpent) {
			t.Fatalf("after %d wrong answers: %v", MaxChallengeAttempts, err)
		}

		// Expiry.
		token2, _, _ := c.Create(ctx, "usr_a", PurposeVerify, []string{"pwd"}, fake.Now())
		fake.Advance(ChallengeTTL)
		if _, err := c.Open(ctx, token2, PurposeVerify); !errors.Is(err, ErrChallengeInvalid) {
			t.Fatalf("expired challenge: %v", err)
		}

		// Spending: of many at once, one wins; afterwards it is gone.
		token3, ch3, _ := c.Create(ctx, "usr_a", PurposeEnroll, []string{"pwd"}, fake.Now())
		var wg sync.WaitGroup
		wins := make(chan struct{}, 8)
		for range 8 {
			wg.Go(func() {
				if c.Spend(ctx, ch3.ID) == nil {
					wins <- struct{}{}
				}
			})
		}
		wg.Wait()
		close(wins)
		if len(wins) != 1 {
			t.Fatalf("%d concurrent spends won, want 1", len(wins))
		}
		if _, err := c.Open(ctx, token3, PurposeEnroll); !errors.Is(err, ErrChallengeInvalid) {
			t.Fatalf("spent challenge: %v", err)
		}
		if err := c.Sweep(ctx, fake.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_challenges").Scan(&n)
		if n != 0 {
			t.Fatalf("%d challenges after the sweep", n)
		}
	})
}
