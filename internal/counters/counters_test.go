package counters

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/redisconn"
	"github.com/cerrojo/cerrojo/internal/redisconn/redistest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func uniqueKey() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "test:" + hex.EncodeToString(b)
}

// conformance checks the behaviour every implementation promises. advance
// moves the implementation's notion of time forward.
func conformance(t *testing.T, c Counters, advance func(time.Duration)) {
	ctx := context.Background()

	t.Run("counts within a window", func(t *testing.T) {
		key := uniqueKey()
		for want := int64(1); want <= 3; want++ {
			n, err := c.Incr(ctx, key, time.Minute)
			if err != nil || n != want {
				t.Fatalf("got %d, %v; want %d", n, err, want)
			}
		}
		if n, _ := c.Get(ctx, key); n != 3 {
			t.Fatalf("get: got %d, want 3", n)
		}
	})
	t.Run("starts again after the window", func(t *testing.T) {
		key := uniqueKey()
		c.Incr(ctx, key, 100*time.Millisecond)
		c.Incr(ctx, key, 100*time.Millisecond)
		advance(150 * time.Millisecond)
		if n, _ := c.Get(ctx, key); n != 0 {
			t.Fatalf("get after window: got %d, want 0", n)
		}
		if n, _ := c.Incr(ctx, key, 100*time.Millisecond); n != 1 {
			t.Fatalf("incr after window: got %d, want 1", n)
		}
	})
	t.Run("reset ends the window", func(t *testing.T) {
		key := uniqueKey()
		c.Incr(ctx, key, time.Minute)
		if err := c.Reset(ctx, key); err != nil {
			t.Fatal(err)
		}
		if n, _ := c.Get(ctx, key); n != 0 {
			t.Fatalf("got %d after reset, want 0", n)
		}
	})
	t.Run("concurrent increments are all counted", func(t *testing.T) {
		key := uniqueKey()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, err := c.Incr(ctx, key, time.Minute); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n, _ := c.Get(ctx, key); n != 20 {
			t.Fatalf("got %d, want 20", n)
		}
	})
}

func TestSQL(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
		conformance(t, NewSQL(db, fake), fake.Advance)
	})
}

func TestRedis(t *testing.T) {
	c, err := redisconn.Open(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conformance(t, NewRedis(c, "cerrojo:test:"), func(d time.Duration) { time.Sleep(d) })
}

func TestFallbackUsesTheDatabaseWhenRedisIsDown(t *testing.T) {
	db := storagetest.SQLite(t)
	fake := clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	down, _ := redisconn.Open("redis://127.0.0.1:1/0") // nothing listens on port 1
	defer down.Close()

	f := Fallback{Primary: NewRedis(down, "x:"), Secondary: NewSQL(db, fake)}
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		if n, err := f.Incr(ctx, "k", time.Minute); err != nil || n != want {
			t.Fatalf("got %d, %v; want %d", n, err, want)
		}
	}
	if n, err := f.Get(ctx, "k"); err != nil || n != 3 {
		t.Fatalf("get: got %d, %v; want 3", n, err)
	}
}
