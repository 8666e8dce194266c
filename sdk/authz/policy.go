package authz

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"cel.dev/cel-go/cel"
)

// Binding gives a subject a role, either everywhere (Vendor empty) or for
// one vendor's resources. The bindings store keeps them; Check only reads
// them.
type Binding struct {
	Role string
	// Vendor is the vendor the binding is limited to; "" means global. A
	// role declared with scope vendor needs one, a global role must not
	// have one: a binding that breaks this never applies.
	Vendor string
	// ExpiresAt is when the binding stops applying; zero means never. A
	// binding applies while Context.Time is before ExpiresAt.
	ExpiresAt time.Time
}

// Subject is who asks: an account id and the bindings the store holds for
// it. A subject with a non-empty ID also holds the implicit role
// "authenticated", with no binding.
type Subject struct {
	ID       string
	Bindings []Binding
	// Attributes are read by conditions as subject.attributes, a
	// map(string, dyn); the engine itself does not look at them.
	Attributes map[string]any
}

// Resource is what the permission is asked about. Its Type must be a
// declared resource type; Attributes should carry the attributes the
// policy declares for that type, with Go values of the declared kinds
// (string, an integer type for int, float64, bool, time.Time,
// time.Duration, []string, []int64). The attribute "vendor" places the
// resource in a vendor, for vendor-scoped bindings; for the resource type
// "vendor" the resource's ID is that vendor.
type Resource struct {
	Type       string
	ID         string
	Attributes map[string]any
}

// Context is what is known about the request. Time is required: it decides
// which bindings have expired and is context.time in conditions.
type Context struct {
	Time time.Time
	IP   string
	// AuthLevel is how strongly the subject authenticated: 1 for a
	// password or a social login, 2 with a second factor or a passkey.
	AuthLevel int
	// AuthTime is when the subject last authenticated; zero when unknown,
	// which makes context.auth_age the longest duration, so recency
	// conditions fail.
	AuthTime time.Time
	// AMR lists the authentication methods (RFC 8176 values, such as "pwd",
	// "otp", "hwk").
	AMR []string
}

// Decision is the answer to one Check, with the reason behind it.
type Decision struct {
	Allowed bool
	// Rule is the id of the rule that granted the permission; empty on a
	// denial.
	Rule string
	// RolePath runs from the bound role to the role named in the rule,
	// through inheritance: ["vendor_owner", "vendor_manager",
	// "vendor_staff"]. It is shared with the policy: do not modify it.
	RolePath []string
	// Binding is the subject's binding that granted the permission (a
	// pointer into Subject.Bindings), or nil for a denial or a grant to
	// the implicit role "authenticated".
	Binding *Binding
	// Reason says in a sentence why the decision was made, for logs and
	// audit records; of the attribute values it contains only the
	// resource's vendor, quoted, so that it stays on one line.
	Reason string
}

// Policy is a compiled policy document. It is immutable once built and
// safe for concurrent use.
type Policy struct {
	version string
	source  []byte
	digest  string

	types     []resourceType
	typeIndex map[string]int32
	perms     []permission
	permIndex map[string]int32
	// roles[0] is the implicit role "authenticated".
	roles     []role
	roleIndex map[string]int32
	rules     []rule
	// paths are the inheritance paths that grants point into.
	paths [][]string
}

// resourceType is a declared resource type.
type resourceType struct {
	name  string
	attrs map[string]attrKind
	// scoped is true when vendor-scoped bindings can apply to the type:
	// it declares a vendor attribute, or it is the type "vendor".
	scoped  bool
	actions []string
}

// permission is "type:action".
type permission struct {
	name string
	typ  int32
}

// role is a declared role with its flattened grants.
type role struct {
	name     string
	vendor   bool
	inherits []int32
	// grants are sorted by permission; for one permission, either a single
	// unconditional grant or every conditional one.
	grants []grant
}

// grant says that a rule grants a permission to a role, directly or
// through the inheritance path paths[path].
type grant struct {
	perm int32
	rule int32
	path int32
}

// rule is a compiled rule.
type rule struct {
	id    string
	perms []int32
	// conds holds one program per resource type that the rule's
	// permissions name; empty for an unconditional rule.
	conds  []condition
	reason string // "allowed by rule <id>", built once
}

type condition struct {
	typ int32
	prg cel.Program
}

func (r *rule) conditional() bool { return len(r.conds) > 0 }

// implicitRole is the role every subject with an ID holds without a
// binding; rules may name it, roles may not declare or inherit it.
const implicitRole = "authenticated"

// Parse reads, validates and compiles a policy document. On any problem it
// returns a nil policy and a *PolicyError listing the problems with their
// lines and columns.
func Parse(src []byte) (*Policy, error) {
	var ps problems
	d := loadDocument(src, &ps)
	if d == nil {
		return nil, ps.err()
	}
	p := validate(d, src, &ps)
	if !ps.empty() {
		return nil, ps.err()
	}
	sum := sha256.Sum256(src)
	p.digest = "sha256:" + hex.EncodeToString(sum[:])
	return p, nil
}

// Version returns the version string the document declares.
func (p *Policy) Version() string { return p.version }

// Digest returns "sha256:" and the hex SHA-256 of the document's bytes, so
// that nodes and tokens can tell two policies with the same version apart.
func (p *Policy) Digest() string { return p.digest }

// Source returns a copy of the document the policy was parsed from.
func (p *Policy) Source() []byte { return slices.Clone(p.source) }

// ValidateBinding reports whether b could ever apply under this policy:
// the role is declared, is not the implicit "authenticated", and has a
// vendor exactly when it is vendor-scoped. The bindings store calls it
// before saving, so that a binding that would silently never apply is
// refused instead.
func (p *Policy) ValidateBinding(b Binding) error {
	ri, ok := p.roleIndex[b.Role]
	if !ok || ri == 0 {
		return &bindingError{b.Role, "is not a role of policy " + p.version}
	}
	switch r := &p.roles[ri]; {
	case r.vendor && b.Vendor == "":
		return &bindingError{b.Role, "is vendor-scoped and needs a vendor"}
	case !r.vendor && b.Vendor != "":
		return &bindingError{b.Role, "is global and cannot be limited to a vendor"}
	}
	return nil
}

type bindingError struct{ role, why string }

func (e *bindingError) Error() string {
	return "authz: invalid binding: role " + e.role + " " + e.why
}

func (e *bindingError) Is(target error) bool { return target == ErrInvalidBinding }
