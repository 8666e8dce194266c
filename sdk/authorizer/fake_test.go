package authorizer_test

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
	"github.com/cerrojo/cerrojo/sdk/authorizer"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

const (
	testClientID = "orders api"   // a space, which form-encoding turns into +
	testSecret   = "s3cret:with%" // a colon and a percent sign survive too
)

// testNow is the time of the tests' clock when it starts.
var testNow = time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

// clock is a time the test moves by hand, shared by the fake cerrojo and
// the authorizers, so that both decide at the same instant.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// grant is a binding as cerrojo's store holds it.
type grant struct {
	role, vendor string
	expires      time.Time
}

// fakeCerrojo implements cerrojo's authorization API as the contract
// describes it, over a policy and a map of bindings that tests change as
// they go, and counts the requests.
type fakeCerrojo struct {
	*httptest.Server
	clock *clock

	mu       sync.Mutex
	policy   *authz.Policy
	grants   map[string][]grant
	maxAge   int
	etag     string // overrides the policy's ETag when set
	failing  map[string]int
	override map[string]string // a body served instead, by route
	gate     chan struct{}     // bindings requests wait on it when set
	refuse   string            // check requests get a 400 with this code when set
	lastBody []byte            // the last check request

	policyRequests   atomic.Int64
	notModified      atomic.Int64
	bindingsRequests atomic.Int64
	checkRequests    atomic.Int64
	unauthorized     atomic.Int64
}

// Routes, as keys of failing and override.
const (
	routePolicy   = "policy"
	routeBindings = "bindings"
	routeCheck    = "check"
	routeBatch    = "batch"
)

func newFakeCerrojo(t *testing.T, c *clock) *fakeCerrojo {
	t.Helper()
	f := &fakeCerrojo{clock: c, policy: authz.Default(), grants: map[string][]grant{},
		maxAge: 60, failing: map[string]int{}, override: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/authz/policy", f.servePolicy)
	mux.HandleFunc("GET /v1/authz/subjects/{id}/bindings", f.serveBindings)
	mux.HandleFunc("POST /v1/authz/check", f.serveCheck)
	mux.HandleFunc("POST /v1/authz/check/batch", f.serveBatch)
	f.Server = httptest.NewServer(f.authenticate(mux))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCerrojo) set(change func(f *fakeCerrojo)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// hold makes bindings requests wait until the returned release is called.
func (f *fakeCerrojo) hold(t *testing.T) (release func()) {
	t.Helper()
	gate := make(chan struct{})
	f.set(func(f *fakeCerrojo) { f.gate = gate })
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release) // before the server closes, which waits for handlers
	return release
}

func problem(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"urn:cerrojo:problem:%s","title":%q,"status":%d,"code":%q,`+
		`"detail":"from the fake"}`, code, http.StatusText(status), status, code)
}

// authenticate checks HTTP Basic client credentials, form-decoded as RFC
// 6749 section 2.3.1 says.
func (f *fakeCerrojo) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		id, err1 := url.QueryUnescape(id)
		secret, err2 := url.QueryUnescape(secret)
		if !ok || err1 != nil || err2 != nil || id != testClientID ||
			subtle.ConstantTimeCompare([]byte(secret), []byte(testSecret)) != 1 {
			f.unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="cerrojo"`)
			problem(w, http.StatusUnauthorized, "invalid_client")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fail reports whether route answers 503 now, and serves that answer.
func (f *fakeCerrojo) fail(w http.ResponseWriter, route string) bool {
	f.mu.Lock()
	status := f.failing[route]
	f.mu.Unlock()
	if status == 0 {
		return false
	}
	problem(w, status, "unavailable")
	return true
}

func (f *fakeCerrojo) refused(w http.ResponseWriter) bool {
	f.mu.Lock()
	code := f.refuse
	f.mu.Unlock()
	if code == "" {
		return false
	}
	problem(w, http.StatusBadRequest, code)
	return true
}

func (f *fakeCerrojo) overridden(w http.ResponseWriter, route, contentType string) bool {
	f.mu.Lock()
	body, ok := f.override[route]
	f.mu.Unlock()
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", contentType)
	io.WriteString(w, body)
	return true
}

func (f *fakeCerrojo) servePolicy(w http.ResponseWriter, r *http.Request) {
	f.policyRequests.Add(1)
	if f.fail(w, routePolicy) {
		return
	}
	f.mu.Lock()
	p, etag := f.policy, f.etag
	f.mu.Unlock()
	if etag == "" {
		etag = `"` + p.Digest() + `"`
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, max-age=60")
	if f.overridden(w, routePolicy, "application/yaml") {
		return
	}
	if r.Header.Get("If-None-Match") == etag {
		f.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(p.Source())
}

type wireBinding struct {
	Role      string `json:"role"`
	Vendor    string `json:"vendor,omitempty"`
	GrantedAt string `json:"granted_at"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

func (f *fakeCerrojo) serveBindings(w http.ResponseWriter, r *http.Request) {
	f.bindingsRequests.Add(1)
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if f.fail(w, routeBindings) {
		return
	}
	if f.overridden(w, routeBindings, "application/json") {
		return
	}

	id := r.PathValue("id")
	f.mu.Lock()
	grants, known := f.grants[id]
	digest, maxAge := f.policy.Digest(), f.maxAge
	f.mu.Unlock()
	if !known {
		problem(w, http.StatusNotFound, "unknown_subject")
		return
	}
	out := []wireBinding{}
	for _, g := range grants {
		wb := wireBinding{Role: g.role, Vendor: g.vendor,
			GrantedAt: testNow.Add(-time.Hour).Format(time.RFC3339)}
		if !g.expires.IsZero() {
			wb.ExpiresAt = g.expires.Format(time.RFC3339)
		}
		out = append(out, wb)
	}
	w.Header().Set("Cache-Control", fmt.Sprintf("private, max-age=%d", maxAge))
	writeJSON(w, map[string]any{"subject": id, "policy_digest": digest, "bindings": out})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// checkRequest is the body of both check endpoints.
type checkRequest struct {
	Subject struct {
		ID string `json:"id"`
	} `json:"subject"`
	Action   string        `json:"action"`
	Resource checkResource `json:"resource"`
	Context  struct {
		IP        string   `json:"ip"`
		AuthLevel int      `json:"auth_level"`
		AuthTime  string   `json:"auth_time"`
		AMR       []string `json:"amr"`
	} `json:"context"`
	Checks []struct {
		Action   string        `json:"action"`
		Resource checkResource `json:"resource"`
	} `json:"checks"`
}

type checkResource struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes"`
}

func (f *fakeCerrojo) readCheck(w http.ResponseWriter, r *http.Request) (*checkRequest, bool) {
	f.checkRequests.Add(1)
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.lastBody = body
	f.mu.Unlock()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var req checkRequest
	if err := dec.Decode(&req); err != nil || req.Subject.ID == "" {
		problem(w, http.StatusBadRequest, "invalid_request")
		return nil, false
	}
	return &req, true
}

// decide answers one check as cerrojo would, or names the problem code.
func (f *fakeCerrojo) decide(req *checkRequest, action string, res checkResource) (
	map[string]any, string) {
	f.mu.Lock()
	p := f.policy
	var bindings []authz.Binding
	for _, g := range f.grants[req.Subject.ID] {
		bindings = append(bindings, authz.Binding{Role: g.role, Vendor: g.vendor,
			ExpiresAt: g.expires})
	}
	f.mu.Unlock()

	attrs, err := p.AttributesFromJSON(res.Type, res.Attributes)
	switch {
	case errors.Is(err, authz.ErrUnknownResourceType):
		return nil, "unknown_resource_type"
	case err != nil:
		return nil, "invalid_attribute"
	}
	c := &authz.Context{Time: f.clock.Now(), IP: req.Context.IP,
		AuthLevel: req.Context.AuthLevel, AMR: req.Context.AMR}
	if req.Context.AuthTime != "" {
		if c.AuthTime, err = time.Parse(time.RFC3339, req.Context.AuthTime); err != nil {
			return nil, "invalid_request"
		}
	}
	perm := res.Type + ":" + action
	d, err := p.Check(&authz.Subject{ID: req.Subject.ID, Bindings: bindings}, perm,
		&authz.Resource{Type: res.Type, ID: res.ID, Attributes: attrs}, c)
	switch {
	case errors.Is(err, authz.ErrUnknownPermission):
		return nil, "unknown_permission"
	case err != nil:
		return nil, "invalid_request"
	}

	out := map[string]any{"allowed": d.Allowed, "permission": perm, "reason": d.Reason}
	if d.Allowed {
		out["rule"], out["role_path"] = d.Rule, d.RolePath
		if d.Binding != nil {
			out["binding"] = map[string]any{"role": d.Binding.Role, "vendor": d.Binding.Vendor}
		}
	}
	return out, ""
}

func (f *fakeCerrojo) serveCheck(w http.ResponseWriter, r *http.Request) {
	req, ok := f.readCheck(w, r)
	if !ok || f.fail(w, routeCheck) || f.refused(w) ||
		f.overridden(w, routeCheck, "application/json") {
		return
	}
	d, code := f.decide(req, req.Action, req.Resource)
	if code != "" {
		problem(w, http.StatusBadRequest, code)
		return
	}
	f.mu.Lock()
	d["policy_version"], d["policy_digest"] = f.policy.Version(), f.policy.Digest()
	f.mu.Unlock()
	writeJSON(w, d)
}

func (f *fakeCerrojo) serveBatch(w http.ResponseWriter, r *http.Request) {
	req, ok := f.readCheck(w, r)
	if !ok || f.fail(w, routeBatch) || f.refused(w) ||
		f.overridden(w, routeBatch, "application/json") {
		return
	}
	if len(req.Checks) == 0 || len(req.Checks) > 100 {
		problem(w, http.StatusBadRequest, "invalid_request")
		return
	}
	results := make([]map[string]any, len(req.Checks))
	for i, c := range req.Checks {
		d, code := f.decide(req, c.Action, c.Resource)
		if code != "" {
			problem(w, http.StatusBadRequest, code)
			return
		}
		results[i] = d
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, map[string]any{"results": results, "policy_version": f.policy.Version(),
		"policy_digest": f.policy.Digest()})
}

type (
	localOption  = func(*authorizer.LocalConfig)
	remoteOption = func(*authorizer.RemoteConfig)
)

// newLocal returns a Local talking to f on f's clock.
func newLocal(t *testing.T, f *fakeCerrojo, mutate ...localOption) *authorizer.Local {
	t.Helper()
	cfg := authorizer.LocalConfig{BaseURL: f.URL, ClientID: testClientID,
		ClientSecret: testSecret, Now: f.clock.Now, Timeout: 2 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	l, err := authorizer.NewLocal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newRemote(t *testing.T, f *fakeCerrojo, mutate ...remoteOption) *authorizer.Remote {
	t.Helper()
	cfg := authorizer.RemoteConfig{BaseURL: f.URL, ClientID: testClientID,
		ClientSecret: testSecret, Timeout: 2 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	r, err := authorizer.NewRemote(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// token returns verified claims for sub, who authenticated a minute
// before testNow with the methods amr.
func token(sub string, amr ...string) *sdk.Claims {
	return &sdk.Claims{Subject: sub, ClientID: "web", AMR: amr,
		AuthTime: sdk.NewNumericDate(testNow.Add(-time.Minute))}
}

// product returns a product of vendor in status.
func product(vendor, status string) *authz.Resource {
	return &authz.Resource{Type: "product", ID: "p1", Attributes: map[string]any{
		"vendor": vendor, "status": status, "price": 120000}}
}
