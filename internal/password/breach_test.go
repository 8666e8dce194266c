package password

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePwned speaks the Pwned Passwords range API from a map of full SHA-1
// digests to counts. With Add-Padding it adds entries with count 0, as the
// real service does.
type fakePwned struct {
	counts map[string]int64

	mu       sync.Mutex
	paths    []string
	paddings []string
}

var rangePath = regexp.MustCompile(`^/range/[0-9A-F]{5}$`)

func (f *fakePwned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.paddings = append(f.paddings, r.Header.Get("Add-Padding"))
	f.mu.Unlock()
	if r.Method != http.MethodGet || !rangePath.MatchString(r.URL.Path) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	prefix := strings.TrimPrefix(r.URL.Path, "/range/")

	var lines []string
	for digest, n := range f.counts {
		if strings.HasPrefix(digest, prefix) {
			lines = append(lines, fmt.Sprintf("%s:%d", digest[5:], n))
		}
	}
	if r.Header.Get("Add-Padding") == "true" {
		for i := range 3 {
			lines = append(lines, fmt.Sprintf("%035X:0", i+1))
		}
	}
	sort.Strings(lines)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, strings.Join(lines, "\r\n"))
}

// sha1Upper is the digest the API indexes by.
func sha1Upper(pw string) string {
	sum := sha1.Sum([]byte(pw))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// newPwned starts a fake service and a client for it.
func newPwned(t *testing.T, cfg PwnedConfig, counts map[string]int64) (*PwnedClient,
	*fakePwned) {
	t.Helper()
	fake := &fakePwned{counts: counts}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	c, err := NewPwnedClient(cfg)
	if err != nil {
		t.Fatalf("NewPwnedClient: got error %v, want nil", err)
	}
	return c, fake
}

func TestPwnedBreached(t *testing.T) {
	counts := map[string]int64{
		sha1Upper("password1"):  2_418_984,
		sha1Upper("contraseña"): 1_234,
		sha1Upper("padded"):     0,
	}
	c, fake := newPwned(t, PwnedConfig{}, counts)

	cases := []struct {
		name string
		pw   string
		want int64
	}{
		{"reports the count of a breached password", "password1", 2_418_984},
		{"hashes the NFKC form", "contrasen\u0303a", 1_234},
		{"reports 0 for an unknown password", "cafetal neblina tucán 42", 0},
		{"reports 0 for an entry with count 0", "padded", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Breached(context.Background(), tc.pw)
			if err != nil || got != tc.want {
				t.Fatalf("Breached: got %d, %v, want %d, nil", got, err, tc.want)
			}
		})
	}

	fake.mu.Lock()
	defer fake.mu.Unlock()
	for i, p := range fake.paths {
		if !rangePath.MatchString(p) {
			t.Errorf("request %d: got path %q, want /range/ and 5 hex digits", i, p)
		}
		if fake.paddings[i] != "true" {
			t.Errorf("request %d: got Add-Padding %q, want true", i, fake.paddings[i])
		}
	}
}

func TestPwnedNoPaddingSendsNoHeader(t *testing.T) {
	c, fake := newPwned(t, PwnedConfig{NoPadding: true}, nil)
	if _, err := c.Breached(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if got := fake.paddings[0]; got != "" {
		t.Fatalf("Add-Padding: got %q, want no header", got)
	}
}

func TestPwnedUnavailable(t *testing.T) {
	handler := func(f func(w http.ResponseWriter, r *http.Request)) http.Handler {
		return http.HandlerFunc(f)
	}
	cases := []struct {
		name    string
		handler http.Handler
	}{
		{"server error", handler(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		})},
		{"body over the cap", handler(func(w http.ResponseWriter, r *http.Request) {
			line := strings.Repeat("A", suffixLen) + ":1\r\n"
			fmt.Fprint(w, strings.Repeat(line, maxRangeBodyBytes/len(line)+1))
		})},
		{"malformed line", handler(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html>rate limited</html>")
		})},
		{"no answer before the timeout", handler(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c, err := NewPwnedClient(PwnedConfig{BaseURL: srv.URL, Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			n, err := c.Breached(context.Background(), "password1")
			if !errors.Is(err, ErrBreachCheckUnavailable) || n != 0 {
				t.Fatalf("Breached: got %d, %v, want 0, ErrBreachCheckUnavailable", n, err)
			}
		})
	}

	t.Run("server gone", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c, err := NewPwnedClient(PwnedConfig{BaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Breached(context.Background(), "x"); !errors.Is(err,
			ErrBreachCheckUnavailable) {
			t.Fatalf("Breached: got %v, want ErrBreachCheckUnavailable", err)
		}
	})
}

func TestNewPwnedClientValidates(t *testing.T) {
	cases := []struct {
		name string
		cfg  PwnedConfig
		ok   bool
	}{
		{"zero config uses the public service", PwnedConfig{}, true},
		{"https mirror", PwnedConfig{BaseURL: "https://pwned.example.co/api/"}, true},
		{"http to 127.0.0.1", PwnedConfig{BaseURL: "http://127.0.0.1:8080"}, true},
		{"http to localhost", PwnedConfig{BaseURL: "http://localhost"}, true},
		{"http to ::1", PwnedConfig{BaseURL: "http://[::1]:9000"}, true},
		{"http to another host", PwnedConfig{BaseURL: "http://pwned.example.co"}, false},
		{"another scheme", PwnedConfig{BaseURL: "ftp://pwned.example.co"}, false},
		{"user info", PwnedConfig{BaseURL: "https://u:p@pwned.example.co"}, false},
		{"query", PwnedConfig{BaseURL: "https://pwned.example.co/?x=1"}, false},
		{"relative", PwnedConfig{BaseURL: "/range"}, false},
		{"timeout at the cap", PwnedConfig{Timeout: maxPwnedTimeout}, true},
		{"timeout over the cap", PwnedConfig{Timeout: maxPwnedTimeout + 1}, false},
		{"negative timeout", PwnedConfig{Timeout: -time.Second}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewPwnedClient(tc.cfg)
			if tc.ok && err != nil {
				t.Fatalf("NewPwnedClient: got %v, want nil", err)
			}
			if !tc.ok && (!errors.Is(err, ErrInvalidConfig) || c != nil) {
				t.Fatalf("NewPwnedClient: got %v, %v, want nil, ErrInvalidConfig", c, err)
			}
		})
	}
}

// stubChecker answers Breached with fixed values.
type stubChecker struct {
	n   int64
	err error
}

func (s stubChecker) Breached(context.Context, string) (int64, error) { return s.n, s.err }

func TestPolicyCheckBreach(t *testing.T) {
	down := errors.New("connection refused")
	cases := []struct {
		name    string
		bc      BreachChecker
		want    []Violation
		wantErr error
	}{
		{"breached password is a violation", stubChecker{n: 3}, []Violation{{Code: CodeBreached}},
			nil},
		{"unseen password passes", stubChecker{}, nil, nil},
		{"no checker checks nothing", nil, nil, nil},
		{"a failure says the service is unavailable", stubChecker{err: down}, nil,
			ErrBreachCheckUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DefaultPolicy().CheckBreach(context.Background(), tc.bc, "password1")
			if !reflect.DeepEqual(got, tc.want) || !errors.Is(err, tc.wantErr) {
				t.Fatalf("CheckBreach: got %v, %v, want %v, %v", got, err, tc.want, tc.wantErr)
			}
			if tc.wantErr != nil && !errors.Is(err, down) {
				t.Fatalf("CheckBreach: got %v, want the cause kept", err)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	a := strings.Repeat("A", suffixLen)
	b := strings.Repeat("0", suffixLen-1) + "F"
	cases := []struct {
		name string
		body string
		want []rangeEntry
	}{
		{"crlf lines", a + ":10\r\n" + b + ":0", []rangeEntry{{a, 10}, {b, 0}}},
		{"lf lines", a + ":10\n" + b + ":0", []rangeEntry{{a, 10}, {b, 0}}},
		{"final line break", a + ":1\r\n", []rangeEntry{{a, 1}}},
		{"count at ten digits", a + ":9999999999", []rangeEntry{{a, 9999999999}}},
		{"empty body", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRange([]byte(tc.body))
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parseRange: got %v, %v, want %v, nil", got, err, tc.want)
			}
		})
	}

	bad := []struct{ name, body string }{
		{"lower-case hex", strings.ToLower(a) + ":1"},
		{"suffix one short", a[1:] + ":1"},
		{"suffix one long", a + "A:1"},
		{"count with a leading zero", a + ":01"},
		{"count of eleven digits", a + ":10000000000"},
		{"negative count", a + ":-1"},
		{"missing count", a + ":"},
		{"missing colon", a + "1"},
		{"empty line in the middle", a + ":1\r\n\r\n" + b + ":1"},
		{"two final line breaks", a + ":1\r\n\r\n"},
		{"suffix twice", a + ":1\r\n" + a + ":2"},
		{"cr alone as separator", a + ":1\r" + b + ":1"},
		{"space after the count", a + ":1 "},
		{"html", "<html></html>"},
		{"over the cap", strings.Repeat(a+":1\n", maxRangeBodyBytes/(suffixLen+3)+1)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRange([]byte(tc.body))
			if err == nil || got != nil {
				t.Fatalf("parseRange: got %v, %v, want nil and an error", got, err)
			}
		})
	}
}

// formatRange writes entries as the service does, CRLF-separated.
func formatRange(entries []rangeEntry) []byte {
	var b bytes.Buffer
	for i, e := range entries {
		if i > 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, "%s:%d", e.suffix, e.count)
	}
	return b.Bytes()
}
