package httpx

import (
	"net/http"
	"strings"
)

// NotModified reports whether r's If-None-Match names etag, so the answer
// can be 304 (RFC 9110 section 13.1.2: weak comparison, lists and "*").
func NotModified(r *http.Request, etag string) bool {
	for _, h := range r.Header.Values("If-None-Match") {
		for tag := range strings.SplitSeq(h, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}
