package authz

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// deny builds a denial and says why nothing allowed: the first condition
// that withheld a grant, or else that no binding grants the permission
// here, with the nearest miss (a binding that would have granted it had it
// not expired or been for another vendor). Values that come from the
// request are quoted, so a reason can go into a log line as it is.
func (p *Policy) deny(s *Subject, pid int32, r *Resource, c *Context, vendor string, ev *evaluations) Decision {
	perm := p.perms[pid].name
	if ev != nil && ev.failed {
		ru := &p.rules[ev.failedRule]
		path := p.paths[ev.failedPath]
		if ev.failedErr != nil {
			return Decision{Reason: fmt.Sprintf("rule %s grants %s to %s, but its condition "+
				"could not be evaluated: %v", ru.id, perm, roleVia(path), ev.failedErr)}
		}
		return Decision{Reason: fmt.Sprintf("rule %s grants %s to %s, but its condition was false",
			ru.id, perm, roleVia(path))}
	}

	reason := "no binding grants " + perm
	if vendor != "" {
		reason += " for vendor " + strconv.Quote(vendor)
	} else if p.types[p.perms[pid].typ].scoped {
		reason += " on a resource without a vendor"
	}
	if note := p.nearestMiss(s, pid, vendor, c.Time); note != "" {
		reason += "; " + note
	}
	return Decision{Reason: reason}
}

// roleVia names the role of a rule and, when the subject holds it by
// inheritance, the role bound.
func roleVia(path []string) string {
	if len(path) == 1 {
		return path[0]
	}
	return path[len(path)-1] + " (inherited by " + path[0] + ")"
}

// nearestMiss looks for a binding whose role grants the permission but
// that did not apply, and says why.
func (p *Policy) nearestMiss(s *Subject, pid int32, vendor string, now time.Time) string {
	if s.ID == "" && len(p.roles[0].grantsFor(pid)) > 0 {
		return "the subject has no id, so it does not hold the role " + implicitRole
	}
	for i := range s.Bindings {
		b := &s.Bindings[i]
		ri, ok := p.roleIndex[b.Role]
		if !ok || ri == 0 || len(p.roles[ri].grantsFor(pid)) == 0 {
			continue
		}
		ro := &p.roles[ri]
		switch {
		case !b.ExpiresAt.IsZero() && !now.Before(b.ExpiresAt):
			return fmt.Sprintf("the binding of %s expired at %s", ro.name, b.ExpiresAt.UTC().Format(time.RFC3339))
		case ro.vendor && b.Vendor == "":
			return fmt.Sprintf("the binding of vendor-scoped role %s names no vendor, so it never applies", ro.name)
		case !ro.vendor && b.Vendor != "":
			return fmt.Sprintf("the binding of global role %s names a vendor, so it never applies", ro.name)
		case vendor == "":
			return fmt.Sprintf("the binding of %s is for vendor %q, and the resource has no vendor", ro.name, b.Vendor)
		default:
			return fmt.Sprintf("the binding of %s is for vendor %q", ro.name, b.Vendor)
		}
	}
	for i := range s.Bindings {
		if _, ok := p.roleIndex[s.Bindings[i].Role]; !ok {
			return fmt.Sprintf("the binding of %q was ignored: the policy has no such role", s.Bindings[i].Role)
		}
	}
	return ""
}

// Entitlement is one permission a subject holds, and where.
type Entitlement struct {
	Permission string
	// Vendor limits the permission to that vendor's resources; "" means
	// wherever the permission's resource type is found.
	Vendor string
	// Conditional is set when every rule that grants the permission has a
	// condition, so that holding it depends on the resource and the
	// request; Permissions does not evaluate conditions.
	Conditional bool
	// Rule, RolePath and Binding say how the permission is held, as in a
	// Decision; for a conditional entitlement, through the first such rule.
	Rule     string
	RolePath []string
	Binding  *Binding
}

// Permissions lists what s may do at time c.Time, and where: one
// entitlement for each permission and vendor, unconditional ones winning
// over conditional ones, sorted by vendor (global first) and permission.
// It answers "what can this person do", for an account page or an access
// review; whether a conditional entitlement holds for a given resource is
// Check's to say.
func (p *Policy) Permissions(s *Subject, c *Context) ([]Entitlement, error) {
	if s == nil || c == nil || c.Time.IsZero() {
		return nil, ErrIncompleteRequest
	}
	type key struct {
		perm   int32
		vendor string
	}
	best := map[key]int{}
	var out []Entitlement
	add := func(ri int32, b *Binding) {
		vendor := ""
		if b != nil {
			vendor = b.Vendor
		}
		gs := p.roles[ri].grants
		for i, g := range gs {
			if i > 0 && gs[i-1].perm == g.perm {
				continue // the first grant of a permission is the deciding one
			}
			e := Entitlement{
				Permission:  p.perms[g.perm].name,
				Vendor:      vendor,
				Conditional: p.rules[g.rule].conditional(),
				Rule:        p.rules[g.rule].id,
				RolePath:    p.paths[g.path],
				Binding:     b,
			}
			k := key{g.perm, vendor}
			if j, ok := best[k]; ok {
				if out[j].Conditional && !e.Conditional {
					out[j] = e
				}
				continue
			}
			best[k] = len(out)
			out = append(out, e)
		}
	}

	if s.ID != "" {
		add(0, nil)
	}
	for i := range s.Bindings {
		b := &s.Bindings[i]
		ri, ok := p.roleIndex[b.Role]
		if !ok || ri == 0 || (!b.ExpiresAt.IsZero() && !c.Time.Before(b.ExpiresAt)) {
			continue
		}
		if p.roles[ri].vendor != (b.Vendor != "") {
			continue
		}
		add(ri, b)
	}

	slices.SortFunc(out, func(a, b Entitlement) int {
		if c := cmp.Compare(a.Vendor, b.Vendor); c != 0 {
			return c
		}
		return cmp.Compare(a.Permission, b.Permission)
	})
	return out, nil
}
