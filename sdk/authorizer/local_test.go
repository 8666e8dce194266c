package authorizer_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
	"github.com/cerrojo/cerrojo/sdk/authorizer"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

// decisionCase is one question asked of cerrojo's default policy, with
// the bindings the subject holds.
type decisionCase struct {
	name       string
	grants     []grant // nil: a subject cerrojo does not know
	claims     *sdk.Claims
	permission string
	resource   *authz.Resource
	wantAllow  bool
	wantErr    error
}

var decisionCases = []decisionCase{
	{name: "vendor staff update a live product of their vendor",
		grants: []grant{{role: "vendor_staff", vendor: "v1"}}, claims: token("usr_1", "pwd"),
		permission: "product:update", resource: product("v1", "published"), wantAllow: true},
	{name: "vendor staff cannot update another vendor's product",
		grants: []grant{{role: "vendor_staff", vendor: "v1"}}, claims: token("usr_1", "pwd"),
		permission: "product:update", resource: product("v2", "published")},
	{name: "an inherited role grants through the owner's binding",
		grants: []grant{{role: "vendor_owner", vendor: "v1"}}, claims: token("usr_1", "pwd"),
		permission: "product:update", resource: product("v1", "draft"), wantAllow: true},
	{name: "an expired binding grants nothing",
		grants: []grant{{role: "vendor_staff", vendor: "v1",
			expires: testNow.Add(-time.Second)}},
		claims: token("usr_1", "pwd"), permission: "product:update",
		resource: product("v1", "published")},
	{name: "a customer reads an own order",
		grants: []grant{{role: "customer"}}, claims: token("usr_1", "pwd"),
		permission: "order:read", resource: &authz.Resource{Type: "order", ID: "o1",
			Attributes: map[string]any{"vendor": "v1", "owner": "usr_1", "status": "paid"}},
		wantAllow: true},
	{name: "a customer cannot read another's order",
		grants: []grant{{role: "customer"}}, claims: token("usr_1", "pwd"),
		permission: "order:read", resource: &authz.Resource{Type: "order", ID: "o1",
			Attributes: map[string]any{"vendor": "v1", "owner": "usr_2", "status": "paid"}}},
	{name: "an admin approves a payout after a second factor",
		grants: []grant{{role: "admin"}}, claims: token("usr_1", "pwd", "otp"),
		permission: "payout:approve", resource: &authz.Resource{Type: "payout", ID: "po1",
			Attributes: map[string]any{"vendor": "v1", "amount": 10, "status": "requested"}},
		wantAllow: true},
	{name: "an admin with a password only cannot approve a payout",
		grants: []grant{{role: "admin"}}, claims: token("usr_1", "pwd"),
		permission: "payout:approve", resource: &authz.Resource{Type: "payout", ID: "po1",
			Attributes: map[string]any{"vendor": "v1", "amount": 10, "status": "requested"}}},
	{name: "an unknown subject holds only the implicit role",
		claims: token("usr_9", "pwd"), permission: "product:read",
		resource: product("v1", "published"), wantAllow: true},
	{name: "an unknown subject cannot update",
		claims: token("usr_9", "pwd"), permission: "product:update",
		resource: product("v1", "published")},
	{name: "an unknown permission is an error",
		grants: []grant{{role: "admin"}}, claims: token("usr_1", "pwd"),
		permission: "product:frobnicate", resource: product("v1", "published"),
		wantErr: authz.ErrUnknownPermission},
	{name: "a permission of another type is an error",
		grants: []grant{{role: "admin"}}, claims: token("usr_1", "pwd"),
		permission: "order:read", resource: product("v1", "published"),
		wantErr: authz.ErrTypeMismatch},
	{name: "no claims is an error", permission: "product:read",
		resource: product("v1", "published"), wantErr: authorizer.ErrInvalidRequest},
	{name: "no resource is an error", claims: token("usr_1"), permission: "product:read",
		wantErr: authorizer.ErrInvalidRequest},
	{name: "a dot segment for a subject is an error", claims: token(".."),
		permission: "product:read", resource: product("v1", "published"),
		wantErr: authorizer.ErrInvalidRequest},
	{name: "an overlong subject is an error", claims: token(strings.Repeat("u", 129)),
		permission: "product:read", resource: product("v1", "published"),
		wantErr: authorizer.ErrInvalidRequest},
}

// want decides tc with the policy itself, the reference both modes must
// agree with.
func (tc *decisionCase) want(t *testing.T) authz.Decision {
	t.Helper()
	var bindings []authz.Binding
	for _, g := range tc.grants {
		bindings = append(bindings, authz.Binding{Role: g.role, Vendor: g.vendor,
			ExpiresAt: g.expires})
	}
	c := tc.claims
	d, err := authz.Default().Check(&authz.Subject{ID: c.Subject, Bindings: bindings},
		tc.permission, tc.resource, &authz.Context{Time: testNow, IP: "203.0.113.5",
			AuthLevel: authz.LevelFromAMR(c.AMR), AuthTime: c.AuthTime.Time(), AMR: c.AMR})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if d.Allowed != tc.wantAllow {
		t.Fatalf("the case is wrong: Check says allowed %v", d.Allowed)
	}
	return d
}

// runDecisionCases asks every case of a and compares with Policy.Check.
func runDecisionCases(t *testing.T, f *fakeCerrojo, a authorizer.Authorizer) {
	for _, tc := range decisionCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.claims != nil {
				f.set(func(f *fakeCerrojo) {
					delete(f.grants, tc.claims.Subject)
					if tc.grants != nil {
						f.grants[tc.claims.Subject] = tc.grants
					}
				})
				if l, ok := a.(*authorizer.Local); ok {
					l.Invalidate(tc.claims.Subject)
				}
			}
			got, err := a.Authorize(t.Context(), authorizer.Request{Claims: tc.claims,
				Permission: tc.permission, Resource: tc.resource, IP: "203.0.113.5"})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want(t)
			if want.Binding != nil {
				// Remote's binding carries no expiry; the cases have none.
				if got.Binding == nil || *got.Binding != *want.Binding {
					t.Errorf("got binding %+v, want %+v", got.Binding, want.Binding)
				}
			} else if got.Binding != nil {
				t.Errorf("got binding %+v, want none", got.Binding)
			}
			got.Binding, want.Binding = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestLocalAgreesWithPolicyCheck(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	runDecisionCases(t, f, newLocal(t, f))
}

func TestLocalDecisionDoesNotShareTheCache(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)
	req := authorizer.Request{Claims: token("usr_1"), Permission: "product:update",
		Resource: product("v1", "published")}

	d, err := l.Authorize(t.Context(), req)
	if err != nil || d.Binding == nil {
		t.Fatalf("got %+v, %v; want a grant through a binding", d, err)
	}
	d.Binding.Vendor = "v2"
	d, err = l.Authorize(t.Context(), req)
	if err != nil || d.Binding == nil || d.Binding.Vendor != "v1" {
		t.Fatalf("got %+v, %v; want the cached binding unchanged", d, err)
	}
}

// authorize asks whether usr_1 may update a live product of vendor v1.
func authorize(t *testing.T, a authorizer.Authorizer) (bool, error) {
	t.Helper()
	d, err := a.Authorize(t.Context(), authorizer.Request{Claims: token("usr_1", "pwd"),
		Permission: "product:update", Resource: product("v1", "published")})
	return d.Allowed, err
}

func mustAllow(t *testing.T, a authorizer.Authorizer, want bool) {
	t.Helper()
	got, err := authorize(t, a)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if got != want {
		t.Fatalf("got allowed %v, want %v", got, want)
	}
}

func TestLocalBindingsCache(t *testing.T) {
	staff := []grant{{role: "vendor_staff", vendor: "v1"}}
	tests := []struct {
		name string
		cfg  func(*authorizer.LocalConfig)
		// after revoking the binding on the server
		act          func(c *clock, l *authorizer.Local)
		wantAllowed  bool
		wantRequests int64
	}{
		{name: "a revocation is not seen within the TTL",
			act:         func(c *clock, _ *authorizer.Local) { c.advance(4 * time.Second) },
			wantAllowed: true, wantRequests: 1},
		{name: "a revocation applies once the TTL has passed",
			act:          func(c *clock, _ *authorizer.Local) { c.advance(5 * time.Second) },
			wantRequests: 2},
		{name: "a revocation applies at once with no cache",
			cfg: func(c *authorizer.LocalConfig) {
				c.BindingsTTL = authorizer.NoBindingsCache
			},
			act:          func(*clock, *authorizer.Local) {},
			wantRequests: 2},
		{name: "a revocation applies at once after Invalidate",
			act:          func(_ *clock, l *authorizer.Local) { l.Invalidate("usr_1") },
			wantRequests: 2},
		{name: "Invalidate of another subject keeps the cache",
			act:         func(_ *clock, l *authorizer.Local) { l.Invalidate("usr_2") },
			wantAllowed: true, wantRequests: 1},
		{name: "a longer configured TTL is honoured",
			cfg:         func(c *authorizer.LocalConfig) { c.BindingsTTL = time.Minute },
			act:         func(c *clock, _ *authorizer.Local) { c.advance(59 * time.Second) },
			wantAllowed: true, wantRequests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{now: testNow}
			f := newFakeCerrojo(t, c)
			f.grants["usr_1"] = staff
			var mutate []func(*authorizer.LocalConfig)
			if tc.cfg != nil {
				mutate = append(mutate, tc.cfg)
			}
			l := newLocal(t, f, mutate...)
			mustAllow(t, l, true)

			f.set(func(f *fakeCerrojo) { f.grants["usr_1"] = []grant{} })
			tc.act(c, l)
			mustAllow(t, l, tc.wantAllowed)
			if got := f.bindingsRequests.Load(); got != tc.wantRequests {
				t.Errorf("got %d bindings requests, want %d", got, tc.wantRequests)
			}
		})
	}
}

func TestLocalCacheHitsMakeNoRequests(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)

	for range 5 {
		mustAllow(t, l, true)
	}
	if got := f.bindingsRequests.Load(); got != 1 {
		t.Errorf("got %d bindings requests, want 1", got)
	}
	if got := f.policyRequests.Load(); got != 1 {
		t.Errorf("got %d policy requests, want 1", got)
	}
	if s := l.Stats(); s.BindingsHits != 4 || s.BindingsFetches != 1 || s.Subjects != 1 {
		t.Errorf("got stats %+v, want 4 hits, 1 fetch, 1 subject", s)
	}
}

func TestLocalServerMaxAgeShortensTTL(t *testing.T) {
	c := &clock{now: testNow}
	f := newFakeCerrojo(t, c)
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	f.maxAge = 1
	l := newLocal(t, f)

	mustAllow(t, l, true)
	c.advance(time.Second)
	mustAllow(t, l, true)
	if got := f.bindingsRequests.Load(); got != 2 {
		t.Errorf("got %d bindings requests, want 2", got)
	}
}

func TestLocalEvictsOldestSubjects(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	l := newLocal(t, f, func(c *authorizer.LocalConfig) { c.MaxSubjects = 2 })
	ask := func(sub string) {
		t.Helper()
		_, err := l.Authorize(t.Context(), authorizer.Request{Claims: token(sub),
			Permission: "product:read", Resource: product("v1", "published")})
		if err != nil {
			t.Fatal(err)
		}
	}

	for _, sub := range []string{"usr_1", "usr_2", "usr_3", "usr_3", "usr_2"} {
		ask(sub)
	}
	if got := f.bindingsRequests.Load(); got != 3 {
		t.Fatalf("got %d bindings requests, want 3", got)
	}
	if got := l.Stats().Subjects; got != 2 {
		t.Fatalf("got %d cached subjects, want 2", got)
	}
	ask("usr_1") // evicted first
	if got := f.bindingsRequests.Load(); got != 4 {
		t.Fatalf("got %d bindings requests, want 4", got)
	}
}

func TestLocalConcurrentMissesShareOneFetch(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)
	if err := l.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	release := f.hold(t)

	const n = 16
	var wg sync.WaitGroup
	results := make(chan error, n)
	for range n {
		wg.Go(func() {
			allowed, err := authorize(t, l)
			if err == nil && !allowed {
				err = errors.New("denied")
			}
			results <- err
		})
	}
	waitFor(t, func() bool { return l.Stats().BindingsJoined == n-1 })
	release()
	wg.Wait()
	close(results)

	for err := range results {
		if err != nil {
			t.Errorf("Authorize: %v", err)
		}
	}
	if got := f.bindingsRequests.Load(); got != 1 {
		t.Errorf("got %d bindings requests, want 1", got)
	}
}

func TestLocalWaiterGivesUpWithoutFailingTheFetch(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)
	if err := l.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	release := f.hold(t)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := l.Authorize(ctx, authorizer.Request{Claims: token("usr_1"),
			Permission: "product:update", Resource: product("v1", "published")})
		done <- err
	}()
	waitFor(t, func() bool { return f.bindingsRequests.Load() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, authorizer.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}

	release()
	waitFor(t, func() bool { return l.Stats().Subjects == 1 })
	mustAllow(t, l, true)
	if got := f.bindingsRequests.Load(); got != 1 {
		t.Errorf("got %d bindings requests, want 1", got)
	}
}

func TestLocalInvalidateDuringFetchIsNotCached(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)
	if err := l.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	release := f.hold(t)

	done := make(chan bool, 1)
	go func() {
		allowed, _ := authorize(t, l)
		done <- allowed
	}()
	waitFor(t, func() bool { return f.bindingsRequests.Load() == 1 })
	// The binding is revoked while the fetch, which read it, is in flight.
	f.set(func(f *fakeCerrojo) { f.grants["usr_1"] = []grant{}; f.gate = nil })
	l.Invalidate("usr_1")
	release()
	<-done

	mustAllow(t, l, false)
	if got := f.bindingsRequests.Load(); got != 2 {
		t.Errorf("got %d bindings requests, want 2", got)
	}
}

// waitFor polls cond until it holds, for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// changedPolicy is the default policy with a new version, in which vendor
// staff may update drafts only.
func changedPolicy(t *testing.T) *authz.Policy {
	t.Helper()
	src := string(authz.DefaultSource())
	src = strings.Replace(src, `version: "2026-12-01"`, `version: "2026-12-02"`, 1)
	src = strings.Replace(src, `permissions: ["product:update"]
    when: resource.status != "archived"`, `permissions: ["product:update"]
    when: resource.status == "draft"`, 1)
	p, err := authz.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest() == authz.Default().Digest() {
		t.Fatal("the policy did not change")
	}
	return p
}

func TestLocalPolicyRefresh(t *testing.T) {
	c := &clock{now: testNow}
	f := newFakeCerrojo(t, c)
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)
	ctx := t.Context()

	if err := l.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	mustAllow(t, l, true)

	t.Run("an unchanged policy is confirmed with 304", func(t *testing.T) {
		c.advance(time.Minute)
		if err := l.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		s := l.Stats()
		if f.notModified.Load() != 1 || !s.PolicyCheckedAt.Equal(c.Now()) {
			t.Fatalf("got %d 304s and stats %+v, want one 304 dated now",
				f.notModified.Load(), s)
		}
	})

	t.Run("a changed policy replaces the one in use", func(t *testing.T) {
		next := changedPolicy(t)
		f.set(func(f *fakeCerrojo) { f.policy = next })
		if err := l.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got := l.Stats().PolicyDigest; got != next.Digest() {
			t.Fatalf("got digest %s, want %s", got, next.Digest())
		}
		l.Invalidate("usr_1")
		mustAllow(t, l, false)
	})

	t.Run("a broken policy is refused and the previous kept", func(t *testing.T) {
		before := l.Stats()
		f.set(func(f *fakeCerrojo) {
			f.override[routePolicy] = "version: [\n"
			f.etag = `"sha256:broken"`
		})
		err := l.Refresh(ctx)
		if !errors.Is(err, authorizer.ErrUnavailable) || !errors.Is(err, authz.ErrInvalidPolicy) {
			t.Fatalf("got %v, want ErrUnavailable and authz.ErrInvalidPolicy", err)
		}
		s := l.Stats()
		if s.PolicyDigest != before.PolicyDigest || s.PolicyRejected != before.PolicyRejected+1 {
			t.Fatalf("got stats %+v, want the previous policy and one more rejection", s)
		}
		mustAllow(t, l, false)
	})

	t.Run("a policy whose ETag is not its digest is refused", func(t *testing.T) {
		before := l.Stats()
		f.set(func(f *fakeCerrojo) {
			delete(f.override, routePolicy)
			f.policy = authz.Default()
			f.etag = `"sha256:` + strings.Repeat("0", 64) + `"`
		})
		if err := l.Refresh(ctx); err == nil {
			t.Fatal("got no error, want the policy refused")
		}
		s := l.Stats()
		if s.PolicyDigest != before.PolicyDigest || s.PolicyRejected != before.PolicyRejected+1 {
			t.Fatalf("got stats %+v, want the previous policy and one more rejection", s)
		}
	})
}

func TestLocalCatchesUpWithPolicyOfBindings(t *testing.T) {
	c := &clock{now: testNow}
	f := newFakeCerrojo(t, c)
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)
	mustAllow(t, l, true)

	next := changedPolicy(t)
	f.set(func(f *fakeCerrojo) { f.policy = next })
	c.advance(5 * time.Second) // the bindings expire; no Refresh, no Run
	mustAllow(t, l, false)
	if got := l.Stats().PolicyDigest; got != next.Digest() {
		t.Fatalf("got digest %s, want %s", got, next.Digest())
	}
	if got := f.policyRequests.Load(); got != 2 {
		t.Errorf("got %d policy requests, want 2", got)
	}
}

func TestLocalRun(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	l := newLocal(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		l.Run(ctx)
		close(done)
	}()

	waitFor(t, func() bool { return l.Stats().PolicyDigest != "" })
	cancel()
	<-done
	if got := f.policyRequests.Load(); got != 1 {
		t.Errorf("got %d policy requests, want 1", got)
	}
}
