package app

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
)

// rateLimitEntry is one configured limit: the ratelimit entry it sets,
// its value, and the key an error about it must name.
type rateLimitEntry struct {
	class      ratelimit.Class
	value, key string
}

func rateLimitEntries(c config.RateLimitConfig) []rateLimitEntry {
	account := ratelimit.KindAccount
	return []rateLimitEntry{
		{ratelimit.ClassLogin, c.Login, "ratelimit.login"},
		{ratelimit.ClassLogin.Per(account), c.LoginAccount, "ratelimit.login_account"},
		{ratelimit.ClassRegistration, c.Registration, "ratelimit.registration"},
		{ratelimit.ClassRecovery, c.Recovery, "ratelimit.recovery"},
		{ratelimit.ClassRecovery.Per(account), c.RecoveryAccount, "ratelimit.recovery_account"},
		{ratelimit.ClassCode, c.Code, "ratelimit.code"},
		{ratelimit.ClassCode.Per(account), c.CodeAccount, "ratelimit.code_account"},
		{ratelimit.ClassToken, c.Token, "ratelimit.token"},
		{ratelimit.ClassCheck, c.Check, "ratelimit.check"},
		{ratelimit.ClassDefault, c.Default, "ratelimit.default"},
	}
}

// openRateLimits builds the rate limiter: on Redis, shared by every node,
// with per-node limits while Redis is unreachable; in process without
// Redis. It returns nil when ratelimit.enabled is off.
func (a *App) openRateLimits(reg prometheus.Registerer) (*ratelimit.Middleware, error) {
	cfg := a.Config.RateLimit
	if !cfg.Enabled {
		a.Logger.Warn("rate limiting is off (ratelimit.enabled): run only behind a gateway " +
			"that limits as strictly")
		return nil, nil
	}
	limits := ratelimit.Limits{}
	for _, e := range rateLimitEntries(cfg) {
		l, err := ratelimit.ParseLimit(e.value)
		if err == nil {
			err = l.Validate()
		}
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", e.key, e.value, err)
		}
		limits[e.class] = l
	}
	metrics := ratelimit.NewMetrics(reg)
	var limiter ratelimit.Limiter = ratelimit.NewMemory(a.Clock)
	if a.Redis != nil {
		limiter = &ratelimit.Fallback{Primary: ratelimit.NewRedis(a.Redis), Secondary: limiter,
			Logger: a.Logger, Metrics: metrics, Clock: a.Clock}
	}
	return ratelimit.New(ratelimit.Options{Limiter: limiter, Limits: limits,
		Metrics: metrics, ClientIP: func(r *http.Request) string {
			return httpx.RemoteIP(r.Context())
		}})
}

// routeClasses puts each public route that needs more than the default
// limit in its class: the routes that hash passwords, send messages,
// check codes, or serve services at volume.
var routeClasses = map[string]ratelimit.Class{
	"POST /v1/auth/login":           ratelimit.ClassLogin,
	"POST /v1/auth/passkey":         ratelimit.ClassLogin,
	"POST /v1/auth/passkey/options": ratelimit.ClassLogin,
	"POST /v1/auth/step-up":         ratelimit.ClassLogin,
	"POST /v1/me/password":          ratelimit.ClassLogin,
	// Social login: a start stores a state, a callback calls the provider,
	// a result may open an account.
	"GET /v1/auth/social/{provider}/start":     ratelimit.ClassLogin,
	"GET /v1/auth/social/{provider}/callback":  ratelimit.ClassLogin,
	"POST /v1/auth/social/{provider}/callback": ratelimit.ClassLogin,
	"POST /v1/auth/social/result":              ratelimit.ClassLogin,

	"POST /v1/accounts": ratelimit.ClassRegistration,

	"POST /v1/accounts/password-reset":            ratelimit.ClassRecovery,
	"POST /v1/accounts/email-verification/resend": ratelimit.ClassRecovery,
	"POST /v1/auth/mfa/send-code":                 ratelimit.ClassRecovery,
	"POST /v1/auth/step-up/send-code":             ratelimit.ClassRecovery,
	"POST /v1/me/email":                           ratelimit.ClassRecovery,
	"POST /v1/me/mfa/sms":                         ratelimit.ClassRecovery,
	"POST /v1/me/mfa/email":                       ratelimit.ClassRecovery,

	"POST /v1/auth/mfa/verify":                  ratelimit.ClassCode,
	"POST /v1/accounts/password-reset/complete": ratelimit.ClassCode,
	"POST /v1/accounts/email-verification":      ratelimit.ClassCode,
	"POST /v1/accounts/email-change/confirm":    ratelimit.ClassCode,
	"POST /v1/me/email/confirm":                 ratelimit.ClassCode,
	"POST /v1/auth/mfa/enroll/totp/activate":    ratelimit.ClassCode,
	"POST /v1/me/mfa/totp/{id}/activate":        ratelimit.ClassCode,
	"POST /v1/me/mfa/codes/{id}/activate":       ratelimit.ClassCode,

	"POST /oauth2/token":      ratelimit.ClassToken,
	"POST /oauth2/introspect": ratelimit.ClassToken,
	"POST /oauth2/revoke":     ratelimit.ClassToken,
	// The hosted pages' posts verify or mint tokens, hash nothing.
	"POST /ui/session":   ratelimit.ClassToken,
	"POST /ui/token":     ratelimit.ClassToken,
	"POST /ui/logout":    ratelimit.ClassToken,
	"POST /ui/authorize": ratelimit.ClassToken,

	"POST /v1/authz/check":                 ratelimit.ClassCheck,
	"POST /v1/authz/check/batch":           ratelimit.ClassCheck,
	"GET /v1/authz/policy":                 ratelimit.ClassCheck,
	"GET /v1/authz/subjects/{id}/bindings": ratelimit.ClassCheck,
	"GET /v1/sessions/revocations":         ratelimit.ClassCheck,
	"GET /.well-known/jwks.json":           ratelimit.ClassCheck,
	// The consent question is asked by services before each use of a
	// person's data, as often as an authorization check.
	"GET /v1/habeas-data/check":     ratelimit.ClassCheck,
	"POST /v1/habeas-data/contacts": ratelimit.ClassCheck,
}

// unlimited routes are probes and scrapes, which must answer however busy
// the node is.
var unlimited = map[string]bool{"GET /healthz": true, "GET /readyz": true,
	"GET /metrics": true}

// limitRoutes returns the server's Limit option: every request is counted
// per client address in its route's class (ClassDefault for the rest,
// unknown paths included) before the route runs.
func limitRoutes(m *ratelimit.Middleware) func(*httpx.Router, http.Handler) http.Handler {
	return func(rt *httpx.Router, next http.Handler) http.Handler {
		wrapped := map[ratelimit.Class]http.Handler{}
		for _, c := range ratelimit.Classes() {
			wrapped[c] = m.Wrap(c)(next)
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pattern := rt.Pattern(r)
			if unlimited[pattern] {
				next.ServeHTTP(w, r)
				return
			}
			class, ok := routeClasses[pattern]
			if !ok {
				class = ratelimit.ClassDefault
			}
			wrapped[class].ServeHTTP(w, r)
		})
	}
}
