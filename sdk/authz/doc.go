// Package authz is cerrojo's authorization policy engine: it reads a policy
// document (YAML) of resource types, roles and rules, and decides whether a
// subject may perform an action on a resource, with an explanation.
//
// It is pure: no I/O, no clock, no logging. The bindings store, the HTTP
// check API and the audit log live in cerrojo and call this package; a
// marketplace's own services import it through the SDK to decide locally,
// with the same code and the same policy document as cerrojo.
//
//	p, err := authz.Parse(doc) // or authz.Default()
//	d, err := p.Check(&authz.Subject{ID: uid, Bindings: bindings},
//		"product:update",
//		&authz.Resource{Type: "product", ID: pid, Attributes: map[string]any{
//			"vendor": "v1", "status": "published"}},
//		&authz.Context{Time: now, AuthLevel: 2, AuthTime: authTime})
//	if err != nil { /* the caller's mistake: unknown permission or type */ }
//	if !d.Allowed { /* 403; log d.Reason */ }
//
// Guarantees. The answer is no unless a rule grants the permission to a
// role the subject holds for this resource now: a binding that has not
// expired, whose scope (global, or one vendor) covers the resource, directly
// or through inheritance, with the rule's CEL condition true. There are no
// deny rules, so any failure while evaluating a condition withholds a grant
// and never adds one. A policy is fully validated when parsed (every name
// declared, no inheritance cycle, conditions type-checked against each
// resource type's declared attributes, sizes within limits.go), so an
// accepted policy has no part that fails later for want of a declaration. A
// compiled Policy is immutable and safe for concurrent use; Check does not
// allocate on an unconditional grant, and its cost does not depend on the
// number of users or roles in the policy, only on the subject's bindings.
//
// Assumptions. The caller gives the true resource attributes (the vendor
// and owner of the order it loaded, not the ones a client sent) and the true
// time: the engine decides on what it is told. Bindings come from the store
// with their expiry. A condition's cost is capped (MaxConditionCost).
//
// What the caller must protect: the policy document, which is as powerful
// as the admin role; and the mapping from requests to resources.
package authz
