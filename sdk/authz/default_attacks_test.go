package authz

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// defaultDenials are requests the default policy must refuse: reaching
// across vendors, across customers, around a second factor, or into one's
// own roles.
var defaultDenials = []policyCase{
	// Only an approved vendor sells.
	{name: "owner of a vendor in review publishes",
		s: pendingOwner, perm: "product:publish", r: product("v2", "draft")},
	{name: "owner of a vendor in review fulfils a paid order",
		s: pendingOwner, perm: "order:fulfil", r: order("v2", "alice", "paid")},
	{name: "owner of a vendor in review asks for a payout",
		s: pendingOwner, perm: "payout:request", r: payout("v2", 100, "requested")},
	{name: "owner approved elsewhere publishes in a vendor in review",
		s:    approved(subject("owner3", scoped("vendor_owner", "v2")), "v1"),
		perm: "product:publish", r: product("v2", "draft")},
	// Another vendor's resources, at every vendor role.
	{name: "vendor staff reads another vendor's draft",
		s: staffV1, perm: "product:read", r: product("v2", "draft")},
	{name: "vendor staff edits another vendor's product",
		s: staffV1, perm: "product:update", r: product("v2", "published")},
	{name: "vendor manager publishes another vendor's product",
		s: managerV1, perm: "product:publish", r: product("v2", "draft")},
	{name: "vendor owner deletes another vendor's product",
		s: ownerV1, perm: "product:delete", r: product("v2", "draft")},
	{name: "vendor staff reads another vendor's order",
		s: staffV1, perm: "order:read", r: order("v2", "alice", "paid")},
	{name: "vendor staff fulfils another vendor's order",
		s: staffV1, perm: "order:fulfil", r: order("v2", "alice", "paid")},
	{name: "vendor manager cancels another vendor's order",
		s: managerV1, perm: "order:cancel", r: order("v2", "alice", "pending")},
	{name: "vendor owner cancels another vendor's order",
		s: ownerV1, perm: "order:cancel", r: order("v2", "alice", "pending")},
	{name: "vendor manager approves another vendor's refund",
		s: managerV1, perm: "refund:approve", r: refund("v2", "alice", "delivered", "requested")},
	{name: "vendor manager replies to another vendor's review",
		s: managerV1, perm: "review:reply", r: review("v2", "bob", "bob", "delivered", "visible")},
	{name: "vendor owner reads another vendor's payout",
		s: ownerV1, perm: "payout:read", r: payout("v2", 100, "paid")},
	{name: "vendor owner asks for another vendor's payout",
		s: ownerV1, perm: "payout:request", r: payout("v2", 100, "requested")},
	{name: "vendor owner cancels another vendor's payout",
		s: ownerV1, perm: "payout:cancel", r: payout("v2", 100, "requested")},
	{name: "vendor owner edits another vendor's profile",
		s: ownerV1, perm: "vendor:update", r: vendorProfile("v2", "active")},
	{name: "vendor owner grants staff at another vendor",
		s: ownerV1, perm: "role_binding:grant", r: roleBinding("v2", "vendor_staff", "bob")},
	{name: "vendor owner reads a product with no vendor",
		s: ownerV1, perm: "product:read", r: res("product", "p9", "status", "draft", "price", 1)},
	{name: "vendor owner reads a product whose vendor is not a string",
		s: ownerV1, perm: "product:read", r: res("product", "p9", "vendor", 1, "status", "draft")},

	// What vendor roles may not do at their own vendor.
	{name: "vendor staff publishes a product",
		s: staffV1, perm: "product:publish", r: product("v1", "draft")},
	{name: "vendor staff edits an archived product",
		s: staffV1, perm: "product:update", r: product("v1", "archived")},
	{name: "vendor staff fulfils a pending order",
		s: staffV1, perm: "order:fulfil", r: order("v1", "alice", "pending")},
	{name: "vendor manager cancels a shipped order",
		s: managerV1, perm: "order:cancel", r: order("v1", "alice", "shipped")},
	{name: "vendor manager reads payouts",
		s: managerV1, perm: "payout:read", r: payout("v1", 100, "paid")},
	{name: "vendor manager grants staff",
		s: managerV1, perm: "role_binding:grant", r: roleBinding("v1", "vendor_staff", "bob")},
	{name: "vendor manager approves an already rejected refund",
		s: managerV1, perm: "refund:approve", r: refund("v1", "alice", "delivered", "rejected")},
	{name: "vendor owner makes someone a vendor owner",
		s: ownerV1, perm: "role_binding:grant", r: roleBinding("v1", "vendor_owner", "bob")},
	{name: "vendor owner cancels a paid payout",
		s: ownerV1, perm: "payout:cancel", r: payout("v1", 100, "paid")},
	{name: "vendor owner edits its suspended vendor",
		s: ownerV1, perm: "vendor:update", r: vendorProfile("v1", "suspended")},
	{name: "vendor owner suspends its vendor",
		s: ownerV1, perm: "vendor:suspend", r: vendorProfile("v1", "active")},

	// Another customer's things.
	{name: "customer reads another's order",
		s: bob, perm: "order:read", r: order("v1", "alice", "paid")},
	{name: "customer cancels another's order",
		s: bob, perm: "order:cancel", r: order("v1", "alice", "paid")},
	{name: "customer places an order in another's name",
		s: bob, perm: "order:create", r: order("v1", "alice", "pending")},
	{name: "customer cancels their own shipped order",
		s: alice, perm: "order:cancel", r: order("v1", "alice", "shipped")},
	{name: "customer reads another's refund",
		s: bob, perm: "refund:read", r: refund("v1", "alice", "delivered", "requested")},
	{name: "customer asks for a refund of another's order",
		s: bob, perm: "refund:request", r: refund("v1", "alice", "delivered", "requested")},
	{name: "customer asks for a refund of an unpaid order",
		s: alice, perm: "refund:request", r: refund("v1", "alice", "pending", "requested")},
	{name: "customer approves their own refund",
		s: alice, perm: "refund:approve", r: refund("v1", "alice", "delivered", "requested")},
	{name: "customer edits another's review",
		s: bob, perm: "review:update", r: review("v1", "alice", "alice", "delivered", "visible")},
	{name: "customer deletes another's review",
		s: bob, perm: "review:delete", r: review("v1", "alice", "alice", "delivered", "visible")},
	{name: "customer reads another's hidden review",
		s: bob, perm: "review:read", r: review("v1", "alice", "alice", "delivered", "hidden")},
	{name: "customer reviews another's order",
		s: bob, perm: "review:create", r: review("v1", "bob", "alice", "delivered", "visible")},
	{name: "customer reviews an undelivered order",
		s: alice, perm: "review:create", r: review("v1", "alice", "alice", "shipped", "visible")},
	{name: "customer reads another's account",
		s: bob, perm: "account:read", r: account("alice", "active")},
	{name: "customer moderates a review",
		s: alice, perm: "review:moderate", r: review("v1", "bob", "bob", "delivered", "visible")},

	// Second factors.
	{name: "vendor owner asks for 5,000,001 with a password",
		s: ownerV1, perm: "payout:request", r: payout("v1", 5_000_001, "requested"),
		c: ctx(1, time.Minute)},
	{name: "vendor owner asks for 5,000,001 with a second factor exactly 5 minutes old",
		s: ownerV1, perm: "payout:request", r: payout("v1", 5_000_001, "requested"),
		c: ctx(2, 5*time.Minute)},
	{name: "vendor owner asks for 5,000,001 with no known login time",
		s: ownerV1, perm: "payout:request", r: payout("v1", 5_000_001, "requested"),
		c: &Context{Time: t0, AuthLevel: 2}},
	{name: "admin approves a payout with a password",
		s: adminAny, perm: "payout:approve", r: payout("v2", 100, "requested"), c: ctx(1, time.Minute)},
	{name: "admin approves a payout with a second factor exactly 15 minutes old",
		s: adminAny, perm: "payout:approve", r: payout("v2", 100, "requested"),
		c: ctx(2, 15*time.Minute)},
	{name: "admin approves a paid payout",
		s: adminAny, perm: "payout:approve", r: payout("v2", 100, "paid"), c: mfa},
	{name: "vendor owner approves its own payout",
		s: ownerV1, perm: "payout:approve", r: payout("v1", 100, "requested"), c: mfa},
	{name: "super admin makes an admin with a password",
		s: superAny, perm: "role_binding:grant", r: roleBinding("", "admin", "bob"),
		c: ctx(1, time.Minute)},
	{name: "super admin makes an admin with a second factor 10 minutes old",
		s: superAny, perm: "role_binding:grant", r: roleBinding("", "admin", "bob"),
		c: ctx(2, 10*time.Minute)},
	{name: "super admin revokes a super admin with a password",
		s: superAny, perm: "role_binding:revoke", r: roleBinding("", "super_admin", "bob")},
	// Break-glass needs a second factor used in the last 15 minutes.
	{name: "super admin approves a payout with a password alone",
		s: superAny, perm: "payout:approve", r: payout("v2", 9_000_000, "requested"),
		c: ctx(1, time.Minute)},
	{name: "super admin deletes a product with a second factor 15 minutes old",
		s: superAny, perm: "product:delete", r: product("v2", "archived"),
		c: ctx(2, 15*time.Minute)},
	{name: "super admin deletes another's account with a password alone",
		s: superAny, perm: "account:delete", r: account("bob", "active"), c: ctx(1, 0)},

	// Nobody grants a role to themselves.
	{name: "vendor owner makes themselves manager",
		s: ownerV1, perm: "role_binding:grant", r: roleBinding("v1", "vendor_manager", "owner1")},
	{name: "admin makes themselves a vendor owner",
		s: adminAny, perm: "role_binding:grant", r: roleBinding("v1", "vendor_owner", "admin1")},
	{name: "super admin makes themselves a customer",
		s: superAny, perm: "role_binding:grant", r: roleBinding("", "customer", "super1"), c: mfa},
	{name: "super admin revokes their own super admin role",
		s: superAny, perm: "role_binding:revoke", r: roleBinding("", "super_admin", "super1"), c: mfa},
	{name: "admin makes another admin, even with a fresh second factor",
		s: adminAny, perm: "role_binding:grant", r: roleBinding("", "admin", "bob"), c: mfa},
	{name: "admin makes a super admin",
		s: adminAny, perm: "role_binding:grant", r: roleBinding("", "super_admin", "bob"), c: mfa},
	{name: "admin suspends their own account",
		s: adminAny, perm: "account:suspend", r: account("admin1", "active")},

	// Support.
	{name: "support grants a role",
		s: supportAny, perm: "role_binding:grant", r: roleBinding("", "customer", "bob"), c: mfa},

	// Bindings that do not apply.
	{name: "binding that expired before the request",
		s: subject("staff1",
			Binding{Role: "vendor_staff", Vendor: "v1", ExpiresAt: t0.Add(-time.Second)}),
		perm: "product:read", r: product("v1", "draft")},
	{name: "binding that expires at the instant of the request",
		s:    subject("staff1", Binding{Role: "vendor_staff", Vendor: "v1", ExpiresAt: t0}),
		perm: "product:read", r: product("v1", "draft")},
	{name: "vendor-scoped binding without a vendor",
		s:    subject("owner1", scoped("vendor_owner", "")),
		perm: "product:delete", r: product("v1", "draft")},
	{name: "vendor-scoped binding without a vendor, on a product without one",
		s:    subject("owner1", scoped("vendor_owner", "")),
		perm: "product:delete", r: res("product", "p9", "status", "draft")},
	{name: "global binding limited to a vendor",
		s:    subject("admin1", scoped("admin", "v1")),
		perm: "vendor:suspend", r: vendorProfile("v1", "active")},
	{name: "binding of a role the policy does not have",
		s:    subject("x", global("root")),
		perm: "product:delete", r: product("v1", "draft")},
	{name: "binding of the implicit role",
		s:    subject("", global("authenticated")),
		perm: "product:read", r: product("v1", "published")},
	{name: "subject without an id reads a published product",
		s: subject(""), perm: "product:read", r: product("v1", "published")},
	{name: "subject without an id reads a visible review",
		s: subject(""), perm: "review:read", r: review("v1", "bob", "bob", "delivered", "visible")},
	{name: "subject without an id reads the account without an id",
		s: subject(""), perm: "account:read", r: account("", "active")},
}

func TestDefaultPolicyDenials(t *testing.T) {
	p := Default()
	for _, tc := range defaultDenials {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, p) })
	}
}

// A binding applies while the request's time is before its expiry.
func TestDefaultPolicyExpiry(t *testing.T) {
	p := Default()
	for _, tc := range []struct {
		name    string
		expires time.Time
		want    bool
	}{
		{"never", time.Time{}, true},
		{"a nanosecond after the request", t0.Add(time.Nanosecond), true},
		{"at the request", t0, false},
		{"before the request", t0.Add(-time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Binding{Role: "vendor_owner", Vendor: "v1", ExpiresAt: tc.expires}
			d := mustCheck(t, p, subject("owner1", b), "payout:read", payout("v1", 1, "paid"), password)
			if d.Allowed != tc.want {
				t.Fatalf("got allowed %v (%s), want %v", d.Allowed, d.Reason, tc.want)
			}
			if !tc.want && !strings.Contains(d.Reason, "expired at") {
				t.Errorf("got reason %q, want it to say the binding expired", d.Reason)
			}
		})
	}
}

// Support's one rule is for reading: every other permission of every
// resource type is refused, on resources of somebody else.
func TestDefaultPolicySupportChangesNothing(t *testing.T) {
	p := Default()
	others := map[string]*Resource{
		"product":      product("v1", "published"),
		"order":        order("v1", "alice", "paid"),
		"refund":       refund("v1", "alice", "delivered", "requested"),
		"review":       review("v1", "alice", "alice", "delivered", "visible"),
		"payout":       payout("v1", 100, "requested"),
		"vendor":       vendorProfile("v1", "active"),
		"account":      account("alice", "active"),
		"role_binding": roleBinding("v1", "vendor_staff", "alice"),
	}
	checked := 0
	for _, pm := range p.perms {
		typ, action, _ := strings.Cut(pm.name, ":")
		r, ok := others[typ]
		if !ok {
			t.Fatalf("no resource of type %s for the test", typ)
		}
		d := mustCheck(t, p, supportAny, pm.name, r, mfa)
		switch {
		case action == "read" && !d.Allowed:
			t.Errorf("%s: got denied (%s), want allowed", pm.name, d.Reason)
		case action != "read" && d.Allowed:
			t.Errorf("%s: got allowed by %s, want denied", pm.name, d.Rule)
		}
		checked++
	}
	if checked < 30 {
		t.Fatalf("checked %d permissions, want every one of the default policy", checked)
	}
}

// Denials explain themselves without making a request's values into log
// lines of their own.
func TestDefaultPolicyDenialReasons(t *testing.T) {
	p := Default()
	for _, tc := range []struct {
		name string
		s    *Subject
		perm string
		r    *Resource
		c    *Context
		want []string
	}{
		{"another vendor", staffV1, "order:read", order("v2", "alice", "paid"), password,
			[]string{`no binding grants order:read for vendor "v2"`,
				`the binding of vendor_staff is for vendor "v1"`}},
		{"no vendor", staffV1, "order:read", res("order", "o9", "owner", "alice"), password,
			[]string{"on a resource without a vendor", "the resource has no vendor"}},
		{"false condition", bob, "order:read", order("v1", "alice", "paid"), password,
			[]string{"rule customers-read-own-orders grants order:read to customer, " +
				"but its condition was false"}},
		{"inherited role's condition", ownerV1, "order:cancel", order("v1", "alice", "shipped"), password,
			[]string{"vendor_manager (inherited by vendor_owner)"}},
		{"missing attribute", alice, "order:read", res("order", "o1", "vendor", "v1"), password,
			[]string{"could not be evaluated", "owner is not set"}},
		{"attribute of another kind", ownerV1, "payout:request",
			res("payout", "po1", "vendor", "v1", "amount", "lots"), password,
			[]string{"could not be evaluated", "holds string, want int"}},
		{"no id", subject(""), "product:read", product("v1", "published"), password,
			[]string{"has no id"}},
		{"global role limited to a vendor", subject("a", scoped("admin", "v1")), "vendor:suspend",
			vendorProfile("v1", "active"), password,
			[]string{"global role admin names a vendor"}},
		{"vendor role without vendor", subject("a", scoped("vendor_owner", "")), "payout:read",
			payout("v1", 1, "paid"), password,
			[]string{"vendor-scoped role vendor_owner names no vendor"}},
		{"unknown role", subject("a", global("root")), "product:delete", product("v1", "draft"), password,
			[]string{`the binding of "root" was ignored`}},
		{"vendor id with a line break", staffV1, "order:read",
			order("v2\nlevel=ERROR msg=forged", "alice", "paid"), password,
			[]string{`for vendor "v2\nlevel=ERROR msg=forged"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustCheck(t, p, tc.s, tc.perm, tc.r, tc.c)
			if d.Allowed {
				t.Fatalf("got allowed by %s, want denied", d.Rule)
			}
			for _, w := range tc.want {
				if !strings.Contains(d.Reason, w) {
					t.Errorf("got reason %q, want it to contain %q", d.Reason, w)
				}
			}
			if strings.ContainsAny(d.Reason, "\r\n") {
				t.Errorf("got reason %q, want a single line", d.Reason)
			}
		})
	}
}

func TestDefaultPolicyDecisionBinding(t *testing.T) {
	p := Default()
	s := subject("x", global("customer"), scoped("vendor_staff", "v2"), scoped("vendor_staff", "v1"))

	d := mustCheck(t, p, s, "product:read", product("v1", "draft"), password)
	if d.Binding != &s.Bindings[2] {
		t.Errorf("got binding %+v, want a pointer to the subject's third binding", d.Binding)
	}
	d = mustCheck(t, p, s, "product:read", res("product", "p2", "status", "published"), password)
	if !d.Allowed || d.Binding != nil {
		t.Errorf("got allowed %v with binding %+v, want allowed to authenticated with no binding",
			d.Allowed, d.Binding)
	}
}

func TestCheckErrors(t *testing.T) {
	p := Default()
	r := product("v1", "published")
	for _, tc := range []struct {
		name string
		s    *Subject
		perm string
		r    *Resource
		c    *Context
		want error
	}{
		{"unknown action", alice, "product:steal", r, password, ErrUnknownPermission},
		{"unknown type in permission", alice, "invoice:read", r, password, ErrUnknownPermission},
		{"wildcard is not a permission", superAny, "product:*", r, password, ErrUnknownPermission},
		{"empty permission", alice, "", r, password, ErrUnknownPermission},
		{"unknown resource type", alice, "product:read", res("invoice", "i1"), password,
			ErrUnknownResourceType},
		{"permission of another type", alice, "order:read", r, password, ErrTypeMismatch},
		{"nil subject", nil, "product:read", r, password, ErrIncompleteRequest},
		{"nil resource", alice, "product:read", nil, password, ErrIncompleteRequest},
		{"nil context", alice, "product:read", r, nil, ErrIncompleteRequest},
		{"context without time", alice, "product:read", r, &Context{AuthLevel: 2}, ErrIncompleteRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := p.Check(tc.s, tc.perm, tc.r, tc.c)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want %v", err, tc.want)
			}
			if d.Allowed {
				t.Error("got an allowed decision with an error")
			}
		})
	}
}
