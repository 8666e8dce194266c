package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/testutil"
)

// syncBuffer is a log sink that handlers may write to concurrently.
type syncBuffer struct{ testutil.SyncBuffer }

func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

func newTestServer(t *testing.T, checks ...Check) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(Options{HTTP: config.Default().HTTP, Logger: logger,
		Registry: prometheus.NewRegistry(), Checks: checks})
	if err != nil {
		t.Fatal(err)
	}

	s.Router().HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) error {
		panic("kaboom with secret detail")
	})
	s.Router().HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) error {
		return errors.New("db password is hunter2")
	})
	s.Router().HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Name string `json:"name"`
		}
		if err := httpx.DecodeJSON(r, &in); err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, in)
	})
	return s, logs
}

func do(t *testing.T, h http.Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func problemOf(t *testing.T, w *httptest.ResponseRecorder) httpx.Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != httpx.ContentTypeProblem {
		t.Fatalf("got Content-Type %q, want %s", ct, httpx.ContentTypeProblem)
	}
	var p httpx.Problem
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	return p
}

func TestOperationalEndpoints(t *testing.T) {
	s, _ := newTestServer(t)
	h := s.Handler()

	w := do(t, h, "GET", "/healthz", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"ok"`) {
		t.Errorf("healthz: got %d %s", w.Code, w.Body)
	}
	w = do(t, h, "HEAD", "/healthz", "")
	if w.Code != 200 {
		t.Errorf("HEAD healthz: got %d, want 200", w.Code)
	}

	do(t, h, "GET", "/nope", "")
	w = do(t, h, "GET", "/metrics", "")
	body := w.Body.String()
	for _, want := range []string{
		`cerrojo_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		`cerrojo_http_requests_total{method="HEAD",route="GET /healthz",status="200"} 1`,
		`cerrojo_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`cerrojo_http_request_duration_seconds_bucket{method="GET",route="GET /healthz"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestReadiness(t *testing.T) {
	ok := Check{Name: "database", Func: func(context.Context) error { return nil }}
	down := Check{Name: "redis", Func: func(context.Context) error {
		return errors.New("dial tcp 10.0.0.9:6379: connection refused")
	}}

	s, _ := newTestServer(t, ok)
	w := do(t, s.Handler(), "GET", "/readyz", "")
	if w.Code != 200 || w.Body.String() != `{"status":"ready","checks":{"database":"ok"}}`+"\n" {
		t.Errorf("all up: got %d %s", w.Code, w.Body)
	}

	s, logs := newTestServer(t, ok, down)
	w = do(t, s.Handler(), "GET", "/readyz", "")
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("redis down: got %d, want 503", w.Code)
	}
	if !strings.Contains(w.Body.String(), `"redis":"unavailable"`) ||
		strings.Contains(w.Body.String(), "10.0.0.9") {
		t.Errorf("redis down: got %s; want the check named without its internal error", w.Body)
	}
	lines := logs.lines(t)
	if last := lines[len(lines)-1]; !strings.Contains(last["error"].(string), "connection refused") {
		t.Errorf("the reason is not in the access log: %v", last)
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	s, logs := newTestServer(t)
	w := do(t, s.Handler(), "GET", "/panic", "", "X-Request-Id", "req-123")
	if w.Code != 500 {
		t.Fatalf("got %d, want 500", w.Code)
	}
	p := problemOf(t, w)
	if p.Code != httpx.CodeInternal || p.RequestID != "req-123" {
		t.Errorf("got %+v, want internal_error with request id req-123", p)
	}
	if strings.Contains(w.Body.String(), "kaboom") {
		t.Errorf("panic text reached the client: %s", w.Body)
	}

	var sawPanic, sawAccess bool
	for _, l := range logs.lines(t) {
		if l["msg"] == "handler panic" && strings.Contains(l["stack"].(string), "server_test.go") {
			sawPanic = true
		}
		if l["msg"] == "http request" && l["status"] == float64(500) && l["level"] == "ERROR" {
			sawAccess = true
		}
	}
	if !sawPanic || !sawAccess {
		t.Errorf("logs: panic with stack %v, access line at ERROR %v", sawPanic, sawAccess)
	}
}

func TestInternalErrorsStayInside(t *testing.T) {
	s, logs := newTestServer(t)
	w := do(t, s.Handler(), "GET", "/fail", "")
	p := problemOf(t, w)
	if w.Code != 500 || p.Code != httpx.CodeInternal || strings.Contains(w.Body.String(), "hunter2") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	lines := logs.lines(t)
	if !strings.Contains(lines[len(lines)-1]["error"].(string), "hunter2") {
		t.Errorf("the internal error is not in the log line for the request")
	}
}

func TestRequestID(t *testing.T) {
	s, logs := newTestServer(t)
	h := s.Handler()

	w := do(t, h, "GET", "/healthz", "", "X-Request-Id", "abc-DEF_1.2:3")
	if got := w.Header().Get("X-Request-Id"); got != "abc-DEF_1.2:3" {
		t.Errorf("well-formed id: got %q, want it echoed", got)
	}
	for _, bad := range []string{"has space", "new\nline", strings.Repeat("a", 65), "ünïcode"} {
		w := do(t, h, "GET", "/healthz", "", "X-Request-Id", bad)
		got := w.Header().Get("X-Request-Id")
		if got == bad || len(got) != 16 {
			t.Errorf("id %q: got %q, want a fresh 16-character id", bad, got)
		}
	}
	a := do(t, h, "GET", "/healthz", "").Header().Get("X-Request-Id")
	b := do(t, h, "GET", "/healthz", "").Header().Get("X-Request-Id")
	if a == "" || a == b {
		t.Errorf("generated ids %q and %q, want two different ones", a, b)
	}
	for _, l := range logs.lines(t) {
		if l["msg"] == "http request" && l["request_id"] == "" {
			t.Errorf("access line without request id: %v", l)
		}
	}
}

func TestAccessLog(t *testing.T) {
	s, logs := newTestServer(t)
	h := s.Handler()
	do(t, h, "GET", "/healthz?token=s3cr3t", "", "User-Agent", "evil\r\nforged line")
	do(t, h, "GET", "/missing", "")

	lines := logs.lines(t)
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want one per request", len(lines))
	}
	first, second := lines[0], lines[1]
	if first["level"] != "INFO" || second["level"] != "WARN" {
		t.Errorf("levels: got %v and %v, want INFO for 200 and WARN for 404",
			first["level"], second["level"])
	}
	for _, key := range []string{"request_id", "remote_ip", "method", "path", "route", "status",
		"duration_ms", "bytes", "user_agent"} {
		if _, ok := first[key]; !ok {
			t.Errorf("access line lacks %s", key)
		}
	}
	if first["path"] != "/healthz" || strings.Contains(logsText(logs), "s3cr3t") {
		t.Errorf("query string was logged: %v", first)
	}
	if ua := first["user_agent"].(string); strings.ContainsAny(ua, "\r\n") {
		t.Errorf("CR/LF survived in the user agent: %q", ua)
	}
}

func logsText(b *syncBuffer) string { return b.String() }

func TestSecurityHeaders(t *testing.T) {
	s, _ := newTestServer(t)
	for _, path := range []string{"/healthz", "/missing", "/panic"} {
		w := do(t, s.Handler(), "GET", path, "")
		for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options",
			"Content-Security-Policy", "Referrer-Policy", "Cross-Origin-Opener-Policy",
			"Cross-Origin-Resource-Policy", "Permissions-Policy", "Cache-Control"} {
			if w.Header().Get(h) == "" {
				t.Errorf("%s: missing %s", path, h)
			}
		}
		if w.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent over plain HTTP", path)
		}
	}
}

func TestRoutingProblems(t *testing.T) {
	s, _ := newTestServer(t)
	w := do(t, s.Handler(), "DELETE", "/healthz", "")
	p := problemOf(t, w)
	if w.Code != 405 || p.Code != httpx.CodeMethodNotAllowed || w.Header().Get("Allow") == "" {
		t.Errorf("wrong method: got %d %+v allow=%q", w.Code, p, w.Header().Get("Allow"))
	}
	w = do(t, s.Handler(), "GET", "/v1/nothing", "")
	if p := problemOf(t, w); w.Code != 404 || p.Code != httpx.CodeNotFound || p.Instance != "/v1/nothing" {
		t.Errorf("unknown path: got %d %+v", w.Code, p)
	}
}

func TestStrictJSONThroughTheStack(t *testing.T) {
	s, _ := newTestServer(t)
	h := s.Handler()
	ct := []string{"Content-Type", "application/json"}

	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"malformed", `{"name":`, 400, httpx.CodeInvalidJSON},
		{"unknown field", `{"name":"a","admin":true}`, 400, httpx.CodeUnknownField},
		{"duplicate key", `{"name":"a","name":"b"}`, 400, httpx.CodeDuplicateField},
		{"trailing data", `{"name":"a"}{}`, 400, httpx.CodeTrailingData},
		{"wrong type", `{"name":7}`, 400, httpx.CodeWrongType},
		{"oversized", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413, httpx.CodeBodyTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, "POST", "/echo", tc.body, ct...)
			p := problemOf(t, w)
			if w.Code != tc.status || p.Code != tc.code || p.Detail == "" || p.RequestID == "" {
				t.Errorf("got %d %+v, want %d %s with detail and request id", w.Code, p,
					tc.status, tc.code)
			}
		})
	}
	if w := do(t, h, "POST", "/echo", `{"name":"ok"}`, ct...); w.Code != 200 {
		t.Errorf("valid body: got %d %s", w.Code, w.Body)
	}
}

func TestGracefulShutdownDrainsRequestsInFlight(t *testing.T) {
	s, _ := newTestServer(t)
	started := make(chan struct{})
	release := make(chan struct{})
	s.Router().HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) error {
		close(started)
		<-release
		return httpx.WriteJSON(w, 200, map[string]string{"done": "yes"})
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx, ln) }()

	url := "http://" + ln.Addr().String()
	type result struct {
		status int
		body   string
		err    error
	}
	inFlight := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			inFlight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		inFlight <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-started

	cancel() // as SIGTERM does
	// New connections are refused once shutdown has begun.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepts connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}

	select {
	case err := <-runErr:
		t.Fatalf("Run returned %v before the request in flight finished", err)
	default:
	}
	close(release)

	res := <-inFlight
	if res.err != nil || res.status != 200 || !strings.Contains(res.body, `"done":"yes"`) {
		t.Fatalf("request in flight: got %+v, want it completed", res)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run: got %v, want a clean stop", err)
	}
}
