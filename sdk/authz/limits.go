package authz

// Bounds on a policy document and on the work one decision may take, kept
// together so each can be reviewed with its reason. A policy comes from an
// operator, not from the public, but it travels between nodes and through
// the admin API, so a mistaken or hostile one must fail fast instead of
// exhausting memory or CPU. Tests exercise each bound and just past it.
const (
	// MaxPolicyBytes caps the document. The default policy is about 12 KiB;
	// 10,000 roles with a rule each, the largest shape we benchmark, take
	// about 1.5 MiB of YAML.
	MaxPolicyBytes = 4 << 20

	// MaxResourceTypes caps declared resource types: a marketplace has a
	// dozen or two; hundreds mean types are being used as instances.
	MaxResourceTypes = 256

	// MaxActions caps the actions of one resource type, and so what one
	// "type:*" expands to.
	MaxActions = 64

	// MaxAttributes caps the declared attributes of one resource type,
	// which become fields of a CEL type.
	MaxAttributes = 64

	// MaxRoles caps declared roles. Large tenants with many custom roles
	// reach a few thousand; 10,000 is the largest benchmarked shape.
	MaxRoles = 10_000

	// MaxInherits caps the roles one role inherits directly; more is a sign
	// of a hierarchy that nobody can review.
	MaxInherits = 32

	// MaxRules caps rules, a few per role at the largest benchmarked shape.
	MaxRules = 50_000

	// MaxRuleRoles and MaxRulePermissions cap the lists of one rule.
	MaxRuleRoles       = 256
	MaxRulePermissions = 256

	// MaxFlatGrants caps the flattened index: one entry per (bound role,
	// permission, granting rule) through the inheritance closure. It bounds
	// the memory of a compiled policy (12 bytes an entry) when inheritance
	// is deep and wide, which the per-list caps alone would not.
	MaxFlatGrants = 4_000_000

	// MaxNameLen caps names of resource types, actions, attributes and
	// roles; MaxRuleIDLen caps rule ids, which tend to be descriptive.
	MaxNameLen   = 64
	MaxRuleIDLen = 128

	// MaxVersionLen caps the policy version string, which is copied into
	// every access token.
	MaxVersionLen = 64

	// MaxConditionBytes caps one CEL condition. Real conditions are one or
	// two lines; the CEL parser's own work grows with the text.
	MaxConditionBytes = 2048

	// maxConditionDepth caps the nesting of a condition's syntax tree, so
	// that parsing and checking cannot recurse without bound.
	maxConditionDepth = 32

	// MaxConditionCost caps the CEL runtime cost of one condition's
	// evaluation; past it the condition fails (and so grants nothing). The
	// default policy's conditions cost under 20; the cap leaves room for a
	// comprehension over a few hundred list elements and no more.
	MaxConditionCost = 10_000

	// MaxProblems caps the problems one Parse reports, so that a broken
	// large document yields a readable error rather than a megabyte one.
	MaxProblems = 50
)
