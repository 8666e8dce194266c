// Package authorizer answers "may the holder of this verified access token
// do this to that resource?" for a marketplace's own services, with the
// policy and the role bindings kept in cerrojo.
//
// It has two modes behind one interface, Authorizer:
//
//   - Local fetches the policy document once and then on a schedule, and
//     each subject's bindings when a decision needs them (cached for a few
//     seconds), and decides in process with authz.Policy.Check: the same
//     engine and document cerrojo uses. A decision with warm caches takes
//     no network round trip.
//   - Remote asks cerrojo's check API for every decision. It keeps no state
//     and is as fresh as cerrojo itself, at the cost of a round trip.
//
// A service verifies the token first, then asks:
//
//	az, err := authorizer.NewLocal(authorizer.LocalConfig{
//		BaseURL:      "https://auth.example.co",
//		ClientID:     "orders-api",
//		ClientSecret: secret,
//	})
//	go az.Run(ctx)
//	http.Handle("PUT /products/{id}", sdk.Middleware(v)(
//		authorizer.Require(az, "product:update", loadProduct)(updateProduct)))
//
// where loadProduct reads the product from the service's own store and
// returns its true attributes (vendor, status, price), or ErrNotFound.
//
// Guarantees. An error is never a decision: when cerrojo cannot be reached,
// answers something this package does not understand, or refuses the
// service's client credentials, the answer is an error matching
// ErrUnavailable, and Require answers 503, neither allowing nor denying.
// In Local mode:
//
//   - a binding revoked in cerrojo stops applying within BindingsTTL of the
//     revocation (plus one fetch), and at once after Invalidate; the cache
//     never serves bindings older than that, even while cerrojo is down;
//   - the bindings used are those cerrojo returned for the token's subject:
//     a response that names another subject is refused;
//   - the policy in use was confirmed by cerrojo within MaxStale; past it,
//     and before the first policy is fetched, every decision fails with
//     ErrUnavailable;
//   - a policy document that does not parse, or whose bytes do not match
//     the digest in its ETag, is refused and the previous one stays in use
//     (until MaxStale); Stats counts the refusals;
//   - a policy change reaches the service within PolicyRefresh while Run
//     runs, and usually sooner: each bindings response names the digest
//     of cerrojo's policy, and a digest other than the one in use makes
//     the next decision fetch the policy first.
//
// The roles claim of the token is not used: it is copied when the token is
// minted and may be ten minutes old, while bindings are fetched fresh.
//
// Assumptions. The token was verified by sdk.Verifier, with a revocation
// list if ended sessions must stop at once. cerrojo is reached over TLS
// (plain http is refused except on a loopback host or with AllowHTTP),
// since whoever can alter its answers decides every request. The resource
// given to Authorize carries the attributes the service loaded from its own
// store, not ones the client sent; the engine decides on what it is told.
// The IP is the client's as the service determined it: behind a proxy,
// set the request's RemoteAddr from a trusted forwarding header first.
// The clock is roughly right: bindings expire by it.
//
// Accepted risks, each bounded. Bindings cached for BindingsTTL (5 s by
// default) keep applying for that long after a revocation; set a negative
// BindingsTTL to fetch them for every decision. Decisions that miss the
// cache at the same moment share one fetch, so a decision may use bindings
// read up to one round trip before it was asked. A subject cerrojo does not
// know (a deleted account, or a client-credentials token, whose subject is
// a client) has no bindings, and holds only the implicit role
// "authenticated" that every verified token holds.
//
// What the caller must protect: the client secret. It lets its holder read
// the policy and any subject's bindings, so it goes in a secret store, not
// in logs (the configuration types print it as redacted).
//
// This package does not log. Require reports each decision, with the
// reason that is never sent to the client, through OnDecision; Stats
// shows a Local's caches and failures for health checks and metrics.
package authorizer
