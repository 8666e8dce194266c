package httpx

import (
	"net/http"
	"slices"
	"strings"
)

// CORS lets the web origins in allowed call the API from a browser (the
// Fetch standard's CORS protocol) and no other: an Origin not in the list
// gets no CORS header, so the browser keeps the answer from the page, and
// its preflight is refused. Origins are compared exactly, scheme and port
// included; there is no wildcard, because the list is where a
// marketplace says which of its sites may hold people's tokens.
//
// Credentials mode is not offered: cerrojo's API authenticates with
// bearer tokens, not cookies, so a page must send the token itself and
// another site's page cannot ride on a person's cookies.
func CORS(allowed []string) func(http.Handler) http.Handler {
	allowed = slices.Clone(allowed)
	return func(next http.Handler) http.Handler {
		if len(allowed) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Add("Vary", "Origin")
			ok := slices.Contains(allowed, origin)
			preflight := r.Method == http.MethodOptions &&
				r.Header.Get("Access-Control-Request-Method") != ""
			if preflight {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				if !ok {
					WriteProblem(w, r, NewProblem(http.StatusForbidden, "origin_not_allowed",
						"this web origin may not call the API; see http.cors_origins"))
					return
				}
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", corsRequestHeaders)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if ok {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Expose-Headers", corsExposedHeaders)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// corsRequestHeaders are the headers a page may send beyond the
// CORS-safelisted ones.
var corsRequestHeaders = strings.Join([]string{"Authorization", "Content-Type",
	HeaderRequestID, "Accept-Language", "If-None-Match"}, ", ")

// corsExposedHeaders are the answer's headers a page may read beyond the
// safelisted ones: what it needs to retry, step up, and report.
var corsExposedHeaders = strings.Join([]string{HeaderRequestID, "WWW-Authenticate",
	"Retry-After", "RateLimit", "RateLimit-Policy", "ETag", "Location"}, ", ")
