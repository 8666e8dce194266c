package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

func newMiddleware(t *testing.T, opts Options) *Middleware {
	t.Helper()
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// served counts the requests that reached the wrapped handler.
type served struct{ n int }

func (s *served) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.n++
	w.WriteHeader(http.StatusNoContent)
}

func request(remoteAddr string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", nil)
	r.RemoteAddr = remoteAddr
	return r
}

func do(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestWrapOverTheEdge drives a login limit of 3 a minute with a burst of 2
// (an interval of 20 s) over its edge and checks every field sent.
func TestWrapOverTheEdge(t *testing.T) {
	fake := newFake()
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	m := newMiddleware(t, Options{Limiter: NewMemory(fake), Metrics: metrics,
		Limits: Limits{ClassLogin: {Rate: 3, Period: time.Minute, Burst: 2}}})
	next := &served{}
	h := httpx.WithRequestInfo(m.Wrap(ClassLogin)(next))

	steps := []struct {
		name       string
		status     int
		rateLimit  string
		retryAfter string
	}{
		{"first of the burst", http.StatusNoContent, `"login";r=1;t=20`, ""},
		{"last of the burst", http.StatusNoContent, `"login";r=0;t=40`, ""},
		{"over the edge", http.StatusTooManyRequests, `"login";r=0;t=20`, "20"},
	}
	for _, st := range steps {
		w := do(h, request("192.0.2.1:1234"))
		if w.Code != st.status {
			t.Fatalf("%s: got status %d, want %d", st.name, w.Code, st.status)
		}
		if got := w.Header().Get("RateLimit"); got != st.rateLimit {
			t.Fatalf("%s: got RateLimit %q, want %q", st.name, got, st.rateLimit)
		}
		if got := w.Header().Get("RateLimit-Policy"); got != `"login";q=3;w=60` {
			t.Fatalf("%s: got RateLimit-Policy %q", st.name, got)
		}
		if got := w.Header().Get("Retry-After"); got != st.retryAfter {
			t.Fatalf("%s: got Retry-After %q, want %q", st.name, got, st.retryAfter)
		}
	}
	if next.n != 2 {
		t.Fatalf("the handler ran %d times, want 2", next.n)
	}

	// The refusal is a problem document with the stable code.
	w := do(h, request("192.0.2.1:1234"))
	if ct := w.Header().Get("Content-Type"); ct != httpx.ContentTypeProblem {
		t.Fatalf("got Content-Type %q", ct)
	}
	var p httpx.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 429 || p.Code != CodeRateLimited || p.Type != "urn:cerrojo:problem:rate_limited" ||
		p.RequestID == "" || !strings.Contains(p.Detail, "20 seconds") {
		t.Fatalf("got problem %+v", p)
	}
	if got := metricValue(t, reg, "cerrojo_ratelimit_limited_total", "login"); got != 2 {
		t.Fatalf("limited_total{class=login} = %v, want 2", got)
	}

	// Another address has its own allowance; the first one gets a request
	// back after the interval.
	if w := do(h, request("192.0.2.2:1234")); w.Code != http.StatusNoContent {
		t.Fatalf("another address: got %d, want 204", w.Code)
	}
	fake.Advance(20 * time.Second)
	if w := do(h, request("192.0.2.1:1234")); w.Code != http.StatusNoContent {
		t.Fatalf("after Retry-After: got %d, want 204", w.Code)
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	m := newMiddleware(t, Options{Limiter: NewMemory(newFake()),
		Limits: Limits{ClassCode: {Rate: 7, Period: time.Minute, Burst: 1}}})
	h := m.Wrap(ClassCode)(&served{})
	do(h, request("192.0.2.1:1"))
	w := do(h, request("192.0.2.1:1"))
	// The wait is 60/7 = 8.57 s: 8 would send the client back too early.
	if got := w.Header().Get("Retry-After"); got != "9" {
		t.Fatalf("got Retry-After %q, want 9", got)
	}
	if got := w.Header().Get("RateLimit"); got != `"code";r=0;t=9` {
		t.Fatalf("got RateLimit %q, want t equal to Retry-After", got)
	}
}

func TestWrapReportsTheKeyWithFewestLeft(t *testing.T) {
	m := newMiddleware(t, Options{Limiter: NewMemory(newFake()), Limits: Limits{
		ClassToken:                 {Rate: 100, Period: time.Minute, Burst: 50},
		ClassToken.Per(KindClient): {Rate: 10, Period: time.Minute, Burst: 3},
	}})
	next := &served{}
	h := m.Wrap(ClassToken, m.ByIP, ByClient)(next)

	for i, want := range []string{`"token.client";r=2;t=6`, `"token.client";r=1;t=12`,
		`"token.client";r=0;t=18`} {
		r := request("192.0.2.1:1")
		r.SetBasicAuth("shop%2Dbackend", "secret")
		w := do(h, r)
		if w.Code != http.StatusNoContent || w.Header().Get("RateLimit") != want {
			t.Fatalf("request %d: got %d %q, want 204 %q", i+1, w.Code,
				w.Header().Get("RateLimit"), want)
		}
	}
	r := request("192.0.2.1:1")
	r.SetBasicAuth("shop-backend", "secret") // the same id, not form-encoded
	if w := do(h, r); w.Code != http.StatusTooManyRequests ||
		w.Header().Get("RateLimit-Policy") != `"token.client";q=10;w=60` {
		t.Fatalf("got %d %q, want 429 from the client limit", w.Code,
			w.Header().Get("RateLimit-Policy"))
	}

	// Without client credentials only the address counts.
	if w := do(h, request("192.0.2.1:1")); w.Code != http.StatusNoContent ||
		!strings.HasPrefix(w.Header().Get("RateLimit"), `"token";`) {
		t.Fatalf("got %d %q, want 204 under the address limit", w.Code,
			w.Header().Get("RateLimit"))
	}
}

func TestCheckLimitsAnAccount(t *testing.T) {
	m := newMiddleware(t, Options{Limiter: NewMemory(newFake())})
	ctx := context.Background()
	key := Key(KindAccount, "mac-of-someone")
	_, lim := m.Limit(ClassLogin, KindAccount)

	for range lim.Burst {
		if err := m.Check(ctx, ClassLogin, key); err != nil {
			t.Fatal(err)
		}
	}
	err := m.Check(ctx, ClassLogin, key)
	var limited *Limited
	if !errors.As(err, &limited) || limited.Policy != "login.account" {
		t.Fatalf("got %v, want *Limited for login.account", err)
	}

	// Served, it answers in full.
	w := do(limited, request("192.0.2.1:1"))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "6" ||
		w.Header().Get("RateLimit-Policy") != `"login.account";q=10;w=60` {
		t.Fatalf("got %d %v", w.Code, w.Header())
	}

	// Returned from an httpx handler, it is still a 429 problem.
	var p *httpx.Problem
	if !errors.As(err, &p) || p.Status != http.StatusTooManyRequests || p.Code != CodeRateLimited {
		t.Fatalf("got problem %+v, want 429 %s", p, CodeRateLimited)
	}
	h := httpx.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return err })
	if w := do(h, request("192.0.2.1:1")); w.Code != http.StatusTooManyRequests {
		t.Fatalf("through httpx: got %d, want 429", w.Code)
	}

	// Another account is untouched.
	if err := m.Check(ctx, ClassLogin, Key(KindAccount, "mac-of-someone-else")); err != nil {
		t.Fatal(err)
	}
}

// TestEveryDefaultLimitOverTheEdge drives each default limit, keyed as
// the wiring will key it, to its burst and past it: exactly on the
// in-process limiter, and on Redis allowing for what refills while the
// requests run.
func TestEveryDefaultLimitOverTheEdge(t *testing.T) {
	t.Run("in process", func(t *testing.T) {
		testEveryDefaultLimit(t, NewMemory(newFake()), false)
	})
	t.Run("redis", func(t *testing.T) {
		testEveryDefaultLimit(t, testRedis(t, openRedis(t, redisURL(t))), true)
	})
}

func testEveryDefaultLimit(t *testing.T, l Limiter, realTime bool) {
	m := newMiddleware(t, Options{Limiter: l})
	defaults := DefaultLimits()
	for _, name := range slices.Sorted(maps.Keys(defaults)) {
		t.Run(string(name), func(t *testing.T) {
			lim := defaults[name]
			class, kind, _ := strings.Cut(string(name), ".")
			send := sender(t, m, Class(class), Kind(kind))

			start := time.Now()
			for i := range lim.Burst {
				if code, policy := send(); code != http.StatusNoContent || policy != name {
					t.Fatalf("request %d of a burst of %d: got %d under %q", i+1, lim.Burst,
						code, policy)
				}
			}
			// On a real clock, requests refill while the test sends: by any
			// instant, at most one per emission interval since the start
			// (and one for rounding) can pass beyond the burst. Counting it
			// at each request, not once after the burst, keeps a slow
			// machine from failing a correct limiter.
			interval := lim.Period / time.Duration(lim.Rate)
			for i := 0; ; i++ {
				extra := 0
				if realTime {
					extra = int(time.Since(start)/interval) + 1
				}
				code, policy := send()
				if code == http.StatusTooManyRequests {
					if policy != name {
						t.Fatalf("refused under %q, want %q", policy, name)
					}
					return
				}
				if i >= extra {
					t.Fatalf("still allowed %d requests past a burst of %d", i+1, lim.Burst)
				}
			}
		})
	}
}

// sender returns a function that sends one request keyed the way routes
// of class c key kind k, and reports the status and the policy named.
func sender(t *testing.T, m *Middleware, c Class, k Kind) func() (int, Class) {
	id := randomHex(t)
	addr := fmt.Sprintf("10.%d.%d.%d:1", id[0], id[1], id[2])
	policyOf := func(h http.Header) Class {
		p, _, _ := strings.Cut(h.Get("RateLimit-Policy"), ";")
		return Class(strings.Trim(p, `"`))
	}
	switch k {
	case "", KindIP:
		h := m.Wrap(c)(&served{})
		return func() (int, Class) {
			w := do(h, request(addr))
			return w.Code, policyOf(w.Header())
		}
	case KindClient:
		h := m.Wrap(c, ByClient)(&served{})
		return func() (int, Class) {
			r := request(addr)
			r.SetBasicAuth("client-"+id, "secret")
			w := do(h, r)
			return w.Code, policyOf(w.Header())
		}
	case KindAccount:
		return func() (int, Class) {
			err := m.Check(context.Background(), c, Key(KindAccount, id))
			var limited *Limited
			if errors.As(err, &limited) {
				return http.StatusTooManyRequests, limited.Policy
			}
			if err != nil {
				t.Fatal(err)
			}
			name, _ := m.Limit(c, k)
			return http.StatusNoContent, name
		}
	}
	t.Fatalf("no sender for kind %q", k)
	return nil
}

func TestByIP(t *testing.T) {
	m := newMiddleware(t, Options{Limiter: NewMemory(newFake())})
	tests := []struct {
		remote, want string
	}{
		{"192.0.2.1:1234", "ip:192.0.2.1"},
		{"[::ffff:192.0.2.1]:1234", "ip:192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "ip:2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "ip:2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:443", "ip:fe80::/64"},
		{"192.0.2.1", "ip:192.0.2.1"},
		{"", "ip:unknown"},
		{"@", "ip:unknown"},
	}
	for _, tc := range tests {
		if got, ok := m.ByIP(request(tc.remote)); !ok || got != tc.want {
			t.Errorf("ByIP(%q): got %q, %v; want %q", tc.remote, got, ok, tc.want)
		}
	}

	// A ClientIP function given to New replaces RemoteAddr.
	m = newMiddleware(t, Options{Limiter: NewMemory(newFake()),
		ClientIP: func(*http.Request) string { return "198.51.100.7" }})
	if got, _ := m.ByIP(request("192.0.2.1:1")); got != "ip:198.51.100.7" {
		t.Fatalf("got %q, want the address ClientIP gives", got)
	}
}

func TestIPv6AddressesShareTheir64(t *testing.T) {
	m := newMiddleware(t, Options{Limiter: NewMemory(newFake()),
		Limits: Limits{ClassDefault: {Rate: 2, Period: time.Minute, Burst: 2}}})
	h := m.Wrap(ClassDefault)(&served{})
	do(h, request("[2001:db8::1]:1"))
	do(h, request("[2001:db8::2]:1"))
	if w := do(h, request("[2001:db8::3]:1")); w.Code != http.StatusTooManyRequests {
		t.Fatalf("a third address of the same /64: got %d, want 429", w.Code)
	}
	if w := do(h, request("[2001:db8:0:1::1]:1")); w.Code != http.StatusNoContent {
		t.Fatalf("another /64: got %d, want 204", w.Code)
	}
}

func TestByHeader(t *testing.T) {
	kf := ByHeader("device", "X-Device-Id")
	r := request("192.0.2.1:1")
	if _, ok := kf(r); ok {
		t.Fatal("got a key from a request without the header")
	}
	r.Header.Set("X-Device-Id", "d-1")
	if got, ok := kf(r); !ok || got != "device:d-1" {
		t.Fatalf("got %q, %v; want device:d-1", got, ok)
	}
}

func TestStoredKeysAreBounded(t *testing.T) {
	long := strings.Repeat("x", 65)
	sum := sha256.Sum256([]byte(long))
	tests := []struct {
		name, key, want string
	}{
		{"keeps a short value", "ip:192.0.2.1", "login:ip:192.0.2.1"},
		{"keeps a value of exactly 64 bytes", "account:" + strings.Repeat("a", 64),
			"login:account:" + strings.Repeat("a", 64)},
		{"hashes a longer value", "account:" + long,
			"login:account:" + hex.EncodeToString(sum[:])},
		{"keeps an IPv6 prefix whole", "ip:2001:db8::/64", "login:ip:2001:db8::/64"},
		{"treats a key without a kind as all value", "no-kind", "login:key:no-kind"},
		{"treats a malformed kind as value", "IP:x", "login:key:IP:x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, v := splitKey(tc.key)
			if got := storedKey(ClassLogin, k, v); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzStoredKey(f *testing.F) {
	for _, s := range []string{"ip:192.0.2.1", "ip:2001:db8::/64", "client:shop", "nokind",
		"Account:x", ":", "", "account:" + strings.Repeat("é", 40)} {
		f.Add(s)
	}
	bound := len("registration") + 1 + maxKindLen + 1 + maxValueLen
	f.Fuzz(func(t *testing.T, key string) {
		k, v := splitKey(key)
		got := storedKey(ClassRegistration, k, v)
		if len(got) > bound {
			t.Fatalf("stored key of %d bytes, want at most %d", len(got), bound)
		}
		if again := storedKey(ClassRegistration, k, v); again != got {
			t.Fatal("stored key is not stable")
		}
	})
}

func TestUnknownClassUsesTheDefault(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	m := newMiddleware(t, Options{Limiter: NewMemory(newFake()), Metrics: metrics,
		Limits: Limits{ClassDefault: {Rate: 1, Period: time.Minute, Burst: 1}}})
	h := m.Wrap("made-up")(&served{})
	do(h, request("192.0.2.1:1"))
	w := do(h, request("192.0.2.1:1"))
	if w.Code != http.StatusTooManyRequests ||
		w.Header().Get("RateLimit-Policy") != `"default";q=1;w=60` {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("RateLimit-Policy"))
	}
	if n := seriesCount(t, reg, "cerrojo_ratelimit_limited_total"); n != len(Classes()) {
		t.Fatalf("got %d series, want one per class (%d)", n, len(Classes()))
	}
}

func TestLimiterFailureRefusesWith503(t *testing.T) {
	s := &stub{}
	s.failing.Store(true)
	m := newMiddleware(t, Options{Limiter: s})
	next := &served{}
	w := do(httpx.WithRequestInfo(m.Wrap(ClassLogin)(next)), request("192.0.2.1:1"))
	if w.Code != http.StatusServiceUnavailable || next.n != 0 {
		t.Fatalf("got %d with the handler run %d times, want 503 and 0", w.Code, next.n)
	}
	if strings.Contains(w.Body.String(), "dial") {
		t.Fatalf("internal error text reached the client: %s", w.Body)
	}
	if err := m.Check(context.Background(), ClassLogin, Key(KindAccount, "x")); err == nil ||
		errors.As(err, new(*Limited)) {
		t.Fatalf("Check: got %v, want the limiter's error", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("accepted options without a limiter")
	}
	_, err := New(Options{Limiter: NewMemory(newFake()),
		Limits: Limits{ClassLogin: {Rate: 10, Period: time.Minute, Burst: 50}}})
	if err == nil || !strings.Contains(err.Error(), `"login"`) {
		t.Fatalf("got %v, want an error naming the login limit", err)
	}
}
