package httpx

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"net"
	"net/http"
	"strings"
)

// requestInfo is what the middleware learns about a request as it passes
// through, shared by pointer so that inner layers can report to outer ones.
type requestInfo struct {
	id       string
	route    string // the ServeMux pattern that matched, or "" when none did
	remoteIP string
	err      error // an internal error to log with the access line
}

type infoKey struct{}

func info(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(infoKey{}).(*requestInfo)
	return ri
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if ri := info(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// RemoteIP returns the client address of the request ctx belongs to.
func RemoteIP(ctx context.Context) string {
	if ri := info(ctx); ri != nil {
		return ri.remoteIP
	}
	return ""
}

// NoteError records an internal error so that the access log line carries
// it: the error is logged once, at the boundary, and never sent.
func NoteError(ctx context.Context, err error) { noteError(ctx, err) }

func noteError(ctx context.Context, err error) {
	if ri := info(ctx); ri != nil && ri.err == nil {
		ri.err = err
	}
}

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

// maxRequestIDLen bounds an id taken from a client: ids go into every log
// line, so an unbounded one would let a client inflate the logs.
const maxRequestIDLen = 64

// WithRequestInfo starts the per-request record with no trusted proxy.
func WithRequestInfo(next http.Handler) http.Handler { return RequestInfo(nil)(next) }

// RequestInfo starts the per-request record: it takes the client's
// X-Request-Id when it is well formed, or makes a new one, and echoes it,
// and it learns the client's address (Proxies.ClientIP), which RemoteIP
// then returns to every layer.
func RequestInfo(proxies Proxies) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return requestInfoHandler(proxies, next)
	}
}

func requestInfoHandler(proxies Proxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !ValidRequestID(id) {
			id = newRequestID()
		}
		ri := &requestInfo{id: id, remoteIP: proxies.ClientIP(r)}
		w.Header().Set(HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
	})
}

// ValidRequestID accepts ids made of letters, digits and - _ . : only, and
// at most 64 of them, so an id can never break a log line or a header.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRequestID returns 80 random bits in lower-case base32: unique enough
// to find one request among billions, short enough to read aloud.
func newRequestID() string {
	var b [10]byte
	rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

func hostOnly(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}
