package authz

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzParse feeds Parse arbitrary documents, starting from the default
// policy and the documents of the parser's tests. Whatever the input:
// Parse does not panic; it returns either a policy or a *PolicyError whose
// problems point inside the document, never both; an accepted document
// parses again from Source to the same digest; and checking every
// permission of an accepted policy returns decisions, not errors or
// panics.
func FuzzParse(f *testing.F) {
	f.Add(defaultPolicy)
	f.Add([]byte(minimalPolicy))
	f.Add([]byte(checkPolicy))
	for _, tc := range badPolicies {
		f.Add([]byte(tc.doc))
	}

	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc)
		if err != nil {
			if p != nil {
				t.Fatal("got a policy and an error")
			}
			checkProblems(t, doc, err)
			return
		}
		if p == nil {
			t.Fatal("got neither a policy nor an error")
		}

		again, err := Parse(p.Source())
		if err != nil {
			t.Fatalf("parse of Source: %v", err)
		}
		if again.Digest() != p.Digest() || again.Version() != p.Version() {
			t.Fatalf("got digest %s and version %q again, want %s and %q",
				again.Digest(), again.Version(), p.Digest(), p.Version())
		}
		exercise(t, p)
	})
}

// checkProblems asserts that err lists at least one problem, each with a
// message and a place inside doc (line 0 being the document as a whole).
func checkProblems(t *testing.T, doc []byte, err error) {
	t.Helper()
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("got error %v, want a *PolicyError", err)
	}
	if len(pe.Problems) == 0 {
		t.Fatal("got a *PolicyError with no problems")
	}
	lines := yamlLines(doc)
	for _, pr := range pe.Problems {
		if pr.Line < 0 || pr.Line > lines || pr.Column < 0 || pr.Message == "" {
			t.Fatalf("got problem %q at %d:%d, want a message at a line within the %d of the document",
				pr.Message, pr.Line, pr.Column, lines)
		}
	}
}

// yamlLines counts the lines of doc as YAML does: a line ends at CR LF,
// CR, LF, NEL, LS or PS.
func yamlLines(doc []byte) int {
	doc = bytes.ReplaceAll(doc, []byte("\r\n"), []byte("\n"))
	n := 1
	for _, brk := range []string{"\r", "\n", "\u0085", "\u2028", "\u2029"} {
		n += bytes.Count(doc, []byte(brk))
	}
	return n
}

// exercise checks every permission of p (up to a bound, for speed) for a
// subject who holds every role, globally and at vendor v1, on a resource
// of v1 whose attributes hold values of their declared kinds.
func exercise(t *testing.T, p *Policy) {
	t.Helper()
	s := &Subject{ID: "u1", Attributes: map[string]any{"tier": "gold"}}
	for i, ro := range p.roles {
		if i == 0 || i > 16 {
			continue
		}
		s.Bindings = append(s.Bindings, global(ro.name), scoped(ro.name, "v1"))
	}
	c := ctx(2, time.Minute)
	for i, pm := range p.perms {
		if i == 64 {
			break
		}
		rt := &p.types[pm.typ]
		r := &Resource{Type: rt.name, ID: "v1", Attributes: map[string]any{}}
		for name, k := range rt.attrs {
			r.Attributes[name] = sample(k)
		}
		r.Attributes["vendor"] = "v1"
		d, err := p.Check(s, pm.name, r, c)
		if err != nil {
			t.Fatalf("Check(%s): %v", pm.name, err)
		}
		if d.Allowed == (d.Rule == "") || d.Reason == "" {
			t.Fatalf("Check(%s): got allowed %v by rule %q with reason %q",
				pm.name, d.Allowed, d.Rule, d.Reason)
		}
	}
	if _, err := p.Permissions(s, c); err != nil {
		t.Fatalf("Permissions: %v", err)
	}
}

// sample returns a value of kind k.
func sample(k attrKind) any {
	switch k {
	case kindString:
		return "published"
	case kindInt:
		return 7
	case kindDouble:
		return 0.5
	case kindBool:
		return true
	case kindTimestamp:
		return t0.Add(-time.Hour)
	case kindDuration:
		return time.Hour
	case kindStringList:
		return []string{"a", "b"}
	default:
		return []int64{1, 7}
	}
}

// FuzzCheck varies the request against the default policy. A decision
// always comes without an error for a declared permission, and an allowed
// one names a rule and a role path that starts at a role the subject
// holds.
func FuzzCheck(f *testing.F) {
	f.Add(uint8(0), uint8(0), "v1", "alice", "published", int64(5_000_001), 2, int64(60), "v1",
		int64(0))
	f.Add(uint8(17), uint8(3), "v2", "", "requested", int64(-1), 1, int64(-60), "", int64(1))
	f.Add(uint8(40), uint8(6), "", "owner1", "visible", int64(0), 0, int64(0), "v1", int64(-1))

	p := Default()
	roles := []string{"customer", "vendor_staff", "vendor_manager", "vendor_owner", "support",
		"admin", "super_admin", "authenticated", "root"}
	f.Fuzz(func(t *testing.T, permIdx, roleIdx uint8, vendor, id, status string, amount int64,
		level int, ageSeconds int64, bindingVendor string, expiresIn int64) {
		pm := p.perms[int(permIdx)%len(p.perms)]
		b := Binding{Role: roles[int(roleIdx)%len(roles)], Vendor: bindingVendor}
		if expiresIn != 0 {
			b.ExpiresAt = t0.Add(time.Duration(expiresIn) * time.Second)
		}
		s := subject(id, b)
		typ := p.types[pm.typ].name
		r := res(typ, id, "vendor", vendor, "status", status, "amount", amount, "price", amount,
			"total", amount, "owner", id, "order_owner", vendor, "order_status", status,
			"grantee", id, "role", status)
		authTime := t0.Add(-time.Duration(ageSeconds) * time.Second)
		c := &Context{Time: t0, AuthLevel: level, AuthTime: authTime}

		d, err := p.Check(s, pm.name, r, c)
		if err != nil {
			t.Fatalf("Check(%s): %v", pm.name, err)
		}
		if !d.Allowed {
			return
		}
		if d.Rule == "" || len(d.RolePath) == 0 {
			t.Fatalf("allowed with rule %q and path %v", d.Rule, d.RolePath)
		}
		switch d.RolePath[0] {
		case "authenticated":
			if id == "" || d.Binding != nil {
				t.Fatalf("allowed to authenticated with id %q and binding %+v", id, d.Binding)
			}
		case b.Role:
			if d.Binding != &s.Bindings[0] || p.ValidateBinding(b) != nil {
				t.Fatalf("allowed through binding %+v, which does not apply", b)
			}
			if !b.ExpiresAt.IsZero() && !t0.Before(b.ExpiresAt) {
				t.Fatalf("allowed through an expired binding %+v", b)
			}
		default:
			t.Fatalf("allowed through role %s, which the subject does not hold", d.RolePath[0])
		}
	})
}
