package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCORS(t *testing.T) {
	h := CORS([]string{"https://www.ejemplo.co"})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	do := func(method, origin string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/v1/me", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	w := do("GET", "https://www.ejemplo.co")
	if w.Code != http.StatusTeapot ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://www.ejemplo.co" ||
		w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("allowed origin: %d %v", w.Code, w.Header())
	}
	for _, other := range []string{"https://evil.example", "http://www.ejemplo.co",
		"https://www.ejemplo.co:8443", "null"} {
		w = do("GET", other)
		if w.Code != http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("origin %s: %d %v", other, w.Code, w.Header())
		}
		w = do("OPTIONS", other, "Access-Control-Request-Method", "POST")
		if w.Code != http.StatusForbidden {
			t.Errorf("preflight from %s: %d", other, w.Code)
		}
	}
	w = do("OPTIONS", "https://www.ejemplo.co", "Access-Control-Request-Method", "DELETE",
		"Access-Control-Request-Headers", "authorization")
	if w.Code != http.StatusNoContent ||
		w.Header().Get("Access-Control-Allow-Methods") == "" ||
		w.Header().Get("Access-Control-Allow-Headers") == "" {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	if w = do("GET", ""); w.Code != http.StatusTeapot ||
		w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "" {
		t.Errorf("same-origin or non-browser request: %v", w.Header())
	}
}
