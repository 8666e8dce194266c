package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/config"
)

// TestAdminListenerRequiresOperator: every /v1/admin/ route needs the
// access token of an active session whose person holds admin or
// super_admin now; the probes stay open; what an operator changes is
// recorded as theirs in the audit log.
func TestAdminListenerRequiresOperator(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, _ := mfaNode(t, dialect, nil)
		api := apiClient{t: t, base: n.url}
		srv := httptest.NewServer(n.app.Admin.Handler())
		t.Cleanup(srv.Close)
		admin := apiClient{t: t, base: srv.URL}

		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			admin.do("GET", path, "", "").want(t, 200, path+" without a sign-in")
		}
		r := admin.do("GET", "/v1/admin/clients", "", "").want(t, 401, "no token")
		if r.str("code") != "missing_token" ||
			!strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("no token: %s %v", r.raw, r.header)
		}
		admin.do("GET", "/v1/admin/clients", "", "not-a-token").want(t, 401, "a forged token")

		customer := signUp(t, api, "cliente.admin@ejemplo.co", "customer")
		r = admin.do("GET", "/v1/admin/clients", "", customer.token).want(t, 403, "a customer")
		if r.str("code") != CodeNotOperator {
			t.Errorf("a customer: %s", r.raw)
		}

		op := operatorToken(t, n, "admin")
		admin.do("GET", "/v1/admin/clients", "", op).want(t, 200, "an operator")
		admin.do("POST", "/v1/admin/users/"+customer.id+"/disable", "", op).
			want(t, 200, "an operator disables an account")
		var actorType, actorID string
		if err := n.app.DB.QueryRowContext(context.Background(), n.app.DB.Rebind(
			`SELECT actor_type, actor_id FROM audit_records WHERE action = ?
			AND target_id = ?`), "account.disable", customer.id).
			Scan(&actorType, &actorID); err != nil {
			t.Fatal(err)
		}
		if opID := claimsOf(t, op)["sub"]; actorType != "person" || actorID != opID {
			t.Errorf("the disable was recorded as %s %s, want the operator %v", actorType,
				actorID, opID)
		}

		// An admin manages neither operator role; a super admin's
		// password-only session is refused (super admins always need a
		// second factor).
		sa := signUp(t, api, "raiz.admin@ejemplo.co", "customer")
		grantRole(t, n, sa.id, "super_admin")
		for _, c := range []struct{ method, path, body, what string }{
			{"POST", "/v1/admin/users/" + customer.id + "/bindings", `{"role":"admin"}`,
				"an admin grants admin"},
			{"POST", "/v1/admin/users/" + customer.id + "/bindings", `{"role":"super_admin"}`,
				"an admin grants super_admin"},
			{"DELETE", "/v1/admin/users/" + sa.id + "/bindings/super_admin", "",
				"an admin revokes super_admin"},
		} {
			if r := admin.do(c.method, c.path, c.body, op); r.status != 403 ||
				r.str("code") != "forbidden" {
				t.Errorf("%s: %d %s", c.what, r.status, r.raw)
			}
		}
		if r := admin.do("GET", "/v1/admin/clients", "", sa.token); r.status != 401 ||
			r.str("code") != CodeOperatorMFA {
			t.Errorf("a password-only super admin session: %d %s", r.status, r.raw)
		}

		// The role is read from the bindings at each request, not from the
		// token: once revoked, the same token is refused.
		opID, _ := claimsOf(t, op)["sub"].(string)
		if err := n.app.Authz.Revoke(context.Background(), authz.Actor{System: "test"}, opID,
			"admin", "", authz.Meta{}); err != nil {
			t.Fatal(err)
		}
		admin.do("GET", "/v1/admin/clients", "", op).want(t, 403, "after the role is revoked")
		grantRole(t, n, opID, "admin")
		admin.do("GET", "/v1/admin/clients", "", op).want(t, 200, "the role granted again")

		// An ended session's token is refused.
		api.do("POST", "/v1/auth/logout", "", op).want(t, 204, "operator signs out")
		admin.do("GET", "/v1/admin/clients", "", op).want(t, 401, "after sign-out")
	})
}

// TestAdminListenerNeedsMFAWherePolicyDoes: when mfa.required_roles covers
// admin (as the pci-dss profile sets it), an admin whose session was opened
// with the password alone is refused with a step-up challenge (PCI DSS
// v4.0.1 8.4.1); a session opened with a second factor is admitted.
func TestAdminListenerNeedsMFAWherePolicyDoes(t *testing.T) {
	n, _ := mfaNode(t, "sqlite", func(c *config.Config) {
		c.MFA.RequiredRoles = "admin,super_admin"
	})
	api := apiClient{t: t, base: n.url}
	srv := httptest.NewServer(n.app.Admin.Handler())
	t.Cleanup(srv.Close)
	admin := apiClient{t: t, base: srv.URL}

	// Signed in before holding the role: a password-only session.
	p := signUp(t, api, "nueva.admin@ejemplo.co", "customer")
	grantRole(t, n, p.id, "admin")
	r := admin.do("GET", "/v1/admin/clients", "", p.token).
		want(t, http.StatusUnauthorized, "a password-only admin session")
	if r.str("code") != CodeOperatorMFA ||
		!strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_user_authentication") {
		t.Errorf("a password-only admin session: %s %v", r.raw, r.header)
	}

	admin.do("GET", "/v1/admin/clients", "", operatorToken(t, n, "admin")).
		want(t, 200, "an admin signed in with a second factor")
}
