// Package tokens signs cerrojo's access tokens and manages the keys that
// sign them: it creates, publishes, rotates and deletes signing keys, serves
// them as the JWKS at /.well-known/jwks.json, and mints JWT access tokens in
// the profile of RFC 9068. Verification lives in the public sdk package,
// which this package uses for its own tokens too.
//
// Guarantees:
//   - Every node signs with the same current key: the database decides it.
//     Changes to the key set (first keys, rotation, deletion) run under one
//     row lock and are decided again under it, so nodes that rotate at the
//     same moment produce exactly one new current key; unique indexes allow
//     at most one current and one next key whatever the code does.
//   - The rotation invariant: a key is published (as next) for at least the
//     JWKS max-age plus a margin before it signs anything, and a retired key
//     stays published until every token it signed has expired plus the
//     largest leeway a verifier may use. limits.go derives both windows.
//   - A node whose copy of the key set is older than a few minutes (it lost
//     the database) neither signs nor serves the JWKS, so it cannot break
//     the invariant with an old view.
//   - Private keys exist in plaintext only in memory: at rest they are
//     PKCS #8 sealed by the keyring, bound to their kid, and only the
//     current key's is opened.
//   - Tokens carry typ at+jwt, a kid, iss, sub, aud, exp, iat, nbf, jti and
//     client_id (RFC 9068 section 2.2), and are signed by go-jose with
//     EdDSA (default), ES256 or RS256.
//
// Assumptions: node clocks agree within a minute; the master key is the
// same on every node (the keyring checks it at start-up); verifiers honour
// the JWKS max-age or refetch on an unknown kid, as the SDK does.
//
// Not done yet: removing a compromised key from the JWKS at once (a forced
// rotation still keeps the retired key published for its window), and ID
// tokens; when ID tokens are signed with these keys, their lifetime must be
// included in the retire window.
package tokens
