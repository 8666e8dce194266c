package authorizer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
	"github.com/cerrojo/cerrojo/sdk/authorizer"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

// authorizerFunc stands in for an Authorizer.
type authorizerFunc func(context.Context, authorizer.Request) (authz.Decision, error)

func (f authorizerFunc) Authorize(ctx context.Context, r authorizer.Request) (authz.Decision,
	error) {
	return f(ctx, r)
}

// secretReason is a reason that must never reach a client.
const secretReason = `no binding grants product:update for vendor "v9"`

func TestRequire(t *testing.T) {
	grant := authz.Decision{Allowed: true, Rule: "vendor-staff-edit-live-vendor-products",
		Reason: "allowed by rule vendor-staff-edit-live-vendor-products"}
	deny := authz.Decision{Reason: secretReason}
	found := func(*http.Request) (*authz.Resource, error) { return product("v1", "draft"), nil }
	decide := func(d authz.Decision, err error) authorizer.Authorizer {
		return authorizerFunc(func(context.Context, authorizer.Request) (authz.Decision, error) {
			return d, err
		})
	}

	tests := []struct {
		name       string
		claims     bool
		a          authorizer.Authorizer
		load       func(*http.Request) (*authz.Resource, error)
		wantStatus int
		wantCode   string
	}{
		{name: "a grant reaches the handler", claims: true, a: decide(grant, nil), load: found,
			wantStatus: http.StatusOK},
		{name: "no verified claims is 401", a: decide(grant, nil), load: found,
			wantStatus: http.StatusUnauthorized, wantCode: "missing_token"},
		{name: "a denial is 403 without its reason", claims: true, a: decide(deny, nil),
			load: found, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "a resource not found is 404", claims: true, a: decide(grant, nil),
			load: func(*http.Request) (*authz.Resource, error) {
				return nil, fmt.Errorf("load product p1: %w", authorizer.ErrNotFound)
			},
			wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "a loader failure is 500 without its text", claims: true, a: decide(grant, nil),
			load: func(*http.Request) (*authz.Resource, error) {
				return nil, errors.New("load product: " + secretReason)
			},
			wantStatus: http.StatusInternalServerError, wantCode: "internal_error"},
		{name: "a loader that returns nothing is 500", claims: true, a: decide(grant, nil),
			load:       func(*http.Request) (*authz.Resource, error) { return nil, nil },
			wantStatus: http.StatusInternalServerError, wantCode: "internal_error"},
		{name: "authorization unavailable is 503", claims: true,
			a: decide(authz.Decision{},
				fmt.Errorf("%w: "+secretReason, authorizer.ErrUnavailable)),
			load: found, wantStatus: http.StatusServiceUnavailable, wantCode: "unavailable"},
		{name: "an unknown permission is the service's bug, 500", claims: true,
			a: decide(authz.Decision{},
				fmt.Errorf("%w: %q", authz.ErrUnknownPermission, secretReason)),
			load: found, wantStatus: http.StatusInternalServerError, wantCode: "internal_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen []authz.Decision
			observe := authorizer.OnDecision(func(_ *http.Request, d authz.Decision, _ error) {
				seen = append(seen, d)
			})
			var inHandler authz.Decision
			h := authorizer.Require(tc.a, "product:update", tc.load, observe)(
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					d, ok := authorizer.DecisionFrom(r.Context())
					if !ok {
						t.Error("no decision in the handler's context")
					}
					inHandler = d
				}))

			r := httptest.NewRequest(http.MethodPut, "/products/p1", nil)
			if tc.claims {
				r = r.WithContext(sdk.ContextWithClaims(r.Context(), token("usr_1", "pwd")))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tc.wantStatus {
				t.Fatalf("got status %d, want %d", w.Code, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusOK {
				if inHandler.Rule != grant.Rule {
					t.Errorf("got decision %+v in the handler, want %+v", inHandler, grant)
				}
				return
			}
			checkProblem(t, w, tc.wantCode)
			if tc.wantStatus == http.StatusForbidden && (len(seen) != 1 ||
				seen[0].Reason != secretReason) {
				t.Errorf("OnDecision saw %+v, want the denial with its reason", seen)
			}
		})
	}
}

// checkProblem checks a problem document: its code, its headers, and that
// it leaks nothing of the reason or the errors behind it.
func checkProblem(t *testing.T, w *httptest.ResponseRecorder, wantCode string) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("got Content-Type %q, want application/problem+json", ct)
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("the body is not JSON: %v", err)
	}
	if p.Code != wantCode || p.Status != w.Code || p.Type != "urn:cerrojo:problem:"+wantCode {
		t.Errorf("got problem %+v, want code %s and status %d", p, wantCode, w.Code)
	}
	if strings.Contains(w.Body.String(), "v9") {
		t.Errorf("the body %q leaks the reason", w.Body)
	}
	switch w.Code {
	case http.StatusServiceUnavailable:
		if w.Header().Get("Retry-After") == "" {
			t.Error("a 503 without Retry-After")
		}
	case http.StatusUnauthorized:
		if w.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Error("a 401 without a Bearer challenge")
		}
	}
}

func TestRequireWithLocal(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	l := newLocal(t, f)
	decisions := 0
	load := func(r *http.Request) (*authz.Resource, error) {
		return product(r.PathValue("vendor"), "published"), nil
	}
	mux := http.NewServeMux()
	mux.Handle("PUT /vendors/{vendor}/products/p1", authorizer.Require(l, "product:update",
		load, authorizer.OnDecision(func(*http.Request, authz.Decision, error) {
			decisions++
		}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := authorizer.DecisionFrom(r.Context())
		if d.Binding == nil || d.Binding.Vendor != "v1" {
			t.Errorf("got decision %+v, want a grant through the v1 binding", d)
		}
		w.WriteHeader(http.StatusNoContent)
	})))

	for vendor, want := range map[string]int{"v1": http.StatusNoContent,
		"v2": http.StatusForbidden} {
		r := httptest.NewRequest(http.MethodPut, "/vendors/"+vendor+"/products/p1", nil)
		r = r.WithContext(sdk.ContextWithClaims(r.Context(), token("usr_1", "pwd")))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("vendor %s: got status %d, want %d", vendor, w.Code, want)
		}
	}

	f.Close()
	f.clock.advance(5 * time.Minute)
	r := httptest.NewRequest(http.MethodPut, "/vendors/v1/products/p1", nil)
	r = r.WithContext(sdk.ContextWithClaims(r.Context(), token("usr_1", "pwd")))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("with cerrojo down: got status %d, want 503", w.Code)
	}
	checkProblem(t, w, "unavailable")
	if decisions != 3 {
		t.Errorf("OnDecision ran %d times, want 3", decisions)
	}
}

func TestRequireGivesTheClientIP(t *testing.T) {
	var got string
	a := authorizerFunc(func(_ context.Context, r authorizer.Request) (authz.Decision, error) {
		got = r.IP
		return authz.Decision{Allowed: true}, nil
	})
	h := authorizer.Require(a, "product:read", func(*http.Request) (*authz.Resource, error) {
		return product("v1", "published"), nil
	})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "[2001:db8::1]:4711"
	r = r.WithContext(sdk.ContextWithClaims(r.Context(), token("usr_1")))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "2001:db8::1" {
		t.Errorf("got IP %q, want 2001:db8::1", got)
	}
}

func TestRequirePanicsOnWiringMistakes(t *testing.T) {
	load := func(*http.Request) (*authz.Resource, error) { return nil, nil }
	a := authorizerFunc(nil)
	tests := []struct {
		name string
		call func()
	}{
		{"no authorizer", func() { authorizer.Require(nil, "product:read", load) }},
		{"no permission", func() { authorizer.Require(a, "", load) }},
		{"no loader", func() { authorizer.Require(a, "product:read", nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("got no panic")
				}
			}()
			tc.call()
		})
	}
}

func TestDecisionFromEmptyContext(t *testing.T) {
	if d, ok := authorizer.DecisionFrom(t.Context()); ok {
		t.Errorf("got %+v, want none", d)
	}
	ctx := authorizer.ContextWithDecision(t.Context(), authz.Decision{Rule: "r"})
	if d, ok := authorizer.DecisionFrom(ctx); !ok || d.Rule != "r" {
		t.Errorf("got %+v, %v; want rule r", d, ok)
	}
}
