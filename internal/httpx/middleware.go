package httpx

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
)

// Recover turns a panic in a handler into a 500 problem document. The panic
// and its stack go to the log, never to the client. http.ErrAbortHandler is
// let through: it is how a handler deliberately drops a connection.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw, ok := w.(*statusWriter)
			if !ok {
				sw = &statusWriter{ResponseWriter: w}
			}
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "handler panic",
					"request_id", RequestID(r.Context()),
					"panic", fmt.Sprint(p),
					"stack", string(debug.Stack()))
				noteError(r.Context(), fmt.Errorf("panic: %v", p))
				if !sw.wroteHeader() {
					WriteProblem(sw, r, NewProblem(http.StatusInternalServerError, CodeInternal,
						"the server failed to handle the request; quote the request id "+
							"when reporting it"))
				}
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// PagePolicy is the Content-Security-Policy of the hosted pages under
// /ui/: scripts, styles and everything else only from cerrojo's own origin,
// never inline (no 'unsafe-inline', no eval), images also as data: URLs
// (the TOTP QR code), forms only to cerrojo, and no framing (clickjacking).
// A page that sends a form elsewhere (the consent page, whose answer
// redirects to the client) widens form-action for itself.
const PagePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

// SecurityHeaders sets the headers that every response carries. They suit a
// JSON API: nothing may be framed, sniffed, cached or embedded elsewhere.
// Handlers that serve pages replace Content-Security-Policy with their own.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		csp := "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
		if strings.HasPrefix(r.URL.Path, "/ui/") {
			csp = PagePolicy // the hosted pages (package web)
		}
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		// Responses carry tokens and personal data: no cache may keep them
		// unless a handler says otherwise (the JWKS, for one).
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			// RFC 6797: only meaningful, and only honoured, over TLS.
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// LimitBody caps every request body at max bytes. Reading past the cap fails
// with *http.MaxBytesError, which DecodeJSON answers with 413.
func LimitBody(max int64) func(http.Handler) http.Handler {
	return LimitBodyByRoute(max, nil, nil)
}

// LimitBodyByRoute is LimitBody with other caps for some routes of rt, by
// pattern: routes that take files rather than JSON, whose handlers apply
// their own, documented, limit.
func LimitBodyByRoute(def int64, rt *Router,
	per map[string]int64) func(http.Handler) http.Handler {
	// Only requests with a method some of those routes take pay for the
	// route lookup: the uploads are PUTs, most traffic is not.
	methods := map[string]bool{}
	for pattern := range per {
		method, _, _ := strings.Cut(pattern, " ")
		methods[method] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			max := def
			if rt != nil && methods[r.Method] {
				if n, ok := per[rt.Pattern(r)]; ok {
					max = n
				}
			}
			if r.ContentLength > max {
				WriteProblem(w, r, Problemf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
					"the request body is larger than the limit of %d bytes", max))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, max)
			next.ServeHTTP(w, r)
		})
	}
}
