// Package sdk is the Go library that a marketplace's own services import to
// trust cerrojo without calling it on every request.
//
// It will verify cerrojo's access tokens locally against the published JWKS
// (fetched, cached, refreshed on an unknown key id, with a rate limit on
// refreshes), apply the revocation list so that an ended session stops being
// accepted within seconds, decide permissions locally from the authorization
// policy, and offer net/http middleware that puts the verified claims in the
// request context.
//
// Nothing is exported yet: token verification arrives with access tokens
// and signing keys, and the authorizer with the authorization policy. The
// package exists now so that its import path is stable, and so that the
// rule it must follow is written down before its code: it imports nothing
// under internal/, because other modules cannot, and it depends only on the
// standard library and on go-jose.
package sdk
