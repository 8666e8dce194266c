package authz

import (
	"fmt"
	"time"
)

// Check decides whether subject s holds permission ("type:action") on
// resource r in context c.
//
// The answer is no unless a rule grants the permission to a role that the
// subject holds here: through a binding that has not expired (ExpiresAt
// after c.Time), whose scope covers the resource (a global binding covers
// everything; a vendor binding covers the resources whose vendor attribute
// is that vendor, and the vendor resource with that id), directly or by
// inheritance, and whose condition, if the rule has one, is true. Every
// subject with an ID also holds the role "authenticated". There are no
// deny rules, so a condition that fails to evaluate can only withhold a
// grant, never take one away.
//
// An unknown permission, an unknown resource type, a permission of another
// type than the resource's, or a missing argument is an error, not a
// denial, so that mistakes in the caller show up as mistakes.
//
// Check allocates nothing when no condition needs to be evaluated and the
// answer is yes; a denial allocates its reason.
func (p *Policy) Check(s *Subject, permission string, r *Resource, c *Context) (Decision, error) {
	pid, ok := p.permIndex[permission]
	if !ok {
		return Decision{}, fmt.Errorf("%w: %q", ErrUnknownPermission, permission)
	}
	if s == nil || r == nil || c == nil || c.Time.IsZero() {
		return Decision{}, ErrIncompleteRequest
	}
	t := p.perms[pid].typ
	rt := &p.types[t]
	if r.Type != rt.name {
		return Decision{}, p.typeError(permission, r.Type)
	}
	vendor := resourceVendor(rt, r)

	// 1. Unconditional grants: no evaluation, so try them all first.
	conditional := false
	if s.ID != "" {
		if gs := p.roles[0].grantsFor(pid); len(gs) > 0 {
			if !p.rules[gs[0].rule].conditional() {
				return p.allow(gs[0], nil), nil
			}
			conditional = true
		}
	}
	for i := range s.Bindings {
		ri, ok := p.applies(&s.Bindings[i], vendor, c.Time)
		if !ok {
			continue
		}
		if gs := p.roles[ri].grantsFor(pid); len(gs) > 0 {
			if !p.rules[gs[0].rule].conditional() {
				return p.allow(gs[0], &s.Bindings[i]), nil
			}
			conditional = true
		}
	}
	if !conditional {
		return p.deny(s, pid, r, c, vendor, nil), nil
	}

	// 2. Conditional grants, in the same order.
	in := &evalInput{p: p, s: s, r: r, c: c, vendor: vendor}
	var ev evaluations
	if s.ID != "" {
		if g, ok := p.firstTrue(in, &ev, p.roles[0].grantsFor(pid), t); ok {
			return p.allow(g, nil), nil
		}
	}
	for i := range s.Bindings {
		ri, ok := p.applies(&s.Bindings[i], vendor, c.Time)
		if !ok {
			continue
		}
		if g, ok := p.firstTrue(in, &ev, p.roles[ri].grantsFor(pid), t); ok {
			return p.allow(g, &s.Bindings[i]), nil
		}
	}
	return p.deny(s, pid, r, c, vendor, &ev), nil
}

// typeError tells an unknown resource type from a known one that the
// permission does not belong to.
func (p *Policy) typeError(permission, typ string) error {
	if _, ok := p.typeIndex[typ]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownResourceType, typ)
	}
	return fmt.Errorf("%w: %q asked of a resource of type %q", ErrTypeMismatch, permission, typ)
}

// resourceVendor returns the vendor that r belongs to, or "" when it
// belongs to none, in which case no vendor-scoped binding covers it.
func resourceVendor(rt *resourceType, r *Resource) string {
	if !rt.scoped {
		return ""
	}
	if rt.name == "vendor" {
		return r.ID
	}
	v, _ := r.Attributes["vendor"].(string)
	return v
}

// applies returns the role of binding b when b applies to a resource of
// the given vendor at time now.
func (p *Policy) applies(b *Binding, vendor string, now time.Time) (int32, bool) {
	ri, ok := p.roleIndex[b.Role]
	if !ok || ri == 0 {
		return 0, false
	}
	if !b.ExpiresAt.IsZero() && !now.Before(b.ExpiresAt) {
		return 0, false
	}
	if p.roles[ri].vendor {
		return ri, b.Vendor != "" && b.Vendor == vendor
	}
	return ri, b.Vendor == ""
}

func (p *Policy) allow(g grant, b *Binding) Decision {
	ru := &p.rules[g.rule]
	return Decision{
		Allowed:  true,
		Rule:     ru.id,
		RolePath: p.paths[g.path],
		Binding:  b,
		Reason:   ru.reason,
	}
}

// evaluations remembers the conditions already evaluated in one Check (a
// rule reached through two bindings is evaluated once) and the first that
// withheld a grant, for the explanation.
type evaluations struct {
	done [8]struct {
		rule int32
		ok   bool
	}
	n int

	failed     bool
	failedRule int32
	failedPath int32
	failedErr  error
}

func (ev *evaluations) lookup(rule int32) (ok, found bool) {
	for _, d := range ev.done[:ev.n] {
		if d.rule == rule {
			return d.ok, true
		}
	}
	return false, false
}

func (ev *evaluations) remember(rule int32, ok bool) {
	if ev.n < len(ev.done) {
		ev.done[ev.n].rule, ev.done[ev.n].ok = rule, ok
		ev.n++
	}
}

// firstTrue evaluates the conditions of gs in order and returns the first
// grant whose condition holds.
func (p *Policy) firstTrue(in *evalInput, ev *evaluations, gs []grant, t int32) (grant, bool) {
	for _, g := range gs {
		ok, found := ev.lookup(g.rule)
		if !found {
			var err error
			ok, err = p.rules[g.rule].evalFor(in, t)
			ev.remember(g.rule, ok)
			if !ok && !ev.failed {
				ev.failed, ev.failedRule, ev.failedPath, ev.failedErr = true, g.rule, g.path, err
			}
		}
		if ok {
			return g, true
		}
	}
	return grant{}, false
}

// evalFor evaluates the rule's condition for a resource of type t.
func (ru *rule) evalFor(in *evalInput, t int32) (bool, error) {
	for i := range ru.conds {
		if ru.conds[i].typ == t {
			return ru.conds[i].eval(in)
		}
	}
	return false, fmt.Errorf("rule %s has no condition for this resource type", ru.id)
}

// applicableRoles lists the roles of the subject's bindings that apply to
// the resource now, each once, in binding order: subject.roles in
// conditions.
func (in *evalInput) applicableRoles() []string {
	out := make([]string, 0, len(in.s.Bindings))
	for i := range in.s.Bindings {
		ri, ok := in.p.applies(&in.s.Bindings[i], in.vendor, in.c.Time)
		if !ok {
			continue
		}
		name := in.p.roles[ri].name
		dup := false
		for _, have := range out {
			dup = dup || have == name
		}
		if !dup {
			out = append(out, name)
		}
	}
	return out
}
