package tokens

import (
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

// Timings and bounds of the key life cycle and of minting, kept together so
// that each can be reviewed with its reason. docs/tokens.md draws the
// timeline they make.
const (
	// RefreshInterval is how often a node re-reads the key set (Run). A
	// node learns of another node's rotation within this time.
	RefreshInterval = time.Minute

	// staleAfter is how old a node's copy of the key set may be before the
	// node stops signing with it and stops serving it as the JWKS. It turns
	// "nodes refresh every minute" into a bound the rotation invariant can
	// rely on even when a node cannot reach the database: such a node
	// fails requests instead of signing with a key the others retired, or
	// publishing a JWKS without the next key.
	staleAfter = 3 * RefreshInterval

	// clockSkew is the difference tolerated between the clocks of nodes,
	// which stamp the key rows, and of the verifiers that cache the JWKS.
	clockSkew = time.Minute

	// unknownKeyRefreshInterval is the least time between two reloads that
	// a token with an unknown kid triggers, so that made-up kids cannot
	// turn into a flood of database reads.
	unknownKeyRefreshInterval = sdk.MinRefreshInterval

	// rsaBits is the RS256 key size: NIST SP 800-57 Part 1 rates 3072 bits
	// as 128-bit security, on a par with P-256 and Ed25519.
	rsaBits = 3072

	// maxGenerateRounds bounds how often Rotate and Maintain generate
	// fresh keys because another node changed the set between their look
	// and their transaction.
	maxGenerateRounds = 3

	// maxClaimLen caps each string a caller puts in a token (subject,
	// client id, session id, acr, each scope, role and amr value), and
	// maxClaimList each list: together they keep a token well below
	// sdk.MaxTokenBytes, which Mint checks at the end anyway.
	maxClaimLen  = 256
	maxClaimList = 32
)

// publishLead is how long a next key is published before it may sign (the
// rotation invariant, first half). Every node serves it in the JWKS within
// staleAfter of its creation; a client that fetched the JWKS just before
// that keeps its copy for up to max-age; clocks may differ by clockSkew.
// After that every verifier that honours max-age knows the key.
func publishLead(cfg Config) time.Duration {
	return cfg.JWKSMaxAge + staleAfter + clockSkew
}

// retireWindow is how long a retired key stays published (the rotation
// invariant, second half). A node that has not yet seen the rotation may
// sign with the retired key for up to staleAfter; that token lives
// AccessTokenTTL; a verifier may accept it for up to sdk.MaxLeeway past
// its exp; clocks may differ by clockSkew. After that no token the key
// signed can be accepted anywhere, and the key is deleted.
func retireWindow(cfg Config) time.Duration {
	return cfg.AccessTokenTTL + staleAfter + sdk.MaxLeeway + clockSkew
}
