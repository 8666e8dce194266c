package sdk_test

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cerrojo/cerrojo/sdk"
)

// jwksServer serves a JWKS document that tests change as they go, and
// counts the requests.
type jwksServer struct {
	*httptest.Server
	mu           sync.Mutex
	keys         []testKey
	cacheControl string
	status       int
	body         string // overrides the document when set
	requests     atomic.Int64
	conditional  atomic.Int64 // requests that carried If-None-Match
	delay        time.Duration
}

func newJWKSServer(t *testing.T, keys ...testKey) *jwksServer { return newJWKSServerB(t, keys...) }

func newJWKSServerB(t testing.TB, keys ...testKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys, cacheControl: "public, max-age=60", status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	time.Sleep(s.delay)
	if s.status != http.StatusOK {
		w.WriteHeader(s.status)
		return
	}
	body := s.body
	if body == "" {
		var set jose.JSONWebKeySet
		for _, k := range s.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid,
				Algorithm: k.alg, Use: "sig"})
		}
		b, err := json.Marshal(set)
		if err != nil {
			panic(err)
		}
		body = string(b)
	}
	sum := sha256.Sum256([]byte(body))
	etag := `"` + b64(sum[:]) + `"`
	w.Header().Set("Cache-Control", s.cacheControl)
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") != "" {
		s.conditional.Add(1)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(body))
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// fakeTime is a clock the tests move by hand.
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func remoteVerifier(t *testing.T, srv *jwksServer) (*sdk.Verifier, *fakeTime) {
	t.Helper()
	clock := &fakeTime{now: testNow}
	keys, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{URL: srv.URL, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return newVerifier(t, keys, func(c *sdk.Config) { c.Now = clock.Now }), clock
}

// claimsAt is goodClaims for a verifier whose clock reads now.
func claimsAt(now time.Time) map[string]any {
	return with(goodClaims(), map[string]any{"iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(10 * time.Minute).Unix()})
}

func TestRemoteKeySetCachesAndRevalidates(t *testing.T) {
	a := edKey("a", 1)
	srv := newJWKSServer(t, a)
	v, clock := remoteVerifier(t, srv)

	for range 3 {
		if _, err := v.Verify(bg, token(t, a, claimsAt(clock.Now()))); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.requests.Load(); got != 1 {
		t.Fatalf("got %d requests within max-age, want 1", got)
	}

	clock.Advance(61 * time.Second)
	if _, err := v.Verify(bg, token(t, a, claimsAt(clock.Now()))); err != nil {
		t.Fatal(err)
	}
	if got, cond := srv.requests.Load(), srv.conditional.Load(); got != 2 || cond != 1 {
		t.Fatalf("after max-age: got %d requests (%d conditional), want 2 (1)", got, cond)
	}
}

func TestRemoteKeySetBoundsMaxAge(t *testing.T) {
	cases := []struct {
		name         string
		cacheControl string
		stillCached  time.Duration
		refetched    time.Duration
	}{
		{"max-age below 30 s counts as 30 s", "max-age=1", 29 * time.Second, 31 * time.Second},
		{"no-store counts as 30 s", "no-store", 29 * time.Second, 31 * time.Second},
		{"no header means 5 minutes", "", 299 * time.Second, 301 * time.Second},
		{"a year counts as a day", "max-age=31536000", 23 * time.Hour, 25 * time.Hour},
		{"garbage is ignored", "max-age=soon", 299 * time.Second, 301 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := edKey("a", 1)
			srv := newJWKSServer(t, a)
			srv.cacheControl = tc.cacheControl
			v, clock := remoteVerifier(t, srv)
			start := clock.Now()

			verifyAt := func(d time.Duration) {
				clock.mu.Lock()
				clock.now = start.Add(d)
				clock.mu.Unlock()
				if _, err := v.Verify(bg, token(t, a, claimsAt(clock.Now()))); err != nil {
					t.Fatal(err)
				}
			}
			verifyAt(0)
			verifyAt(tc.stillCached)
			if got := srv.requests.Load(); got != 1 {
				t.Fatalf("at %s got %d requests, want 1", tc.stillCached, got)
			}
			verifyAt(tc.refetched)
			if got := srv.requests.Load(); got != 2 {
				t.Fatalf("at %s got %d requests, want 2", tc.refetched, got)
			}
		})
	}
}

func TestRemoteKeySetRefreshesOnUnknownKidAtMostEvery10s(t *testing.T) {
	a, b := edKey("a", 1), edKey("b", 2)
	srv := newJWKSServer(t, a)
	srv.cacheControl = "max-age=3600"
	v, clock := remoteVerifier(t, srv)
	if _, err := v.Verify(bg, token(t, a, claimsAt(clock.Now()))); err != nil {
		t.Fatal(err)
	}

	// The issuer publishes b; a token signed with it arrives 1 s later.
	srv.set(func(s *jwksServer) { s.keys = append(s.keys, b) })
	clock.Advance(time.Second)
	for range 20 {
		_, err := v.Verify(bg, token(t, b, claimsAt(clock.Now())))
		wantRefused(t, err, sdk.ErrUnknownKey)
		// Junk kids from an attacker: no fetch either.
		_, err = v.Verify(bg, forge(t, "EdDSA", a.priv,
			`{"alg":"EdDSA","kid":"junk","typ":"at+jwt"}`, mustJSON(t, claimsAt(clock.Now()))))
		wantRefused(t, err, sdk.ErrUnknownKey)
	}
	if got := srv.requests.Load(); got != 1 {
		t.Fatalf("got %d requests within 10 s of the first, want 1", got)
	}

	clock.Advance(sdk.MinRefreshInterval)
	if _, err := v.Verify(bg, token(t, b, claimsAt(clock.Now()))); err != nil {
		t.Fatalf("after the interval: %v", err)
	}
	if got := srv.requests.Load(); got != 2 {
		t.Fatalf("got %d requests, want 2", got)
	}
}

func TestRemoteKeySetKeepsKeysWhileIssuerIsDown(t *testing.T) {
	a := edKey("a", 1)
	srv := newJWKSServer(t, a)
	v, clock := remoteVerifier(t, srv)
	if _, err := v.Verify(bg, token(t, a, claimsAt(clock.Now()))); err != nil {
		t.Fatal(err)
	}

	srv.set(func(s *jwksServer) { s.status = http.StatusServiceUnavailable })
	clock.Advance(time.Minute + 59*time.Minute) // past max-age, within an hour of it
	if _, err := v.Verify(bg, token(t, a, claimsAt(clock.Now()))); err != nil {
		t.Fatalf("within stale-if-error: %v", err)
	}

	clock.Advance(2 * time.Minute) // more than an hour past expiry
	_, err := v.Verify(bg, token(t, a, claimsAt(clock.Now())))
	wantRefused(t, err, sdk.ErrKeysUnavailable)

	srv.set(func(s *jwksServer) { s.status = http.StatusOK })
	clock.Advance(sdk.MinRefreshInterval)
	if _, err := v.Verify(bg, token(t, a, claimsAt(clock.Now()))); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestRemoteKeySetRefusesBadDocuments(t *testing.T) {
	a := edKey("a", 1)
	cases := []struct {
		name string
		body string
	}{
		{"over the size bound", `{"keys":[],"pad":"` + strings.Repeat("x", sdk.MaxJWKSBytes) + `"}`},
		{"not JSON", `<html>`},
		{"private key published", `{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"a",` +
			`"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, a)
			srv.body = tc.body
			v, clock := remoteVerifier(t, srv)
			_, err := v.Verify(bg, token(t, a, claimsAt(clock.Now())))
			wantRefused(t, err, sdk.ErrKeysUnavailable)
		})
	}
}

func TestRemoteKeySetDoesNotFollowRedirects(t *testing.T) {
	a := edKey("a", 1)
	good := newJWKSServer(t, a)
	redirect := httptest.NewServer(http.RedirectHandler(good.URL, http.StatusFound))
	t.Cleanup(redirect.Close)

	keys, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{URL: redirect.URL,
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newVerifier(t, keys).Verify(bg, token(t, a, goodClaims()))
	wantRefused(t, err, sdk.ErrKeysUnavailable)
	if good.requests.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestNewRemoteKeySetWantsHTTPS(t *testing.T) {
	cases := []struct {
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"https://auth.example.co/.well-known/jwks.json", false, true},
		{"http://auth.example.co/.well-known/jwks.json", false, false},
		{"http://auth.example.co/.well-known/jwks.json", true, true},
		{"http://127.0.0.1:8080/.well-known/jwks.json", false, true},
		{"http://[::1]:8080/.well-known/jwks.json", false, true},
		{"http://localhost:8080/.well-known/jwks.json", false, true},
		{"ftp://auth.example.co/jwks.json", true, false},
		{"/.well-known/jwks.json", false, false},
		{"", false, false},
	}
	for _, tc := range cases {
		_, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{URL: tc.url, AllowHTTP: tc.allowHTTP})
		if (err == nil) != tc.ok {
			t.Errorf("%q (AllowHTTP %v): got error %v, want ok=%v", tc.url, tc.allowHTTP, err, tc.ok)
		}
	}
}

func TestRemoteKeySetSharesOneFetch(t *testing.T) {
	a := edKey("a", 1)
	srv := newJWKSServer(t, a)
	srv.delay = 50 * time.Millisecond
	v, clock := remoteVerifier(t, srv)
	tok := token(t, a, claimsAt(clock.Now()))

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			if _, err := v.Verify(bg, tok); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.requests.Load(); got != 1 {
		t.Fatalf("got %d requests from 32 concurrent verifications, want 1", got)
	}
}
