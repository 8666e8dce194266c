// Package counters counts events in fixed windows, for lockout and
// credential-stuffing defence, in a place every cerrojo node sees: Redis
// when it is configured, otherwise the database. A counter held in one
// process's memory would let an attacker spread guesses over nodes.
//
// A window starts at a key's first event and lasts the given duration; the
// count then starts again from zero. Keys must not contain personal data in
// clear: callers pass MACs of emails and addresses.
package counters

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Counters counts events per key.
type Counters interface {
	// Incr records one event for key and returns the count in the current
	// window, which starts at the first event and lasts window.
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
	// Get returns the count in the current window (0 when none is open).
	Get(ctx context.Context, key string) (int64, error)
	// Reset ends key's window.
	Reset(ctx context.Context, key string) error
}

// Redis keeps counters in Redis, shared by every node.
type Redis struct {
	c      *redis.Client
	prefix string
}

// NewRedis returns counters stored under prefix in c.
func NewRedis(c *redis.Client, prefix string) *Redis { return &Redis{c: c, prefix: prefix} }

// incrScript increments and sets the expiry only when the key is new, in
// one round trip and atomically, so a crash between the two cannot leave a
// counter that never expires.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Incr implements Counters.
func (r *Redis) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	n, err := incrScript.Run(ctx, r.c, []string{r.prefix + key}, window.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis counter: %w", err)
	}
	return n, nil
}

// Get implements Counters.
func (r *Redis) Get(ctx context.Context, key string) (int64, error) {
	n, err := r.c.Get(ctx, r.prefix+key).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis counter: %w", err)
	}
	return n, nil
}

// Reset implements Counters.
func (r *Redis) Reset(ctx context.Context, key string) error {
	if err := r.c.Del(ctx, r.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis counter: %w", err)
	}
	return nil
}

// SQL keeps counters in the failure_counters table of either database.
type SQL struct {
	db    *storage.DB
	clock clock.Clock
}

// NewSQL returns counters stored in db.
func NewSQL(db *storage.DB, c clock.Clock) *SQL { return &SQL{db: db, clock: c} }

// Incr implements Counters with one upsert, atomic on both databases: of
// two concurrent increments neither is lost.
func (s *SQL) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	now := s.clock.Now().UTC()
	var n int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`
		INSERT INTO failure_counters (key, count, window_start, expires_at)
		VALUES (?, 1, ?, ?)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN failure_counters.expires_at <= ? THEN 1
			             ELSE failure_counters.count + 1 END,
			window_start = CASE WHEN failure_counters.expires_at <= ? THEN ?
			                    ELSE failure_counters.window_start END,
			expires_at = CASE WHEN failure_counters.expires_at <= ? THEN ?
			                  ELSE failure_counters.expires_at END
		RETURNING count`),
		key, now, now.Add(window), now, now, now, now, now.Add(window)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sql counter: %w", err)
	}
	return n, nil
}

// Get implements Counters.
func (s *SQL) Get(ctx context.Context, key string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(
		`SELECT count FROM failure_counters WHERE key = ? AND expires_at > ?`),
		key, s.clock.Now().UTC()).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sql counter: %w", err)
	}
	return n, nil
}

// Reset implements Counters.
func (s *SQL) Reset(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM failure_counters WHERE key = ?`),
		key); err != nil {
		return fmt.Errorf("sql counter: %w", err)
	}
	return nil
}

// Sweep deletes expired counters; run it now and then so the table stays
// small.
func (s *SQL) Sweep(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(
		`DELETE FROM failure_counters WHERE expires_at <= ?`), s.clock.Now().UTC()); err != nil {
		return fmt.Errorf("sweep counters: %w", err)
	}
	return nil
}

// Fallback uses Primary (Redis) and, when it fails, Secondary (the
// database), so that a Redis outage neither stops logins nor switches
// lockout off. Counts taken during an outage live in the database and are
// not merged back; an attacker gains at most one window's worth of tries.
type Fallback struct {
	Primary, Secondary Counters
	Logger             *slog.Logger
}

func (f Fallback) note(err error) {
	if f.Logger != nil {
		f.Logger.Warn("redis counters unavailable; using the database", "error", err.Error())
	}
}

// Incr implements Counters.
func (f Fallback) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	n, err := f.Primary.Incr(ctx, key, window)
	if err != nil {
		f.note(err)
		return f.Secondary.Incr(ctx, key, window)
	}
	return n, nil
}

// Get implements Counters: the larger of the two counts, so that counts
// made during an outage still count after it.
func (f Fallback) Get(ctx context.Context, key string) (int64, error) {
	a, errA := f.Primary.Get(ctx, key)
	if errA != nil {
		f.note(errA)
	}
	b, errB := f.Secondary.Get(ctx, key)
	if errA != nil && errB != nil {
		return 0, errB
	}
	return max(a, b), nil
}

// Reset implements Counters on both stores.
func (f Fallback) Reset(ctx context.Context, key string) error {
	errA := f.Primary.Reset(ctx, key)
	errB := f.Secondary.Reset(ctx, key)
	if errA != nil && errB != nil {
		return errB
	}
	return nil
}
