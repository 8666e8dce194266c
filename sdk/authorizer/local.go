package authorizer

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authz"
)

// NoBindingsCache, as LocalConfig.BindingsTTL, makes a Local fetch a
// subject's bindings for every decision (any negative value does).
const NoBindingsCache time.Duration = -1

// LocalConfig configures a Local. The zero value of every field but
// BaseURL, ClientID and ClientSecret chooses the documented default.
type LocalConfig struct {
	// BaseURL is cerrojo's address, such as https://auth.example.co; the
	// API paths (/v1/authz/...) are appended to it. It must be https,
	// except on a loopback host or with AllowHTTP.
	BaseURL string
	// AllowHTTP permits a plain http BaseURL on any host. Anyone who can
	// alter that traffic then decides every request, and can read the
	// client secret: use it only where the network itself is
	// authenticated (a service mesh with mTLS).
	AllowHTTP bool
	// ClientID and ClientSecret are the service's confidential OAuth
	// client in cerrojo, sent with HTTP Basic on every request.
	ClientID     string
	ClientSecret string `json:"-"`
	// Client makes the requests. The default has Timeout as its timeout
	// and follows no redirects; a response that came through a redirect is
	// refused with any client.
	Client *http.Client
	// Timeout bounds one request to cerrojo; zero means
	// sdk.DefaultFetchTimeout.
	Timeout time.Duration
	// PolicyRefresh is how often Run fetches the policy: zero means
	// DefaultPolicyRefresh; otherwise 1 s to 1 h.
	PolicyRefresh time.Duration
	// BindingsTTL is how long a subject's bindings are used once fetched,
	// and so how long a revoked binding may keep applying: zero means
	// DefaultBindingsTTL, a negative value (NoBindingsCache) fetches them
	// for every decision, and at most 10 min. cerrojo may shorten it with
	// Cache-Control max-age.
	BindingsTTL time.Duration
	// MaxSubjects caps the subjects whose bindings are cached; past it the
	// oldest fetched are dropped. Zero means DefaultMaxSubjects; at most
	// 1 000 000.
	MaxSubjects int
	// MaxStale is how long after cerrojo last confirmed the policy it is
	// still used while fetches fail; past it decisions fail with
	// ErrUnavailable. Zero means three PolicyRefresh intervals. It must
	// not be less than PolicyRefresh.
	MaxStale time.Duration
	// Now tells the time; nil means time.Now. It dates decisions, expires
	// bindings and ages the policy; the waits of Run use the real clock.
	Now func() time.Time
}

// Format prints the configuration with the secret redacted, for every
// verb, so that logging it by mistake does not leak the secret.
func (c LocalConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "authorizer.LocalConfig{BaseURL: %q, ClientID: %q, ClientSecret: %s}",
		c.BaseURL, c.ClientID, redacted(c.ClientSecret))
}

// LogValue is the configuration for log/slog, with the secret redacted.
func (c LocalConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redacted(c.ClientSecret)))
}

func redacted(secret string) string {
	if secret == "" {
		return "(empty)"
	}
	return "(redacted)"
}

// Local decides in process, with the policy and bindings it fetches from
// cerrojo. It is safe for concurrent use. See the package documentation
// for what it guarantees about freshness.
type Local struct {
	client        *client
	policyRefresh time.Duration
	bindingsTTL   time.Duration // zero: no caching
	maxStale      time.Duration
	now           func() time.Time

	policy      atomic.Pointer[policyState]
	policyMu    sync.Mutex // serialises policy fetches; guards lastAttempt
	lastAttempt time.Time  // when the last policy fetch started

	cache *subjectCache

	policyFailures   atomic.Uint64
	policyRejected   atomic.Uint64
	bindingsHits     atomic.Uint64
	bindingsJoined   atomic.Uint64
	bindingsFetches  atomic.Uint64
	bindingsFailures atomic.Uint64
}

// NewLocal returns a Local for cfg. It fetches nothing until Run, Refresh
// or the first decision.
func NewLocal(cfg LocalConfig) (*Local, error) {
	c, err := newClient(clientConfig{name: "LocalConfig", baseURL: cfg.BaseURL,
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret, allowHTTP: cfg.AllowHTTP,
		client: cfg.Client, timeout: cfg.Timeout})
	if err != nil {
		return nil, err
	}

	l := &Local{client: c, policyRefresh: cfg.PolicyRefresh, bindingsTTL: cfg.BindingsTTL,
		maxStale: cfg.MaxStale, now: cfg.Now}
	if l.policyRefresh == 0 {
		l.policyRefresh = DefaultPolicyRefresh
	}
	switch {
	case l.bindingsTTL == 0:
		l.bindingsTTL = DefaultBindingsTTL
	case l.bindingsTTL < 0:
		l.bindingsTTL = 0
	}
	if l.maxStale == 0 {
		l.maxStale = policyStaleFactor * l.policyRefresh
	}
	if l.now == nil {
		l.now = time.Now
	}
	maxSubjects := cfg.MaxSubjects
	if maxSubjects == 0 {
		maxSubjects = DefaultMaxSubjects
	}

	switch {
	case l.policyRefresh < minPolicyRefresh || l.policyRefresh > maxPolicyRefresh:
		return nil, fmt.Errorf("authorizer: LocalConfig.PolicyRefresh is %s, want 0 or %s "+
			"to %s", cfg.PolicyRefresh, minPolicyRefresh, maxPolicyRefresh)
	case l.bindingsTTL > maxBindingsTTL:
		return nil, fmt.Errorf("authorizer: LocalConfig.BindingsTTL is %s, want at most %s",
			cfg.BindingsTTL, maxBindingsTTL)
	case maxSubjects < 0 || maxSubjects > maxMaxSubjects:
		return nil, fmt.Errorf("authorizer: LocalConfig.MaxSubjects is %d, want 0 to %d",
			cfg.MaxSubjects, maxMaxSubjects)
	case l.maxStale < l.policyRefresh:
		return nil, fmt.Errorf("authorizer: LocalConfig.MaxStale is %s, less than "+
			"PolicyRefresh %s", cfg.MaxStale, l.policyRefresh)
	}
	l.cache = newSubjectCache(maxSubjects)
	return l, nil
}

// Authorize decides req with the policy in use and the subject's bindings,
// fetching either when needed. The decision's time is Now; the auth level,
// auth time and methods come from the token's amr and auth_time.
func (l *Local) Authorize(ctx context.Context, req Request) (authz.Decision, error) {
	if err := checkClaims(req.Claims); err != nil {
		return authz.Decision{}, err
	}
	if req.Resource == nil {
		return authz.Decision{}, invalidRequest("no resource")
	}

	p, s, err := l.load(ctx, req.Claims.Subject)
	if err != nil {
		return authz.Decision{}, err
	}

	d, err := p.Check(s, req.Permission, req.Resource, authContext(req.Claims, req.IP, l.now()))
	return detach(d), err
}

// AuthorizeBatch decides every check of req, with one policy and one set
// of bindings, and returns the decisions in order. Any check that is the
// caller's mistake fails the whole batch, as cerrojo's batch API does.
func (l *Local) AuthorizeBatch(ctx context.Context, req BatchRequest) ([]authz.Decision,
	error) {
	if err := checkBatch(&req); err != nil {
		return nil, err
	}

	p, s, err := l.load(ctx, req.Claims.Subject)
	if err != nil {
		return nil, err
	}

	c := authContext(req.Claims, req.IP, l.now())
	out := make([]authz.Decision, len(req.Checks))
	for i, ch := range req.Checks {
		d, err := p.Check(s, ch.Permission, ch.Resource, c)
		if err != nil {
			return nil, fmt.Errorf("check %d: %w", i, err)
		}
		out[i] = detach(d)
	}
	return out, nil
}

// load returns the policy and the subject to decide with.
func (l *Local) load(ctx context.Context, subject string) (*authz.Policy, *authz.Subject,
	error) {
	st, err := l.currentPolicy(ctx)
	if err != nil {
		return nil, nil, err
	}
	b, err := l.subjectBindings(ctx, subject)
	if err != nil {
		return nil, nil, err
	}
	st = l.catchUp(ctx, st, b)
	if b.inactive {
		return st.policy, &authz.Subject{}, nil
	}
	return st.policy, &authz.Subject{ID: subject, Bindings: b.bindings,
		Attributes: b.attributes}, nil
}

// detach copies the binding a decision points at, which is in the cache
// and shared with other decisions, so that the caller may keep or change
// it.
func detach(d authz.Decision) authz.Decision {
	if d.Binding != nil {
		b := *d.Binding
		d.Binding = &b
	}
	return d
}

// subjectBindings returns subject's bindings from the cache, or from one
// fetch shared by every caller that misses at the same time. The fetch
// runs on its own, bounded by Timeout, so that a caller that gives up does
// not fail it for the others.
func (l *Local) subjectBindings(ctx context.Context, subject string) (*subjectBindings,
	error) {
	hit, call, start := l.cache.lookup(subject, l.now())
	switch {
	case hit != nil:
		l.bindingsHits.Add(1)
		return hit, nil
	case start:
		go l.runFetch(context.WithoutCancel(ctx), subject, call)
	default:
		l.bindingsJoined.Add(1)
	}

	select {
	case <-call.done:
		return call.entry, call.err
	case <-ctx.Done():
		return nil, unavailable("wait for bindings: %w", context.Cause(ctx))
	}
}

func (l *Local) runFetch(ctx context.Context, subject string, call *bindingsCall) {
	ctx, cancel := context.WithTimeout(ctx, l.client.timeout)
	defer cancel()

	l.bindingsFetches.Add(1)
	e, err := l.fetchBindings(ctx, subject, l.now())
	if err != nil {
		l.bindingsFailures.Add(1)
	}
	l.cache.finish(subject, call, e, err, l.now())
}

// Invalidate drops the cached bindings of subject, so that its next
// decision fetches them. A service that changes a binding through
// cerrojo's admin API calls it to see the change at once; a fetch already
// in flight is not cached, since it may have read the bindings before the
// change.
func (l *Local) Invalidate(subject string) { l.cache.forget(subject) }

// Stats describes a Local for health checks and metrics. The package does
// not log, so this is how a service sees its policy going stale before
// decisions start failing closed.
type Stats struct {
	// PolicyVersion and PolicyDigest identify the policy in use; empty
	// before the first successful fetch.
	PolicyVersion string
	PolicyDigest  string
	// PolicyCheckedAt is when cerrojo last served or confirmed the policy
	// in use; PolicyStaleAt is when decisions start failing unless a
	// fetch succeeds first. Both are zero before the first fetch.
	PolicyCheckedAt time.Time
	PolicyStaleAt   time.Time
	// PolicyFailures counts policy fetches that failed, and PolicyRejected
	// the documents that were served but refused (not parseable, too
	// large, an ETag that is not their digest).
	PolicyFailures uint64
	PolicyRejected uint64
	// Subjects is how many subjects' bindings are cached.
	Subjects int
	// BindingsHits counts decisions served from the cache, BindingsJoined
	// those that waited for another decision's fetch, BindingsFetches the
	// fetches made and BindingsFailures those that failed.
	BindingsHits     uint64
	BindingsJoined   uint64
	BindingsFetches  uint64
	BindingsFailures uint64
}

// Stats reports the state of the policy and the cache.
func (l *Local) Stats() Stats {
	s := Stats{
		PolicyFailures:   l.policyFailures.Load(),
		PolicyRejected:   l.policyRejected.Load(),
		Subjects:         l.cache.size(),
		BindingsHits:     l.bindingsHits.Load(),
		BindingsJoined:   l.bindingsJoined.Load(),
		BindingsFetches:  l.bindingsFetches.Load(),
		BindingsFailures: l.bindingsFailures.Load(),
	}
	if st := l.policy.Load(); st != nil {
		s.PolicyVersion = st.policy.Version()
		s.PolicyDigest = st.policy.Digest()
		s.PolicyCheckedAt = st.checkedAt
		s.PolicyStaleAt = st.checkedAt.Add(l.maxStale)
	}
	return s
}
