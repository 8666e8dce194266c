package authz

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

type fixture struct {
	svc   *Service
	clock *clock.Fake
	log   *audit.Log
	db    *storage.DB
}

var t0 = time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, db *storage.DB, auditAllowed bool) *fixture {
	t.Helper()
	fake := clock.NewFake(t0)
	master := make([]byte, 32)
	rand.Read(master)
	ring, _ := keyring.New(rand.Reader, master)
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	// Every vendor sells except those whose id says they are in review, as
	// the app's hook reads it from the vendors' status.
	approvedVendors := func(_ context.Context, ids []string) ([]string, error) {
		var out []string
		for _, id := range ids {
			if !strings.HasPrefix(id, "ven_review") {
				out = append(out, id)
			}
		}
		return out, nil
	}
	svc := New(Options{DB: db, Policy: policy.Default(), Audit: log, Clock: fake,
		AuditAllowed: auditAllowed, ApprovedVendors: approvedVendors})
	return &fixture{svc: svc, clock: fake, log: log, db: db}
}

// addUser inserts a bare account of the given kind and state.
func addUser(t *testing.T, db *storage.DB, id, kind, state string) {
	storagetest.AddUser(t, db, id, kind, state)
}

var (
	meta   = Meta{IP: "203.0.113.9", UserAgent: "test", RequestID: "r1"}
	cli    = Actor{System: "cli"}
	asker  = Asker{ClientID: "cli_catalog", Context: policy.Context{AuthLevel: 1}}
	vendor = func(v string) map[string]any { return map[string]any{"vendor": v, "status": "draft"} }
)

func (f *fixture) grant(t *testing.T, by Actor, user, role, vendor string, exp time.Time) {
	t.Helper()
	if _, _, err := f.svc.Grant(context.Background(), by, GrantInput{UserID: user, Role: role,
		Vendor: vendor, ExpiresAt: exp}, meta); err != nil {
		t.Fatalf("grant %s/%s to %s: %v", role, vendor, user, err)
	}
}

func (f *fixture) check(t *testing.T, user, perm string, r *policy.Resource) policy.Decision {
	t.Helper()
	ds, err := f.svc.Check(context.Background(), user, []Question{{Permission: perm, Resource: r}},
		asker, meta)
	if err != nil {
		t.Fatalf("check %s: %v", perm, err)
	}
	return ds[0]
}

func (f *fixture) records(t *testing.T, action string) []*audit.Record {
	t.Helper()
	page, err := f.log.Search(context.Background(), audit.Query{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Records
}

func product(v string) *policy.Resource {
	return &policy.Resource{Type: "product", ID: "prd_1", Attributes: vendor(v)}
}

func TestRevocationTakesEffectOnTheNextCheck(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		ctx := context.Background()
		addUser(t, db, "usr_staff", "vendor", "active")
		f.grant(t, cli, "usr_staff", "vendor_staff", "ven_a", time.Time{})

		if d := f.check(t, "usr_staff", "product:update", product("ven_a")); !d.Allowed {
			t.Fatalf("staff of ven_a denied on its product: %s", d.Reason)
		}
		if d := f.check(t, "usr_staff", "product:update", product("ven_b")); d.Allowed {
			t.Fatalf("staff of ven_a allowed on ven_b's product by %s", d.Rule)
		}
		if err := f.svc.Revoke(ctx, cli, "usr_staff", "vendor_staff", "ven_a", meta); err != nil {
			t.Fatal(err)
		}
		if d := f.check(t, "usr_staff", "product:update", product("ven_a")); d.Allowed {
			t.Fatalf("revoked binding still allows, by %s", d.Rule)
		}
		err := f.svc.Revoke(ctx, cli, "usr_staff", "vendor_staff", "ven_a", meta)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("second revoke: got %v, want ErrNotFound", err)
		}
		// Each change is an audit event, attributed to the channel.
		for _, action := range []string{"role.grant", "role.revoke"} {
			recs := f.records(t, action)
			if len(recs) != 1 || recs[0].Actor.Type != audit.ActorSystem ||
				recs[0].Actor.ID != "cli" ||
				recs[0].Target.ID != "usr_staff" || recs[0].Details["role"] != "vendor_staff" ||
				recs[0].Details["vendor"] != "ven_a" {
				t.Fatalf("%s records: %+v", action, recs)
			}
		}
	})
}

// TestOnlyApprovedVendorsSell: the roles of a vendor whose onboarding is
// not approved prepare the catalogue but do not publish, and the subject's
// approved vendors are what the bindings feed tells local deciders.
func TestOnlyApprovedVendorsSell(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		addUser(t, db, "usr_m", "vendor", "active")
		f.grant(t, cli, "usr_m", "vendor_manager", "ven_a", time.Time{})
		f.grant(t, cli, "usr_m", "vendor_manager", "ven_review1", time.Time{})
		if d := f.check(t, "usr_m", "product:publish", product("ven_a")); !d.Allowed {
			t.Fatalf("publishing for an approved vendor: %s", d.Reason)
		}
		if d := f.check(t, "usr_m", "product:publish", product("ven_review1")); d.Allowed {
			t.Fatalf("published for a vendor in review, by %s", d.Rule)
		}
		if d := f.check(t, "usr_m", "product:create", product("ven_review1")); !d.Allowed {
			t.Fatalf("drafting for a vendor in review: %s", d.Reason)
		}
		info, err := f.svc.Subject(context.Background(), "usr_m", t0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := info.Subject.Attributes[AttrApprovedVendors].([]string)
		if len(got) != 1 || got[0] != "ven_a" {
			t.Fatalf("approved vendors %v", info.Subject.Attributes)
		}
	})
}

func TestExpiredBindingsDoNotApply(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		addUser(t, db, "usr_temp", "vendor", "active")
		f.grant(t, cli, "usr_temp", "vendor_manager", "ven_a", t0.Add(time.Hour))
		if d := f.check(t, "usr_temp", "product:publish", product("ven_a")); !d.Allowed {
			t.Fatalf("unexpired binding denied: %s", d.Reason)
		}
		f.clock.Advance(time.Hour)
		if d := f.check(t, "usr_temp", "product:publish", product("ven_a")); d.Allowed {
			t.Fatalf("binding applied at its expiry, by %s", d.Rule)
		}
		roles, err := f.svc.Roles(context.Background(), "usr_temp")
		if err != nil || len(roles) != 0 {
			t.Fatalf("roles after expiry: %v, %v", roles, err)
		}
		_, _, err = f.svc.Grant(context.Background(), cli, GrantInput{UserID: "usr_temp",
			Role: "vendor_staff", Vendor: "ven_a", ExpiresAt: f.clock.Now()}, meta)
		if !errors.Is(err, ErrExpiryInPast) {
			t.Fatalf("grant expiring now: got %v, want ErrExpiryInPast", err)
		}
	})
}

func TestAccountKindAndState(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		addUser(t, db, "usr_buyer", "customer", "active")
		addUser(t, db, "usr_seller", "vendor", "active")
		addUser(t, db, "usr_gone", "customer", "disabled")
		order := func(owner string) *policy.Resource {
			return &policy.Resource{Type: "order", ID: "ord_1", Attributes: map[string]any{
				"vendor": "ven_a", "owner": owner, "status": "pending", "total": 10000}}
		}
		if d := f.check(t, "usr_buyer", "order:read", order("usr_buyer")); !d.Allowed ||
			d.RolePath[0] != "customer" {
			t.Fatalf("customer cannot read their order: %+v", d)
		}
		if d := f.check(t, "usr_buyer", "order:read", order("usr_other")); d.Allowed {
			t.Fatalf("customer reads another's order by %s", d.Rule)
		}
		if d := f.check(t, "usr_seller", "order:read", order("usr_seller")); d.Allowed {
			t.Fatalf("a vendor account holds the customer role: %s", d.Rule)
		}
		f.grant(t, cli, "usr_gone", "admin", "", time.Time{})
		d := f.check(t, "usr_gone", "order:read", order("usr_gone"))
		if d.Allowed || !strings.Contains(d.Reason, "disabled") {
			t.Fatalf("disabled account: %+v", d)
		}
		_, err := f.svc.Check(context.Background(), "usr_nobody", []Question{{
			Permission: "order:read", Resource: order("x")}}, asker, meta)
		if !errors.Is(err, ErrUnknownUser) {
			t.Fatalf("unknown subject: got %v", err)
		}
	})
}

func TestChecksAreAudited(t *testing.T) {
	for _, auditAllowed := range []bool{false, true} {
		t.Run(map[bool]string{false: "denials", true: "all"}[auditAllowed], func(t *testing.T) {
			testChecksAreAudited(t, auditAllowed)
		})
	}
}

func testChecksAreAudited(t *testing.T, auditAllowed bool) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, auditAllowed)
		addUser(t, db, "usr_staff", "vendor", "active")
		f.grant(t, cli, "usr_staff", "vendor_staff", "ven_a", time.Time{})
		f.check(t, "usr_staff", "product:update", product("ven_a"))
		f.check(t, "usr_staff", "product:update", product("ven_b"))

		recs := f.records(t, "authz.check")
		want := 1
		if auditAllowed {
			want = 2
		}
		if len(recs) != want {
			t.Fatalf("audit_allowed=%v: %d check records, want %d", auditAllowed, len(recs), want)
		}
		denied := recs[0] // newest first: the denial was the second check
		if denied.Outcome != audit.OutcomeDenied || denied.Actor.ID != "usr_staff" ||
			denied.Target.Type != "product" || denied.Details["permission"] != "product:update" ||
			denied.Details["client_id"] != "cli_catalog" ||
			!strings.Contains(denied.Details["reason"], "ven_b") {
			t.Fatalf("denial record: %+v", denied)
		}
	})
}

func TestCheckRefusesMistakesBeforeRecording(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, true)
		addUser(t, db, "usr_staff", "vendor", "active")
		_, err := f.svc.Check(context.Background(), "usr_staff", []Question{
			{Permission: "product:read", Resource: product("ven_a")},
			{Permission: "product:teleport", Resource: product("ven_a")},
		}, asker, meta)
		var qe *QuestionError
		if !errors.As(err, &qe) || qe.Index != 1 || !errors.Is(err, policy.ErrUnknownPermission) {
			t.Fatalf("got %v, want a QuestionError for item 1", err)
		}
		if recs := f.records(t, "authz.check"); len(recs) != 0 {
			t.Fatalf("a refused batch left %d audit records", len(recs))
		}
	})
}

func TestPeopleAreHeldToTheRoleBindingRules(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		ctx := context.Background()
		for _, u := range []string{"usr_owner", "usr_new", "usr_root", "usr_adm"} {
			addUser(t, db, u, "vendor", "active")
		}
		f.grant(t, cli, "usr_owner", "vendor_owner", "ven_a", time.Time{})
		f.grant(t, cli, "usr_root", "super_admin", "", time.Time{})

		fresh := func(id string, level int, age time.Duration) Actor {
			return Actor{Person: id, Context: policy.Context{AuthLevel: level,
				AuthTime: f.clock.Now().Add(-age)}}
		}
		owner := fresh("usr_owner", 1, time.Hour)
		if _, _, err := f.svc.Grant(ctx, owner, GrantInput{UserID: "usr_new", Role: "vendor_staff",
			Vendor: "ven_a"}, meta); err != nil {
			t.Fatalf("owner grants staff in their vendor: %v", err)
		}
		cases := []struct {
			name string
			by   Actor
			in   GrantInput
		}{
			{"owner in another vendor", owner,
				GrantInput{UserID: "usr_new", Role: "vendor_staff", Vendor: "ven_b"}},
			{"owner makes an owner", owner,
				GrantInput{UserID: "usr_new", Role: "vendor_owner", Vendor: "ven_a"}},
			{"owner to themselves", owner,
				GrantInput{UserID: "usr_owner", Role: "vendor_manager", Vendor: "ven_a"}},
			{"super admin without a second factor", fresh("usr_root", 1, time.Minute),
				GrantInput{UserID: "usr_adm", Role: "admin"}},
			{"super admin with a stale second factor", fresh("usr_root", 2, 10*time.Minute),
				GrantInput{UserID: "usr_adm", Role: "admin"}},
			{"staff grants anything", fresh("usr_new", 2, 0),
				GrantInput{UserID: "usr_adm", Role: "vendor_staff", Vendor: "ven_a"}},
		}
		for _, c := range cases {
			_, _, err := f.svc.Grant(ctx, c.by, c.in, meta)
			var fb *Forbidden
			if !errors.As(err, &fb) || fb.Decision.Reason == "" {
				t.Errorf("%s: got %v, want Forbidden with a reason", c.name, err)
			}
		}
		if _, _, err := f.svc.Grant(ctx, fresh("usr_root", 2, time.Minute),
			GrantInput{UserID: "usr_adm", Role: "admin"}, meta); err != nil {
			t.Fatalf("super admin with a fresh second factor: %v", err)
		}
		// Denied management attempts are audit events too.
		denied := 0
		for _, r := range f.records(t, "authz.check") {
			if r.Outcome == audit.OutcomeDenied && r.Target.Type == "role_binding" {
				denied++
			}
		}
		if denied != len(cases) {
			t.Fatalf("%d denied management records, want %d", denied, len(cases))
		}
		recs := f.records(t, "role.grant")
		if recs[0].Actor.Type != audit.ActorPerson || recs[0].Actor.ID != "usr_root" {
			t.Fatalf("grant by a person attributed to %+v", recs[0].Actor)
		}
	})
}

func TestBindingsThatCouldNeverApplyAreRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		addUser(t, db, "usr_a", "vendor", "active")
		for _, in := range []GrantInput{
			{UserID: "usr_a", Role: "vendor_staff"},           // vendor role, no vendor
			{UserID: "usr_a", Role: "admin", Vendor: "ven_a"}, // global role, a vendor
			{UserID: "usr_a", Role: "wizard"},                 // no such role
			{UserID: "usr_a", Role: "authenticated"},          // implicit
		} {
			_, _, err := f.svc.Grant(context.Background(), cli, in, meta)
			if !errors.Is(err, policy.ErrInvalidBinding) {
				t.Errorf("%+v: got %v, want ErrInvalidBinding", in, err)
			}
		}
		if _, _, err := f.svc.Grant(context.Background(), cli, GrantInput{UserID: "usr_nobody",
			Role: "admin"}, meta); !errors.Is(err, ErrUnknownUser) {
			t.Errorf("grant to no one: got %v, want ErrUnknownUser", err)
		}
		if recs := f.records(t, "role.grant"); len(recs) != 0 {
			t.Fatalf("refused grants left %d records", len(recs))
		}
	})
}

func TestGrantReplacesExpiry(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		ctx := context.Background()
		addUser(t, db, "usr_a", "vendor", "active")
		_, replaced, err := f.svc.Grant(ctx, cli, GrantInput{UserID: "usr_a", Role: "support",
			ExpiresAt: t0.Add(time.Hour)}, meta)
		if err != nil || replaced {
			t.Fatalf("first grant: replaced=%v err=%v", replaced, err)
		}
		_, replaced, err = f.svc.Grant(ctx, cli, GrantInput{UserID: "usr_a", Role: "support"}, meta)
		if err != nil || !replaced {
			t.Fatalf("second grant: replaced=%v err=%v", replaced, err)
		}
		info, err := f.svc.Subject(ctx, "usr_a", t0.Add(2*time.Hour))
		if err != nil || len(info.Grants) != 1 || !info.Grants[0].ExpiresAt.IsZero() {
			t.Fatalf("after replacing: %+v, %v", info.Grants, err)
		}
	})
}

func TestTheLastSuperAdminStays(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		ctx := context.Background()
		addUser(t, db, "usr_r1", "vendor", "active")
		addUser(t, db, "usr_r2", "vendor", "active")
		f.grant(t, cli, "usr_r1", "super_admin", "", time.Time{})
		err := f.svc.Revoke(ctx, cli, "usr_r1", "super_admin", "", meta)
		if !errors.Is(err, ErrLastSuperAdmin) {
			t.Fatalf("revoking the only super admin: got %v", err)
		}
		// An expired second holder does not count.
		f.grant(t, cli, "usr_r2", "super_admin", "", t0.Add(time.Minute))
		f.clock.Advance(time.Minute)
		err = f.svc.Revoke(ctx, cli, "usr_r1", "super_admin", "", meta)
		if !errors.Is(err, ErrLastSuperAdmin) {
			t.Fatalf("with an expired second holder: got %v", err)
		}
		f.grant(t, cli, "usr_r2", "super_admin", "", time.Time{})

		// Two revocations at once: one must fail, or no one is left.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []string{"usr_r1", "usr_r2"} {
			wg.Go(func() { errs[i] = f.svc.Revoke(ctx, cli, u, "super_admin", "", meta) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrLastSuperAdmin):
			default:
				t.Fatalf("concurrent revoke: %v", err)
			}
		}
		n, err := f.svc.Store().CountHolders(ctx, "super_admin", f.clock.Now())
		if err != nil || n != 1 || ok != 1 {
			t.Fatalf("after concurrent revocations: %d holders, %d succeeded, %v", n, ok, err)
		}
	})
}

func TestHoldersLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		for _, u := range []string{"usr_a", "usr_b", "usr_c"} {
			addUser(t, db, u, "vendor", "active")
			f.grant(t, cli, u, "vendor_staff", "ven_a", time.Time{})
		}
		ctx := context.Background()
		for limit, want := range map[int]int{0: 3, 2: 2, 5: 3} {
			gs, err := f.svc.Store().Holders(ctx, "ven_a", "", limit)
			if err != nil || len(gs) != want {
				t.Errorf("limit %d: %d holders, want %d (%v)", limit, len(gs), want, err)
			}
		}
		gs, _ := f.svc.Store().Holders(ctx, "ven_a", "", 2)
		if gs[0].UserID != "usr_a" || gs[1].UserID != "usr_b" {
			t.Errorf("limited listing is not the first in order: %+v", gs)
		}
	})
}

func TestPermissionsListing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, false)
		addUser(t, db, "usr_owner", "customer", "active")
		f.grant(t, cli, "usr_owner", "vendor_owner", "ven_a", time.Time{})
		ents, info, err := f.svc.Permissions(context.Background(), "usr_owner")
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Implicit) != 1 || info.Implicit[0].Role != "customer" {
			t.Fatalf("implicit roles: %+v", info.Implicit)
		}
		has := map[string]bool{}
		for _, e := range ents {
			has[e.Vendor+"|"+e.Permission] = true
		}
		wants := []string{"ven_a|payout:request", "ven_a|product:update", "|order:create"}
		for _, want := range wants {
			if !has[want] {
				t.Errorf("missing entitlement %s in %v", want, has)
			}
		}
		if has["ven_b|product:update"] || has["|payout:approve"] {
			t.Errorf("entitlements beyond the bindings: %v", has)
		}
	})
}
