package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// CodeRateLimited is the stable problem code of a request refused by a
// rate limit.
const CodeRateLimited = "rate_limited"

// Options configure a Middleware.
type Options struct {
	// Limiter decides; required. Use a Fallback over Redis and Memory when
	// Redis is configured, a Memory otherwise.
	Limiter Limiter
	// Limits are put over DefaultLimits entry by entry; nil keeps the
	// defaults.
	Limits Limits
	// ClientIP returns the client's address as the trusted-proxy rules
	// see it; nil takes the host of r.RemoteAddr.
	ClientIP func(r *http.Request) string
	// Metrics counts limited requests; nil counts nothing.
	Metrics *Metrics
}

// Middleware applies rate limits to routes (Wrap) and to keys that only a
// handler knows, such as the account being signed in to (Check).
type Middleware struct {
	limiter  Limiter
	limits   Limits
	clientIP func(r *http.Request) string
	metrics  *Metrics
}

// New checks opts and returns a Middleware.
func New(opts Options) (*Middleware, error) {
	if opts.Limiter == nil {
		return nil, errors.New("rate limits: a limiter is required")
	}
	limits := opts.Limits.over(DefaultLimits())
	if err := limits.Validate(); err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	m := &Middleware{limiter: opts.Limiter, limits: limits, clientIP: opts.ClientIP,
		metrics: opts.Metrics}
	if m.clientIP == nil {
		m.clientIP = remoteHost
	}
	return m, nil
}

// Limit returns the limit that applies to keys of kind k in class c, and
// the name it is advertised under.
func (m *Middleware) Limit(c Class, k Kind) (Class, Limit) {
	return m.limits.lookup(c, k)
}

// KeyFunc picks the key a request is counted under, made with Key, or says
// that the request has none of this kind (it is then not limited by it).
type KeyFunc func(r *http.Request) (string, bool)

// Key makes the key of a value of kind k, such as Key(KindAccount, mac).
func Key(k Kind, value string) string { return string(k) + ":" + value }

// ByIP keys a request by its client address. IPv6 addresses are grouped by
// their /64, because anyone holding one address usually holds the whole
// /64. A request whose address cannot be read shares the key "unknown"
// with every such request, so it is limited rather than let through.
func (m *Middleware) ByIP(r *http.Request) (string, bool) {
	return Key(KindIP, addressKey(m.clientIP(r))), true
}

func addressKey(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "unknown"
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // cannot fail for an IPv6 address and 64 bits
	return p.String()
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ByClient keys a request by the OAuth client id it sends with HTTP Basic
// (RFC 6749 section 2.3.1, form-decoded). The id is not a secret: anyone
// who knows it can spend the client's allowance. Use ByClient only on
// routes wrapped inside the client's authentication, so that only the
// client itself reaches it.
func ByClient(r *http.Request) (string, bool) {
	id, _, ok := r.BasicAuth()
	if !ok || id == "" {
		return "", false
	}
	if dec, err := url.QueryUnescape(id); err == nil {
		id = dec
	}
	return Key(KindClient, id), true
}

// ByHeader keys a request by the value of a header, as keys of kind k.
// Requests without the header are not limited by it. A value the client
// chooses freely can be changed at every request, so such a key must be
// added to ByIP, never used instead of it.
func ByHeader(k Kind, name string) KeyFunc {
	return func(r *http.Request) (string, bool) {
		v := r.Header.Get(name)
		if v == "" {
			return "", false
		}
		return Key(k, v), true
	}
}

// Wrap limits the routes it wraps under class c, with one counter per key
// that keys find (ByIP when none is given). Every key is checked before
// the next handler runs, so before the body is read or a password hashed;
// the first key over its limit answers 429. An allowed response carries
// the RateLimit fields of the key with the fewest requests left. A request
// for which no KeyFunc finds a key is not limited, so routes open to
// anyone should include ByIP.
//
// If the Limiter fails, the request is refused with 503: with a Fallback
// over Memory that happens only when the request has ended anyway.
func (m *Middleware) Wrap(c Class, keys ...KeyFunc) func(http.Handler) http.Handler {
	if len(keys) == 0 {
		keys = []KeyFunc{m.ByIP}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var shown *verdict
			for _, keyOf := range keys {
				key, ok := keyOf(r)
				if !ok {
					continue
				}
				v, err := m.decide(r.Context(), c, key)
				if err != nil {
					unavailable(w, r, err)
					return
				}
				if !v.res.Allowed {
					v.limited().ServeHTTP(w, r)
					return
				}
				if shown == nil || v.res.Remaining < shown.res.Remaining {
					shown = &v
				}
			}
			if shown != nil {
				shown.setHeaders(w.Header())
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Check counts one request for key (made with Key) in class c, for limits
// that only a handler can key, such as the account being signed in to.
// Call it before any password hashing. It returns a *Limited when the key
// is over its limit, and another error when the Limiter failed.
func (m *Middleware) Check(ctx context.Context, c Class, key string) error {
	v, err := m.decide(ctx, c, key)
	if err != nil {
		return fmt.Errorf("check rate limit: %w", err)
	}
	if !v.res.Allowed {
		return v.limited()
	}
	return nil
}

// verdict is one key's decision with the limit it was taken against.
type verdict struct {
	policy Class
	limit  Limit
	res    Result
}

func (m *Middleware) decide(ctx context.Context, c Class, key string) (verdict, error) {
	if !c.known() {
		c = ClassDefault // keeps metric labels and stored keys bounded
	}
	kind, value := splitKey(key)
	policy, l := m.limits.lookup(c, kind)

	res, err := m.limiter.Allow(ctx, storedKey(c, kind, value), l)
	if err != nil {
		return verdict{}, err
	}
	if !res.Allowed {
		m.metrics.countLimited(c)
	}
	return verdict{policy: policy, limit: l, res: res}, nil
}

// splitKey separates a key made with Key into its kind and value. A key
// without a well-formed kind is all value, of kind "key".
func splitKey(key string) (Kind, string) {
	k, v, ok := strings.Cut(key, ":")
	if !ok || !Kind(k).valid() {
		return "key", key
	}
	return Kind(k), v
}

// maxValueLen bounds the value part of a stored key, so that keys stay
// small in memory and in Redis however long a header or an id is.
const maxValueLen = 64

// storedKey is "class:kind:value", with a value longer than maxValueLen
// replaced by its SHA-256 in hex (64 bytes).
//
// Accepted risk: a value that is itself the hex hash of a long value
// shares that value's counter. Whoever can send the one can send the
// other, so this gives no one more requests.
func storedKey(c Class, k Kind, value string) string {
	if len(value) > maxValueLen {
		sum := sha256.Sum256([]byte(value))
		value = hex.EncodeToString(sum[:])
	}
	return string(c) + ":" + string(k) + ":" + value
}

func (v verdict) limited() *Limited {
	return &Limited{Policy: v.policy, Limit: v.limit, RetryAfter: v.res.RetryAfter,
		ResetAfter: v.res.ResetAfter}
}

// Header fields of draft-ietf-httpapi-ratelimit-headers-09, in its
// Structured Fields form: one item, the policy's name as a String, with
// parameters.
const (
	headerPolicy    = "RateLimit-Policy"
	headerRateLimit = "RateLimit"
)

// setHeaders writes the RateLimit fields for an allowed request.
func (v verdict) setHeaders(h http.Header) {
	setPolicy(h, v.policy, v.limit)
	// Section 4.1.2: t is when the quota resets; for GCRA that is when
	// the key is back at its full burst.
	setRateLimit(h, v.policy, v.res.Remaining, seconds(v.res.ResetAfter))
}

// setPolicy writes RateLimit-Policy (section 3): q is the requests allowed
// per window (3.1.1) and w the window in seconds (3.1.3). Policy names are
// Limits entries, which Validate keeps to [a-z0-9._-], so they need no
// escaping inside the String.
func setPolicy(h http.Header, policy Class, l Limit) {
	h.Set(headerPolicy, fmt.Sprintf(`"%s";q=%d;w=%d`, policy, l.Rate,
		int64(l.Period/time.Second)))
}

// setRateLimit writes RateLimit (section 4): r is the requests left
// (4.1.1) and t the seconds until the quota resets (4.1.2).
func setRateLimit(h http.Header, policy Class, remaining int, reset int64) {
	h.Set(headerRateLimit, fmt.Sprintf(`"%s";r=%d;t=%d`, policy, remaining, reset))
}

// seconds rounds d up to whole seconds, as delay-seconds (RFC 9110
// section 10.2.3) and the RateLimit fields need: rounding down would send
// clients back too early.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// Limited is the error of a request over a rate limit. Serve it to answer:
// it writes 429 with Retry-After, the RateLimit fields and a problem
// document. It also unwraps to that *httpx.Problem, so a handler that only
// returns it still answers 429, though without the header fields.
type Limited struct {
	// Policy names the limit that was reached, such as "login.account".
	Policy Class
	Limit  Limit
	// RetryAfter is how long until a request would fit.
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back at its full burst.
	ResetAfter time.Duration
}

// Error says which limit was reached.
func (e *Limited) Error() string {
	return fmt.Sprintf("rate limit %s (%s) reached; retry in %s", e.Policy, e.Limit,
		e.RetryAfter.Round(time.Millisecond))
}

// Unwrap returns the problem document ServeHTTP sends.
func (e *Limited) Unwrap() error { return e.problem() }

func (e *Limited) problem() *httpx.Problem {
	return httpx.Problemf(http.StatusTooManyRequests, CodeRateLimited,
		"too many requests; retry in %d seconds", e.retryAfter())
}

// retryAfter is Retry-After's value: at least one second, since a denied
// request always has something to wait for.
func (e *Limited) retryAfter() int64 { return max(seconds(e.RetryAfter), 1) }

// ServeHTTP answers the request with 429. RateLimit's t is the same moment
// as Retry-After, as draft-ietf-httpapi-ratelimit-headers-09 section 6
// asks.
func (e *Limited) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	wait := e.retryAfter()
	h.Set("Retry-After", strconv.FormatInt(wait, 10))
	setPolicy(h, e.Policy, e.Limit)
	setRateLimit(h, e.Policy, 0, wait)
	httpx.WriteProblem(w, r, e.problem())
}

func unavailable(w http.ResponseWriter, r *http.Request, err error) {
	httpx.NoteError(r.Context(), fmt.Errorf("check rate limit: %w", err))
	w.Header().Set("Retry-After", "1")
	httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable,
		httpx.CodeUnavailable, "rate limits cannot be checked right now; try again shortly"))
}
