package keyring

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestVerifyDatabase(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		store := NewSQLStore(db)
		now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
		right, _ := New(rand.Reader, key(1))

		if err := VerifyDatabase(ctx, right, store, now); err != nil {
			t.Fatalf("first start: %v", err)
		}
		if err := VerifyDatabase(ctx, right, store, now.Add(time.Hour)); err != nil {
			t.Fatalf("second start with the same key: %v", err)
		}
		checks, err := store.Checks(ctx)
		if err != nil || len(checks) != 1 {
			t.Fatalf("got %d checks, %v; want 1", len(checks), err)
		}
		if !checks[0].CreatedAt.Equal(now) {
			t.Errorf("got created_at %v, want %v", checks[0].CreatedAt, now)
		}

		wrong, _ := New(rand.Reader, key(2))
		err = VerifyDatabase(ctx, wrong, store, now)
		if !errors.Is(err, ErrWrongMasterKey) {
			t.Fatalf("wrong key: got %v, want ErrWrongMasterKey", err)
		}
		checks, _ = store.Checks(ctx)
		if len(checks) != 1 {
			t.Fatalf("a wrong key added a check: got %d checks", len(checks))
		}

		// A check row that was altered no longer proves anything.
		checks[0].Sealed[len(checks[0].Sealed)-1] ^= 1
		if _, err := db.ExecContext(ctx, db.Rebind("UPDATE keyring_checks SET sealed = ?"),
			checks[0].Sealed); err != nil {
			t.Fatal(err)
		}
		if err := VerifyDatabase(ctx, right, store, now); !errors.Is(err, ErrWrongMasterKey) {
			t.Fatalf("altered check: got %v, want ErrWrongMasterKey", err)
		}
	})
}
