// Package redisconn opens the optional Redis connection that cerrojo nodes
// share for counters (rate limits, lockout) and for fanning out revocations.
//
// Redis holds no data that cerrojo cannot lose: counters reset and
// revocations are also in the database. Callers must keep working, with
// in-process fallbacks, while Redis is unreachable.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

func init() {
	// go-redis logs dial failures through its own global logger, straight
	// to stderr and outside cerrojo's JSON log. Callers report Redis
	// failures themselves (readiness, fallback warnings), so silence it.
	redis.SetLogger(quiet{})
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Open parses rawURL (redis://, rediss:// or unix://) and returns a client.
// It does not wait for the server: use Ping for that, so that a Redis outage
// at start-up degrades readiness instead of preventing the start.
func Open(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// go-redis may quote the URL, password included; say only that it is
		// malformed.
		return nil, errors.New("open redis: the Redis URL cannot be parsed")
	}
	// Fail fast: a counter that cannot be read in 500 ms is better replaced
	// by the in-process fallback than waited for on a login's hot path.
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	// One retry at most: every caller has a fallback, and go-redis's
	// default of three retries with backoff turns an outage into seconds
	// of delay on every request.
	opts.MaxRetries = 1
	opts.MinRetryBackoff = 10 * time.Millisecond
	opts.MaxRetryBackoff = 50 * time.Millisecond
	opts.DialerRetries = 1
	opts.DialerRetryTimeout = 10 * time.Millisecond
	return redis.NewClient(opts), nil
}

// Ping checks that the server answers.
func Ping(ctx context.Context, c *redis.Client) error {
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}
