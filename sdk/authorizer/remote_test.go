package authorizer_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authorizer"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

func TestRemoteAgreesWithPolicyCheck(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	runDecisionCases(t, f, newRemote(t, f))
}

func TestRemoteRefusals(t *testing.T) {
	tests := []struct {
		name       string
		permission string
		resource   *authz.Resource
		refuse     string // the code the fake answers every check with
		wantErr    error
		wantSent   bool
	}{
		{name: "an unknown permission", permission: "product:frobnicate",
			resource: product("v1", "draft"), wantErr: authz.ErrUnknownPermission,
			wantSent: true},
		{name: "an unknown resource type", permission: "gadget:read",
			resource: &authz.Resource{Type: "gadget"}, wantErr: authz.ErrUnknownResourceType,
			wantSent: true},
		{name: "an undeclared attribute", permission: "product:read",
			resource: &authz.Resource{Type: "product", Attributes: map[string]any{
				"colour": "red"}},
			wantErr: authz.ErrInvalidAttribute, wantSent: true},
		{name: "cerrojo's invalid_request", permission: "product:read",
			resource: product("v1", "draft"), refuse: "invalid_request",
			wantErr: authorizer.ErrInvalidRequest, wantSent: true},
		{name: "a 400 with a code this version does not know", permission: "product:read",
			resource: product("v1", "draft"), refuse: "teapot",
			wantErr: authorizer.ErrInvalidRequest, wantSent: true},
		{name: "a permission of another type is refused before sending",
			permission: "order:read", resource: product("v1", "draft"),
			wantErr: authz.ErrTypeMismatch},
		{name: "a permission without an action is refused before sending",
			permission: "product", resource: product("v1", "draft"),
			wantErr: authz.ErrUnknownPermission},
		{name: "an attribute of no declarable kind is refused before sending",
			permission: "product:read", resource: &authz.Resource{Type: "product",
				Attributes: map[string]any{"vendor": struct{}{}}},
			wantErr: authz.ErrInvalidAttribute},
		{name: "a number that JSON cannot carry is refused before sending",
			permission: "product:read", resource: &authz.Resource{Type: "product",
				Attributes: map[string]any{"price": math.Inf(1)}},
			wantErr: authz.ErrInvalidAttribute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCerrojo(t, &clock{now: testNow})
			f.refuse = tc.refuse
			r := newRemote(t, f)
			_, err := r.Authorize(t.Context(), authorizer.Request{Claims: token("usr_1"),
				Permission: tc.permission, Resource: tc.resource})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if errors.Is(err, authorizer.ErrUnavailable) {
				t.Errorf("got %v, which also matches ErrUnavailable", err)
			}
			if sent := f.checkRequests.Load() > 0; sent != tc.wantSent {
				t.Errorf("got sent %v, want %v", sent, tc.wantSent)
			}
		})
	}
}

func TestRemoteFailsClosed(t *testing.T) {
	digest := authz.Default().Digest()
	tail := `,"policy_version":"2026-12-01","policy_digest":"` + digest + `"}`
	tests := []struct {
		name    string
		setup   func(f *fakeCerrojo)
		wantErr error
	}{
		{name: "cerrojo answers 503",
			setup:   func(f *fakeCerrojo) { f.failing[routeCheck] = http.StatusServiceUnavailable },
			wantErr: authorizer.ErrUnavailable},
		{name: "cerrojo is down", setup: func(f *fakeCerrojo) { f.Close() },
			wantErr: authorizer.ErrUnavailable},
		{name: "an answer for another permission",
			setup: func(f *fakeCerrojo) {
				f.override[routeCheck] = `{"allowed":true,"permission":"product:delete",` +
					`"rule":"r","role_path":["admin"],"reason":"ok"` + tail
			},
			wantErr: authorizer.ErrUnavailable},
		{name: "a denial that names a rule",
			setup: func(f *fakeCerrojo) {
				f.override[routeCheck] = `{"allowed":false,"permission":"product:update",` +
					`"rule":"r","reason":"no"` + tail
			},
			wantErr: authorizer.ErrUnavailable},
		{name: "a grant with an unknown member",
			setup: func(f *fakeCerrojo) {
				f.override[routeCheck] = `{"allowed":true,"permission":"product:update",` +
					`"rule":"r","role_path":["admin"],"reason":"ok","until":"tomorrow"` + tail
			},
			wantErr: authorizer.ErrUnavailable},
		{name: "an answer without allowed",
			setup: func(f *fakeCerrojo) {
				f.override[routeCheck] = `{"permission":"product:update","reason":"?"` + tail
			},
			wantErr: authorizer.ErrUnavailable},
		{name: "an oversize answer",
			setup: func(f *fakeCerrojo) {
				f.override[routeCheck] = `{"allowed":false,"permission":"product:update",` +
					`"reason":"no"` + tail + strings.Repeat(" ", 16<<10)
			},
			wantErr: authorizer.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCerrojo(t, &clock{now: testNow})
			f.grants["usr_1"] = []grant{{role: "admin"}}
			tc.setup(f)
			r := newRemote(t, f)
			d, err := r.Authorize(t.Context(), authorizer.Request{Claims: token("usr_1"),
				Permission: "product:update", Resource: product("v1", "draft")})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %+v, %v; want %v", d, err, tc.wantErr)
			}
			if d.Allowed {
				t.Error("got a grant with an error")
			}
		})
	}
}

func TestRemoteClientCredentials(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	r := newRemote(t, f, func(c *authorizer.RemoteConfig) { c.ClientSecret = "wrong" })
	_, err := authorize(t, r)
	if !errors.Is(err, authorizer.ErrInvalidClient) || !errors.Is(err, authorizer.ErrUnavailable) {
		t.Fatalf("got %v, want ErrInvalidClient and ErrUnavailable", err)
	}
}

// wirePolicy declares an attribute of every kind, and a rule that reads
// them all and the whole context.
const wirePolicy = `version: "wire-1"
resources:
  doc:
    attributes:
      vendor: string
      published_at: timestamp
      grace: duration
      tags: list(string)
      sizes: list(int)
      score: double
      pinned: bool
      views: int
    actions: [read]
roles:
  reader:
    description: Reads documents.
rules:
  - id: readers-read-published-docs
    roles: [reader]
    permissions: ["doc:read"]
    when: >-
      resource.published_at <= context.time && resource.grace >= duration("90s") &&
      "public" in resource.tags && 3 in resource.sizes && resource.score > 0.5 &&
      !resource.pinned && resource.views > 10 && context.auth_level >= 2 &&
      context.ip == "203.0.113.5" && context.auth_age < duration("2m") &&
      "otp" in context.amr
`

func wireDoc(published time.Time) *authz.Resource {
	return &authz.Resource{Type: "doc", ID: "d1", Attributes: map[string]any{
		"vendor": "v1", "published_at": published, "grace": 90 * time.Second,
		"tags": []string{"public"}, "sizes": []int64{1, 3}, "score": 0.75,
		"pinned": false, "views": uint16(11)}}
}

func TestBothModesReadAttributesAndContextAlike(t *testing.T) {
	p, err := authz.Parse([]byte(wirePolicy))
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.policy = p
	f.grants["usr_1"] = []grant{{role: "reader"}}
	modes := map[string]authorizer.Authorizer{"local": newLocal(t, f), "remote": newRemote(t, f)}

	tests := []struct {
		name      string
		published time.Time
		amr       []string
		want      bool
	}{
		{"every condition holds", testNow, []string{"pwd", "otp"}, true},
		{"published half a second from now", testNow.Add(500 * time.Millisecond),
			[]string{"pwd", "otp"}, false},
		{"a single factor", testNow, []string{"otp"}, false},
	}
	for _, tc := range tests {
		for mode, a := range modes {
			t.Run(tc.name+" "+mode, func(t *testing.T) {
				d, err := a.Authorize(t.Context(), authorizer.Request{
					Claims: token("usr_1", tc.amr...), Permission: "doc:read",
					Resource: wireDoc(tc.published), IP: "203.0.113.5"})
				if err != nil {
					t.Fatal(err)
				}
				if d.Allowed != tc.want {
					t.Fatalf("got allowed %v (%s), want %v", d.Allowed, d.Reason, tc.want)
				}
			})
		}
	}
}

func TestRemoteWireFormat(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	r := newRemote(t, f)
	published := time.Date(2026, 11, 30, 8, 0, 0, 250_000_000, time.UTC)
	_, _ = r.Authorize(t.Context(), authorizer.Request{Claims: token("usr_1", "pwd", "otp"),
		Permission: "doc:read", Resource: wireDoc(published), IP: "203.0.113.5"})

	var got map[string]any
	if err := json.Unmarshal(f.lastBody, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"subject": map[string]any{"id": "usr_1"},
		"action":  "read",
		"resource": map[string]any{"type": "doc", "id": "d1", "attributes": map[string]any{
			"vendor": "v1", "published_at": "2026-11-30T08:00:00.25Z", "grace": "1m30s",
			"tags": []any{"public"}, "sizes": []any{1.0, 3.0}, "score": 0.75,
			"pinned": false, "views": 11.0}},
		"context": map[string]any{"ip": "203.0.113.5", "auth_level": 2.0,
			"auth_time": "2026-12-01T14:59:00Z", "amr": []any{"pwd", "otp"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v,\nwant %v", got, want)
	}
}

func TestAuthorizeBatch(t *testing.T) {
	f := newFakeCerrojo(t, &clock{now: testNow})
	f.grants["usr_1"] = []grant{{role: "vendor_staff", vendor: "v1"}}
	checks := []authorizer.Check{
		{Permission: "product:update", Resource: product("v1", "published")},
		{Permission: "product:update", Resource: product("v2", "published")},
		{Permission: "product:delete", Resource: product("v1", "draft")},
		{Permission: "vendor:read", Resource: &authz.Resource{Type: "vendor", ID: "v1"}},
	}
	wantAllowed := []bool{true, false, false, true}

	type batcher interface {
		AuthorizeBatch(ctx context.Context, req authorizer.BatchRequest) ([]authz.Decision, error)
	}
	modes := map[string]batcher{"local": newLocal(t, f), "remote": newRemote(t, f)}
	for mode, b := range modes {
		t.Run(mode, func(t *testing.T) {
			ds, err := b.AuthorizeBatch(t.Context(), authorizer.BatchRequest{
				Claims: token("usr_1", "pwd"), Checks: checks})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != len(checks) {
				t.Fatalf("got %d decisions, want %d", len(ds), len(checks))
			}
			for i, d := range ds {
				if d.Allowed != wantAllowed[i] {
					t.Errorf("check %d: got allowed %v, want %v", i, d.Allowed, wantAllowed[i])
				}
			}

			sent := f.checkRequests.Load()
			for _, n := range []int{0, authorizer.MaxBatchChecks + 1} {
				_, err := b.AuthorizeBatch(t.Context(), authorizer.BatchRequest{
					Claims: token("usr_1"), Checks: make([]authorizer.Check, n)})
				if !errors.Is(err, authorizer.ErrInvalidRequest) {
					t.Errorf("%d checks: got %v, want ErrInvalidRequest", n, err)
				}
			}
			full := make([]authorizer.Check, authorizer.MaxBatchChecks)
			for i := range full {
				full[i] = checks[i%len(checks)]
			}
			if _, err := b.AuthorizeBatch(t.Context(), authorizer.BatchRequest{
				Claims: token("usr_1"), Checks: full}); err != nil {
				t.Errorf("%d checks: %v", len(full), err)
			}
			bad := append([]authorizer.Check{}, checks...)
			bad[2].Permission = "product:frobnicate"
			_, err = b.AuthorizeBatch(t.Context(), authorizer.BatchRequest{
				Claims: token("usr_1"), Checks: bad})
			if !errors.Is(err, authz.ErrUnknownPermission) {
				t.Errorf("got %v, want ErrUnknownPermission", err)
			}
			if mode == "remote" && f.checkRequests.Load() != sent+2 {
				t.Errorf("got %d more requests, want 2", f.checkRequests.Load()-sent)
			}
		})
	}
}
