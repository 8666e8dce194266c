package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A route given its own body limit takes more than the default, and only
// that route: the same path under another method, and every other route,
// keep the default, whether the length is declared or only read.
func TestLimitBodyByRoute(t *testing.T) {
	rt := NewRouter()
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	rt.Handle("PUT /docs/{id}", read)
	rt.Handle("POST /docs/{id}", read)
	rt.Handle("POST /other", read)
	h := LimitBodyByRoute(10, rt, map[string]int64{"PUT /docs/{id}": 100})(rt)

	tests := []struct {
		method, path string
		size         int
		chunked      bool
		want         int
	}{
		{"PUT", "/docs/1", 100, false, http.StatusNoContent},
		{"PUT", "/docs/1", 100, true, http.StatusNoContent},
		{"PUT", "/docs/1", 101, false, http.StatusRequestEntityTooLarge},
		{"PUT", "/docs/1", 101, true, http.StatusRequestEntityTooLarge},
		{"POST", "/docs/1", 11, false, http.StatusRequestEntityTooLarge},
		{"POST", "/docs/1", 11, true, http.StatusRequestEntityTooLarge},
		{"POST", "/other", 10, false, http.StatusNoContent},
		{"POST", "/other", 11, true, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		var body io.Reader = strings.NewReader(strings.Repeat("a", tc.size))
		if tc.chunked {
			body = io.MultiReader(body) // hides the length: read, not declared
		}
		r := httptest.NewRequest(tc.method, tc.path, body)
		if tc.chunked {
			r.ContentLength = -1
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s %s with %d bytes (chunked %v): %d, want %d", tc.method, tc.path,
				tc.size, tc.chunked, w.Code, tc.want)
		}
	}
}
