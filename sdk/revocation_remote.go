package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// RemoteRevocationsConfig configures a RemoteRevocations.
type RemoteRevocationsConfig struct {
	// URL is the revocation list, such as
	// https://auth.example.co/v1/sessions/revocations. It must be https,
	// except on a loopback host or with AllowHTTP.
	URL string
	// AllowHTTP permits a plain http URL on any host. Anyone who can alter
	// that traffic can then hide revocations: use it only where the
	// network itself is authenticated (a service mesh with mTLS).
	AllowHTTP bool
	// Client makes the requests. The default has Timeout as its timeout and
	// refuses redirects, so the list comes from the configured URL only.
	Client *http.Client
	// Timeout bounds one fetch; zero means DefaultFetchTimeout.
	Timeout time.Duration
	// Now tells the time; nil means time.Now. It dates each check and
	// expires entries; the waits of Run use the real clock.
	Now func() time.Time
	// PollInterval is how often Run fetches the list. Zero means what the
	// server says in poll_seconds (DefaultRevocationPoll until the first
	// fetch), which is how cerrojo's operators tune it for every service
	// at once. Otherwise it must be 1 s to 10 min.
	PollInterval time.Duration
	// MaxStale is how long after the last successful check the list in
	// use still answers while fetches fail; past it Revoked returns an
	// error and Verify fails closed. Zero means three poll intervals, so
	// that two failed polls in a row (a deploy of the issuer, a network
	// blip) do not take the service down, while a verifier cut off from
	// the issuer stops accepting tokens after a bounded time. It must not
	// be less than PollInterval; with PollInterval zero, keep it above the
	// server's poll_seconds, or Verify fails between polls.
	MaxStale time.Duration
}

// RemoteRevocations is a Revocations fed by polling cerrojo's revocation
// list (GET /v1/sessions/revocations): the sessions that ended while
// access tokens issued in them may still be alive. Run keeps it fresh;
// Revoked answers from memory, taking no lock and doing no I/O. It is
// safe for concurrent use.
//
// Guarantee: once a session ends, a verifier using a RemoteRevocations
// refuses the session's access tokens from its next successful poll on,
// that is within one poll interval and one fetch (plus the max-age of any
// shared HTTP cache between the service and cerrojo). While the list
// cannot be fetched, the last good one answers for MaxStale after the
// last successful check; after that, and before the first successful
// fetch, Revoked returns an error wrapping ErrRevocationUnavailable for
// every token, and Verify fails closed, rather than accept tokens of
// sessions whose end it can no longer hear about.
//
// The list names sessions (the sid claim), not single tokens: a token
// without a sid, such as a client-credentials token, is never refused by
// it, and ends only when it expires.
type RemoteRevocations struct {
	endpoint
	pollInterval time.Duration // zero: the server's poll_seconds
	maxStale     time.Duration // zero: revocationStaleFactor poll intervals

	list     atomic.Pointer[revocationList]
	failures atomic.Uint64

	mu sync.Mutex // serialises fetches, so one ETag is revalidated at a time
}

// revocationList is one checked document, never modified once published.
type revocationList struct {
	sessions  map[string]time.Time // sid to expires_at
	poll      time.Duration        // the server's poll_seconds, bounded
	etag      string
	checkedAt time.Time // when the fetch that read or confirmed it started
}

// NewRemoteRevocations returns a revocation list for cfg.URL. It fetches
// nothing until Run or Refresh: until then Revoked fails closed.
func NewRemoteRevocations(cfg RemoteRevocationsConfig) (*RemoteRevocations, error) {
	e, err := newEndpoint(endpointConfig{doc: "revocation list", url: cfg.URL,
		allowHTTP: cfg.AllowHTTP, client: cfg.Client, timeout: cfg.Timeout, now: cfg.Now})
	if err != nil {
		return nil, err
	}
	poll, stale := cfg.PollInterval, cfg.MaxStale
	switch {
	case poll != 0 && (poll < minRevocationPoll || poll > maxRevocationPoll):
		return nil, fmt.Errorf("sdk: RemoteRevocationsConfig.PollInterval is %s, want 0 or %s "+
			"to %s", poll, minRevocationPoll, maxRevocationPoll)
	case stale < 0:
		return nil, fmt.Errorf("sdk: RemoteRevocationsConfig.MaxStale is %s, want 0 or more",
			stale)
	case stale != 0 && stale < poll:
		return nil, fmt.Errorf("sdk: RemoteRevocationsConfig.MaxStale is %s, less than "+
			"PollInterval %s", stale, poll)
	}
	return &RemoteRevocations{endpoint: e, pollInterval: poll, maxStale: stale}, nil
}

// Revoked reports whether c's session is on the list. It returns an error
// wrapping ErrRevocationUnavailable when no list has been fetched yet or
// the last successful check is older than MaxStale.
//
// An entry applies until MaxLeeway past its expires_at, the time the
// session's last access token expires. A verifier accepts a token for up
// to its leeway past exp, so dropping the entry at expires_at itself would
// accept that last token again for as long; past the margin every verifier
// refuses the token as expired before it asks here.
func (r *RemoteRevocations) Revoked(_ context.Context, c *Claims) (bool, error) {
	list := r.list.Load()
	if list == nil {
		return false, revocationUnavailable("no revocation list has been fetched yet")
	}
	now := r.now()
	if age, limit := now.Sub(list.checkedAt), r.staleAfter(list); age > limit {
		return false, revocationUnavailable(fmt.Sprintf("the revocation list was last "+
			"checked %s ago, more than %s", age.Round(time.Second), limit))
	}

	if c.SessionID == "" {
		return false, nil
	}
	expires, ok := list.sessions[c.SessionID]
	return ok && now.Before(expires.Add(MaxLeeway)), nil
}

// revocationUnavailable is why Revoked could not answer. It matches
// ErrRevocationUnavailable under errors.Is and reads as its detail alone,
// since Verify prefixes that sentinel's own text.
type revocationUnavailable string

func (e revocationUnavailable) Error() string { return string(e) }
func (e revocationUnavailable) Unwrap() error { return ErrRevocationUnavailable }

// Refresh fetches the list now. It sends the ETag of the list in use as
// If-None-Match, and a 304 Not Modified confirms that list: it counts as a
// successful check. A failed fetch, or a document that parseRevocationList
// refuses, leaves the list in use as it was, is counted in Stats, and
// returns an error wrapping ErrRevocationUnavailable. Services may call
// Refresh at start-up to fail early; Run calls it on every poll.
func (r *RemoteRevocations) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	next, err := r.fetch(ctx, r.list.Load())
	if err != nil {
		r.failures.Add(1)
		return refuse(ErrRevocationUnavailable, "fetch revocation list: %v", err)
	}
	r.list.Store(next)
	return nil
}

func (r *RemoteRevocations) fetch(ctx context.Context, seen *revocationList) (
	*revocationList, error) {
	// The check is dated when it starts: the server answers from its state
	// at some moment after this, so the list's age is never understated.
	now := r.now()
	var etag string
	if seen != nil {
		etag = seen.etag
	}
	resp, err := r.get(ctx, "application/json", etag)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	// A 304 to a request that carried no ETag confirms nothing.
	if resp.StatusCode == http.StatusNotModified && etag != "" {
		confirmed := *seen
		confirmed.checkedAt = now
		return &confirmed, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := readBody(resp.Body, MaxRevocationListBytes, "revocation list")
	if err != nil {
		return nil, err
	}
	next, err := parseRevocationList(body, now)
	if err != nil {
		return nil, err
	}
	next.etag = resp.Header.Get("ETag")
	next.checkedAt = now
	return next, nil
}

// Run polls the list until ctx ends: once at once, then every poll
// interval. A failed poll is not retried sooner, so that an issuer outage
// does not turn every service into a retry storm; it is counted in Stats,
// and past MaxStale Revoked fails closed. Run it in its own goroutine for
// the life of the service.
func (r *RemoteRevocations) Run(ctx context.Context) {
	for ctx.Err() == nil {
		// The error is in Stats, and in Verify once the list is stale.
		_ = r.Refresh(ctx)

		t := time.NewTimer(r.interval(r.list.Load()))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// interval is the poll interval in force with list in use.
func (r *RemoteRevocations) interval(list *revocationList) time.Duration {
	switch {
	case r.pollInterval != 0:
		return r.pollInterval
	case list != nil:
		return list.poll
	}
	return DefaultRevocationPoll
}

// staleAfter is MaxStale in force with list in use.
func (r *RemoteRevocations) staleAfter(list *revocationList) time.Duration {
	if r.maxStale != 0 {
		return r.maxStale
	}
	return revocationStaleFactor * r.interval(list)
}

// RevocationStats describes a RemoteRevocations for health checks and
// metrics. The SDK does not log, so this is how a service sees its list
// going stale before Verify starts failing closed.
type RevocationStats struct {
	// CheckedAt is when the list in use was last fetched or confirmed
	// unchanged; zero before the first successful fetch.
	CheckedAt time.Time
	// StaleAt is when Revoked starts failing unless a check succeeds
	// first; zero before the first successful fetch.
	StaleAt time.Time
	// Sessions is how many ended sessions the list in use names.
	Sessions int
	// Failures counts the fetches that failed, ever.
	Failures uint64
}

// Stats reports the state of the list.
func (r *RemoteRevocations) Stats() RevocationStats {
	s := RevocationStats{Failures: r.failures.Load()}
	if list := r.list.Load(); list != nil {
		s.CheckedAt = list.checkedAt
		s.StaleAt = list.checkedAt.Add(r.staleAfter(list))
		s.Sessions = len(list.sessions)
	}
	return s
}

// revocationEntry is one entry of the list as cerrojo writes it.
type revocationEntry struct {
	SessionID string `json:"sid"`
	RevokedAt string `json:"revoked_at"`
	ExpiresAt string `json:"expires_at"`
}

// parseRevocationList reads the document cerrojo serves at
// /v1/sessions/revocations,
//
//	{"sessions":[{"sid":"ses_...","revoked_at":"2026-03-01T12:00:00Z",
//	  "expires_at":"2026-03-01T12:10:00Z"}],"poll_seconds":30}
//
// strictly: the document and each entry have exactly these members, each
// once and spelled exactly (no escapes, no case variants), with values of
// the right types and nothing after the document; at most
// MaxRevocationEntries entries; session ids of 1 to maxSessionIDLen bytes;
// RFC 3339 times; a positive poll_seconds, bounded to the poll limits. A
// document that breaks any rule is refused whole, so that a broken one
// never replaces a good one.
//
// An unknown member is refused rather than skipped: it may carry
// revocations of a kind this version cannot apply (single tokens, say),
// and answering as if it had read them would accept tokens the issuer
// refused. A server that extends the document must serve the extension
// under a new address.
//
// Entries whose tokens every verifier already refuses as expired at now
// are dropped; a session listed twice keeps its later expires_at.
func parseRevocationList(doc []byte, now time.Time) (*revocationList, error) {
	if len(doc) > MaxRevocationListBytes {
		return nil, fmt.Errorf("sdk: revocation list is over %d bytes", MaxRevocationListBytes)
	}
	if err := exactMembers(doc, "sessions", "poll_seconds"); err != nil {
		return nil, fmt.Errorf("sdk: revocation list: %v", err)
	}
	var raw struct {
		Sessions    []json.RawMessage `json:"sessions"`
		PollSeconds int64             `json:"poll_seconds"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("sdk: revocation list: %v", err)
	}
	switch {
	case raw.Sessions == nil:
		return nil, errors.New("sdk: revocation list: sessions is not an array")
	case len(raw.Sessions) > MaxRevocationEntries:
		return nil, fmt.Errorf("sdk: revocation list has %d entries, more than %d",
			len(raw.Sessions), MaxRevocationEntries)
	case raw.PollSeconds <= 0:
		return nil, fmt.Errorf("sdk: revocation list: poll_seconds is %d, want more than 0",
			raw.PollSeconds)
	}

	secs := min(raw.PollSeconds, int64(maxRevocationPoll/time.Second))
	list := &revocationList{sessions: make(map[string]time.Time, len(raw.Sessions)),
		poll: max(time.Duration(secs)*time.Second, minRevocationPoll)}
	for i, entry := range raw.Sessions {
		sid, expires, err := parseRevocationEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("sdk: revocation list entry %d: %v", i, err)
		}
		if !now.Before(expires.Add(MaxLeeway)) {
			continue
		}
		if prev, ok := list.sessions[sid]; !ok || expires.After(prev) {
			list.sessions[sid] = expires
		}
	}
	return list, nil
}

// parseRevocationEntry reads one entry and returns its sid and expiry.
func parseRevocationEntry(raw []byte) (string, time.Time, error) {
	if err := exactMembers(raw, "sid", "revoked_at", "expires_at"); err != nil {
		return "", time.Time{}, err
	}
	var e revocationEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return "", time.Time{}, err
	}

	if e.SessionID == "" || len(e.SessionID) > maxSessionIDLen {
		return "", time.Time{}, fmt.Errorf("sid is empty or longer than %d bytes",
			maxSessionIDLen)
	}
	// The times are not quoted back: the error would echo up to the whole
	// body into the caller's logs.
	if _, err := time.Parse(time.RFC3339, e.RevokedAt); err != nil {
		return "", time.Time{}, errors.New("revoked_at is not an RFC 3339 time")
	}
	expires, err := time.Parse(time.RFC3339, e.ExpiresAt)
	if err != nil {
		return "", time.Time{}, errors.New("expires_at is not an RFC 3339 time")
	}
	return e.SessionID, expires, nil
}

// exactMembers checks that data is one JSON object whose members are
// names, each exactly once. topLevelMembers refuses escapes in names, so
// comparing bytes is exact, and encoding/json, which matches names without
// regard to case, never sees a near-miss such as "SID".
func exactMembers(data []byte, names ...string) error {
	var spans [maxMembers]span
	n, err := topLevelMembers(data, &spans)
	if err != nil {
		return err
	}
	var seen uint
	for _, m := range spans[:n] {
		name := m.of(data)
		i := 0
		for i < len(names) && names[i] != string(name) {
			i++
		}
		switch {
		case i == len(names):
			// Quoted in part only: a name can be as long as the body.
			return fmt.Errorf("unknown member %q", name[:min(len(name), 40)])
		case seen&(1<<i) != 0:
			return fmt.Errorf("member %q appears twice", name)
		}
		seen |= 1 << i
	}
	for i, name := range names {
		if seen&(1<<i) == 0 {
			return fmt.Errorf("member %q is missing", name)
		}
	}
	return nil
}
