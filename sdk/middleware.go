package sdk

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

type claimsKey struct{}

// ContextWithClaims returns a copy of ctx carrying c, as Middleware does;
// tests of handlers use it to stand in for a verified request.
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the claims Middleware verified for the request ctx
// belongs to.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// descriptions are the only words about a refusal that reach the client:
// fixed text per code, never the token's content (RFC 6750 section 3,
// error_description).
var descriptions = map[string]string{
	ErrMalformed.Code:       "the access token is malformed",
	ErrTooLarge.Code:        "the access token is too large",
	ErrAlgorithm.Code:       "the access token uses an algorithm that is not accepted",
	ErrForbiddenHeader.Code: "the access token header is not accepted",
	ErrWrongType.Code:       "the token is not an access token",
	ErrUnknownKey.Code:      "the access token is signed by an unknown key",
	ErrSignature.Code:       "the access token signature does not verify",
	ErrDuplicateClaim.Code:  "the access token repeats a claim",
	ErrMissingClaim.Code:    "the access token lacks a required claim",
	ErrIssuer.Code:          "the access token is from another issuer",
	ErrAudience.Code:        "the access token is for another audience",
	ErrExpired.Code:         "the access token expired",
	ErrNotYetValid.Code:     "the access token is not valid yet",
	ErrRevoked.Code:         "the access token has been revoked",
}

// Middleware verifies the bearer token of every request (RFC 6750 section
// 2.1) and puts its claims in the request context for ClaimsFrom.
//
// A request without a token gets 401 with a bare Bearer challenge (RFC
// 6750 section 3.1: no error code when no credentials were sent); a refused
// token gets 401 with error="invalid_token"; a malformed Authorization
// header gets 400 with error="invalid_request". When keys or the
// revocation list cannot be reached the answer is 503: the token may be
// fine, and a 401 would send clients to log in again for nothing. Bodies
// are RFC 9457 problem documents with a stable code. Tokens in the query
// string (RFC 6750 section 2.3) are not read.
func Middleware(v *Verifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, status := bearerToken(r.Header)
			switch status {
			case http.StatusUnauthorized:
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeProblem(w, status, "missing_token", "an access token is required")
				return
			case http.StatusBadRequest:
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
				writeProblem(w, status, "invalid_request",
					"the Authorization header is not a single Bearer token")
				return
			}

			claims, err := v.Verify(r.Context(), token)
			if err != nil {
				refuseRequest(w, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), claims)))
		})
	}
}

// bearerToken returns the token of the Authorization header, or the status
// to answer: 401 when there is none, 400 when the header is malformed.
func bearerToken(h http.Header) (string, int) {
	values := h.Values("Authorization")
	if len(values) == 0 {
		return "", http.StatusUnauthorized
	}
	if len(values) > 1 {
		return "", http.StatusBadRequest
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		// Another scheme (Basic, DPoP) carries no bearer token.
		return "", http.StatusUnauthorized
	}
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", http.StatusBadRequest
	}
	return token, 0
}

func refuseRequest(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = ErrMalformed
	}
	if e.Temporary() {
		w.Header().Set("Retry-After", "5")
		writeProblem(w, http.StatusServiceUnavailable, "unavailable",
			"access tokens cannot be checked right now; try again shortly")
		return
	}
	desc := descriptions[e.Code]
	w.Header().Set("WWW-Authenticate",
		`Bearer error="invalid_token", error_description="`+desc+`"`)
	writeProblem(w, http.StatusUnauthorized, "invalid_token", desc)
}

// writeProblem sends an RFC 9457 problem document shaped like cerrojo's
// own, built from fixed strings only.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// #nosec G705 -- code and detail are constants of this file (descriptions), as
	// every caller passes; the body is application/problem+json. The status is sent,
	// so a failed write only means the client has gone.
	_, _ = w.Write([]byte(`{"type":"urn:cerrojo:problem:` + code + `","title":"` +
		http.StatusText(status) + `","status":` + strconv.Itoa(status) + `,"code":"` + code +
		`","detail":"` + detail + `"}` + "\n"))
}
