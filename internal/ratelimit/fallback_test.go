package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/testutil"
)

const degraded = "cerrojo_ratelimit_degraded"

type fallbackFixture struct {
	f       *Fallback
	primary *stub
	fake    *clock.Fake
	reg     *prometheus.Registry
	logs    *logLines
}

func newFallbackFixture() *fallbackFixture {
	fake := newFake()
	reg := prometheus.NewRegistry()
	logs := &logLines{}
	primary := &stub{}
	return &fallbackFixture{
		f: &Fallback{Primary: primary, Secondary: NewMemory(fake), Logger: logs.logger(),
			Metrics: NewMetrics(reg), Clock: fake},
		primary: primary, fake: fake, reg: reg, logs: logs,
	}
}

var someLimit = Limit{Rate: 10, Period: time.Minute, Burst: 5}

// allow makes one request and says which limiter answered.
func (fx *fallbackFixture) allow(t *testing.T) string {
	t.Helper()
	res, err := fx.f.Allow(context.Background(), "k", someLimit)
	if err != nil {
		t.Fatal(err)
	}
	if res.Remaining == 4242 {
		return "primary"
	}
	return "secondary"
}

func (fx *fallbackFixture) expect(t *testing.T, step, answeredBy string, calls int64,
	gauge float64, downLogs, upLogs int) {
	t.Helper()
	if got := fx.allow(t); got != answeredBy {
		t.Fatalf("%s: answered by %s, want %s", step, got, answeredBy)
	}
	if got := fx.primary.calls.Load(); got != calls {
		t.Fatalf("%s: primary called %d times, want %d", step, got, calls)
	}
	if got := metricValue(t, fx.reg, degraded, ""); got != gauge {
		t.Fatalf("%s: degraded gauge %v, want %v", step, got, gauge)
	}
	if n, _ := fx.logs.count(t, msgDown); n != downLogs {
		t.Fatalf("%s: %d outage log lines, want %d", step, n, downLogs)
	}
	if n, _ := fx.logs.count(t, msgUp); n != upLogs {
		t.Fatalf("%s: %d recovery log lines, want %d", step, n, upLogs)
	}
}

func TestFallbackOutageAndRecovery(t *testing.T) {
	fx := newFallbackFixture()

	fx.expect(t, "primary works", "primary", 1, 0, 0, 0)
	fx.primary.failing.Store(true)
	fx.expect(t, "primary fails", "secondary", 2, 1, 1, 0)
	fx.expect(t, "within the back-off, primary is left alone", "secondary", 2, 1, 1, 0)
	fx.fake.Advance(DefaultBackoff - time.Nanosecond)
	fx.expect(t, "just before the back-off ends", "secondary", 2, 1, 1, 0)
	fx.fake.Advance(time.Nanosecond)
	fx.expect(t, "a failed retry logs nothing new", "secondary", 3, 1, 1, 0)

	fx.primary.failing.Store(false)
	fx.expect(t, "primary back, back-off not over", "secondary", 3, 1, 1, 0)
	fx.fake.Advance(DefaultBackoff)
	fx.expect(t, "the retry succeeds", "primary", 4, 0, 1, 1)
	fx.expect(t, "primary again for every request", "primary", 5, 0, 1, 1)

	if _, level := fx.logs.count(t, msgDown); level != "WARN" {
		t.Fatalf("outage logged at %s, want WARN", level)
	}

	// A second outage is logged again.
	fx.primary.failing.Store(true)
	fx.expect(t, "second outage", "secondary", 6, 1, 2, 1)
}

func TestFallbackStillLimitsDuringAnOutage(t *testing.T) {
	fx := newFallbackFixture()
	fx.primary.failing.Store(true)
	ctx := context.Background()
	for i := range someLimit.Burst {
		if res, _ := fx.f.Allow(ctx, "k", someLimit); !res.Allowed {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	if res, _ := fx.f.Allow(ctx, "k", someLimit); res.Allowed {
		t.Fatal("allowed past the burst during an outage")
	}
}

func TestFallbackIgnoresAbandonedRequests(t *testing.T) {
	fx := newFallbackFixture()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fx.f.Allow(ctx, "k", someLimit); err == nil {
		t.Fatal("got no error for an abandoned request")
	}
	fx.expect(t, "after an abandoned request", "primary", 2, 0, 0, 0)
}

func TestFallbackProbesOneAtATime(t *testing.T) {
	fx := newFallbackFixture()
	fx.primary.failing.Store(true)
	fx.allow(t) // the outage begins
	fx.fake.Advance(DefaultBackoff)

	fx.primary.failing.Store(false)
	fx.primary.hold = make(chan struct{})
	fx.primary.entered = make(chan struct{}, 1)
	var probe sync.WaitGroup
	probe.Go(func() { fx.f.Allow(context.Background(), "probe", someLimit) })
	<-fx.primary.entered

	// While the probe waits on the primary, other requests do not.
	fx.expect(t, "during the probe", "secondary", 2, 1, 1, 0)
	close(fx.primary.hold)
	probe.Wait()
	fx.primary.hold, fx.primary.entered = nil, nil
	fx.expect(t, "after the probe", "primary", 3, 0, 1, 1)
}

// TestFallbackRedisOutage puts a TCP proxy between the limiter and the
// real Redis, cuts it while requests flow, and restores it.
func TestFallbackRedisOutage(t *testing.T) {
	rawURL := redisURL(t)
	target, via := redisTarget(t, rawURL)
	px := testutil.StartProxy(t, target)
	direct := openRedis(t, rawURL)
	primary := testRedis(t, openRedis(t, via(px.Addr())))

	fake := newFake()
	reg := prometheus.NewRegistry()
	logs := &logLines{}
	f := &Fallback{Primary: primary, Secondary: NewMemory(fake), Logger: logs.logger(),
		Metrics: NewMetrics(reg), Clock: fake}
	ctx := context.Background()
	// 100 an hour with a burst of 3: nothing refills during the test.
	lim := Limit{Rate: 100, Period: time.Hour, Burst: 3}
	gauge := func() float64 { return metricValue(t, reg, degraded, "") }
	overTheEdge := func(step, key string) {
		t.Helper()
		for i := range lim.Burst {
			if res, err := f.Allow(ctx, key, lim); err != nil || !res.Allowed {
				t.Fatalf("%s: request %d: got %+v, %v; want allowed", step, i+1, res, err)
			}
		}
		if res, err := f.Allow(ctx, key, lim); err != nil || res.Allowed {
			t.Fatalf("%s: past the burst: got %+v, %v; want refused", step, res, err)
		}
	}

	// Background traffic on other keys, started and stopped around the
	// cuts; no request may fail.
	var failures atomic.Int64
	traffic := func() (stop func()) {
		done := make(chan struct{})
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					key := "bg-" + string(rune('a'+g)) + "-" + string(rune('a'+i%26))
					if _, err := f.Allow(ctx, key, lim); err != nil {
						failures.Add(1)
					}
					time.Sleep(time.Millisecond)
				}
			})
		}
		return func() { close(done); wg.Wait() }
	}

	// 1. Redis up: the limit is kept in Redis.
	overTheEdge("redis up", "shared")
	if n, err := direct.Exists(ctx, "rate:"+primary.prefix+"shared").Result(); err != nil ||
		n != 1 {
		t.Fatalf("the count is not in Redis: %d, %v", n, err)
	}
	if gauge() != 0 {
		t.Fatal("degraded before any outage")
	}

	// 2. Redis goes away under traffic: requests go on, limited per node.
	stop := traffic()
	px.Stop()
	if res, err := f.Allow(ctx, "first-after-cut", lim); err != nil || !res.Allowed {
		t.Fatalf("first request after the cut: got %+v, %v", res, err)
	}
	if gauge() != 1 {
		t.Fatal("not degraded after the cut")
	}
	overTheEdge("redis down", "per-node")
	stop()

	// A retry while Redis is still down keeps the outage open without a
	// second warning.
	fake.Advance(DefaultBackoff)
	f.Allow(ctx, "retry-while-down", lim)
	if gauge() != 1 {
		t.Fatal("recovered while Redis is still down")
	}

	// 3. Redis is back: the limiter returns to it on its own, once the
	// back-off has passed.
	px.Restart(t)
	f.Allow(ctx, "back-within-backoff", lim)
	if gauge() != 1 {
		t.Fatal("tried Redis again before the back-off passed")
	}
	// go-redis itself stops dialling after a run of failed dials and tries
	// again once a second, so the first retry may still fail: let back-off
	// periods pass until one succeeds.
	stop = traffic()
	for i := 0; gauge() != 0; i++ {
		if i == 500 {
			t.Fatal("did not recover after Redis came back")
		}
		fake.Advance(DefaultBackoff)
		f.Allow(ctx, "recovering", lim)
		time.Sleep(10 * time.Millisecond)
	}
	stop()

	// The count made before the outage is still in force.
	if res, err := f.Allow(ctx, "shared", lim); err != nil || res.Allowed {
		t.Fatalf("the key limited before the outage: got %+v, %v; want refused", res, err)
	}
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d background requests failed", n)
	}
	if n, level := logs.count(t, msgDown); n != 1 || level != "WARN" {
		t.Fatalf("got %d outage lines at %s, want 1 at WARN", n, level)
	}
	if n, level := logs.count(t, msgUp); n != 1 || level != "INFO" {
		t.Fatalf("got %d recovery lines at %s, want 1 at INFO", n, level)
	}
}
