package authz

import (
	"fmt"
	"strings"
	"testing"
)

// Each bound of limits.go is tested at the bound, where the document is
// accepted, and just past it, where Parse names the bound.

// genPolicy builds a valid document: types resource types t0.. with
// actions actions a0.. each (the first with a vendor attribute), roles
// global roles r0.. and a rule granting t0:a0 to r0.
type genPolicy struct {
	types, actions, attrs, roles int
	// extraRoles and extraRules are appended to the roles and rules.
	extraRoles, extraRules string
}

func (g genPolicy) String() string {
	var b strings.Builder
	b.WriteString("version: \"1\"\nresources:\n")
	for t := range max(g.types, 1) {
		fmt.Fprintf(&b, "  t%d:\n    attributes:\n      vendor: string\n", t)
		for a := range g.attrs {
			fmt.Fprintf(&b, "      x%d: int\n", a)
		}
		b.WriteString("    actions: [")
		for a := range max(g.actions, 1) {
			if a > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "a%d", a)
		}
		b.WriteString("]\n")
	}
	b.WriteString("roles:\n")
	for r := range max(g.roles, 1) {
		fmt.Fprintf(&b, "  r%d:\n", r)
	}
	b.WriteString(g.extraRoles)
	b.WriteString("rules:\n  - id: first\n    roles: [r0]\n    permissions: [\"t0:a0\"]\n")
	b.WriteString(g.extraRules)
	return b.String()
}

// list writes n items made by item, separated by ", ".
func list(n int, item func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = item(i)
	}
	return strings.Join(parts, ", ")
}

func TestLimits(t *testing.T) {
	long := func(n int) string { return "n" + strings.Repeat("a", n-1) }
	roles := func(n int) string { return list(n, func(i int) string { return fmt.Sprint("r", i) }) }
	perms := func(n int) string {
		return list(n, func(i int) string { return fmt.Sprintf(`"t%d:a%d"`, i/64, i%64) })
	}
	inheriting := func(n int) string {
		return genPolicy{roles: n, extraRoles: "  top:\n    inherits: [" + roles(n) + "]\n"}.String()
	}
	ruleOfRoles := func(n int) string {
		return genPolicy{roles: n, extraRules: "  - id: many\n    permissions: [\"t0:a0\"]\n" +
			"    roles: [" + roles(n) + "]\n"}.String()
	}
	ruleOfPerms := func(n int) string {
		return genPolicy{types: 5, actions: 64, extraRules: "  - id: many\n    roles: [r0]\n" +
			"    permissions: [" + perms(n) + "]\n"}.String()
	}
	ruleWithID := func(id string) string {
		rule := "  - id: " + id + "\n    roles: [r0]\n    permissions: [\"t0:a0\"]\n"
		return genPolicy{extraRules: rule}.String()
	}
	for _, tc := range []struct {
		name string
		at   string // a document exactly at the bound
		past string // the same, one past it
		msg  string // what the problem for past says
	}{
		{"resource types",
			genPolicy{types: MaxResourceTypes}.String(),
			genPolicy{types: MaxResourceTypes + 1}.String(),
			"more than 256 resource types"},
		{"actions",
			genPolicy{actions: MaxActions}.String(),
			genPolicy{actions: MaxActions + 1}.String(),
			"actions has 65 entries, more than the limit of 64"},
		{"attributes",
			genPolicy{attrs: MaxAttributes - 1}.String(), // and vendor
			genPolicy{attrs: MaxAttributes}.String(),
			`resource type "t0" has more than 64 attributes`},
		{"roles",
			genPolicy{roles: MaxRoles}.String(),
			genPolicy{roles: MaxRoles + 1}.String(),
			"more than 10000 roles"},
		{"inherits",
			inheriting(MaxInherits), inheriting(MaxInherits + 1),
			"inherits has 33 entries, more than the limit of 32"},
		{"roles of a rule",
			ruleOfRoles(MaxRuleRoles), ruleOfRoles(MaxRuleRoles + 1),
			"roles has 257 entries, more than the limit of 256"},
		{"permissions of a rule",
			ruleOfPerms(MaxRulePermissions), ruleOfPerms(MaxRulePermissions + 1),
			"permissions has 257 entries, more than the limit of 256"},
		{"name length",
			genPolicy{extraRoles: "  " + long(MaxNameLen) + ":\n"}.String(),
			genPolicy{extraRoles: "  " + long(MaxNameLen+1) + ":\n"}.String(),
			"is longer than 64 bytes"},
		{"rule id length",
			ruleWithID(long(MaxRuleIDLen)), ruleWithID(long(MaxRuleIDLen + 1)),
			"is longer than 128 bytes"},
		{"version length",
			strings.Replace(minimalPolicy, `"1"`, long(MaxVersionLen), 1),
			strings.Replace(minimalPolicy, `"1"`, long(MaxVersionLen+1), 1),
			"version \"naaaaaaaaaaaaaaaaaaa\"... is longer than 64 bytes"},
		{"condition length",
			minimalPolicy + condRule(MaxConditionBytes),
			minimalPolicy + condRule(MaxConditionBytes+1),
			"is 2049 bytes, more than the limit of 2048"},
		{"document size",
			padded(minimalPolicy, MaxPolicyBytes),
			padded(minimalPolicy, MaxPolicyBytes+1),
			"more than the limit of 4194304"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.at)); err != nil {
				t.Fatalf("at the bound: got %v, want no error", err)
			}
			_, err := Parse([]byte(tc.past))
			if err == nil {
				t.Fatal("past the bound: got no error")
			}
			for _, pr := range problemsOf(t, err) {
				if strings.Contains(pr.Message, tc.msg) {
					return
				}
			}
			t.Errorf("past the bound: got %v, want a problem containing %q", err, tc.msg)
		})
	}
}

// condRule is a rule whose condition is exactly n bytes long.
func condRule(n int) string {
	const head, tail = `resource.id != "`, `"`
	return "  - id: long\n    roles: [customer]\n    permissions: [\"product:update\"]\n" +
		"    when: '" + head + strings.Repeat("x", n-len(head)-len(tail)) + tail + "'\n"
}

// padded makes doc exactly n bytes long with a trailing comment.
func padded(doc string, n int) string {
	return doc + "#" + strings.Repeat("x", n-len(doc)-2) + "\n"
}

// Rules are counted before their content is read, so a list one past the
// bound is refused whatever it holds.
func TestLimitRules(t *testing.T) {
	items := func(n int) string {
		return strings.Repeat("  - {id: r, roles: [r0], permissions: [\"t0:a0\"]}\n", n)
	}
	head := genPolicy{}.String()
	head = head[:strings.Index(head, "rules:")] + "rules:\n"

	_, err := Parse([]byte(head + items(MaxRules)))
	for _, pr := range problemsOf(t, err) {
		if strings.Contains(pr.Message, "more than the limit") {
			t.Fatalf("at the bound: got %q", pr)
		}
	}
	_, err = Parse([]byte(head + items(MaxRules+1)))
	ps := problemsOf(t, err)
	if want := "50001 rules, more than the limit of 50000"; len(ps) != 1 ||
		!strings.Contains(ps[0].Message, want) {
		t.Fatalf("past the bound: got %v, want only the limit", ps)
	}
}

// The flattened index is bounded as a whole: 256 types of 64 actions
// granted to one role, inherited along a chain of 245 roles, is 16,384
// grants per role and more than 4,000,000 in all.
func TestLimitFlatGrants(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large index")
	}
	perms := list(MaxResourceTypes, func(i int) string { return fmt.Sprintf("\"t%d:*\"", i) })
	chain := func(n int) string {
		var b strings.Builder
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, "  c%d:\n    inherits: [c%d]\n", i, i-1)
		}
		return "  c0:\n" + b.String()
	}
	doc := func(n int) string {
		return genPolicy{types: MaxResourceTypes, actions: MaxActions, extraRoles: chain(n),
			extraRules: "  - id: all\n    roles: [c0]\n    permissions: [" + perms + "]\n"}.String()
	}
	perRole := MaxResourceTypes * MaxActions

	if _, err := Parse([]byte(doc(MaxFlatGrants / perRole))); err != nil {
		t.Fatalf("under the bound: got %v, want no error", err)
	}
	_, err := Parse([]byte(doc(MaxFlatGrants/perRole + 1)))
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "more than 4000000 grants") {
		t.Fatalf("past the bound: got %v, want only the limit", ps)
	}
}

func TestLimitProblems(t *testing.T) {
	const unknownRole = "  - id: x\n    roles: [nobody]\n    permissions: [\"product:read\"]\n"
	doc := withRules(strings.Repeat(unknownRole, MaxProblems+1))
	_, err := Parse([]byte(doc))
	var pe *PolicyError
	ps := problemsOf(t, err)
	if len(ps) != MaxProblems {
		t.Errorf("got %d problems, want %d", len(ps), MaxProblems)
	}
	if !strings.HasSuffix(err.Error(), "(more problems not shown)") {
		t.Errorf("got error %q, want it to say more problems were left out", err)
	}
	if pe, _ = err.(*PolicyError); pe == nil || !pe.Truncated {
		t.Error("got Truncated false, want true")
	}

	doc = withRules(strings.Repeat(unknownRole, MaxProblems/2))
	_, err = Parse([]byte(doc))
	if pe, _ = err.(*PolicyError); pe == nil || pe.Truncated {
		t.Errorf("got %v, want fewer problems than the bound and Truncated false", err)
	}
}

// A condition nested deeper than the parser allows is refused when the
// policy is read; one of ordinary depth is not.
func TestLimitConditionDepth(t *testing.T) {
	nested := func(n int) string {
		return strings.Repeat("(", n) + "resource.price > 1" + strings.Repeat(")", n)
	}
	rule := func(n int) string {
		return "  - id: deep\n    roles: [customer]\n    permissions: [\"product:update\"]\n" +
			"    when: '" + nested(n) + "'\n"
	}
	mustParse(t, minimalPolicy+rule(8))
	_, err := Parse([]byte(minimalPolicy + rule(maxConditionDepth+1)))
	ps := problemsOf(t, err)
	if !strings.Contains(ps[0].Message, "recursion") {
		t.Errorf("got %v, want a problem about the depth", ps)
	}
}

// A condition past its cost grants nothing and says why.
func TestLimitConditionCost(t *testing.T) {
	p := mustParse(t, minimalPolicy+"  - id: tags\n    roles: [customer]\n"+
		"    permissions: [\"product:update\"]\n    when: resource.tags.all(t, t != \"banned\")\n")
	s := subject("alice", global("customer"))
	tags := func(n int) []string { return make([]string, n) }

	d := mustCheck(t, p, s, "product:update", res("product", "p1", "tags", tags(100)), password)
	if !d.Allowed {
		t.Fatalf("100 tags: got denied (%s), want allowed", d.Reason)
	}
	many := res("product", "p1", "tags", tags(MaxConditionCost))
	d = mustCheck(t, p, s, "product:update", many, password)
	if d.Allowed || !strings.Contains(d.Reason, "could not be evaluated") ||
		!strings.Contains(d.Reason, "cost") {
		t.Fatalf("%d tags: got allowed %v (%s), want denied for cost",
			MaxConditionCost, d.Allowed, d.Reason)
	}
}
