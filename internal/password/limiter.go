package password

import (
	"context"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// limiter bounds how many key derivations run at once, and so how much
// memory they hold. Every Argon2id verification at the default parameters
// allocates 19 MiB; a flood of logins without a bound would allocate 19 MiB
// per request in flight and could exhaust the process's memory long before
// the CPU is saturated. With the bound, the excess requests queue and each
// can be abandoned through its context (a client that went away, a request
// deadline), so overload shows up as latency rather than as a crash.
//
// The semaphore counts slots, one per CPU by default. A derivation takes
// one slot per unit of the configured Argon2id memory it needs (rounded up,
// at least one, at most all slots), so an imported hash that needs 256 MiB
// waits until enough slots are free and the total held stays near
// slots × Params.MemoryKiB, or one oversized derivation on its own.
type limiter struct {
	sem     *semaphore.Weighted
	slots   int64
	unitKiB uint64

	// waiting counts callers blocked in Acquire; tests read it to see that
	// the N+1st caller queues.
	waiting atomic.Int64

	// hook, when set, runs while the slots are held. Tests use it to hold
	// derivations open; it is never set outside tests.
	hook func()
}

func newLimiter(slots int, unitKiB uint32) *limiter {
	return &limiter{
		sem:     semaphore.NewWeighted(int64(slots)),
		slots:   int64(slots),
		unitKiB: max(uint64(unitKiB), 1),
	}
}

// weight is the number of slots a derivation needing memKiB takes.
func (l *limiter) weight(memKiB uint64) int64 {
	units := (memKiB + l.unitKiB - 1) / l.unitKiB
	switch {
	case units < 1:
		return 1
	case units > uint64(l.slots): // #nosec G115 -- Config.Validate keeps slots in 1..1024
		return l.slots
	default:
		return int64(units) // #nosec G115 -- units <= l.slots, an int64, in this branch
	}
}

// do runs fn holding enough slots for memKiB. It returns ctx's error if ctx
// ends before the slots are free; once fn has started it runs to the end,
// because the KDFs cannot be interrupted.
func (l *limiter) do(ctx context.Context, memKiB uint64, fn func() error) error {
	// semaphore.Acquire may succeed on a done context; check first so a
	// cancelled request never starts a derivation.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for a hashing slot: %w", err)
	}

	w := l.weight(memKiB)
	l.waiting.Add(1)
	err := l.sem.Acquire(ctx, w)
	l.waiting.Add(-1)
	if err != nil {
		return fmt.Errorf("wait for a hashing slot: %w", err)
	}
	defer l.sem.Release(w)

	if l.hook != nil {
		l.hook()
	}
	return fn()
}
