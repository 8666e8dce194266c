package authorizer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authz"
)

// policyState is one policy document as fetched, never modified once
// published.
type policyState struct {
	policy *authz.Policy
	etag   string
	// checkedAt is when the fetch that read or confirmed the document
	// started.
	checkedAt time.Time
}

// errRejected marks a document cerrojo served that was refused, as
// opposed to a fetch that failed; Stats counts them apart.
type errRejected struct{ err error }

func (e *errRejected) Error() string { return e.err.Error() }
func (e *errRejected) Unwrap() error { return e.err }

// Refresh fetches the policy now, sending the ETag of the one in use as
// If-None-Match; a 304 Not Modified confirms it. A failed fetch, or a
// document that does not parse, leaves the policy in use as it was, is
// counted in Stats, and returns an error wrapping ErrUnavailable. Services
// may call Refresh at start-up to fail early; Run calls it on every tick.
func (l *Local) Refresh(ctx context.Context) error {
	l.policyMu.Lock()
	defer l.policyMu.Unlock()
	return l.refreshLocked(ctx)
}

// Run refreshes the policy until ctx ends: once at once, then every
// PolicyRefresh, and drops expired bindings from the cache. A failed
// refresh is not retried sooner, so that an outage of cerrojo does not
// turn every service into a retry storm; it is counted in Stats, and past
// MaxStale decisions fail closed. Run it in its own goroutine for the life
// of the service.
func (l *Local) Run(ctx context.Context) {
	for ctx.Err() == nil {
		// The error is in Stats, and in decisions once the policy is stale.
		_ = l.Refresh(ctx)
		l.cache.prune(l.now())

		t := time.NewTimer(l.policyRefresh)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// currentPolicy returns the policy to decide with: the one in use if
// cerrojo confirmed it within MaxStale, or else a freshly fetched one, at
// most one fetch every minPolicyRetry.
func (l *Local) currentPolicy(ctx context.Context) (*policyState, error) {
	if st := l.policy.Load(); st != nil && l.usable(st) {
		return st, nil
	}
	err := l.retryPolicy(ctx, "")
	if st := l.policy.Load(); st != nil && l.usable(st) {
		return st, nil
	}
	if err == nil {
		err = unavailable("no policy confirmed within %s, and the last fetch was less "+
			"than %s ago", l.maxStale, minPolicyRetry)
	}
	return nil, err
}

// usable reports whether st was confirmed within MaxStale.
func (l *Local) usable(st *policyState) bool {
	return l.now().Sub(st.checkedAt) <= l.maxStale
}

// catchUp fetches the policy when bindings b were read under another one,
// after the policy in use was last confirmed, so that a policy change
// applies at the next bindings fetch rather than at the next tick of Run.
// Bindings read before that confirmation prove nothing newer, and fetch
// nothing. It returns the policy to decide with; when the fetch fails, or
// cerrojo still serves the old document (its nodes may disagree for a
// moment during a rollout), that is the one in use.
func (l *Local) catchUp(ctx context.Context, cur *policyState, b *subjectBindings) *policyState {
	if b.digest == "" || b.digest == cur.policy.Digest() || b.fetchedAt.Before(cur.checkedAt) {
		return cur
	}
	// The error is in Stats; the policy in use is still within MaxStale.
	_ = l.retryPolicy(ctx, b.digest)
	if st := l.policy.Load(); st != nil && l.usable(st) {
		return st
	}
	return cur
}

// retryPolicy is the refresh that decisions trigger: skipped when another
// caller already brought the policy wanted (digest, or any usable one when
// digest is empty), and at most once every minPolicyRetry. The fetch
// serves every caller waiting on the lock, so one caller's cancelled
// request does not cancel it.
func (l *Local) retryPolicy(ctx context.Context, digest string) error {
	l.policyMu.Lock()
	defer l.policyMu.Unlock()

	if st := l.policy.Load(); st != nil && l.usable(st) &&
		(digest == "" || st.policy.Digest() == digest) {
		return nil
	}
	if !l.lastAttempt.IsZero() && l.now().Sub(l.lastAttempt) < minPolicyRetry {
		return nil
	}
	return l.refreshLocked(context.WithoutCancel(ctx))
}

// refreshLocked fetches the policy; l.policyMu is held.
func (l *Local) refreshLocked(ctx context.Context) error {
	now := l.now()
	l.lastAttempt = now
	ctx, cancel := context.WithTimeout(ctx, l.client.timeout)
	defer cancel()

	next, err := l.fetchPolicy(ctx, l.policy.Load(), now)
	if err != nil {
		if _, ok := errors.AsType[*errRejected](err); ok {
			l.policyRejected.Add(1)
		} else {
			l.policyFailures.Add(1)
		}
		return unavailable("fetch policy: %w", err)
	}
	l.policy.Store(next)
	return nil
}

// fetchPolicy requests the document, conditionally on the ETag of seen,
// and parses it. The check is dated now, when it starts: cerrojo answers
// from its state at some later moment, so the policy's age is never
// understated.
func (l *Local) fetchPolicy(ctx context.Context, seen *policyState, now time.Time) (
	*policyState, error) {
	var etag string
	if seen != nil {
		etag = seen.etag
	}
	resp, err := l.client.get(ctx, pathPolicy, "application/yaml", etag)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	// A 304 to a request that carried no ETag confirms nothing.
	if resp.StatusCode == http.StatusNotModified && etag != "" {
		return &policyState{policy: seen.policy, etag: seen.etag, checkedAt: now}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp.StatusCode, problemCode(resp))
	}
	if !hasMediaType(resp, "application/yaml", "application/x-yaml", "text/yaml") {
		return nil, &errRejected{errors.New("the policy is not application/yaml")}
	}
	body, err := readBody(resp.Body, authz.MaxPolicyBytes)
	if _, ok := errors.AsType[*tooLargeError](err); ok {
		return nil, &errRejected{err}
	}
	if err != nil {
		return nil, err
	}
	p, err := authz.Parse(body)
	if err != nil {
		return nil, &errRejected{err}
	}
	// The ETag is the quoted digest of the document. Another value means
	// the bytes were altered on the way, or the server is not cerrojo.
	got := resp.Header.Get("ETag")
	if got != "" && got != `"`+p.Digest()+`"` {
		return nil, &errRejected{fmt.Errorf("the policy's ETag is not its digest %s",
			p.Digest())}
	}
	return &policyState{policy: p, etag: got, checkedAt: now}, nil
}
