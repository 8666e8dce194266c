package sdk_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

// revocationServer serves a revocation list shaped like cerrojo's, which
// tests change as they go, and counts the requests.
type revocationServer struct {
	*httptest.Server
	mu          sync.Mutex
	entries     []string // rendered entries
	poll        int64
	status      int
	body        string // overrides the document when set
	requests    atomic.Int64
	conditional atomic.Int64 // requests that carried If-None-Match
	notModified atomic.Int64
}

func newRevocationServer(t *testing.T, entries ...string) *revocationServer {
	t.Helper()
	s := &revocationServer{entries: entries, poll: 30, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// listed renders an entry for sid whose tokens expire at expires.
func listed(sid string, expires time.Time) string {
	return fmt.Sprintf(`{"sid":%q,"revoked_at":%q,"expires_at":%q}`, sid,
		expires.Add(-10*time.Minute).UTC().Format(time.RFC3339),
		expires.UTC().Format(time.RFC3339))
}

// revocationDoc renders a whole document.
func revocationDoc(poll int64, entries ...string) string {
	return `{"sessions":[` + strings.Join(entries, ",") + `],"poll_seconds":` +
		fmt.Sprint(poll) + `}`
}

func (s *revocationServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != http.StatusOK {
		w.WriteHeader(s.status)
		return
	}
	body := s.body
	if body == "" {
		body = revocationDoc(s.poll, s.entries...) + "\n"
	}
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", s.poll))
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		s.conditional.Add(1)
		if inm == etag {
			s.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

func (s *revocationServer) set(f func(s *revocationServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// revocationSetup is a verifier whose revocations come from a server, on
// a clock the test moves.
type revocationSetup struct {
	revs  *sdk.RemoteRevocations
	v     *sdk.Verifier
	clock *fakeTime
	key   testKey
}

func newRevocationSetup(t *testing.T, url string,
	mutate ...func(*sdk.RemoteRevocationsConfig)) *revocationSetup {
	t.Helper()
	clock := &fakeTime{now: testNow}
	cfg := sdk.RemoteRevocationsConfig{URL: url, Now: clock.Now}
	for _, m := range mutate {
		m(&cfg)
	}
	revs, err := sdk.NewRemoteRevocations(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := edKey("a", 1)
	v := newVerifier(t, staticKeys(t, key), func(c *sdk.Config) {
		c.Revocations = revs
		c.Now = clock.Now
	})
	return &revocationSetup{revs: revs, v: v, clock: clock, key: key}
}

// verify verifies a fresh token for sid ("" for none) at the clock's time.
func (s *revocationSetup) verify(t *testing.T, sid string) error {
	t.Helper()
	claims := with(claimsAt(s.clock.Now()), map[string]any{"sid": sid})
	if sid == "" {
		claims = with(claims, map[string]any{"sid": nil})
	}
	_, err := s.v.Verify(bg, token(t, s.key, claims))
	return err
}

func (s *revocationSetup) refresh(t *testing.T) {
	t.Helper()
	if err := s.revs.Refresh(bg); err != nil {
		t.Fatalf("refresh: %v", err)
	}
}

// wantStanding checks that sid's tokens verify, and wantRevoked that they
// are refused as revoked.
func (s *revocationSetup) wantStanding(t *testing.T, sid string) {
	t.Helper()
	if err := s.verify(t, sid); err != nil {
		t.Fatalf("token of session %q: got %v, want it accepted", sid, err)
	}
}

func (s *revocationSetup) wantRevoked(t *testing.T, sid string) {
	t.Helper()
	wantRefused(t, s.verify(t, sid), sdk.ErrRevoked)
}

func TestRemoteRevocationsRefusesRevokedSessions(t *testing.T) {
	srv := newRevocationServer(t, listed("ses_gone", testNow.Add(10*time.Minute)),
		listed("ses_also_gone", testNow.Add(5*time.Minute)))
	s := newRevocationSetup(t, srv.URL)
	s.refresh(t)

	s.wantRevoked(t, "ses_gone")
	s.wantRevoked(t, "ses_also_gone")
	s.wantStanding(t, "ses_live")
	s.wantStanding(t, "") // a token without a session is not on a session list
	s.wantStanding(t, "SES_GONE")

	// A session that ends later is refused from the next fetch on.
	srv.set(func(s *revocationServer) {
		s.entries = append(s.entries, listed("ses_live", testNow.Add(10*time.Minute)))
	})
	s.wantStanding(t, "ses_live")
	s.refresh(t)
	s.wantRevoked(t, "ses_live")
}

func TestRemoteRevocationsRevalidatesWithETag(t *testing.T) {
	srv := newRevocationServer(t, listed("ses_gone", testNow.Add(20*time.Minute)))
	s := newRevocationSetup(t, srv.URL)
	s.refresh(t)
	if got := srv.conditional.Load(); got != 0 {
		t.Fatalf("first fetch: got %d conditional requests, want 0", got)
	}

	// Just before the default MaxStale (3 x 30 s), the list is confirmed
	// unchanged; it then stays fresh for another 90 s from that check.
	s.clock.Advance(89 * time.Second)
	s.refresh(t)
	if got := srv.notModified.Load(); got != 1 {
		t.Fatalf("got %d answers 304, want 1", got)
	}
	if got := s.revs.Stats().CheckedAt; !got.Equal(s.clock.Now()) {
		t.Fatalf("after a 304: checked at %s, want %s", got, s.clock.Now())
	}
	s.clock.Advance(89 * time.Second)
	s.wantRevoked(t, "ses_gone")
	s.wantStanding(t, "ses_live")

	// A changed list is fetched whole despite the ETag.
	srv.set(func(s *revocationServer) { s.entries = nil })
	s.refresh(t)
	if got, cond := srv.notModified.Load(), srv.conditional.Load(); got != 1 || cond != 2 {
		t.Fatalf("after a change: got %d answers 304 of %d conditional, want 1 of 2", got, cond)
	}
	s.wantStanding(t, "ses_gone")
}

func TestRemoteRevocationsFailsClosed(t *testing.T) {
	cases := []struct {
		name     string
		poll     int64 // the server's poll_seconds
		maxStale time.Duration
		fresh    time.Duration // still answering this long after the last check
	}{
		{"default is three of the server's poll intervals", 30, 0, 90 * time.Second},
		{"a configured MaxStale wins", 30, 10 * time.Minute, 10 * time.Minute},
		{"a huge poll_seconds counts as 10 minutes", 1 << 40, 0, 30 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRevocationServer(t, listed("ses_gone", testNow.Add(time.Hour)))
			srv.poll = tc.poll
			s := newRevocationSetup(t, srv.URL, func(c *sdk.RemoteRevocationsConfig) {
				c.MaxStale = tc.maxStale
			})

			// Never fetched: every token is refused, whatever its session.
			wantRefused(t, s.verify(t, "ses_live"), sdk.ErrRevocationUnavailable)
			wantRefused(t, s.verify(t, ""), sdk.ErrRevocationUnavailable)

			s.refresh(t)
			srv.set(func(s *revocationServer) { s.status = http.StatusServiceUnavailable })
			s.clock.Advance(tc.fresh)
			err := s.revs.Refresh(bg)
			wantRefused(t, err, sdk.ErrRevocationUnavailable)
			s.wantRevoked(t, "ses_gone")
			s.wantStanding(t, "ses_live")

			s.clock.Advance(time.Second)
			wantRefused(t, s.verify(t, "ses_live"), sdk.ErrRevocationUnavailable)
			wantRefused(t, s.verify(t, "ses_gone"), sdk.ErrRevocationUnavailable)
			_, err = s.revs.Revoked(bg, &sdk.Claims{SessionID: "ses_live"})
			if sdk.ErrorCode(err) != "revocation_unavailable" {
				t.Fatalf("Revoked on a stale list: got %v, want code revocation_unavailable",
					err)
			}
			if got := s.revs.Stats().Failures; got != 1 {
				t.Fatalf("got %d failures counted, want 1", got)
			}

			// The issuer comes back.
			srv.set(func(s *revocationServer) { s.status = http.StatusOK })
			s.refresh(t)
			s.wantRevoked(t, "ses_gone")
			s.wantStanding(t, "ses_live")
		})
	}
}

func TestRemoteRevocationsKeepsLastGoodList(t *testing.T) {
	exp := testNow.Add(time.Hour)
	good := listed("ses_ok", exp)
	tooMany := make([]string, sdk.MaxRevocationEntries+1)
	for i := range tooMany {
		tooMany[i] = listed(fmt.Sprintf("ses_%06d", i), exp)
	}
	cases := []struct {
		name string
		body string
	}{
		{"not JSON", `<html>`},
		{"an array", `[]`},
		{"trailing data", revocationDoc(30, good) + `{}`},
		{"an unknown member", `{"sessions":[],"poll_seconds":30,"tokens":[]}`},
		{"a member twice", `{"sessions":[],"sessions":[],"poll_seconds":30}`},
		{"a case variant", `{"Sessions":[],"poll_seconds":30}`},
		{"an escaped name", `{"s\u0065ssions":[],"poll_seconds":30}`},
		{"no poll_seconds", `{"sessions":[]}`},
		{"no sessions", `{"poll_seconds":30}`},
		{"sessions null", `{"sessions":null,"poll_seconds":30}`},
		{"sessions an object", `{"sessions":{},"poll_seconds":30}`},
		{"poll_seconds zero", revocationDoc(0)},
		{"poll_seconds negative", revocationDoc(-30)},
		{"poll_seconds fractional", `{"sessions":[],"poll_seconds":30.5}`},
		{"poll_seconds a string", `{"sessions":[],"poll_seconds":"30"}`},
		{"an entry null", revocationDoc(30, `null`)},
		{"an entry with an extra member", revocationDoc(30,
			strings.TrimSuffix(good, "}")+`,"jti":"x"}`)},
		{"an entry without expires_at", revocationDoc(30,
			`{"sid":"ses_x","revoked_at":"2026-03-01T12:00:00Z"}`)},
		{"an entry with sid twice", revocationDoc(30, `{"sid":"a","sid":"b",`+
			`"revoked_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z"}`)},
		{"an empty sid", revocationDoc(30, listed("", exp))},
		{"a sid one byte too long", revocationDoc(30, listed(strings.Repeat("s", 129), exp))},
		{"a sid that is a number", revocationDoc(30, `{"sid":7,`+
			`"revoked_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z"}`)},
		{"a date that is not RFC 3339", revocationDoc(30, `{"sid":"ses_x",`+
			`"revoked_at":"2026-03-01T12:00:00Z","expires_at":"1 March 2026"}`)},
		{"one byte over the size bound", revocationDoc(30) +
			strings.Repeat(" ", sdk.MaxRevocationListBytes-len(revocationDoc(30))+1)},
		{"one entry over the count bound", revocationDoc(30, tooMany...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRevocationServer(t, good)
			s := newRevocationSetup(t, srv.URL)
			s.refresh(t)
			before := s.revs.Stats()

			srv.set(func(s *revocationServer) { s.body = tc.body })
			s.clock.Advance(time.Minute)
			wantRefused(t, s.revs.Refresh(bg), sdk.ErrRevocationUnavailable)

			after := s.revs.Stats()
			if !after.CheckedAt.Equal(before.CheckedAt) || after.Sessions != before.Sessions {
				t.Fatalf("a refused document changed the list: %+v, was %+v", after, before)
			}
			if after.Failures != 1 {
				t.Fatalf("got %d failures counted, want 1", after.Failures)
			}
			s.wantRevoked(t, "ses_ok")
		})
	}
}

func TestRemoteRevocationsAcceptsListsAtTheBounds(t *testing.T) {
	exp := testNow.Add(time.Hour)
	full := make([]string, sdk.MaxRevocationEntries)
	for i := range full {
		full[i] = listed(fmt.Sprintf("ses_%06d", i), exp)
	}
	cases := []struct {
		name     string
		body     string
		sessions int
	}{
		{"exactly the size bound", revocationDoc(30) +
			strings.Repeat(" ", sdk.MaxRevocationListBytes-len(revocationDoc(30))), 0},
		{"exactly the entry bound", revocationDoc(30, full...), sdk.MaxRevocationEntries},
		{"a sid at its length bound", revocationDoc(30, listed(strings.Repeat("s", 128), exp)), 1},
		{"an empty list", revocationDoc(30), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRevocationServer(t)
			srv.body = tc.body
			s := newRevocationSetup(t, srv.URL)
			s.refresh(t)
			if got := s.revs.Stats().Sessions; got != tc.sessions {
				t.Fatalf("got %d sessions, want %d", got, tc.sessions)
			}
		})
	}
}

func TestRemoteRevocationsIgnoresExpiredEntries(t *testing.T) {
	srv := newRevocationServer(t,
		listed("ses_soon", testNow.Add(time.Minute)),
		listed("ses_long_over", testNow.Add(-sdk.MaxLeeway-time.Second)),
		listed("ses_within_leeway", testNow.Add(-time.Minute)),
		listed("ses_twice", testNow.Add(time.Minute)),
		listed("ses_twice", testNow.Add(time.Hour)),
		listed("ses_twice", testNow.Add(2*time.Minute)),
	)
	s := newRevocationSetup(t, srv.URL, func(c *sdk.RemoteRevocationsConfig) {
		c.MaxStale = time.Hour
	})
	s.refresh(t)
	revoked := func(sid string) bool {
		t.Helper()
		got, err := s.revs.Revoked(bg, &sdk.Claims{SessionID: sid})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	if got := s.revs.Stats().Sessions; got != 3 {
		t.Errorf("got %d sessions kept, want 3 (the long expired entry dropped)", got)
	}
	if revoked("ses_long_over") {
		t.Errorf("an entry expired beyond any leeway still applies")
	}
	// Until MaxLeeway past expires_at a verifier may still accept the
	// session's last token, so the entry still applies.
	if !revoked("ses_within_leeway") || !revoked("ses_soon") {
		t.Errorf("entries within their expiry and leeway do not apply")
	}
	s.clock.Advance(time.Minute + sdk.MaxLeeway)
	if revoked("ses_soon") {
		t.Errorf("an entry applies past expires_at and the largest leeway")
	}
	if !revoked("ses_twice") {
		t.Errorf("a session listed twice did not keep its later expiry")
	}
}

func TestRemoteRevocationsRun(t *testing.T) {
	srv := newRevocationServer(t, listed("ses_gone", time.Now().Add(time.Hour)))
	srv.poll = 1
	revs, err := sdk.NewRemoteRevocations(sdk.RemoteRevocationsConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		revs.Run(ctx)
	}()

	// The first fetch comes at once and the list answers; polls follow at
	// the server's interval, revalidating with the ETag.
	waitFor(t, "a conditional poll", func() bool { return srv.conditional.Load() >= 1 })
	got, err := revs.Revoked(bg, &sdk.Claims{SessionID: "ses_gone"})
	if err != nil || !got {
		t.Fatalf("Revoked after Run fetched: got %v, %v; want true", got, err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRemoteRevocationsRefusesOddAnswers(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"a 304 to an unconditional request", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNotModified)
		}},
		{"a server error", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}},
		{"a redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			s := newRevocationSetup(t, srv.URL)
			wantRefused(t, s.revs.Refresh(bg), sdk.ErrRevocationUnavailable)
			wantRefused(t, s.verify(t, "ses_live"), sdk.ErrRevocationUnavailable)
		})
	}
}

func TestNewRemoteRevocationsChecksConfig(t *testing.T) {
	const path = "/v1/sessions/revocations"
	cases := []struct {
		name string
		cfg  sdk.RemoteRevocationsConfig
		ok   bool
	}{
		{"https", sdk.RemoteRevocationsConfig{URL: "https://auth.example.co" + path}, true},
		{"http on a public host", sdk.RemoteRevocationsConfig{
			URL: "http://auth.example.co" + path}, false},
		{"http with AllowHTTP", sdk.RemoteRevocationsConfig{
			URL: "http://auth.example.co" + path, AllowHTTP: true}, true},
		{"http on 127.0.0.1", sdk.RemoteRevocationsConfig{URL: "http://127.0.0.1:8080" + path},
			true},
		{"http on ::1", sdk.RemoteRevocationsConfig{URL: "http://[::1]:8080" + path}, true},
		{"http on localhost", sdk.RemoteRevocationsConfig{URL: "http://localhost" + path}, true},
		{"another scheme", sdk.RemoteRevocationsConfig{URL: "ftp://auth.example.co" + path,
			AllowHTTP: true}, false},
		{"a relative URL", sdk.RemoteRevocationsConfig{URL: path}, false},
		{"no URL", sdk.RemoteRevocationsConfig{}, false},
		{"a negative timeout", sdk.RemoteRevocationsConfig{URL: "https://a.example" + path,
			Timeout: -time.Second}, false},
		{"a poll interval under a second", sdk.RemoteRevocationsConfig{
			URL: "https://a.example" + path, PollInterval: 999 * time.Millisecond}, false},
		{"a poll interval of a second", sdk.RemoteRevocationsConfig{
			URL: "https://a.example" + path, PollInterval: time.Second}, true},
		{"a poll interval of 10 minutes", sdk.RemoteRevocationsConfig{
			URL: "https://a.example" + path, PollInterval: 10 * time.Minute}, true},
		{"a poll interval over 10 minutes", sdk.RemoteRevocationsConfig{
			URL: "https://a.example" + path, PollInterval: 10*time.Minute + 1}, false},
		{"a negative MaxStale", sdk.RemoteRevocationsConfig{URL: "https://a.example" + path,
			MaxStale: -1}, false},
		{"MaxStale under the poll interval", sdk.RemoteRevocationsConfig{
			URL: "https://a.example" + path, PollInterval: time.Minute,
			MaxStale: 59 * time.Second}, false},
		{"MaxStale equal to the poll interval", sdk.RemoteRevocationsConfig{
			URL: "https://a.example" + path, PollInterval: time.Minute, MaxStale: time.Minute},
			true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sdk.NewRemoteRevocations(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("got error %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// scriptedTransport answers each request with the next body, in memory,
// so that a fuzz iteration costs no network round trip.
type scriptedTransport struct {
	bodies [][]byte
	next   int
}

func (s *scriptedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.next == len(s.bodies) {
		return nil, errors.New("no more answers")
	}
	body := s.bodies[s.next]
	s.next++
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(string(body))), Request: r}, nil
}

// FuzzRevocationList feeds arbitrary documents to a RemoteRevocations that
// holds a good list. Properties: no panic; a refused document leaves the
// list exactly as it was and wraps ErrRevocationUnavailable; an accepted
// one is in use at once and answers without error.
func FuzzRevocationList(f *testing.F) {
	exp := testNow.Add(time.Hour)
	f.Add([]byte(revocationDoc(30, listed("ses_a", exp), listed("ses_b", exp))))
	f.Add([]byte(revocationDoc(30)))
	f.Add([]byte(revocationDoc(1<<40, listed("ses_a", testNow.Add(-time.Hour)))))
	f.Add([]byte(`{"sessions":[],"poll_seconds":30,"tokens":[]}`))
	f.Add([]byte(`{"sessions":[],"sessions":[],"poll_seconds":30}`))
	f.Add([]byte(`{"SESSIONS":[],"poll_seconds":30}`))
	f.Add([]byte(`{"sessions":null,"poll_seconds":30}`))
	f.Add([]byte(revocationDoc(0)))
	f.Add([]byte(revocationDoc(30, `{"sid":"a","sid":"b","revoked_at":"","expires_at":""}`)))
	f.Add([]byte(revocationDoc(30, `{"sid":"","revoked_at":"x","expires_at":"y"}`)))
	f.Add([]byte(revocationDoc(30, `[`)))
	f.Add([]byte(revocationDoc(30) + " x"))
	f.Add([]byte(``))

	const keep = "ses_keep"
	f.Fuzz(func(t *testing.T, doc []byte) {
		clock := &fakeTime{now: testNow}
		transport := &scriptedTransport{bodies: [][]byte{
			[]byte(revocationDoc(30, listed(keep, exp))), doc}}
		revs, err := sdk.NewRemoteRevocations(sdk.RemoteRevocationsConfig{
			URL: "https://auth.example.co/v1/sessions/revocations", Now: clock.Now,
			Client: &http.Client{Transport: transport}})
		if err != nil {
			t.Fatal(err)
		}
		if err := revs.Refresh(bg); err != nil {
			t.Fatalf("good list: %v", err)
		}
		before := revs.Stats()
		clock.Advance(time.Second)

		err = revs.Refresh(bg)
		after := revs.Stats()
		if err != nil {
			if !errors.Is(err, sdk.ErrRevocationUnavailable) {
				t.Fatalf("refusal %v does not wrap ErrRevocationUnavailable", err)
			}
			if !after.CheckedAt.Equal(before.CheckedAt) || after.Sessions != before.Sessions {
				t.Fatalf("a refused document changed the list: %+v, was %+v", after, before)
			}
			revoked, err := revs.Revoked(bg, &sdk.Claims{SessionID: keep})
			if err != nil || !revoked {
				t.Fatalf("after a refused document: got %v, %v; want the old list", revoked, err)
			}
			return
		}
		if !after.CheckedAt.Equal(clock.Now()) {
			t.Fatalf("an accepted document is not in use: checked at %s", after.CheckedAt)
		}
		if after.Sessions > sdk.MaxRevocationEntries {
			t.Fatalf("accepted %d sessions, more than the bound", after.Sessions)
		}
		if _, err := revs.Revoked(bg, &sdk.Claims{SessionID: keep}); err != nil {
			t.Fatalf("an accepted document does not answer: %v", err)
		}
	})
}
