package sdk

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RemoteKeySetConfig configures a RemoteKeySet.
type RemoteKeySetConfig struct {
	// URL is the JWKS address, such as https://auth.example.co/.well-known/jwks.json.
	// It must be https, except on a loopback host or with AllowHTTP.
	URL string
	// AllowHTTP permits a plain http URL on any host. Anyone who can alter
	// that traffic can then publish keys and mint tokens: use it only where
	// the network itself is authenticated (a service mesh with mTLS).
	AllowHTTP bool
	// Client makes the requests. The default has Timeout as its timeout and
	// refuses redirects, so the keys come from the configured URL only.
	Client *http.Client
	// Timeout bounds one fetch; zero means DefaultFetchTimeout.
	Timeout time.Duration
	// Now tells the time; nil means time.Now.
	Now func() time.Time
}

// RemoteKeySet is a KeySource that fetches a JWKS over HTTP and caches it.
// It is safe for concurrent use, and a verification that finds its key in
// the cache takes no lock and does no I/O.
//
// Caching: the document is used for its Cache-Control max-age, bounded to
// [30 s, 24 h] (5 minutes without one), and revalidated with its ETag. A
// token with a kid not in the cache triggers a fetch, at most one every
// MinRefreshInterval. When a fetch fails the cached keys stay in use for
// up to an hour past their expiry; after that verification fails with
// ErrKeysUnavailable. Only one fetch runs at a time; concurrent callers
// that need it wait for its result.
type RemoteKeySet struct {
	endpoint

	state atomic.Pointer[remoteState]

	mu        sync.Mutex // serialises fetches; guards lastFetch
	lastFetch time.Time  // when the last fetch started, successful or not
}

// remoteState is one fetched document, never modified once published.
type remoteState struct {
	keys       map[string]*PublicKey
	etag       string
	expires    time.Time // fetch again after this
	staleUntil time.Time // stop trusting these keys after this, if fetches fail
}

// NewRemoteKeySet returns a key set for cfg.URL. It fetches nothing until
// the first verification or an explicit Refresh.
func NewRemoteKeySet(cfg RemoteKeySetConfig) (*RemoteKeySet, error) {
	e, err := newEndpoint(endpointConfig{doc: "JWKS", url: cfg.URL, allowHTTP: cfg.AllowHTTP,
		client: cfg.Client, timeout: cfg.Timeout, now: cfg.Now})
	if err != nil {
		return nil, err
	}
	return &RemoteKeySet{endpoint: e}, nil
}

// endpoint is a document the SDK fetches from the issuer. RemoteKeySet and
// RemoteRevocations share its rules: https unless the host is loopback or
// the caller allows http, a timeout on every fetch, no redirects.
type endpoint struct {
	url     string
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

// endpointConfig is what newEndpoint checks; doc names the document in
// errors ("JWKS", "revocation list").
type endpointConfig struct {
	doc       string
	url       string
	allowHTTP bool
	client    *http.Client
	timeout   time.Duration
	now       func() time.Time
}

func newEndpoint(c endpointConfig) (endpoint, error) {
	u, err := url.Parse(c.url)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return endpoint{}, fmt.Errorf("sdk: %s URL %q is not an absolute http(s) URL", c.doc,
			c.url)
	}
	if u.Scheme == "http" && !c.allowHTTP && !isLoopback(u.Hostname()) {
		return endpoint{}, fmt.Errorf("sdk: %s URL %q must use https (or set AllowHTTP)", c.doc,
			c.url)
	}
	if c.timeout < 0 {
		return endpoint{}, fmt.Errorf("sdk: negative %s fetch timeout", c.doc)
	}

	e := endpoint{url: u.String(), client: c.client, timeout: c.timeout, now: c.now}
	if e.timeout == 0 {
		e.timeout = DefaultFetchTimeout
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.client == nil {
		e.client = &http.Client{
			Timeout: e.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return fmt.Errorf("redirects are not followed for a %s", c.doc)
			},
		}
	}
	return e, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// get requests the document, conditionally when etag is set (RFC 9110
// section 13.1.2).
func (e *endpoint) get(ctx context.Context, accept, etag string) (*http.Response, error) {
	// #nosec G704 -- e.url is the JWKS or revocation URL newEndpoint validated
	// (absolute http(s), https unless AllowHTTP or loopback), set by the application.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	return e.client.Do(req) // #nosec G704 -- req is the request to e.url built above
}

// readBody reads a response body of at most limit bytes and refuses a
// longer one without reading more of it than one byte past the limit.
func readBody(r io.Reader, limit int64, doc string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("sdk: %s is over %d bytes", doc, limit)
	}
	return body, nil
}

// PublicKey returns the key named kid, fetching the JWKS when the cache has
// expired or does not know kid.
func (s *RemoteKeySet) PublicKey(ctx context.Context, kid string) (*PublicKey, error) {
	st := s.state.Load()
	now := s.now()
	if st != nil && now.Before(st.expires) {
		if k, ok := st.keys[kid]; ok {
			return k, nil
		}
	}

	// Expired, never fetched, or an unknown kid: fetch, unless another
	// caller just did.
	fresh, err := s.refresh(ctx, st)
	if err != nil {
		fresh = st // the issuer is unreachable: keep what we had, for a while
	}
	if fresh == nil || !now.Before(fresh.staleUntil) {
		if err == nil {
			err = refuse(ErrKeysUnavailable, "the JWKS expired and was fetched "+
				"without success less than %s ago", MinRefreshInterval)
		}
		return nil, err
	}
	if k, ok := fresh.keys[kid]; ok {
		return k, nil
	}
	return nil, refuse(ErrUnknownKey, "no key has kid %q", kid)
}

// Refresh fetches the JWKS now, unless a fetch started less than
// MinRefreshInterval ago. Services may call it at start-up to fail early.
func (s *RemoteKeySet) Refresh(ctx context.Context) error {
	_, err := s.refresh(ctx, s.state.Load())
	return err
}

// refresh fetches a new document unless the one in use is no longer seen
// (another caller replaced it while this one waited) or the last fetch was
// too recent. It returns the document to use.
func (s *RemoteKeySet) refresh(ctx context.Context, seen *remoteState) (*remoteState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if cur := s.state.Load(); cur != seen {
		return cur, nil
	}
	now := s.now()
	if !s.lastFetch.IsZero() && now.Sub(s.lastFetch) < MinRefreshInterval {
		if seen == nil {
			return nil, refuse(ErrKeysUnavailable, "the last JWKS fetch failed; "+
				"retrying after %s", MinRefreshInterval)
		}
		return seen, nil
	}
	s.lastFetch = now

	// The fetch serves every caller waiting on the lock, so one caller's
	// cancelled request must not cancel it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	next, err := s.fetch(ctx, seen, now)
	if err != nil {
		return nil, refuse(ErrKeysUnavailable, "fetch JWKS: %v", err)
	}
	s.state.Store(next)
	return next, nil
}

func (s *RemoteKeySet) fetch(ctx context.Context, seen *remoteState, now time.Time) (*remoteState, error) {
	var etag string
	if seen != nil {
		etag = seen.etag
	}
	resp, err := s.get(ctx, "application/jwk-set+json, application/json", etag)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	ttl := cacheTTL(resp.Header.Get("Cache-Control"), resp.Header.Get("Age"))
	if resp.StatusCode == http.StatusNotModified && seen != nil {
		return &remoteState{keys: seen.keys, etag: seen.etag, expires: now.Add(ttl),
			staleUntil: now.Add(ttl + staleIfError)}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := readBody(resp.Body, MaxJWKSBytes, "JWKS")
	if err != nil {
		return nil, err
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, err
	}

	st := &remoteState{keys: make(map[string]*PublicKey, len(keys)),
		etag: resp.Header.Get("ETag"), expires: now.Add(ttl),
		staleUntil: now.Add(ttl + staleIfError)}
	for _, k := range keys {
		st.keys[k.kid] = k
	}
	return st, nil
}

// cacheTTL reads max-age from a Cache-Control header (RFC 9111 section
// 5.2.2.1), less the Age a shared cache in between reports (section 5.1),
// and bounds the result. no-store and no-cache mean the shortest time.
func cacheTTL(cacheControl, age string) time.Duration {
	ttl := defaultCacheTTL
	for d := range strings.SplitSeq(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return minCacheTTL
		case "max-age":
			secs, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err != nil || secs < 0 {
				continue
			}
			ttl = time.Duration(min(secs, int64(maxCacheTTL/time.Second))) * time.Second
		}
	}
	if secs, err := strconv.ParseInt(age, 10, 64); err == nil && secs > 0 {
		ttl -= time.Duration(min(secs, int64(maxCacheTTL/time.Second))) * time.Second
	}
	return max(minCacheTTL, min(ttl, maxCacheTTL))
}
