package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limiter decides whether one more request for a key fits its limit.
type Limiter interface {
	// Allow counts one request for key against l when it fits, and says
	// whether it did. A denied request is not counted. An error means
	// nothing was decided.
	Allow(ctx context.Context, key string, l Limit) (Result, error)
}

// Result is a Limiter's decision.
type Result struct {
	// Allowed says whether the request fits.
	Allowed bool
	// Remaining is how many more requests would fit right now.
	Remaining int
	// RetryAfter is, for a denied request, how long until one would fit;
	// zero for an allowed one.
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back at its full burst, if
	// it makes no more requests.
	ResetAfter time.Duration
}

// redisPrefix starts every key this package writes. redis_rate puts its
// own "rate:" before it, so keys read "rate:cerrojo:rl:login:ip:192.0.2.1".
const redisPrefix = "cerrojo:rl:"

// Redis is a GCRA limiter kept in Redis (github.com/go-redis/redis_rate),
// shared by every node. The decision runs in one Lua script with Redis's
// own clock, so it is atomic across nodes and the nodes' clocks do not
// matter. A key expires when it is back at its full allowance.
type Redis struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// NewRedis returns a limiter that keeps its state in c.
func NewRedis(c *redis.Client) *Redis {
	return &Redis{limiter: redis_rate.NewLimiter(c), prefix: redisPrefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	if err := l.Validate(); err != nil {
		return Result{}, err
	}
	res, err := r.limiter.Allow(ctx, r.prefix+key,
		redis_rate.Limit{Rate: l.Rate, Burst: l.Burst, Period: l.Period})
	if err != nil {
		return Result{}, fmt.Errorf("redis rate limit: %w", err)
	}

	// redis_rate reports -1 for "not applicable"; Result uses zero.
	out := Result{
		Allowed:    res.Allowed > 0,
		Remaining:  res.Remaining,
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0)
	}
	return out, nil
}
