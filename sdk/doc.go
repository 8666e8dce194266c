// Package sdk is the Go library that a marketplace's own services import to
// trust cerrojo without calling it on every request: it verifies cerrojo's
// access tokens locally, and cerrojo verifies its own tokens with it too,
// so there is one implementation of the rules.
//
// A service builds one Verifier at start-up and wraps its handlers:
//
//	keys, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{
//		URL: "https://auth.example.co/.well-known/jwks.json",
//	})
//	v, err := sdk.NewVerifier(sdk.Config{
//		Issuer:    "https://auth.example.co",
//		Audiences: []string{"orders-api"},
//		Keys:      keys,
//	})
//	http.Handle("/orders/", sdk.Middleware(v)(orders))
//
// and reads the claims with ClaimsFrom(r.Context()).
//
// A verified token says who the caller is, not what it may do to a given
// product or order. That is decided by the sub-package authorizer, with
// the policy and role bindings kept in cerrojo: either in process, with the
// policy and each subject's bindings fetched and cached briefly, or by
// asking cerrojo's check API. Its Require middleware goes after Middleware
// in the chain.
//
// Guarantees. A token is accepted only if it is an RFC 9068 access token
// (typ at+jwt) from the configured issuer, for one of the configured
// audiences, within its validity (with a small leeway for clock
// differences), signed by a key that the issuer's JWKS publishes, under
// that key's own algorithm from the allow-list EdDSA, ES256, RS256. Tokens
// that ask to choose their own key (jku, x5u, jwk, x5c), that mark
// extensions critical, that use none or HMAC, that spell a claim twice, or
// that exceed the size bounds in limits.go are refused before or instead of
// any signature check. Every refusal is an *Error with a stable code.
//
// Assumptions. The JWKS URL is reached over TLS (or an authenticated
// network): whoever controls that document can mint tokens. The clock is
// roughly right. Refusing the tokens of an ended session needs a
// Revocations in Config: RemoteRevocations polls cerrojo's revocation list
// (run it with go revs.Run(ctx)), so such tokens are refused within one
// poll interval, and every token is refused once the list has not been
// checked for MaxStale. Without one, a token stays valid until it expires,
// which is why cerrojo's access tokens live ten minutes.
//
// What the caller must protect: nothing secret lives here; tokens are
// bearer credentials, so never log them.
//
// This package imports nothing under cerrojo's internal/ (other modules
// cannot), and depends only on the standard library and go-jose.
package sdk
