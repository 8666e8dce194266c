package app

import (
	"net/http"
	"slices"
	"strings"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/sdk"
)

// CodeNotOperator is the problem code of a valid sign-in that holds no
// operator role.
const CodeNotOperator = "not_an_operator"

// CodeOperatorMFA is the problem code of an operator whose session was
// opened without a second factor where policy requires one.
const CodeOperatorMFA = "operator_mfa_required"

// requireOperator guards the admin API (/v1/admin/): a request needs the
// access token of an active session (signed in on the public listener)
// whose person holds the admin or super_admin role now, read from the
// bindings rather than the token. Where the sign-in MFA policy covers that
// role (super_admin always; admin under mfa.required_roles, which the
// pci-dss profile sets), the session must have been opened with a second
// factor (PCI DSS v4.0.1 8.4.1: MFA for all non-console administrative
// access). The operator is put in the request's context for the audit log
// (audit.Operator).
//
// /healthz, /readyz and /metrics stay open on the admin listener: probes
// and scrapers carry no sign-in.
func (a *App) requireOperator(next http.Handler) http.Handler {
	session := a.Sessions.RequireSession(a.Tokens.Verifier())
	needMFA := a.mfaRoles()
	guarded := session(httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		claims, _ := sdk.ClaimsFrom(r.Context())
		roles, err := a.Authz.Roles(r.Context(), claims.Subject)
		if err != nil {
			return err
		}
		held := slices.DeleteFunc(slices.Clone(roles), func(role string) bool {
			return !slices.Contains(authz.OperatorRoles, role)
		})
		if len(held) == 0 {
			return httpx.NewProblem(http.StatusForbidden, CodeNotOperator,
				"the admin API is for people who hold the admin or super_admin role")
		}
		if slices.ContainsFunc(held, needMFA) && claims.ACR != "mfa" {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_user_authentication", `+
				`error_description="sign in with a second factor", acr_values="mfa"`)
			return httpx.NewProblem(http.StatusUnauthorized, CodeOperatorMFA,
				"the admin API needs a session opened with a second factor")
		}
		ctx := audit.WithOperator(r.Context(), claims.Subject)
		next.ServeHTTP(w, r.WithContext(ctx))
		return nil
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/admin/") {
			next.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// mfaRoles says whether the MFA policy that sign-in applies (mfa.required,
// or requiredRoles, which always covers super_admin) covers a role.
func (a *App) mfaRoles() func(role string) bool {
	all, required := a.Config.MFA.Required, requiredRoles(a.Config)
	return func(role string) bool { return all || slices.Contains(required, role) }
}
