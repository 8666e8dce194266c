package authz

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
)

// The benchmarks compare Check with Casbin's Enforce on the same RBAC with
// domains policy, in the same run: vendor-scoped roles, each granted two
// permissions by its own rule, and users holding one to three of them at
// vendors. docs/authorization.md reports the figures.
//
// Casbin is given the same policy lines and grouping lines as in
// casbin_test.go, with the matcher reduced to what this policy needs (all
// its roles are vendor-scoped) and ordered so that the cheap comparisons
// come first, which lets Casbin's evaluator cut the role lookup short on
// most policy lines. That is the fastest form of the matcher we found; the
// Enforcer is the plain one, not the CachedEnforcer, since a decision
// cache would measure the cache rather than the decision.
const casbinBenchModel = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.act == p.act && g(r.sub, p.sub, r.dom)
`

// benchWorld is one benchmarked shape, built once for both engines.
type benchWorld struct {
	policy   *Policy
	enforcer *casbin.Enforcer
	// bindings is the bindings store: what a caller of Check looks up
	// for the user making the request.
	bindings map[string][]Binding
	reqs     []benchReq
}

// benchReq is a request; half of them are granted.
type benchReq struct {
	user, typ, action, perm string
	vendor                  string
	res                     *Resource
	want                    bool
}

const (
	benchTypes   = 10
	benchActions = 5
)

func newBenchWorld(b *testing.B, users, roles int) *benchWorld {
	b.Helper()
	rng := rand.New(rand.NewPCG(uint64(users), uint64(roles)))
	vendors := max(users/10, 2)
	w := &benchWorld{bindings: make(map[string][]Binding, users)}

	// The policy: role r<i> is granted two permissions by rule rule-<i>.
	grants := make([][2]string, roles)
	var doc strings.Builder
	doc.WriteString("version: bench\nresources:\n")
	for t := range benchTypes {
		fmt.Fprintf(&doc, "  t%d:\n    attributes:\n      vendor: string\n", t)
		doc.WriteString("    actions: [a0, a1, a2, a3, a4]\n")
	}
	doc.WriteString("roles:\n")
	for r := range roles {
		fmt.Fprintf(&doc, "  r%d:\n    scope: vendor\n", r)
	}
	doc.WriteString("rules:\n")
	for r := range roles {
		const n = benchTypes * benchActions
		k := rng.IntN(n)
		for i, k := range []int{k, (k + 1 + rng.IntN(n-1)) % n} { // two distinct ones
			grants[r][i] = fmt.Sprintf("t%d:a%d", k/benchActions, k%benchActions)
		}
		fmt.Fprintf(&doc, "  - id: rule-%d\n    roles: [r%d]\n    permissions: [%q, %q]\n",
			r, r, grants[r][0], grants[r][1])
	}

	start := time.Now()
	p, err := Parse([]byte(doc.String()))
	if err != nil {
		b.Fatalf("parse: %v", err)
	}
	w.policy = p
	parsed := time.Since(start)

	// The users and their bindings, given to both engines.
	var ps, gs [][]string
	for r := range roles {
		for _, pm := range grants[r] {
			typ, action, _ := strings.Cut(pm, ":")
			ps = append(ps, []string{fmt.Sprint("r", r), typ, action})
		}
	}
	for u := range users {
		id := fmt.Sprint("u", u)
		for range 1 + rng.IntN(3) {
			bd := Binding{Role: fmt.Sprint("r", rng.IntN(roles)), Vendor: fmt.Sprint("v", rng.IntN(vendors))}
			w.bindings[id] = append(w.bindings[id], bd)
			gs = append(gs, []string{id, bd.Role, bd.Vendor})
		}
	}

	start = time.Now()
	m, err := model.NewModelFromString(casbinBenchModel)
	if err != nil {
		b.Fatalf("casbin model: %v", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		b.Fatalf("casbin enforcer: %v", err)
	}
	if _, err := e.AddPoliciesEx(ps); err != nil {
		b.Fatalf("casbin policies: %v", err)
	}
	if _, err := e.AddGroupingPoliciesEx(gs); err != nil {
		b.Fatalf("casbin grouping policies: %v", err)
	}
	w.enforcer = e
	loaded := time.Since(start)
	b.Logf("users=%d roles=%d: cerrojo parses its policy in %v; casbin loads its lines in %v",
		users, roles, parsed.Round(time.Millisecond), loaded.Round(time.Millisecond))

	// Requests: a permission of one of the user's roles, at the binding's
	// vendor (granted) or at another vendor (denied).
	for i := range 256 {
		id := fmt.Sprint("u", rng.IntN(users))
		bd := w.bindings[id][rng.IntN(len(w.bindings[id]))]
		var ri int
		fmt.Sscanf(bd.Role, "r%d", &ri)
		perm := grants[ri][rng.IntN(2)]
		typ, action, _ := strings.Cut(perm, ":")
		vendor := bd.Vendor
		if i%2 == 1 {
			vendor = fmt.Sprint("v", vendors+i) // a vendor nobody works for
		}
		w.reqs = append(w.reqs, benchReq{user: id, typ: typ, action: action, perm: perm,
			vendor: vendor, res: res(typ, "x", "vendor", vendor), want: i%2 == 0})
	}
	return w
}

// verify checks that both engines give every request its expected answer,
// so that the benchmark compares equal work.
func (w *benchWorld) verify(b *testing.B, casbinToo bool) {
	b.Helper()
	for _, rq := range w.reqs {
		s := &Subject{ID: rq.user, Bindings: w.bindings[rq.user]}
		d, err := w.policy.Check(s, rq.perm, rq.res, password)
		if err != nil || d.Allowed != rq.want {
			b.Fatalf("cerrojo: %s %s at %s: got %v (%v), want %v",
				rq.user, rq.perm, rq.vendor, d.Allowed, err, rq.want)
		}
		if !casbinToo {
			continue
		}
		ok, err := w.enforcer.Enforce(rq.user, rq.vendor, rq.typ, rq.action)
		if err != nil || ok != rq.want {
			b.Fatalf("casbin: %s %s at %s: got %v (%v), want %v",
				rq.user, rq.perm, rq.vendor, ok, err, rq.want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, size := range []struct{ users, roles int }{
		{1_000, 100},
		{10_000, 1_000},
		{100_000, 10_000},
	} {
		b.Run(fmt.Sprintf("users=%d/roles=%d", size.users, size.roles), func(b *testing.B) {
			w := newBenchWorld(b, size.users, size.roles)
			// Casbin's answers at the largest size take seconds to check
			// for all requests; its agreement is tested in casbin_test.go.
			w.verify(b, size.roles <= 1_000)

			b.Run("cerrojo", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					rq := &w.reqs[i%len(w.reqs)]
					s := Subject{ID: rq.user, Bindings: w.bindings[rq.user]}
					d, _ := w.policy.Check(&s, rq.perm, rq.res, password)
					if d.Allowed != rq.want {
						b.Fatal("wrong answer")
					}
				}
			})
			b.Run("casbin", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					rq := &w.reqs[i%len(w.reqs)]
					ok, _ := w.enforcer.Enforce(rq.user, rq.vendor, rq.typ, rq.action)
					if ok != rq.want {
						b.Fatal("wrong answer")
					}
				}
			})
		})
	}
}

// BenchmarkCheckCondition measures decisions of the default policy that
// evaluate a CEL condition, next to an unconditional one.
func BenchmarkCheckCondition(b *testing.B) {
	p := Default()
	for _, bc := range []struct {
		name string
		s    *Subject
		perm string
		r    *Resource
		c    *Context
		want bool
	}{
		{"unconditional", ownerV1, "product:create", product("v1", "draft"), password, true},
		{"own-order", alice, "order:read", order("v1", "alice", "paid"), password, true},
		{"large-payout-with-mfa", ownerV1, "payout:request", payout("v1", 9_000_000, "requested"),
			mfa, true},
		{"large-payout-without-mfa", ownerV1, "payout:request", payout("v1", 9_000_000, "requested"),
			password, false},
		{"super-admin-grants-admin", superAny, "role_binding:grant", roleBinding("", "admin", "bob"),
			mfa, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, _ := p.Check(bc.s, bc.perm, bc.r, bc.c)
				if d.Allowed != bc.want {
					b.Fatalf("got allowed %v (%s)", d.Allowed, d.Reason)
				}
			}
		})
	}
}

func BenchmarkParseDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(defaultPolicy); err != nil {
			b.Fatal(err)
		}
	}
}
