package ratelimit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/redisconn"
	"github.com/cerrojo/cerrojo/internal/redisconn/redistest"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func newFake() *clock.Fake { return clock.NewFake(t0) }

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// redisURL returns the test server's URL, or skips (fails under CI=true).
func redisURL(t *testing.T) string {
	t.Helper()
	return redistest.URL(t)
}

func openRedis(t *testing.T, rawURL string) *redis.Client {
	t.Helper()
	c, err := redisconn.Open(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testRedis returns a Redis limiter whose keys live under a prefix of
// their own, deleted when the test ends.
func testRedis(t *testing.T, c *redis.Client) *Redis {
	t.Helper()
	r := NewRedis(c)
	r.prefix = redisPrefix + "test:" + randomHex(t) + ":"
	t.Cleanup(func() { deleteKeys(t, c, "rate:"+r.prefix+"*") })
	return r
}

func deleteKeys(t *testing.T, c *redis.Client, pattern string) {
	t.Helper()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, pattern, 100).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("clean up %s: %v", pattern, err)
	}
}

// logLines collects a JSON slog output so tests can count messages.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// count returns how many records carry msg, and the level of the last.
func (l *logLines) count(t *testing.T, msg string) (int, string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	n, level := 0, ""
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec struct{ Msg, Level string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.Msg == msg {
			n++
			level = rec.Level
		}
	}
	return n, level
}

const (
	msgDown = "redis unreachable, rate limits are per node until it is back"
	msgUp   = "redis reachable again, rate limits are shared by all nodes"
)

// stub is a Limiter that tests switch between working and failing. It
// counts its calls and can hold them until released.
type stub struct {
	failing atomic.Bool
	calls   atomic.Int64
	hold    chan struct{} // when set, Allow waits on it
	entered chan struct{} // when set, Allow reports here before waiting
}

var errStubDown = &net.OpError{Op: "dial", Net: "tcp", Err: io.ErrUnexpectedEOF}

func (s *stub) Allow(ctx context.Context, _ string, _ Limit) (Result, error) {
	s.calls.Add(1)
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.hold != nil {
		<-s.hold
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if s.failing.Load() {
		return Result{}, errStubDown
	}
	// A remaining count no real limiter gives, so tests can tell which
	// limiter answered.
	return Result{Allowed: true, Remaining: 4242}, nil
}

// redisTarget returns the host:port of a redis:// URL and a function that
// rewrites the URL to go through another address.
func redisTarget(t *testing.T, rawURL string) (string, func(addr string) string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "redis" {
		t.Skip("the outage test needs a plain redis:// URL to put its proxy in front of")
	}
	via := func(addr string) string {
		v := *u
		v.Host = addr
		return v.String()
	}
	return u.Host, via
}

// metricValue reads one series from reg: the gauge or counter called name,
// with the label class when it is not empty. It fails when there is none.
func metricValue(t *testing.T, reg *prometheus.Registry, name, class string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := class == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "class" && l.GetValue() == class {
					match = true
				}
			}
			if !match {
				continue
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s{class=%q}", name, class)
	return 0
}

// seriesCount returns how many series reg has called name.
func seriesCount(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
