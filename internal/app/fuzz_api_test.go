package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// FuzzPublicAPI sends arbitrary JSON bodies to every public route that
// takes one, signed in as a person, through the whole handler: nothing a
// client sends may make the server fail (5xx) or answer without a status.
// Routes behind a session get the person's token; path parameters get a
// fixed value, so handlers run past routing into decoding and validation.
func FuzzPublicAPI(f *testing.F) {
	n := start(f, embeddedConfig(f))
	routes := mutatingRoutes(n.app.Server.Router())
	for i := range routes {
		f.Add(uint8(i), `{}`)
		f.Add(uint8(i), `{"email":"a@b.co","password":"x","code":"123456","name":"n"}`)
	}
	f.Add(uint8(0), `{"mfa_token":"crj_mfa_x","method":"passkey","credential":{"id":1}}`)
	f.Add(uint8(0), `[`)

	handler := n.app.Server.Handler()
	token := fuzzToken(f, n, "")
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		route := routes[int(which)%len(routes)]
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{id}", "x1", "{role}", "admin", "{vendor}", "ven_1",
			"{year}", "2026", "{purpose}", "marketing").Replace(path)
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code >= 500 || w.Code < 200 {
			t.Fatalf("%s with %q: %d %s", route, body, w.Code, w.Body.String())
		}
	})
}

// FuzzAdminAPI does for the admin listener what FuzzPublicAPI does for the
// public one: operators' tools parse untrusted input too (a pasted body, a
// script's mistake), and none of it may make the node fail. Requests carry
// an operator's token, so they get past requireOperator to the handlers.
func FuzzAdminAPI(f *testing.F) {
	n := start(f, embeddedConfig(f))
	routes := mutatingRoutes(n.app.Admin.Router())
	for i := range routes {
		f.Add(uint8(i), `{}`)
		f.Add(uint8(i), `{"version":"1","text":"t","purposes":[{"code":"a","description":"d"}],`+
			`"subject_id":"x1","type":"access","description":"d","reason":"r","title":"t"}`)
	}
	f.Add(uint8(0), `{"detected_at":"9999-99-99T00:00:00Z"}`)
	f.Add(uint8(0), `[`)

	handler := n.app.Admin.Handler()
	token := fuzzToken(f, n, "admin")
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		route := routes[int(which)%len(routes)]
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{id}", "x1", "{role}", "admin", "{vendor}", "ven_1",
			"{kid}", "k1").Replace(path)
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code >= 500 || w.Code < 200 {
			t.Fatalf("%s with %q: %d %s", route, body, w.Code, w.Body.String())
		}
		if b := w.Body.String(); strings.Contains(b, `"invalid_token"`) ||
			strings.Contains(b, CodeNotOperator) {
			t.Fatalf("%s refused the operator, so the handler was not fuzzed: %s", route, b)
		}
	})
}

// mutatingRoutes are the router's routes that take a body, sorted, so that
// a fuzz input's route number always names the same route.
func mutatingRoutes(rt *httpx.Router) []string {
	var routes []string
	for _, p := range rt.Patterns() {
		method, _, _ := strings.Cut(p, " ")
		if method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE" {
			routes = append(routes, p)
		}
	}
	sort.Strings(routes)
	return routes
}

// fuzzToken signs a person up on n, grants them role (none when empty),
// signs them in and returns the access token.
func fuzzToken(f *testing.F, n *node, role string) string {
	f.Helper()
	h := n.app.Server.Handler()
	do := func(path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	email := "fuzz" + role + "@ejemplo.co"
	w := do("/v1/accounts", `{"email":"`+email+`","password":"`+journeyPassword+
		`","name":"Fuzz","kind":"vendor"}`)
	if w.Code != http.StatusAccepted {
		f.Fatalf("register: %d %s", w.Code, w.Body)
	}
	if role != "" {
		u, err := n.app.Accounts.Store.UserByEmail(context.Background(), email)
		if err != nil {
			f.Fatal(err)
		}
		if _, _, err := n.app.Authz.Grant(context.Background(), authz.Actor{System: "test"},
			authz.GrantInput{UserID: u.ID, Role: role}, authz.Meta{}); err != nil {
			f.Fatal(err)
		}
	}
	w = do("/v1/auth/login", `{"email":"`+email+`","password":"`+journeyPassword+`"}`)
	_, rest, _ := strings.Cut(w.Body.String(), `"access_token":"`)
	token, _, _ := strings.Cut(rest, `"`)
	if token == "" {
		f.Fatalf("login: %d %s", w.Code, w.Body)
	}
	return token
}
