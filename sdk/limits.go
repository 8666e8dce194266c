package sdk

import "time"

// Bounds on what the SDK accepts from the network and from tokens, kept
// together so that each can be reviewed with its reason. Tests exercise the
// value at and just past each bound.
const (
	// MaxTokenBytes caps a compact access token. cerrojo's tokens are
	// 500-900 bytes; a few roles and scopes more stay far below 8 KiB, which
	// is also the smallest header limit of common proxies, so a longer token
	// could not have reached the service intact anyway.
	MaxTokenBytes = 8 << 10

	// maxHeaderBytes caps the decoded JOSE header. cerrojo's is under 100
	// bytes (alg, kid, typ); anything near this cap is not ours.
	maxHeaderBytes = 512

	// maxMembers caps the top-level members of the header and of the claims
	// object, and so the work of the duplicate check (quadratic in it).
	maxMembers = 64

	// maxKeyIDLen caps a kid. cerrojo's are 43 characters (an RFC 7638
	// thumbprint); other issuers use UUIDs or short names.
	maxKeyIDLen = 128

	// MaxJWKSBytes caps a JWKS document. A 3072-bit RSA key is about 600
	// bytes as a JWK and cerrojo publishes three or four keys; 128 KiB also
	// fits issuers that publish dozens with certificate chains.
	MaxJWKSBytes = 128 << 10

	// maxJWKSKeys caps the keys of one JWKS document.
	maxJWKSKeys = 100

	// minRSABits and maxRSABits bound RSA keys: below 2048 bits is too weak
	// (RFC 7518 section 3.3 requires 2048), and a huge modulus makes every
	// verification slow, a cheap denial of service for whoever controls a
	// published key.
	minRSABits = 2048
	maxRSABits = 8192

	// DefaultLeeway is the clock difference tolerated between the issuer
	// and the verifier when checking exp, nbf and iat (RFC 7519 section
	// 4.1.4 allows "some small leeway").
	DefaultLeeway = 30 * time.Second
	// MaxLeeway caps the configurable leeway: more would let an expired
	// token live on long enough to matter. cerrojo keeps retired keys
	// published this much longer than its tokens live.
	MaxLeeway = 5 * time.Minute

	// DefaultFetchTimeout bounds one JWKS request when the caller sets no
	// timeout of its own.
	DefaultFetchTimeout = 5 * time.Second

	// minCacheTTL, maxCacheTTL and defaultCacheTTL bound how long a fetched
	// JWKS is used before it is fetched again: max-age is honoured within
	// [30 s, 24 h]; without one, 5 minutes. The lower bound keeps a server
	// that says no-cache from being asked on every request; the upper one
	// keeps a typo in max-age from pinning keys for a year.
	minCacheTTL     = 30 * time.Second
	maxCacheTTL     = 24 * time.Hour
	defaultCacheTTL = 5 * time.Minute

	// MinRefreshInterval is the least time between two JWKS fetches. A token
	// with an unknown kid triggers a fetch, and anyone can send such tokens,
	// so without this bound the SDK would relay a flood to the issuer.
	MinRefreshInterval = 10 * time.Second

	// staleIfError is how long past its expiry a JWKS stays in use while
	// fetching a new one fails, so that an issuer outage does not take down
	// every resource server at once (compare RFC 5861 stale-if-error). It
	// also bounds how long a key removed in an emergency can be trusted by
	// a verifier that cannot reach the issuer.
	staleIfError = time.Hour

	// MaxRevocationListBytes caps the revocation list document. One entry
	// is about 110 bytes (a 26-character session id and two timestamps),
	// so MaxRevocationEntries of them take 11 MB; the rest is room for
	// longer session ids.
	MaxRevocationListBytes = 16 << 20

	// MaxRevocationEntries caps the entries of one revocation list. An
	// entry stays listed for one access token lifetime (10 minutes by
	// default), so this is 10 000 sessions ending every minute. A larger
	// list (every session ended at once after a breach, say) is refused:
	// the last good list stays in use for MaxStale and then verification
	// fails closed until entries expire and the list shrinks. Accepting
	// any size instead would let one bad document exhaust the memory of
	// every resource server at once.
	MaxRevocationEntries = 100_000

	// maxSessionIDLen caps a sid in the revocation list. cerrojo's are 26
	// characters; longer ones come from a server that is not cerrojo.
	maxSessionIDLen = 128

	// DefaultRevocationPoll is how often a RemoteRevocations polls until
	// the server has said otherwise in poll_seconds, and when neither the
	// configuration nor the document gives an interval. It is the default
	// of cerrojo's own sessions.revocation_poll.
	DefaultRevocationPoll = 30 * time.Second

	// minRevocationPoll and maxRevocationPoll bound the poll interval,
	// configured or sent by the server, to cerrojo's own bounds for
	// sessions.revocation_poll. Polling faster would turn every resource
	// server into steady load on the issuer; polling slower would let an
	// ended session's tokens be accepted for most of their lifetime, and
	// a server typo in poll_seconds must not stop polling for a year.
	minRevocationPoll = time.Second
	maxRevocationPoll = 10 * time.Minute

	// revocationStaleFactor sets the default MaxStale: this many poll
	// intervals. Three lets two polls in a row fail (a deploy of the
	// issuer, a network blip) without failing closed, and still bounds
	// how long a verifier cut off from the issuer keeps accepting tokens
	// of sessions that ended meanwhile.
	revocationStaleFactor = 3
)
