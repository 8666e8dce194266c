package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// conformance checks what every Limiter promises. advance lets the
// limiter's notion of time pass by at least d.
func conformance(t *testing.T, l Limiter, advance func(time.Duration)) {
	ctx := context.Background()
	// 4 a second, 3 at once: an emission interval of 250 ms, so a test on
	// a real server waits at most that long.
	lim := Limit{Rate: 4, Period: time.Second, Burst: 3}
	interval := lim.Period / time.Duration(lim.Rate)

	t.Run("allows the burst then refuses", func(t *testing.T) {
		key := "burst-" + randomHex(t)
		for want := lim.Burst - 1; want >= 0; want-- {
			res, err := l.Allow(ctx, key, lim)
			if err != nil || !res.Allowed || res.Remaining != want || res.RetryAfter != 0 {
				t.Fatalf("got %+v, %v; want allowed with %d remaining", res, err, want)
			}
		}
		res, err := l.Allow(ctx, key, lim)
		if err != nil || res.Allowed || res.Remaining != 0 {
			t.Fatalf("got %+v, %v; want refused", res, err)
		}
		if res.RetryAfter <= 0 || res.RetryAfter > interval {
			t.Fatalf("retry after %s, want within (0, %s]", res.RetryAfter, interval)
		}
		if res.ResetAfter < res.RetryAfter {
			t.Fatalf("reset after %s is before retry after %s", res.ResetAfter, res.RetryAfter)
		}
	})

	t.Run("a refused request costs nothing", func(t *testing.T) {
		key := "refill-" + randomHex(t)
		var last Result
		for range lim.Burst + 3 {
			last, _ = l.Allow(ctx, key, lim)
		}
		if last.Allowed {
			t.Fatal("still allowed past the burst")
		}
		advance(last.RetryAfter)
		if res, err := l.Allow(ctx, key, lim); err != nil || !res.Allowed {
			t.Fatalf("after waiting as told: got %+v, %v; want allowed", res, err)
		}
		if res, _ := l.Allow(ctx, key, lim); res.Allowed {
			t.Fatal("a second request fit in one emission interval")
		}
	})

	t.Run("keys are independent", func(t *testing.T) {
		a, b := "a-"+randomHex(t), "b-"+randomHex(t)
		for range lim.Burst + 1 {
			l.Allow(ctx, a, lim)
		}
		res, err := l.Allow(ctx, b, lim)
		if err != nil || !res.Allowed || res.Remaining != lim.Burst-1 {
			t.Fatalf("got %+v, %v; want a fresh key at its full burst", res, err)
		}
	})

	t.Run("concurrent requests never pass the burst", func(t *testing.T) {
		key := "race-" + randomHex(t)
		slow := Limit{Rate: 20, Period: time.Hour, Burst: 20} // no refill during the test
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				res, err := l.Allow(ctx, key, slow)
				if err != nil {
					t.Error(err)
				}
				if res.Allowed {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if got := allowed.Load(); got != 20 {
			t.Fatalf("got %d allowed, want 20", got)
		}
	})

	t.Run("rejects an invalid limit", func(t *testing.T) {
		if _, err := l.Allow(ctx, "invalid-"+randomHex(t), Limit{}); err == nil {
			t.Fatal("got no error")
		}
	})
}

func TestMemoryConformance(t *testing.T) {
	fake := newFake()
	conformance(t, NewMemory(fake), fake.Advance)
}

// TestMemoryGCRA holds the in-process GCRA to exact values. With 10 a
// minute and a burst of 5, the emission interval is 6 s and the tolerance
// 30 s.
func TestMemoryGCRA(t *testing.T) {
	fake := newFake()
	m := NewMemory(fake)
	lim := Limit{Rate: 10, Period: time.Minute, Burst: 5}
	s := time.Second

	steps := []struct {
		name      string
		advance   time.Duration
		allowed   bool
		remaining int
		retry     time.Duration
		reset     time.Duration
	}{
		{"first request of the burst", 0, true, 4, 0, 6 * s},
		{"second", 0, true, 3, 0, 12 * s},
		{"third", 0, true, 2, 0, 18 * s},
		{"fourth", 0, true, 1, 0, 24 * s},
		{"last of the burst", 0, true, 0, 0, 30 * s},
		{"refused past the burst", 0, false, 0, 6 * s, 30 * s},
		{"refused with the wait shrinking", 2 * s, false, 0, 4 * s, 28 * s},
		{"allowed once the wait is over", 4 * s, true, 0, 0, 30 * s},
		{"refused right after", 0, false, 0, 6 * s, 30 * s},
		{"steady rate: one per interval", 6 * s, true, 0, 0, 30 * s},
		{"a pause earns requests back", 12 * s, true, 1, 0, 24 * s},
		{"an idle key is back at its full burst", time.Minute, true, 4, 0, 6 * s},
	}
	for _, st := range steps {
		fake.Advance(st.advance)
		res, err := m.Allow(context.Background(), "k", lim)
		want := Result{Allowed: st.allowed, Remaining: st.remaining, RetryAfter: st.retry,
			ResetAfter: st.reset}
		if err != nil || res != want {
			t.Fatalf("%s: got %+v, %v; want %+v", st.name, res, err, want)
		}
	}
}

func TestMemoryFractionalInterval(t *testing.T) {
	m := NewMemory(newFake())
	lim := Limit{Rate: 7, Period: time.Minute, Burst: 1}
	interval := time.Minute / 7 // 8.571428571 s

	if res, _ := m.Allow(context.Background(), "k", lim); !res.Allowed ||
		res.ResetAfter != interval {
		t.Fatalf("got %+v, want allowed with reset after %s", res, interval)
	}
	res, _ := m.Allow(context.Background(), "k", lim)
	if res.Allowed || res.RetryAfter != interval {
		t.Fatalf("got %+v, want refused with retry after %s", res, interval)
	}
}

func TestMemoryForgetsIdleKeys(t *testing.T) {
	fake := newFake()
	m := NewMemory(fake)
	lim := Limit{Rate: 10, Period: time.Minute, Burst: 5}
	for i := range 100 {
		m.Allow(context.Background(), fmt.Sprint("k", i), lim)
	}
	if got := m.Len(); got != 100 {
		t.Fatalf("got %d keys, want 100", got)
	}

	// One request sets a key's TAT 6 s ahead; once that has passed the key
	// is at its full burst and is forgotten on the next call.
	fake.Advance(6 * time.Second)
	m.Allow(context.Background(), "new", lim)
	if got := m.Len(); got != 1 {
		t.Fatalf("got %d keys, want 1", got)
	}
}

func TestMemoryCapForgetsTheKeyNearestItsFullAllowance(t *testing.T) {
	m := NewMemory(newFake())
	m.maxKeys = 3
	lim := Limit{Rate: 10, Period: time.Minute, Burst: 5}
	ctx := context.Background()
	use := func(key string, n int) {
		for range n {
			m.Allow(ctx, key, lim)
		}
	}
	use("a", 3) // TAT 18 s ahead
	use("b", 1) // 6 s: nearest its full allowance
	use("c", 2) // 12 s

	use("d", 1)
	if got := m.Len(); got != 3 {
		t.Fatalf("got %d keys, want the cap of 3", got)
	}
	if _, ok := m.byKey["b"]; ok {
		t.Fatal("b is still tracked, want it forgotten first")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := m.byKey[k]; !ok {
			t.Fatalf("%s was forgotten, want it kept", k)
		}
	}
	// a keeps its state: two more of its burst of five fit, not five.
	use("a", 2)
	if res, _ := m.Allow(ctx, "a", lim); res.Allowed {
		t.Fatal("a was allowed a sixth request, want its count kept")
	}
}
