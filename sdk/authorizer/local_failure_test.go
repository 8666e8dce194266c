package authorizer_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authorizer"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

func TestLocalFailsClosed(t *testing.T) {
	t.Run("no policy fetched and cerrojo failing", func(t *testing.T) {
		f := newFakeCerrojo(t, &clock{now: testNow})
		f.failing[routePolicy] = http.StatusServiceUnavailable
		l := newLocal(t, f)
		if _, err := authorize(t, l); !errors.Is(err, authorizer.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
		// A second decision within minPolicyRetry does not fetch again.
		if _, err := authorize(t, l); !errors.Is(err, authorizer.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
		if got := f.policyRequests.Load(); got != 1 {
			t.Errorf("got %d policy requests, want 1", got)
		}
		if got := l.Stats().PolicyFailures; got != 1 {
			t.Errorf("got %d policy failures, want 1", got)
		}
	})

	t.Run("bindings cannot be fetched", func(t *testing.T) {
		f := newFakeCerrojo(t, &clock{now: testNow})
		f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
		f.failing[routeBindings] = http.StatusInternalServerError
		l := newLocal(t, f)
		if _, err := authorize(t, l); !errors.Is(err, authorizer.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
		if got := l.Stats().BindingsFailures; got != 1 {
			t.Errorf("got %d bindings failures, want 1", got)
		}
	})

	t.Run("cached bindings are not used past the TTL while cerrojo is down", func(t *testing.T) {
		c := &clock{now: testNow}
		f := newFakeCerrojo(t, c)
		f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
		l := newLocal(t, f)
		mustAllow(t, l, true)
		f.Close()
		c.advance(5 * time.Second)
		if _, err := authorize(t, l); !errors.Is(err, authorizer.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})

	t.Run("the policy is used until MaxStale and not after", func(t *testing.T) {
		c := &clock{now: testNow}
		f := newFakeCerrojo(t, c)
		f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
		l := newLocal(t, f, func(cfg *authorizer.LocalConfig) {
			cfg.MaxStale = 2 * time.Minute
		})
		mustAllow(t, l, true)
		f.set(func(f *fakeCerrojo) { f.failing[routePolicy] = http.StatusBadGateway })
		if err := l.Refresh(t.Context()); !errors.Is(err, authorizer.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}

		c.advance(2 * time.Minute)
		mustAllow(t, l, true)
		if got, want := l.Stats().PolicyStaleAt, testNow.Add(2*time.Minute); !got.Equal(want) {
			t.Errorf("got PolicyStaleAt %v, want %v", got, want)
		}
		c.advance(time.Second)
		if _, err := authorize(t, l); !errors.Is(err, authorizer.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}

		// cerrojo is back: the next decision past minPolicyRetry fetches.
		f.set(func(f *fakeCerrojo) { delete(f.failing, routePolicy) })
		c.advance(5 * time.Second)
		mustAllow(t, l, true)
	})

	t.Run("a 404 that is not unknown_subject", func(t *testing.T) {
		f := newFakeCerrojo(t, &clock{now: testNow})
		f.failing[routeBindings] = http.StatusNotFound
		l := newLocal(t, f)
		if _, err := authorize(t, l); !errors.Is(err, authorizer.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})
}

func TestLocalClientCredentials(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	l := newLocal(t, f, func(c *authorizer.LocalConfig) { c.ClientSecret = "wrong" })

	err := l.Refresh(t.Context())
	if !errors.Is(err, authorizer.ErrInvalidClient) || !errors.Is(err, authorizer.ErrUnavailable) {
		t.Fatalf("got %v, want ErrInvalidClient and ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error %q quotes the secret", err)
	}
	if _, err := authorize(t, newLocal(t, f, func(c *authorizer.LocalConfig) {
		c.ClientID = "someone else"
	})); !errors.Is(err, authorizer.ErrInvalidClient) {
		t.Fatalf("got %v, want ErrInvalidClient", err)
	}
	if got := f.unauthorized.Load(); got != 2 {
		t.Errorf("got %d refused requests, want 2", got)
	}
}

func TestLocalRefusesBadBindings(t *testing.T) {
	digest := authz.Default().Digest()
	tests := []struct{ name, body string }{
		{"another subject", `{"subject":"usr_2","policy_digest":"` + digest +
			`","bindings":[{"role":"admin","granted_at":"2026-12-01T10:00:00Z"}]}`},
		{"an unknown member", `{"subject":"usr_1","policy_digest":"` + digest +
			`","bindings":[{"role":"admin","granted_at":"2026-12-01T10:00:00Z",` +
			`"only_on":"weekdays"}]}`},
		{"a case variant of a member", `{"subject":"usr_1","POLICY_DIGEST":"` + digest +
			`","bindings":[]}`},
		{"a duplicate member", `{"subject":"usr_2","subject":"usr_1","policy_digest":"` +
			digest + `","bindings":[]}`},
		{"trailing data", `{"subject":"usr_1","policy_digest":"` + digest +
			`","bindings":[]} {}`},
		{"an oversize body", `{"subject":"usr_1","policy_digest":"` + digest +
			`","bindings":[]}` + strings.Repeat(" ", 512<<10)},
		{"not JSON", `<html>Bad gateway</html>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCerrojo(t, &clock{now: testNow})
			f.override[routeBindings] = tc.body
			l := newLocal(t, f)
			if _, err := authorize(t, l); !errors.Is(err, authorizer.ErrUnavailable) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestLocalRefusesOversizePolicy(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.override[routePolicy] = string(authz.DefaultSource()) + "#" +
		strings.Repeat("x", authz.MaxPolicyBytes)
	l := newLocal(t, f)
	if err := l.Refresh(t.Context()); !errors.Is(err, authorizer.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if got := l.Stats().PolicyRejected; got != 1 {
		t.Errorf("got %d rejected policies, want 1", got)
	}
}

func TestRedirectsAreRefused(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, f.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(redirect.Close)

	tests := []struct {
		name   string
		client *http.Client
	}{
		{"the default client", nil},
		{"a client that follows redirects", &http.Client{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLocal(t, f, func(c *authorizer.LocalConfig) {
				c.BaseURL, c.Client = redirect.URL, tc.client
			})
			err := l.Refresh(t.Context())
			if !errors.Is(err, authorizer.ErrUnavailable) || !strings.Contains(err.Error(),
				"redirect") {
				t.Fatalf("got %v, want ErrUnavailable for a redirect", err)
			}
		})
	}
}
