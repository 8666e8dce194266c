package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
)

// DefaultBackoff is how long Fallback waits after a failure of its primary
// before trying it again. Short enough that limits are shared again within
// seconds of Redis coming back; long enough that an outage costs one
// failed round trip every few seconds, not one per request.
const DefaultBackoff = 5 * time.Second

// Fallback decides with Primary (Redis) and, while Primary fails, with
// Secondary (Memory), so that a Redis outage neither stops requests nor
// switches rate limits off.
//
// During an outage each node keeps its own counts, so a client spread over
// n nodes gets up to n times its limit, and counts made then are not
// carried back to Redis. That is accepted: the alternatives are refusing
// everything or limiting nothing.
//
// The outage is logged once when it starts and once when it ends, and the
// degraded gauge is 1 in between. While it lasts, one request at a time
// tries Primary again every Backoff; the others go straight to Secondary
// and do not wait for a dead server. go-redis, for its part, stops dialling
// after a pool's worth of failed dials in a row and tries once a second on
// its own, so once Redis is back the limiter returns to it within Backoff
// plus about a second.
//
// A Fallback holds the outage's state: use it by pointer, and do not copy
// it after first use.
type Fallback struct {
	Primary, Secondary Limiter
	// Logger receives the two lines per outage; nil logs nothing.
	Logger *slog.Logger
	// Metrics receives the degraded gauge; nil records nothing.
	Metrics *Metrics
	// Clock times the back-off; nil is the system clock.
	Clock clock.Clock
	// Backoff is the wait between tries of a failed Primary; zero is
	// DefaultBackoff.
	Backoff time.Duration

	mu      sync.Mutex
	down    bool      // Primary failed and has not answered since
	since   time.Time // when the outage began
	retryAt time.Time // when Primary may be tried again
	probing bool      // a request is trying Primary during an outage
}

// Allow implements Limiter. It fails only when Secondary does, or when ctx
// ends while Primary is deciding.
func (f *Fallback) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	if f.tryPrimary() {
		res, err := f.Primary.Allow(ctx, key, l)
		switch {
		case err == nil:
			f.succeeded()
			return res, nil
		case ctx.Err() != nil:
			// The request ended; that says nothing about Redis.
			f.abandoned()
			return Result{}, err
		default:
			f.failed(err)
		}
	}
	return f.Secondary.Allow(ctx, key, l)
}

// tryPrimary says whether this request should ask Primary: always while it
// works, and during an outage only when the back-off has passed and no
// other request is already trying.
func (f *Fallback) tryPrimary() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.down {
		return true
	}
	if f.probing || f.now().Before(f.retryAt) {
		return false
	}
	f.probing = true
	return true
}

func (f *Fallback) succeeded() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probing = false
	if !f.down {
		return
	}
	f.down = false
	f.Metrics.setDegraded(false)
	if f.Logger != nil {
		f.Logger.Info("redis reachable again, rate limits are shared by all nodes",
			"down_for", f.now().Sub(f.since).Round(time.Second).String())
	}
}

func (f *Fallback) failed(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.probing = false
	f.retryAt = now.Add(f.backoff())
	if f.down {
		return
	}
	f.down = true
	f.since = now
	f.Metrics.setDegraded(true)
	if f.Logger != nil {
		f.Logger.Warn("redis unreachable, rate limits are per node until it is back",
			"error", err.Error())
	}
}

func (f *Fallback) abandoned() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probing = false
}

func (f *Fallback) now() time.Time {
	if f.Clock == nil {
		return time.Now()
	}
	return f.Clock.Now()
}

func (f *Fallback) backoff() time.Duration {
	if f.Backoff <= 0 {
		return DefaultBackoff
	}
	return f.Backoff
}
