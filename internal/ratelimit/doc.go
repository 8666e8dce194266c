// Package ratelimit limits how fast clients may call cerrojo, per route
// class (login, registration, recovery, code checks, token, check API,
// everything else) and per key: the client's address, the account being
// signed in to, or the OAuth client. It is what stands between the
// internet and the expensive or abusable work behind those routes:
// password hashes, emails and texts, guessable codes.
//
// Guarantees:
//   - Every limit is a GCRA limit (Limit): after a quiet spell a key may
//     make Burst requests at once and Rate per Period on average after
//     that. Refused requests consume nothing, so a client that waits as
//     told is served.
//   - With Redis, the decision is one atomic script on Redis's clock
//     (github.com/go-redis/redis_rate), shared by every node. Without it,
//     Memory makes the same decisions in process for the same sequence of
//     requests; moving between them changes where counts live, not what a
//     limit means.
//   - Wrap checks every key before the wrapped handler runs, so before the
//     body is read and before any password is hashed.
//   - A refused request gets 429 with the problem code rate_limited,
//     Retry-After in whole seconds rounded up, and the RateLimit and
//     RateLimit-Policy fields of draft-ietf-httpapi-ratelimit-headers-09;
//     allowed requests carry the RateLimit fields too. Nothing in them
//     names the key.
//   - Stored keys are bounded: a value longer than 64 bytes is replaced by
//     its SHA-256. Memory tracks at most DefaultMaxKeys keys and forgets a
//     key as soon as it is back at its full allowance.
//   - When Redis fails, Fallback decides in process instead, logs one line
//     when the outage starts and one when it ends, holds the gauge
//     cerrojo_ratelimit_degraded at 1 meanwhile, and tries Redis again
//     every few seconds on its own. Limited requests are counted in
//     cerrojo_ratelimit_limited_total by class.
//
// Assumptions: the ClientIP function given to New returns the real client
// address, with the trusted-proxy rules applied; without it every client
// behind a proxy shares one limit, and with a naive reading of
// X-Forwarded-For a client escapes limits by lying. Anyone who controls
// one IPv6 address is assumed to control its /64, which is therefore what
// is limited.
//
// Accepted risks:
//   - During a Redis outage each node counts alone, so a client spread
//     over n nodes gets up to n times its limit, and counts made then are
//     not carried back. Refusing every request or limiting none would be
//     worse.
//   - Past DefaultMaxKeys busy keys in one process, the keys nearest their
//     full allowance are forgotten first and so start again a little early.
//   - Client addresses are kept in clear, in Redis and in memory, until
//     their key is back at its full allowance (at most a Period); they are
//     never logged by this package.
//
// The caller must:
//   - wrap every public route with Wrap and the right class, inside the
//     request-id and recovery middleware and outside body decoding and
//     authentication handlers that do expensive work;
//   - call Check with an account key before checking a password or a code
//     for that account, passing a MAC of the account's identifier (never
//     an email address in clear), and serve the *Limited it returns;
//   - key by OAuth client only after the client has authenticated (wrap
//     ByClient inside the client authentication), because a client id is
//     not secret and anyone could spend another client's allowance;
//   - use a Fallback with NewRedis as Primary and NewMemory as Secondary
//     when Redis is configured, and register NewMetrics on the same
//     registry as the other series.
package ratelimit
