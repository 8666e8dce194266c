package authz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
)

// This file checks the engine against Casbin's RBAC with domains, an
// independent implementation of the same idea, on random policies without
// conditions. Each random policy is written once as our YAML and once as
// Casbin policy lines, and both must give the same answer to every
// request.
//
// The mapping, which is the part to review:
//
//   - A request is (subject, domain, resource type, action). The domain is
//     the resource's vendor: its vendor attribute, or its id for the type
//     vendor. A resource without a vendor, or of a type without a vendor
//     attribute, has the domain "-", which no binding names.
//   - A rule granting type:action to a role is the line p(role, type,
//     action), for each of its roles and of its permissions with "type:*"
//     expanded. Casbin's p has no domain: where a role holds a permission
//     is decided by the domain of the role link alone.
//   - A binding to a vendor-scoped role is g(user, role, vendor); a binding
//     to a global role is g(user, role, "*"). The matcher tries the
//     request's domain and "*", so a global binding applies everywhere.
//     Bindings that ValidateBinding refuses (a vendor role without a vendor,
//     a global role with one) and bindings expired at the request's time
//     never apply, and are not given to Casbin at all. Vendor names are
//     never "-" or "*".
//   - A vendor-scoped role inheriting another (which can only be
//     vendor-scoped) is the link g(role, inherited, d) in every vendor's
//     domain d and in "*", since the role may be bound at any vendor or
//     inherited by a global role. A global role inheriting another is
//     g(role, inherited, "*").
//   - The implicit role "authenticated" is g(user, "authenticated", "*")
//     for every user with an id.
const casbinModel = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.act == p.act && (g(r.sub, p.sub, r.dom) || g(r.sub, p.sub, "*"))
`

// noVendor is the Casbin domain of a resource that has no vendor.
const noVendor = "-"

var genVendors = []string{"v1", "v2", "v3"}

// rbac is a random policy without conditions.
type rbac struct {
	types []rbacType
	roles []rbacRole
	rules []rbacRule
}

type rbacType struct {
	name    string
	scoped  bool // declares a vendor attribute, or is the type vendor
	actions []string
}

type rbacRole struct {
	name     string
	vendor   bool
	inherits []int
}

type rbacRule struct {
	id    string
	roles []string
	perms []string // as written, with wildcards
}

// randomRBAC draws a policy that validate.go accepts: vendor-scoped roles
// inherit only vendor-scoped roles and are granted permissions only on
// types with vendors; inheritance only points to earlier roles, so it has
// no cycle and is at most 7 deep, within Casbin's default of 10 levels.
func randomRBAC(rng *rand.Rand) *rbac {
	g := &rbac{}
	for i := range 1 + rng.IntN(4) {
		t := rbacType{name: fmt.Sprint("t", i), scoped: rng.IntN(5) < 3}
		if i == 0 && rng.IntN(4) == 0 {
			t = rbacType{name: "vendor", scoped: true}
		}
		for a := range 1 + rng.IntN(4) {
			t.actions = append(t.actions, fmt.Sprint("a", a))
		}
		g.types = append(g.types, t)
	}

	for i := range 1 + rng.IntN(8) {
		r := rbacRole{name: fmt.Sprint("r", i), vendor: rng.IntN(2) == 0}
		for j := range i {
			if rng.IntN(10) < 4 && (!r.vendor || g.roles[j].vendor) {
				r.inherits = append(r.inherits, j)
			}
		}
		g.roles = append(g.roles, r)
	}

	var scopedTypes []rbacType
	for _, t := range g.types {
		if t.scoped {
			scopedTypes = append(scopedTypes, t)
		}
	}
	for i := range 1 + rng.IntN(8) {
		ru := rbacRule{id: fmt.Sprint("rule-", i)}
		anyVendorRole := false
		for range 1 + rng.IntN(3) {
			name := implicitRole
			if k := rng.IntN(len(g.roles) + 1); k < len(g.roles) {
				if g.roles[k].vendor && len(scopedTypes) == 0 {
					continue
				}
				name = g.roles[k].name
				anyVendorRole = anyVendorRole || g.roles[k].vendor
			}
			if !slices.Contains(ru.roles, name) {
				ru.roles = append(ru.roles, name)
			}
		}
		if len(ru.roles) == 0 {
			ru.roles = []string{implicitRole}
		}
		from := g.types
		if anyVendorRole {
			from = scopedTypes
		}
		for range 1 + rng.IntN(3) {
			t := from[rng.IntN(len(from))]
			perm := t.name + ":*"
			if rng.IntN(5) > 0 {
				perm = t.name + ":" + t.actions[rng.IntN(len(t.actions))]
			}
			if !slices.Contains(ru.perms, perm) {
				ru.perms = append(ru.perms, perm)
			}
		}
		g.rules = append(g.rules, ru)
	}
	return g
}

// yaml writes the policy as a document for Parse.
func (g *rbac) yaml() string {
	var b strings.Builder
	b.WriteString("version: random\nresources:\n")
	for _, t := range g.types {
		fmt.Fprintf(&b, "  %s:\n", t.name)
		if t.scoped && t.name != "vendor" {
			b.WriteString("    attributes:\n      vendor: string\n")
		}
		fmt.Fprintf(&b, "    actions: [%s]\n", strings.Join(t.actions, ", "))
	}
	b.WriteString("roles:\n")
	for _, r := range g.roles {
		fmt.Fprintf(&b, "  %s:\n", r.name)
		if r.vendor {
			b.WriteString("    scope: vendor\n")
		}
		if len(r.inherits) > 0 {
			names := make([]string, len(r.inherits))
			for i, j := range r.inherits {
				names[i] = g.roles[j].name
			}
			fmt.Fprintf(&b, "    inherits: [%s]\n", strings.Join(names, ", "))
		}
	}
	b.WriteString("rules:\n")
	for _, ru := range g.rules {
		fmt.Fprintf(&b, "  - id: %s\n    roles: [%s]\n    permissions: [\"%s\"]\n",
			ru.id, strings.Join(ru.roles, ", "), strings.Join(ru.perms, `", "`))
	}
	return b.String()
}

// expand returns the permissions a rule grants, wildcards resolved.
func (g *rbac) expand(ru rbacRule) []string {
	var out []string
	for _, pm := range ru.perms {
		typ, action, _ := strings.Cut(pm, ":")
		if action != "*" {
			out = append(out, pm)
			continue
		}
		for _, t := range g.types {
			if t.name == typ {
				for _, a := range t.actions {
					out = append(out, typ+":"+a)
				}
			}
		}
	}
	return out
}

// enforcer builds the Casbin side for users at time now, following the
// mapping above.
func (g *rbac) enforcer(t testing.TB, p *Policy, users []*Subject, now time.Time) *casbin.Enforcer {
	t.Helper()
	m, err := model.NewModelFromString(casbinModel)
	if err != nil {
		t.Fatalf("casbin model: %v", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		t.Fatalf("casbin enforcer: %v", err)
	}

	var ps, gs [][]string
	for _, ru := range g.rules {
		for _, role := range ru.roles {
			for _, pm := range g.expand(ru) {
				typ, action, _ := strings.Cut(pm, ":")
				ps = append(ps, []string{role, typ, action})
			}
		}
	}
	for _, r := range g.roles {
		domains := []string{"*"}
		if r.vendor {
			domains = append(domains, genVendors...)
		}
		for _, j := range r.inherits {
			for _, d := range domains {
				gs = append(gs, []string{r.name, g.roles[j].name, d})
			}
		}
	}
	for _, s := range users {
		if s.ID != "" {
			gs = append(gs, []string{s.ID, implicitRole, "*"})
		}
		for _, b := range s.Bindings {
			expired := !b.ExpiresAt.IsZero() && !now.Before(b.ExpiresAt)
			if expired || p.ValidateBinding(b) != nil {
				continue
			}
			d := b.Vendor
			if d == "" {
				d = "*"
			}
			gs = append(gs, []string{s.ID, b.Role, d})
		}
	}
	if _, err := e.AddPoliciesEx(ps); err != nil {
		t.Fatalf("casbin policies: %v", err)
	}
	if len(gs) > 0 {
		if _, err := e.AddGroupingPoliciesEx(gs); err != nil {
			t.Fatalf("casbin grouping policies: %v", err)
		}
	}
	return e
}

// randomUsers draws subjects with up to three bindings each: to declared
// roles, the implicit role or an undeclared one, at a vendor or not, and
// expired, expiring later or not expiring.
func (g *rbac) randomUsers(rng *rand.Rand, now time.Time) []*Subject {
	var users []*Subject
	for i := range 1 + rng.IntN(6) {
		s := &Subject{ID: fmt.Sprint("u", i)}
		if i == 0 && rng.IntN(4) == 0 {
			s.ID = ""
		}
		for range rng.IntN(4) {
			// Most bindings are of the shape the store would keep; one in
			// six has a vendor exactly when it should not.
			var b Binding
			vendor := rng.IntN(2) == 0
			switch k := rng.IntN(len(g.roles) + 2); {
			case k < len(g.roles):
				b.Role = g.roles[k].name
				vendor = g.roles[k].vendor
			case k == len(g.roles):
				b.Role = implicitRole
			default:
				b.Role = "ghost"
			}
			if vendor != (rng.IntN(6) == 0) {
				b.Vendor = genVendors[rng.IntN(len(genVendors))]
			}
			switch rng.IntN(5) {
			case 0:
				b.ExpiresAt = now.Add(-time.Minute)
			case 1:
				b.ExpiresAt = now
			case 2:
				b.ExpiresAt = now.Add(time.Minute)
			}
			s.Bindings = append(s.Bindings, b)
		}
		users = append(users, s)
	}
	return users
}

// resources returns resources of type t: at each vendor, and without one.
func (t rbacType) resources() []*Resource {
	var out []*Resource
	for _, v := range append([]string{""}, genVendors...) {
		switch {
		case t.name == "vendor":
			out = append(out, res("vendor", v))
		case t.scoped:
			out = append(out, res(t.name, "x", "vendor", v))
		default:
			out = append(out, res(t.name, "x"))
		}
	}
	if t.scoped && t.name != "vendor" {
		out = append(out, res(t.name, "x")) // vendor attribute absent
	}
	return out
}

func casbinDomain(r *Resource) string {
	v := r.ID
	if r.Type != "vendor" {
		v, _ = r.Attributes["vendor"].(string)
	}
	if v == "" {
		return noVendor
	}
	return v
}

func TestAgainstCasbin(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 20
	}
	checks, allowed := 0, 0
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 0xcafe))
		g := randomRBAC(rng)
		doc := g.yaml()
		p, err := Parse([]byte(doc))
		if err != nil {
			t.Fatalf("seed %d: parse: %v\n%s", seed, err, doc)
		}
		users := g.randomUsers(rng, t0)
		e := g.enforcer(t, p, users, t0)

		for _, s := range users {
			for _, typ := range g.types {
				for _, r := range typ.resources() {
					for _, action := range typ.actions {
						perm := typ.name + ":" + action
						d := mustCheck(t, p, s, perm, r, password)
						want, err := e.Enforce(s.ID, casbinDomain(r), typ.name, action)
						if err != nil {
							t.Fatalf("seed %d: casbin: %v", seed, err)
						}
						if d.Allowed != want {
							t.Fatalf("seed %d: %s with bindings %+v asks %s on %s at %q: got %v (%s), "+
								"casbin says %v\n%s", seed, s.ID, s.Bindings, perm, r.Type,
								casbinDomain(r), d.Allowed, d.Reason, want, doc)
						}
						if d.Allowed {
							g.checkExplanation(t, seed, p, s, perm, d)
							allowed++
						}
						checks++
					}
				}
			}
		}
	}
	// Guard against a generator that only ever produces denials.
	if allowed < checks/20 {
		t.Fatalf("got %d grants in %d checks, want a fair share of both answers", allowed, checks)
	}
	t.Logf("%d checks agree with casbin, %d of them grants", checks, allowed)
}

// checkExplanation asserts that an allowed decision's rule grants the
// permission to the last role of its path, that each role of the path
// inherits the next, and that the path starts at the role of the binding
// named, or at "authenticated" with no binding.
func (g *rbac) checkExplanation(t *testing.T, seed uint64, p *Policy, s *Subject, perm string,
	d Decision) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: %s: %s (rule %s, path %v)",
			seed, perm, fmt.Sprintf(format, args...), d.Rule, d.RolePath)
	}
	i := slices.IndexFunc(g.rules, func(ru rbacRule) bool { return ru.id == d.Rule })
	if i < 0 {
		fail("no such rule")
	}
	if !slices.Contains(g.rules[i].roles, d.RolePath[len(d.RolePath)-1]) ||
		!slices.Contains(g.expand(g.rules[i]), perm) {
		fail("the rule does not grant the permission to the path's last role")
	}
	for k := 0; k+1 < len(d.RolePath); k++ {
		ri := slices.IndexFunc(g.roles, func(r rbacRole) bool { return r.name == d.RolePath[k] })
		if ri < 0 || !slices.ContainsFunc(g.roles[ri].inherits, func(j int) bool {
			return g.roles[j].name == d.RolePath[k+1]
		}) {
			fail("%s does not inherit %s", d.RolePath[k], d.RolePath[k+1])
		}
	}
	switch {
	case d.Binding == nil:
		if d.RolePath[0] != implicitRole || s.ID == "" {
			fail("no binding, but the path does not start at %s of a subject with an id", implicitRole)
		}
	case d.Binding.Role != d.RolePath[0] || !pointsInto(d.Binding, s.Bindings):
		fail("binding %+v is not one of the subject's or not the path's start", *d.Binding)
	case p.ValidateBinding(*d.Binding) != nil:
		fail("binding %+v can never apply", *d.Binding)
	}
}

// pointsInto reports whether b is the address of an element of bs.
func pointsInto(b *Binding, bs []Binding) bool {
	for i := range bs {
		if &bs[i] == b {
			return true
		}
	}
	return false
}
