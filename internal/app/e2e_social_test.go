package app

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/social"
	"github.com/cerrojo/cerrojo/internal/social/socialtest"
)

// socialNode starts a node (with SMTP, as mfaNode) whose social login
// knows the local OpenID provider p as "ejemplo".
func socialNode(t *testing.T, dialect string, p *socialtest.Provider) *node {
	t.Helper()
	n, _ := mfaNode(t, dialect, func(c *config.Config) {
		c.Social.Providers = []config.SocialProvider{{Name: "ejemplo",
			Kind: config.SocialOIDC, Issuer: p.Issuer, ClientID: "cerrojo-e2e",
			ClientSecret: "e2e-secret"}}
	})
	return n
}

// socialSignIn runs a browser through the flow and returns the result
// handle. The provider redirects to public_url, which in tests is not the
// node's port: the browser is pointed at the node instead.
func socialSignIn(t *testing.T, n *node, b *socialtest.Browser) string {
	t.Helper()
	s, err := b.Do("GET", n.url+"/v1/auth/social/ejemplo/start?return_to=/ui/login", nil)
	if err != nil || s.Status != http.StatusFound {
		t.Fatalf("start: %v %d %s", err, s.Status, s.Body)
	}
	a, err := b.Do("GET", s.Location, nil)
	if err != nil || a.Status != http.StatusFound {
		t.Fatalf("authorize: %v %d %s", err, a.Status, a.Body)
	}
	cb := strings.Replace(a.Location, n.app.Config.PublicURL, n.url, 1)
	c, err := b.Do("GET", cb, nil)
	if err != nil || c.Status != http.StatusSeeOther {
		t.Fatalf("callback: %v %d %q %s", err, c.Status, c.Location, c.Body)
	}
	h := socialtest.Fragment(c.Location, "social_result")
	if h == "" || !strings.HasPrefix(c.Location, "/ui/login#") {
		t.Fatalf("callback sent the browser to %q", c.Location)
	}
	return h
}

// TestSocialSignInKeepsMFA follows a person with a password and an
// authenticator app who signs in with a social identity: the first time
// the answer is a link token, not a session; linking needs a recent
// authentication; once linked, the social sign-in yields an MFA challenge
// like the password does, and the factor completes it with amr fed+otp.
func TestSocialSignInKeepsMFA(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		p := socialtest.NewProvider(t, socialtest.Options{ClientID: "cerrojo-e2e",
			ClientSecret: "e2e-secret"})
		n := socialNode(t, dialect, p)
		api := apiClient{t: t, base: n.url}
		const email = "ana.federada@ejemplo.co"
		person := signUp(t, api, email, "customer")
		t0 := time.Now()
		secret, recovery, token := enrollTOTP(t, api, person.token, t0)

		prov := api.do("GET", "/v1/auth/social/providers", "", "").want(t, 200, "providers")
		if !strings.Contains(prov.raw, `"name":"ejemplo"`) ||
			!strings.Contains(prov.raw, `"kind":"oidc"`) {
			t.Errorf("providers: %s", prov.raw)
		}

		// 1. Same email at the provider: no session, a link token.
		p.SetUser(socialtest.User{Subject: "fed-1", Email: email,
			EmailVerified: socialtest.Bool(true), Name: "Ana"})
		b := socialtest.NewBrowser(n.url)
		r := api.do("POST", "/v1/auth/social/result",
			`{"handle":"`+socialSignIn(t, n, b)+`"}`, "").want(t, 200, "result")
		link := r.str("link_token")
		if r.body["link_required"] != true || link == "" || r.str("access_token") != "" ||
			r.str("mfa_token") != "" {
			t.Fatalf("existing email: %s", r.raw)
		}

		// 2. Linking needs a recent authentication.
		ageSession(t, n, token, time.Hour)
		body := `{"link_token":"` + link + `"}`
		if r := api.do("POST", "/v1/me/identities", body, token); r.status != 401 ||
			r.str("code") != "step_up_required" {
			t.Fatalf("link with an old authentication: %d %s", r.status, r.raw)
		}
		up := api.do("POST", "/v1/auth/step-up", `{"method":"totp","code":"`+
			codeAt(t, secret, t0.Add(30*time.Second))+`"}`, token).want(t, 200, "step up")
		token = up.str("access_token")
		id := api.do("POST", "/v1/me/identities", body, token).want(t, 201, "link").str("id")
		list := api.do("GET", "/v1/me/identities", "", token).want(t, 200, "list")
		if !strings.Contains(list.raw, id) || !strings.Contains(list.raw, `"provider":"ejemplo"`) {
			t.Errorf("identities: %s", list.raw)
		}
		// The person's Habeas Data export holds the identity, with the
		// provider's subject that the list above leaves out.
		exp := api.do("GET", "/v1/me/habeas-data/export", "", token).want(t, 200, "export")
		if !strings.Contains(exp.raw, `"social_identities":[{`) ||
			!strings.Contains(exp.raw, `"subject":"fed-1"`) {
			t.Errorf("the export lacks the social identity: %.400s", exp.raw)
		}

		// 3. Social sign-in of a person with a factor: a challenge, not a
		// session.
		r = api.do("POST", "/v1/auth/social/result", `{"handle":"`+socialSignIn(t, n, b)+`"}`,
			"").want(t, 200, "social sign-in")
		if r.body["mfa_required"] != true || r.str("access_token") != "" ||
			!strings.HasPrefix(r.str("mfa_token"), "crj_mfa_") {
			t.Fatalf("social sign-in with TOTP enrolled: %s", r.raw)
		}
		s := api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+r.str("mfa_token")+
			`","method":"recovery_code","code":"`+recovery[0]+`"}`, "").want(t, 200, "verify")
		acr, amr := amrOf(t, s.str("access_token"))
		if acr != "mfa" || !slices.Equal(amr, []string{"fed", "otp"}) {
			t.Errorf("session after social + factor: acr %q amr %v", acr, amr)
		}

		// 4. Unlinking: allowed, the password remains.
		api.do("DELETE", "/v1/me/identities/"+id, "", token).want(t, 204, "unlink")

		// 5. The binding cookie authenticates nothing, and the result route
		// takes no cookie.
		c := b.Cookies[social.CookieName]
		if c == nil || !c.HttpOnly || c.Path != "/v1/auth/social" {
			t.Fatalf("binding cookie: %+v", c)
		}
		cookie := social.CookieName + "=" + c.Value
		for _, tc := range []struct{ method, path, body string }{
			{"GET", "/v1/me", ""}, {"GET", "/v1/me/identities", ""},
			{"POST", "/v1/me/identities", body}, {"DELETE", "/v1/me/identities/" + id, ""},
		} {
			if r := api.do(tc.method, tc.path, tc.body, "", "Cookie", cookie); r.status != 401 {
				t.Errorf("%s %s with the binding cookie: %d", tc.method, tc.path, r.status)
			}
		}
		if r := api.do("POST", "/v1/auth/social/result", `{"handle":""}`, "", "Cookie",
			cookie); r.status != 400 {
			t.Errorf("result with only the cookie: %d %s", r.status, r.raw)
		}
		if logs := n.logs.String(); strings.Contains(logs, "e2e-secret") ||
			strings.Contains(logs, link) {
			t.Errorf("the log holds the client secret or a link token")
		}
	})
}
