package password

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitUntil polls cond; the bound only turns a hang into a readable failure
// and says nothing about how fast anything should be.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// holdingHasher returns a Hasher limited to n derivations whose limiter
// hook reports each entry on entered and then blocks until release closes.
func holdingHasher(t *testing.T, n int) (h *Hasher, encoded string, entered chan struct{},
	release chan struct{}) {
	t.Helper()
	h = newTestHasher(t, Config{Params: cheapParams, MaxConcurrent: n})
	encoded, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	entered, release = make(chan struct{}, n+1), make(chan struct{})
	h.limit.hook = func() {
		entered <- struct{}{}
		<-release
	}
	return h, encoded, entered, release
}

func TestLimiterQueuesTheCallPastTheLimit(t *testing.T) {
	const n = 2
	h, encoded, entered, release := holdingHasher(t, n)

	results := make(chan error, n+1)
	for range n + 1 {
		go func() {
			ok, _, err := h.Verify(context.Background(), "password", encoded)
			if err == nil && !ok {
				err = errors.New("right password did not verify")
			}
			results <- err
		}()
	}

	for range n {
		<-entered
	}
	waitUntil(t, "one caller waits for a slot", func() bool { return h.limit.waiting.Load() == 1 })
	select {
	case <-entered:
		t.Fatalf("got %d derivations running at once, want at most %d", n+1, n)
	default:
	}

	close(release)
	<-entered
	for range n + 1 {
		if err := <-results; err != nil {
			t.Fatalf("Verify: got error %v, want nil", err)
		}
	}
}

func TestLimiterCancelledWaitReturns(t *testing.T) {
	h, encoded, entered, release := holdingHasher(t, 1)

	first := make(chan error, 1)
	go func() {
		_, _, err := h.Verify(context.Background(), "password", encoded)
		first <- err
	}()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 1)
	go func() {
		_, _, err := h.Verify(ctx, "password", encoded)
		queued <- err
	}()
	waitUntil(t, "the second caller queues", func() bool { return h.limit.waiting.Load() == 1 })
	cancel()

	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued Verify after cancel: got %v, want context.Canceled", err)
	}
	select {
	case <-entered:
		t.Fatal("the cancelled caller started a derivation, want none")
	default:
	}

	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first Verify: got error %v, want nil", err)
	}
}

func TestLimiterDoneContextNeverStarts(t *testing.T) {
	l := newLimiter(1, 1024)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := l.do(ctx, 0, func() error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("do with a done context: got %v, ran %v, want context.Canceled, false", err, ran)
	}
}

func TestLimiterWeight(t *testing.T) {
	l := newLimiter(4, 19456)
	cases := []struct {
		name   string
		memKiB uint64
		want   int64
	}{
		{"no memory takes one slot", 0, 1},
		{"under one unit takes one slot", 100, 1},
		{"exactly one unit takes one slot", 19456, 1},
		{"just over one unit takes two", 19457, 2},
		{"three units take three", 3 * 19456, 3},
		{"the 1 GiB cap takes every slot", maxMemoryKiB, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := l.weight(tc.memKiB); got != tc.want {
				t.Fatalf("weight(%d): got %d, want %d", tc.memKiB, got, tc.want)
			}
		})
	}
}
