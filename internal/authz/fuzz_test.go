package authz

import (
	"errors"
	"net/http"
	"testing"

	"github.com/cerrojo/cerrojo/internal/httpx"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

// FuzzCheckRequest feeds arbitrary bodies through the check API's parsing:
// strict JSON decoding, then the action, resource type and attributes
// against the default policy. Whatever the input, the answer is either a
// question the engine can decide without error or a 400 problem.
func FuzzCheckRequest(f *testing.F) {
	for _, s := range []string{
		`{"subject":{"id":"usr_1"},"action":"update","resource":{"type":"product","id":"p1",` +
			`"attributes":{"vendor":"v1","status":"published","price":120000}}}`,
		`{"subject":{"id":"usr_1"},"action":"read",` +
			`"resource":{"type":"order","attributes":{"total":1.5}}}`,
		`{"subject":{"access_token":"x"},"action":"product:read","resource":{"type":"product"}}`,
		`{"action":"read","resource":{"type":"spaceship","attributes":null}}`,
		`{"action":"read","resource":{"type":"product","attributes":[1]}}`,
		`{"action":"request",` +
			`"resource":{"type":"payout","attributes":{"amount":9007199254740993}}}`,
	} {
		f.Add([]byte(s))
	}
	h := &Handlers{Service: &Service{policy: policy.Default()}}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req checkRequest
		if err := httpx.DecodeJSONBytes(body, &req); err != nil {
			return
		}
		q, err := h.question(req.Action, req.Resource, "")
		if err != nil {
			var p *httpx.Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest || len(p.Errors) == 0 {
				t.Fatalf("mistake answered with %v, want a 400 problem naming a field", err)
			}
			return
		}
		sub := &policy.Subject{ID: "usr_1", Bindings: []policy.Binding{{Role: "admin"}}}
		if _, err := h.Service.policy.Check(sub, q.Permission, q.Resource,
			&policy.Context{Time: t0}); err != nil {
			t.Fatalf("accepted question %q failed in the engine: %v", q.Permission, err)
		}
	})
}
