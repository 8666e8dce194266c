package authorizer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authz"
)

// Seeds shared by the fuzz targets: the contract's documents and the
// near-misses the table tests refuse.
var bindingsSeeds = []string{
	bindingsDoc(),
	bindingsDoc(entry("vendor_staff", "v1"), entry("admin", "")),
	bindingsDoc(`{"role":"vendor_staff","vendor":"v1","granted_at":"2026-12-01T10:00:00Z",` +
		`"expires_at":"2026-12-31T00:00:00+01:00"}`),
	bindingsDoc(`{"role":"a","granted_at":"2026-12-01T10:00:00.123Z"}`),
	bindingsDoc(`{"role":"customer","\u0072ole":"admin","granted_at":"2026-12-01T10:00:00Z"}`),
	bindingsDoc(`{"ROLE":"admin","granted_at":"2026-12-01T10:00:00Z"}`),
	strings.Replace(bindingsDoc(), "usr_1", "usr_2", 1),
	`{"subject":"usr_1","bindings":[]}`,
	`[]`, `null`, `{}`, `{"subject":"usr_1"`,
}

// FuzzParseBindings checks that parseBindings never panics, returns
// nothing with an error, keeps its bounds, and reads back what it
// accepted when it is written again.
func FuzzParseBindings(f *testing.F) {
	for _, s := range bindingsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		bs, digest, _, err := parseBindings(doc, "usr_1")
		if err != nil {
			if bs != nil || digest != "" {
				t.Fatalf("got %v, %q with error %v", bs, digest, err)
			}
			return
		}
		if !validDigest(digest) || len(bs) > maxBindings {
			t.Fatalf("got digest %q and %d bindings", digest, len(bs))
		}
		for _, b := range bs {
			if b.Role == "" || len(b.Role) > authz.MaxNameLen || len(b.Vendor) > maxVendorIDBytes {
				t.Fatalf("got binding %+v past a bound", b)
			}
		}

		again, digest2, _, err := parseBindings(encodeBindings(t, bs, digest), "usr_1")
		if err != nil || digest2 != digest || len(again) != len(bs) {
			t.Fatalf("round trip: got %v, %q, %v; want %v, %q", again, digest2, err, bs, digest)
		}
		for i := range bs {
			a, b := again[i], bs[i]
			if a.Role != b.Role || a.Vendor != b.Vendor || !a.ExpiresAt.Equal(b.ExpiresAt) {
				t.Fatalf("round trip: binding %d is %+v, want %+v", i, a, b)
			}
		}
	})
}

// encodeBindings writes bindings as cerrojo would.
func encodeBindings(t *testing.T, bs []authz.Binding, digest string) []byte {
	type wb struct {
		Role      string `json:"role"`
		Vendor    string `json:"vendor,omitempty"`
		GrantedAt string `json:"granted_at"`
		ExpiresAt string `json:"expires_at,omitempty"`
	}
	out := make([]wb, len(bs))
	for i, b := range bs {
		out[i] = wb{Role: b.Role, Vendor: b.Vendor, GrantedAt: "2026-12-01T10:00:00Z"}
		if !b.ExpiresAt.IsZero() {
			out[i].ExpiresAt = b.ExpiresAt.Format(time.RFC3339Nano)
		}
	}
	doc, err := json.Marshal(map[string]any{"subject": "usr_1", "policy_digest": digest,
		"bindings": out})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

var decisionSeeds = []string{
	decisionDoc(`"allowed":true,"rule":"r","role_path":["vendor_owner","vendor_staff"],` +
		`"binding":{"role":"vendor_owner","vendor":"v1"},"reason":"ok"`),
	decisionDoc(`"allowed":false,"reason":"no binding grants product:update"`),
	decisionDoc(`"allowed":true,"rule":"r","role_path":["authenticated"],"reason":"ok"`),
	decisionDoc(`"allowed":true,"rule":"r","role_path":["admin"],"reason":"ok",` +
		`"binding":{"role":"admin","expires_at":"2026-12-31T00:00:00Z"}`),
	decisionDoc(`"allowed":false,"role_path":["admin"],"reason":"no"`),
	decisionDoc(`"allowed":false,"allowed":true,"reason":"no"`),
	`{"allowed":true}`, `{"results":[]}`, `[]`,
}

// FuzzParseDecision checks that parseDecision never panics, returns a zero
// decision with an error, and accepts only consistent decisions, which it
// reads back alike when they are written again.
func FuzzParseDecision(f *testing.F) {
	for _, s := range decisionSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		d, err := parseDecision(doc, "product:update")
		if err != nil {
			if !reflect.DeepEqual(d, authz.Decision{}) {
				t.Fatalf("got %+v with error %v", d, err)
			}
			return
		}
		checkDecision(t, d)

		again, err := parseDecision(encodeDecision(t, d, "product:update"),
			"product:update")
		if err != nil || !sameDecision(again, d) {
			t.Fatalf("round trip: got %+v, %v; want %+v", again, err, d)
		}
	})
}

// FuzzParseBatch checks parseBatch as FuzzParseDecision checks
// parseDecision, for a batch of two checks.
func FuzzParseBatch(f *testing.F) {
	perms := []string{"product:update", "product:update"}
	for _, s := range decisionSeeds {
		f.Add([]byte(`{"results":[` + s + `,` + s + `],"policy_version":"2026-12-01",` +
			`"policy_digest":"` + testDigest + `"}`))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		ds, err := parseBatch(doc, perms)
		if err != nil {
			if ds != nil {
				t.Fatalf("got %+v with error %v", ds, err)
			}
			return
		}
		if len(ds) != len(perms) {
			t.Fatalf("got %d decisions, want %d", len(ds), len(perms))
		}
		for _, d := range ds {
			checkDecision(t, d)
		}
	})
}

// checkDecision checks the invariants of an accepted decision.
func checkDecision(t *testing.T, d authz.Decision) {
	t.Helper()
	if len(d.Reason) > maxReasonBytes {
		t.Fatalf("got a reason of %d bytes", len(d.Reason))
	}
	if !d.Allowed {
		if d.Rule != "" || d.RolePath != nil || d.Binding != nil {
			t.Fatalf("got a denial naming a grant: %+v", d)
		}
		return
	}
	if d.Rule == "" || len(d.RolePath) == 0 || len(d.RolePath) > maxRolePath ||
		(d.Binding != nil && d.Binding.Role != d.RolePath[0]) {
		t.Fatalf("got an inconsistent grant: %+v", d)
	}
}

func encodeDecision(t *testing.T, d authz.Decision, perm string) []byte {
	t.Helper()
	m := map[string]any{"allowed": d.Allowed, "permission": perm, "reason": d.Reason}
	if d.Allowed {
		m["rule"], m["role_path"] = d.Rule, d.RolePath
	}
	if b := d.Binding; b != nil {
		wb := map[string]any{"role": b.Role, "vendor": b.Vendor}
		if !b.ExpiresAt.IsZero() {
			wb["expires_at"] = b.ExpiresAt.Format(time.RFC3339Nano)
		}
		m["binding"] = wb
	}
	m["policy_version"], m["policy_digest"] = "2026-12-01", testDigest
	doc, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func sameDecision(a, b authz.Decision) bool {
	if (a.Binding == nil) != (b.Binding == nil) {
		return false
	}
	if a.Binding != nil && (a.Binding.Role != b.Binding.Role ||
		a.Binding.Vendor != b.Binding.Vendor || !a.Binding.ExpiresAt.Equal(b.Binding.ExpiresAt)) {
		return false
	}
	a.Binding, b.Binding = nil, nil
	return reflect.DeepEqual(a, b)
}
