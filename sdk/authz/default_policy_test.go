package authz

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The people of the default policy's tests. Vendors are v1 and v2; alice
// and bob are customers.
var (
	alice     = subject("alice", global("customer"))
	bob       = subject("bob", global("customer"))
	staffV1   = approved(subject("staff1", scoped("vendor_staff", "v1")), "v1")
	managerV1 = approved(subject("manager1", scoped("vendor_manager", "v1")), "v1")
	ownerV1   = approved(subject("owner1", scoped("vendor_owner", "v1")), "v1")
	// The same roles in a vendor whose onboarding is not approved (yet, or
	// any more): they prepare the catalogue but do not sell.
	pendingOwner = subject("owner2", scoped("vendor_owner", "v2"))
	supportAny   = subject("support1", global("support"))
	adminAny     = subject("admin1", global("admin"))
	superAny     = subject("super1", global("super_admin"))
)

// Requests are made at t0 after a password login an hour earlier, unless
// a case asks for a fresh second factor.
var (
	password = ctx(1, time.Hour)
	mfa      = ctx(2, time.Minute)
)

// Resources of the default policy, with every declared attribute set.

// approved sets the vendors whose onboarding cerrojo approved, as
// internal/authz does from the vendors' status.
func approved(s *Subject, vendors ...string) *Subject {
	s.Attributes = map[string]any{"approved_vendors": vendors}
	return s
}

func product(vendor, status string) *Resource {
	return res("product", "p1", "vendor", vendor, "status", status, "price", 120_000)
}

func order(vendor, owner, status string) *Resource {
	return res("order", "o1", "vendor", vendor, "owner", owner, "status", status, "total", 120_000)
}

func refund(vendor, orderOwner, orderStatus, status string) *Resource {
	return res("refund", "rf1", "vendor", vendor, "order_owner", orderOwner,
		"order_status", orderStatus, "status", status, "amount", 120_000)
}

func review(vendor, owner, orderOwner, orderStatus, status string) *Resource {
	return res("review", "rv1", "vendor", vendor, "owner", owner, "order_owner", orderOwner,
		"order_status", orderStatus, "status", status)
}

func payout(vendor string, amount int, status string) *Resource {
	return res("payout", "po1", "vendor", vendor, "amount", amount, "status", status)
}

func vendorProfile(id, status string) *Resource { return res("vendor", id, "status", status) }

func account(id, status string) *Resource { return res("account", id, "status", status) }

func roleBinding(vendor, role, grantee string) *Resource {
	return res("role_binding", "rb1", "vendor", vendor, "role", role, "grantee", grantee)
}

// policyCase is one request to the default policy. A grant case names the
// rule that must allow it and, where it matters, the role path; a denial
// case leaves rule empty.
type policyCase struct {
	name string
	s    *Subject
	perm string
	r    *Resource
	c    *Context // password when nil
	rule string
	path []string
}

func (tc policyCase) run(t *testing.T, p *Policy) {
	t.Helper()
	c := tc.c
	if c == nil {
		c = password
	}
	d := mustCheck(t, p, tc.s, tc.perm, tc.r, c)
	if tc.rule == "" {
		if d.Allowed {
			t.Fatalf("got allowed by rule %s (path %v), want denied", d.Rule, d.RolePath)
		}
		if d.Rule != "" || d.RolePath != nil || d.Binding != nil || d.Reason == "" {
			t.Fatalf("denial carries rule %q, path %v, binding %v, reason %q; want only a reason",
				d.Rule, d.RolePath, d.Binding, d.Reason)
		}
		return
	}
	if !d.Allowed {
		t.Fatalf("got denied (%s), want allowed by rule %s", d.Reason, tc.rule)
	}
	if d.Rule != tc.rule {
		t.Errorf("got rule %s, want %s", d.Rule, tc.rule)
	}
	if tc.path != nil && !slices.Equal(d.RolePath, tc.path) {
		t.Errorf("got role path %v, want %v", d.RolePath, tc.path)
	}
	if want := "allowed by rule " + tc.rule; d.Reason != want {
		t.Errorf("got reason %q, want %q", d.Reason, want)
	}
}

// defaultGrants has at least one case for every rule of the default
// policy; TestDefaultPolicyEveryRuleIsTested keeps it that way.
var defaultGrants = []policyCase{
	// Catalogue
	{name: "signed-in user without roles reads a published product",
		s: subject("guest1"), perm: "product:read", r: product("v1", "published"),
		rule: "signed-in-users-read-published-products", path: []string{"authenticated"}},
	{name: "vendor staff reads a draft of its vendor",
		s: staffV1, perm: "product:read", r: product("v1", "draft"),
		rule: "vendor-staff-read-vendor-products", path: []string{"vendor_staff"}},
	{name: "vendor staff reading a published product is granted by the unconditional rule",
		s: staffV1, perm: "product:read", r: product("v1", "published"),
		rule: "vendor-staff-read-vendor-products", path: []string{"vendor_staff"}},
	{name: "vendor owner reads a draft through two inheritances",
		s: ownerV1, perm: "product:read", r: product("v1", "draft"),
		rule: "vendor-staff-read-vendor-products",
		path: []string{"vendor_owner", "vendor_manager", "vendor_staff"}},
	{name: "vendor staff edits a draft",
		s: staffV1, perm: "product:update", r: product("v1", "draft"),
		rule: "vendor-staff-edit-live-vendor-products", path: []string{"vendor_staff"}},
	{name: "vendor manager edits a published product as staff",
		s: managerV1, perm: "product:update", r: product("v1", "published"),
		rule: "vendor-staff-edit-live-vendor-products", path: []string{"vendor_manager", "vendor_staff"}},
	{name: "vendor manager creates a product",
		s: managerV1, perm: "product:create", r: product("v1", "draft"),
		rule: "vendor-managers-manage-catalogue", path: []string{"vendor_manager"}},
	{name: "vendor manager deletes a product",
		s: managerV1, perm: "product:delete", r: product("v1", "archived"),
		rule: "vendor-managers-manage-catalogue"},
	{name: "vendor owner publishes a product as manager",
		s: ownerV1, perm: "product:publish", r: product("v1", "draft"),
		rule: "approved-vendor-managers-publish", path: []string{"vendor_owner", "vendor_manager"}},
	{name: "vendor owner of a vendor in review drafts a product",
		s: pendingOwner, perm: "product:create", r: product("v2", "draft"),
		rule: "vendor-managers-manage-catalogue", path: []string{"vendor_owner", "vendor_manager"}},
	{name: "support reads a draft",
		s: supportAny, perm: "product:read", r: product("v2", "draft"),
		rule: "support-reads-for-tickets", path: []string{"support"}},
	{name: "admin reads a draft as support",
		s: adminAny, perm: "product:read", r: product("v2", "draft"),
		rule: "support-reads-for-tickets", path: []string{"admin", "support"}},
	{name: "super admin reads a draft as support: an unconditional rule wins over break-glass",
		s: superAny, perm: "product:read", r: product("v2", "draft"), c: mfa,
		rule: "support-reads-for-tickets", path: []string{"super_admin", "admin", "support"}},
	{name: "super admin deletes an archived product",
		s: superAny, perm: "product:delete", r: product("v2", "archived"), c: mfa,
		rule: "super-admins-do-everything-else", path: []string{"super_admin"}},

	// Orders
	{name: "customer places an order for themselves",
		s: alice, perm: "order:create", r: order("v1", "alice", "pending"),
		rule: "customers-place-own-orders", path: []string{"customer"}},
	{name: "customer reads their order",
		s: alice, perm: "order:read", r: order("v1", "alice", "delivered"),
		rule: "customers-read-own-orders"},
	{name: "customer cancels their paid order",
		s: alice, perm: "order:cancel", r: order("v1", "alice", "paid"),
		rule: "customers-cancel-own-unshipped-orders"},
	{name: "vendor staff reads an order of its vendor",
		s: staffV1, perm: "order:read", r: order("v1", "alice", "paid"),
		rule: "vendor-staff-read-vendor-orders"},
	{name: "vendor staff fulfils a paid order",
		s: staffV1, perm: "order:fulfil", r: order("v1", "alice", "paid"),
		rule: "vendor-staff-fulfil-paid-orders"},
	{name: "vendor manager cancels a processing order",
		s: managerV1, perm: "order:cancel", r: order("v1", "alice", "processing"),
		rule: "vendor-managers-cancel-unshipped-orders", path: []string{"vendor_manager"}},
	{name: "vendor owner cancels a pending order as manager",
		s: ownerV1, perm: "order:cancel", r: order("v1", "alice", "pending"),
		rule: "vendor-managers-cancel-unshipped-orders",
		path: []string{"vendor_owner", "vendor_manager"}},
	{name: "support reads any order",
		s: supportAny, perm: "order:read", r: order("v2", "bob", "shipped"),
		rule: "support-reads-for-tickets"},

	// Refunds
	{name: "customer asks for a refund of a delivered order",
		s: alice, perm: "refund:request", r: refund("v1", "alice", "delivered", "requested"),
		rule: "customers-request-refunds-for-own-orders"},
	{name: "customer reads their refund",
		s: alice, perm: "refund:read", r: refund("v1", "alice", "delivered", "approved"),
		rule: "customers-read-own-refunds"},
	{name: "vendor staff reads a refund of its vendor",
		s: staffV1, perm: "refund:read", r: refund("v1", "alice", "delivered", "requested"),
		rule: "vendor-staff-read-vendor-refunds"},
	{name: "vendor manager approves a requested refund",
		s: managerV1, perm: "refund:approve", r: refund("v1", "alice", "delivered", "requested"),
		rule: "vendor-managers-decide-refunds", path: []string{"vendor_manager"}},
	{name: "vendor owner rejects a requested refund as manager",
		s: ownerV1, perm: "refund:reject", r: refund("v1", "alice", "delivered", "requested"),
		rule: "vendor-managers-decide-refunds", path: []string{"vendor_owner", "vendor_manager"}},
	{name: "admin approves a requested refund",
		s: adminAny, perm: "refund:approve", r: refund("v2", "bob", "delivered", "requested"),
		rule: "admins-decide-refunds", path: []string{"admin"}},

	// Reviews
	{name: "signed-in user reads a visible review",
		s: subject("guest1"), perm: "review:read", r: review("v1", "bob", "bob", "delivered", "visible"),
		rule: "signed-in-users-read-visible-reviews", path: []string{"authenticated"}},
	{name: "author reads their hidden review",
		s: bob, perm: "review:read", r: review("v1", "bob", "bob", "delivered", "hidden"),
		rule: "signed-in-users-read-visible-reviews"},
	{name: "customer reviews a delivered order of theirs",
		s: alice, perm: "review:create", r: review("v1", "alice", "alice", "delivered", "visible"),
		rule: "customers-review-delivered-orders"},
	{name: "author edits their review",
		s: alice, perm: "review:update", r: review("v1", "alice", "alice", "delivered", "visible"),
		rule: "authors-edit-own-reviews"},
	{name: "author deletes their hidden review",
		s: alice, perm: "review:delete", r: review("v1", "alice", "alice", "delivered", "hidden"),
		rule: "authors-edit-own-reviews"},
	{name: "vendor staff reads a hidden review of its vendor",
		s: staffV1, perm: "review:read", r: review("v1", "bob", "bob", "delivered", "hidden"),
		rule: "vendor-staff-read-vendor-reviews"},
	{name: "vendor manager replies to a visible review",
		s: managerV1, perm: "review:reply", r: review("v1", "bob", "bob", "delivered", "visible"),
		rule: "vendor-managers-reply-to-reviews"},
	{name: "admin moderates a review",
		s: adminAny, perm: "review:moderate", r: review("v2", "bob", "bob", "delivered", "visible"),
		rule: "admins-moderate-reviews"},
	{name: "admin deletes a review",
		s: adminAny, perm: "review:delete", r: review("v2", "bob", "bob", "delivered", "hidden"),
		rule: "admins-moderate-reviews"},

	// Payouts
	{name: "vendor owner reads a payout",
		s: ownerV1, perm: "payout:read", r: payout("v1", 9_000_000, "paid"),
		rule: "vendor-owners-read-payouts", path: []string{"vendor_owner"}},
	{name: "vendor owner asks for 5,000,000 with a password",
		s: ownerV1, perm: "payout:request", r: payout("v1", 5_000_000, "requested"),
		rule: "vendor-owners-request-payouts"},
	{name: "vendor owner asks for 5,000,001 with a fresh second factor",
		s: ownerV1, perm: "payout:request", r: payout("v1", 5_000_001, "requested"),
		c: ctx(2, 4*time.Minute+59*time.Second), rule: "vendor-owners-request-payouts"},
	{name: "vendor owner cancels a requested payout",
		s: ownerV1, perm: "payout:cancel", r: payout("v1", 100, "requested"),
		rule: "vendor-owners-cancel-pending-payouts"},
	{name: "admin approves a payout with a second factor 14 minutes old",
		s: adminAny, perm: "payout:approve", r: payout("v2", 9_000_000, "requested"),
		c: ctx(2, 14*time.Minute), rule: "admins-approve-payouts-with-mfa", path: []string{"admin"}},
	{name: "support reads a payout",
		s: supportAny, perm: "payout:read", r: payout("v2", 1, "paid"),
		rule: "support-reads-for-tickets"},

	// Vendors
	{name: "vendor staff reads its vendor's profile",
		s: staffV1, perm: "vendor:read", r: vendorProfile("v1", "suspended"),
		rule: "vendor-staff-read-own-vendor"},
	{name: "vendor owner edits its active vendor",
		s: ownerV1, perm: "vendor:update", r: vendorProfile("v1", "active"),
		rule: "vendor-owners-edit-own-vendor"},
	{name: "admin creates a vendor",
		s: adminAny, perm: "vendor:create", r: vendorProfile("v9", "active"),
		rule: "admins-manage-vendors"},
	{name: "admin edits a suspended vendor",
		s: adminAny, perm: "vendor:update", r: vendorProfile("v2", "suspended"),
		rule: "admins-manage-vendors"},
	{name: "admin suspends a vendor",
		s: adminAny, perm: "vendor:suspend", r: vendorProfile("v2", "active"),
		rule: "admins-manage-vendors"},

	// Accounts
	{name: "user reads their account",
		s: subject("guest1"), perm: "account:read", r: account("guest1", "active"),
		rule: "users-manage-own-account", path: []string{"authenticated"}},
	{name: "customer deletes their account",
		s: alice, perm: "account:delete", r: account("alice", "active"),
		rule: "users-manage-own-account"},
	{name: "admin suspends another account",
		s: adminAny, perm: "account:suspend", r: account("bob", "active"),
		rule: "admins-suspend-other-accounts"},
	{name: "support reads another account",
		s: supportAny, perm: "account:read", r: account("bob", "active"),
		rule: "support-reads-for-tickets"},

	// Role bindings
	{name: "support reads a role binding",
		s: supportAny, perm: "role_binding:read", r: roleBinding("v2", "vendor_owner", "bob"),
		rule: "support-reads-for-tickets"},
	{name: "vendor manager reads its vendor's bindings",
		s: managerV1, perm: "role_binding:read", r: roleBinding("v1", "vendor_staff", "bob"),
		rule: "vendor-managers-read-vendor-staff"},
	{name: "vendor owner makes someone staff",
		s: ownerV1, perm: "role_binding:grant", r: roleBinding("v1", "vendor_staff", "bob"),
		rule: "vendor-owners-manage-vendor-staff"},
	{name: "vendor owner revokes a manager",
		s: ownerV1, perm: "role_binding:revoke", r: roleBinding("v1", "vendor_manager", "bob"),
		rule: "vendor-owners-manage-vendor-staff"},
	{name: "admin makes someone a vendor owner",
		s: adminAny, perm: "role_binding:grant", r: roleBinding("v2", "vendor_owner", "bob"),
		rule: "admins-grant-marketplace-roles", path: []string{"admin"}},
	{name: "admin makes someone support",
		s: adminAny, perm: "role_binding:grant", r: roleBinding("", "support", "bob"),
		rule: "admins-grant-marketplace-roles"},
	{name: "super admin makes a customer as admin",
		s: superAny, perm: "role_binding:grant", r: roleBinding("", "customer", "bob"),
		rule: "admins-grant-marketplace-roles", path: []string{"super_admin", "admin"}},
	{name: "super admin makes an admin with a fresh second factor",
		s: superAny, perm: "role_binding:grant", r: roleBinding("", "admin", "bob"), c: mfa,
		rule: "super-admins-grant-admin-roles-with-fresh-mfa", path: []string{"super_admin"}},
	{name: "super admin revokes a super admin with a fresh second factor",
		s: superAny, perm: "role_binding:revoke", r: roleBinding("", "super_admin", "bob"), c: mfa,
		rule: "super-admins-grant-admin-roles-with-fresh-mfa"},

	// Break-glass
	{name: "super admin approves a refund in any state",
		s: superAny, perm: "refund:approve", r: refund("v2", "bob", "delivered", "rejected"), c: mfa,
		rule: "super-admins-do-everything-else"},
	{name: "super admin approves a payout with a fresh second factor",
		s: superAny, perm: "payout:approve", r: payout("v2", 9_000_000, "requested"), c: mfa,
		rule: "super-admins-do-everything-else"},
	{name: "super admin reinstates an account",
		s: superAny, perm: "account:reinstate", r: account("bob", "suspended"), c: mfa,
		rule: "super-admins-do-everything-else"},
}

func TestDefaultPolicyGrants(t *testing.T) {
	p := Default()
	for _, tc := range defaultGrants {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, p) })
	}
}

// TestDefaultPolicyEveryRuleIsTested fails when a rule is added to the
// default policy without a case in defaultGrants that it decides.
func TestDefaultPolicyEveryRuleIsTested(t *testing.T) {
	var doc struct {
		Rules []struct {
			ID string `yaml:"id"`
		} `yaml:"rules"`
	}
	if err := yaml.Unmarshal(defaultPolicy, &doc); err != nil {
		t.Fatalf("read default policy: %v", err)
	}
	if len(doc.Rules) == 0 {
		t.Fatal("got no rules in the default policy")
	}

	tested := map[string]bool{}
	for _, tc := range defaultGrants {
		tested[tc.rule] = true
	}
	for _, r := range doc.Rules {
		if !tested[r.ID] {
			t.Errorf("rule %s has no case in defaultGrants", r.ID)
		}
		delete(tested, r.ID)
	}
	for id := range tested {
		t.Errorf("defaultGrants names rule %s, which the default policy does not have", id)
	}
}

func TestDefaultPolicyMetadata(t *testing.T) {
	p := Default()
	if got, want := p.Version(), "2026-12-01"; got != want {
		t.Errorf("got version %q, want %q", got, want)
	}
	if !strings.HasPrefix(p.Digest(), "sha256:") || len(p.Digest()) != len("sha256:")+64 {
		t.Errorf("got digest %q, want sha256: and 64 hex digits", p.Digest())
	}
	src := DefaultSource()
	if string(src) != string(defaultPolicy) {
		t.Error("DefaultSource differs from the embedded document")
	}
	src[0] = '!'
	if Default().Source()[0] == '!' {
		t.Error("changing the result of DefaultSource changed the policy's source")
	}
	if Default() != p {
		t.Error("Default compiled the policy twice")
	}
}

// TestDefaultPolicyPermissions lists what the owner of vendor v1, who also
// shops, may do: as any signed-in user and as a customer everywhere, and as
// owner, manager and staff at v1.
func TestDefaultPolicyPermissions(t *testing.T) {
	p := Default()
	expired := Binding{Role: "vendor_owner", Vendor: "v2", ExpiresAt: t0}
	s := subject("owner1", scoped("vendor_owner", "v1"), global("customer"), expired,
		scoped("vendor_owner", ""), scoped("admin", "v1"), global("root"))

	got, err := p.Permissions(s, password)
	if err != nil {
		t.Fatalf("Permissions: %v", err)
	}

	type ent struct {
		perm, vendor, rule string
		conditional        bool
	}
	cond, always := true, false
	want := []ent{
		{"account:delete", "", "users-manage-own-account", cond},
		{"account:read", "", "users-manage-own-account", cond},
		{"account:update", "", "users-manage-own-account", cond},
		{"order:cancel", "", "customers-cancel-own-unshipped-orders", cond},
		{"order:create", "", "customers-place-own-orders", cond},
		{"order:read", "", "customers-read-own-orders", cond},
		{"product:read", "", "signed-in-users-read-published-products", cond},
		{"refund:read", "", "customers-read-own-refunds", cond},
		{"refund:request", "", "customers-request-refunds-for-own-orders", cond},
		{"review:create", "", "customers-review-delivered-orders", cond},
		{"review:delete", "", "authors-edit-own-reviews", cond},
		{"review:read", "", "signed-in-users-read-visible-reviews", cond},
		{"review:update", "", "authors-edit-own-reviews", cond},
		{"order:cancel", "v1", "vendor-managers-cancel-unshipped-orders", cond},
		{"order:fulfil", "v1", "vendor-staff-fulfil-paid-orders", cond},
		{"order:read", "v1", "vendor-staff-read-vendor-orders", always},
		{"payout:cancel", "v1", "vendor-owners-cancel-pending-payouts", cond},
		{"payout:read", "v1", "vendor-owners-read-payouts", always},
		{"payout:request", "v1", "vendor-owners-request-payouts", cond},
		{"product:create", "v1", "vendor-managers-manage-catalogue", always},
		{"product:delete", "v1", "vendor-managers-manage-catalogue", always},
		{"product:publish", "v1", "approved-vendor-managers-publish", cond},
		{"product:read", "v1", "vendor-staff-read-vendor-products", always},
		{"product:update", "v1", "vendor-staff-edit-live-vendor-products", cond},
		{"refund:approve", "v1", "vendor-managers-decide-refunds", cond},
		{"refund:read", "v1", "vendor-staff-read-vendor-refunds", always},
		{"refund:reject", "v1", "vendor-managers-decide-refunds", cond},
		{"review:read", "v1", "vendor-staff-read-vendor-reviews", always},
		{"review:reply", "v1", "vendor-managers-reply-to-reviews", cond},
		{"role_binding:grant", "v1", "vendor-owners-manage-vendor-staff", cond},
		{"role_binding:read", "v1", "vendor-managers-read-vendor-staff", always},
		{"role_binding:revoke", "v1", "vendor-owners-manage-vendor-staff", cond},
		{"vendor:read", "v1", "vendor-staff-read-own-vendor", always},
		{"vendor:update", "v1", "vendor-owners-edit-own-vendor", cond},
	}
	if len(got) != len(want) {
		for _, e := range got {
			t.Logf("got %s at %q by %s", e.Permission, e.Vendor, e.Rule)
		}
		t.Fatalf("got %d entitlements, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if got := (ent{g.Permission, g.Vendor, g.Rule, g.Conditional}); got != w {
			t.Errorf("entitlement %d: got %+v, want %+v", i, got, w)
		}
		switch {
		case g.Vendor == "v1" && g.Binding != &s.Bindings[0]:
			t.Errorf("%s at v1: got binding %+v, want the vendor_owner binding", g.Permission, g.Binding)
		case g.Vendor == "" && g.Rule == "customers-read-own-orders" && g.Binding != &s.Bindings[1]:
			t.Errorf("%s: got binding %+v, want the customer binding", g.Permission, g.Binding)
		case g.RolePath[len(g.RolePath)-1] == "authenticated" && g.Binding != nil:
			t.Errorf("%s: got binding %+v for the implicit role, want none", g.Permission, g.Binding)
		}
	}
	if e := got[len(got)-1]; !slices.Equal(e.RolePath, []string{"vendor_owner"}) {
		t.Errorf("vendor:update: got role path %v, want [vendor_owner]", e.RolePath)
	}
	if e := got[13]; !slices.Equal(e.RolePath, []string{"vendor_owner", "vendor_manager"}) {
		t.Errorf("order:cancel at v1: got role path %v, want [vendor_owner vendor_manager]", e.RolePath)
	}

	if _, err := p.Permissions(nil, password); !errors.Is(err, ErrIncompleteRequest) {
		t.Errorf("nil subject: got error %v, want ErrIncompleteRequest", err)
	}
	if _, err := p.Permissions(s, &Context{}); !errors.Is(err, ErrIncompleteRequest) {
		t.Errorf("context without time: got error %v, want ErrIncompleteRequest", err)
	}
	none, err := p.Permissions(subject(""), password)
	if err != nil || len(none) != 0 {
		t.Errorf("subject without id or bindings: got %d entitlements, error %v; want none",
			len(none), err)
	}
}
