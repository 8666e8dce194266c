package tokens

import (
	"context"
	"time"
)

// Store keeps the signing keys. The database is the one source of truth
// for which key is current: nodes never decide it alone.
type Store interface {
	// Generation returns the key set's generation, a number that changes
	// with every change to the set. Nodes poll it to learn of rotations.
	Generation(ctx context.Context) (int64, error)
	// Load returns the generation and every stored key, oldest first.
	Load(ctx context.Context) (int64, []Record, error)
	// Update runs plan on the stored keys under an exclusive lock that
	// every node's Update takes, applies the changes it returns and moves
	// the generation on, all in one transaction; it returns the new
	// generation. plan may run more than once and must not have effects.
	// Empty changes commit nothing. A plan error is returned as it is.
	Update(ctx context.Context, plan func(keys []Key) (Changes, error)) (int64, error)
}

// Changes are what a plan does to the key set, applied in this order:
// deletions, state changes (in slice order: demotions before promotions,
// as the one-current and one-next constraints require), insertions.
type Changes struct {
	Delete []string
	Update []Key
	Insert []Record
}

func (c Changes) empty() bool {
	return len(c.Delete) == 0 && len(c.Update) == 0 && len(c.Insert) == 0
}

// micros and fromMicros store times as microseconds since the epoch, which
// both databases compare and index alike.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
