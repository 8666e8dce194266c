package authz

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// checkPolicy exercises what the default policy does not: every kind of
// attribute, subject.roles and subject.attributes, and the type vendor.
const checkPolicy = `version: "check"
resources:
  item:
    attributes:
      vendor: string
      count: int
      ratio: double
      ok: bool
      at: timestamp
      ttl: duration
      tags: list(string)
      nums: list(int)
    actions: [read, write, count, ratio, ok, at, ttl, nums, roles, tier, has, build]
  vendor:
    actions: [read]
roles:
  viewer:
    scope: vendor
  editor:
    scope: vendor
    inherits: [viewer]
  auditor:
    inherits: [viewer]
rules:
  - id: viewers-read
    roles: [viewer]
    permissions: ["item:read", "vendor:read"]
  - id: editors-write-when-ok
    roles: [editor]
    permissions: ["item:write"]
    when: resource.ok
  - id: count
    roles: [authenticated]
    permissions: ["item:count"]
    when: resource.count > 2
  - id: ratio
    roles: [authenticated]
    permissions: ["item:ratio"]
    when: resource.ratio > 0.5
  - id: at
    roles: [authenticated]
    permissions: ["item:at"]
    when: resource.at < context.time
  - id: ttl
    roles: [authenticated]
    permissions: ["item:ttl"]
    when: resource.ttl >= duration("1h")
  - id: nums
    roles: [authenticated]
    permissions: ["item:nums"]
    when: 7 in resource.nums
  - id: roles
    roles: [authenticated]
    permissions: ["item:roles"]
    when: subject.roles == ["editor"]
  - id: tier
    roles: [authenticated]
    permissions: ["item:tier"]
    when: subject.attributes["tier"] == "gold"
  - id: has
    roles: [authenticated]
    permissions: ["item:has"]
    when: '!has(resource.count)'
  - id: build
    roles: [authenticated]
    permissions: ["item:build"]
    when: cerrojo.authz.Context{}.auth_level == 0
`

func TestCheckConditions(t *testing.T) {
	p := mustParse(t, checkPolicy)
	s := subject("u1")
	for _, tc := range []struct {
		name  string
		s     *Subject
		perm  string
		attrs []any
		want  bool
	}{
		{"int", s, "item:count", []any{"count", 3}, true},
		{"int of another width", s, "item:count", []any{"count", uint8(3)}, true},
		{"int that is false", s, "item:count", []any{"count", int64(2)}, false},
		{"uint64 past int64", s, "item:count", []any{"count", uint64(math.MaxUint64)}, false},
		{"int given as a string", s, "item:count", []any{"count", "3"}, false},
		{"double", s, "item:ratio", []any{"ratio", 0.75}, true},
		{"double given as an int", s, "item:ratio", []any{"ratio", 1}, false},
		{"timestamp", s, "item:at", []any{"at", t0.Add(-time.Second)}, true},
		{"timestamp at the request", s, "item:at", []any{"at", t0}, false},
		{"duration", s, "item:ttl", []any{"ttl", time.Hour}, true},
		{"list of ints", s, "item:nums", []any{"nums", []int64{1, 7}}, true},
		{"list of ints of another width", s, "item:nums", []any{"nums", []int{1, 7}}, false},
		{"nil attribute", s, "item:count", []any{"count", nil}, false},
		{"has on an absent attribute", s, "item:has", nil, true},
		{"has on a present attribute", s, "item:has", []any{"count", 1}, false},
		{"subject attribute", &Subject{ID: "u1", Attributes: map[string]any{"tier": "gold"}},
			"item:tier", nil, true},
		{"missing subject attribute", s, "item:tier", nil, false},
		{"subject.roles lists applicable bound roles only",
			subject("u1", scoped("editor", "v1"), scoped("editor", "v1"), scoped("viewer", "v2"),
				Binding{Role: "auditor", ExpiresAt: t0}),
			"item:roles", []any{"vendor", "v1"}, true},
		{"a condition cannot build a request object", s, "item:build", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustCheck(t, p, tc.s, tc.perm, res("item", "i1", tc.attrs...), password)
			if d.Allowed != tc.want {
				t.Errorf("got allowed %v (%s), want %v", d.Allowed, d.Reason, tc.want)
			}
		})
	}
}

func TestCheckOrder(t *testing.T) {
	p := mustParse(t, checkPolicy)

	// An unconditional grant through a later binding wins over a
	// conditional one through an earlier binding.
	s := subject("u1", scoped("editor", "v1"), global("auditor"))
	d := mustCheck(t, p, s, "item:read", res("item", "i1", "vendor", "v1"), password)
	if d.Rule != "viewers-read" || d.Binding != &s.Bindings[0] {
		t.Errorf("got rule %s through %+v, want viewers-read through the first binding",
			d.Rule, d.Binding)
	}

	// A global role that inherits a vendor-scoped one holds its grants at
	// every vendor and on resources without one.
	s = subject("u2", global("auditor"))
	for _, vendor := range []string{"v1", "v2", ""} {
		d = mustCheck(t, p, s, "item:read", res("item", "i1", "vendor", vendor), password)
		if !d.Allowed || strings.Join(d.RolePath, ">") != "auditor>viewer" {
			t.Errorf("vendor %q: got allowed %v by path %v, want allowed by auditor>viewer",
				vendor, d.Allowed, d.RolePath)
		}
	}

	// The resource type vendor is placed by its id.
	s = subject("u3", scoped("viewer", "v1"))
	if d := mustCheck(t, p, s, "vendor:read", res("vendor", "v1"), password); !d.Allowed {
		t.Errorf("own vendor: got denied (%s)", d.Reason)
	}
	if d := mustCheck(t, p, s, "vendor:read", res("vendor", "v2"), password); d.Allowed {
		t.Error("other vendor: got allowed")
	}
}

// Check keeps its promise of not allocating on an unconditional grant.
func TestCheckAllocations(t *testing.T) {
	p := Default()
	s := subject("owner1", global("customer"), scoped("vendor_staff", "v2"),
		scoped("vendor_owner", "v1"))
	r := product("v1", "draft")
	allocs := testing.AllocsPerRun(100, func() {
		if d, _ := p.Check(s, "product:create", r, password); !d.Allowed {
			t.Fatal("got denied")
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per unconditional grant, want 0", allocs)
	}
}

// A Policy is shared by every request; concurrent checks give the same
// answers as sequential ones.
func TestCheckConcurrent(t *testing.T) {
	p := Default()
	cases := append(append([]policyCase{}, defaultGrants...), defaultDenials...)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, tc := range cases {
				c := tc.c
				if c == nil {
					c = password
				}
				d, err := p.Check(tc.s, tc.perm, tc.r, c)
				if err != nil || d.Allowed != (tc.rule != "") || d.Rule != tc.rule {
					t.Errorf("%s: got allowed %v by %q (error %v)", tc.name, d.Allowed, d.Rule, err)
				}
			}
		})
	}
	wg.Wait()
}
