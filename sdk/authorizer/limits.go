package authorizer

import "time"

// Bounds on configuration and on what this package accepts from cerrojo,
// kept together so that each can be reviewed with its reason. Tests
// exercise the response bounds at and just past their value.
const (
	// DefaultPolicyRefresh is how often Local.Run fetches the policy when
	// LocalConfig.PolicyRefresh is zero.
	DefaultPolicyRefresh = time.Minute

	// minPolicyRefresh and maxPolicyRefresh bound PolicyRefresh. Faster
	// turns every service into steady load on cerrojo for a document that
	// changes a few times a month; slower leaves a corrected policy (a
	// grant withdrawn) unapplied for longer than an access token lives.
	minPolicyRefresh = time.Second
	maxPolicyRefresh = time.Hour

	// policyStaleFactor sets the default MaxStale: this many refresh
	// intervals. Two failed refreshes in a row (a deploy of cerrojo, a
	// network blip) do not stop decisions; a service cut off from cerrojo
	// for longer stops deciding under a policy it can no longer confirm.
	policyStaleFactor = 3

	// minPolicyRetry is the least time between two policy fetches that
	// decisions trigger (no policy yet, a stale one, bindings naming
	// another policy). Anyone can send requests, so without this bound an
	// outage of cerrojo would turn every request into a fetch. Refresh and
	// Run are not limited by it.
	minPolicyRetry = 5 * time.Second

	// DefaultBindingsTTL is how long a subject's bindings are used when
	// LocalConfig.BindingsTTL is zero: short enough that a revocation is
	// felt at once by people, long enough that a page making twenty API
	// calls fetches once.
	DefaultBindingsTTL = 5 * time.Second

	// maxBindingsTTL caps BindingsTTL, and so how long a revoked binding
	// can keep applying. It is the lifetime of cerrojo's access tokens,
	// whose roles claim is as old at worst.
	maxBindingsTTL = 10 * time.Minute

	// DefaultMaxSubjects is how many subjects' bindings a Local caches when
	// LocalConfig.MaxSubjects is zero. An entry is a few hundred bytes, so
	// the cache stays within a few megabytes.
	DefaultMaxSubjects = 10_000

	// maxMaxSubjects caps MaxSubjects, so that a typo cannot let the cache
	// take gigabytes.
	maxMaxSubjects = 1_000_000

	// MaxSubjectIDBytes caps a subject id, as cerrojo's API does; a token
	// with a longer subject is not one of cerrojo's.
	MaxSubjectIDBytes = 128

	// maxVendorIDBytes caps the vendor of a binding, by the same rule.
	maxVendorIDBytes = 128

	// maxBindings caps the bindings of one subject. People hold a handful;
	// an agency's staff may work for a few hundred vendors. Check reads
	// every binding on every decision, so this also bounds its work.
	maxBindings = 1000

	// maxBindingsBytes caps a bindings document: maxBindings entries of
	// about 200 bytes each, with room to spare.
	maxBindingsBytes = 512 << 10

	// MaxBatchChecks caps the checks of one AuthorizeBatch, as cerrojo's
	// batch API does.
	MaxBatchChecks = 100

	// maxDecisionBytes caps one decision from the check API: a rule id, a
	// reason sentence and a short role path take under 1 KiB.
	maxDecisionBytes = 16 << 10

	// maxBatchBytes caps a batch response: MaxBatchChecks decisions.
	maxBatchBytes = MaxBatchChecks * maxDecisionBytes

	// maxReasonBytes caps the reason of one decision, which services log.
	maxReasonBytes = 4 << 10

	// maxRolePath caps the role path of a decision: an inheritance chain
	// deeper than this is not one that anyone could review.
	maxRolePath = 64

	// maxProblemBytes caps an error document, read only for its code.
	maxProblemBytes = 16 << 10

	// maxJSONDepth and maxJSONMembers bound the structure of the JSON
	// documents read from cerrojo: the deepest (a batch result's binding)
	// nests four levels, and no object has more than ten members.
	maxJSONDepth   = 8
	maxJSONMembers = 32

	// retryAfter is the Retry-After that Require sends with a 503: long
	// enough for a failed fetch to time out, short enough for a person.
	retryAfter = "5"
)
