package config

import (
	"fmt"
	"strings"
	"testing"
)

const socialYAML = `social:
  providers:
    - name: google
      kind: google
      client_id: 123.apps.googleusercontent.com
      client_secret: google-secret-value
    - name: entra
      kind: microsoft
      tenant: organizations
      client_id: 0000-1111
      client_secret: entra-secret-value
    - name: apple
      kind: apple
      client_id: co.ejemplo.web
      team_id: TEAM123456
      key_id: KEY1234567
      private_key_file: /etc/cerrojo/AuthKey_KEY1234567.p8
    - name: facebook
      kind: facebook
      client_id: "1234567890"
      client_secret: fb-secret-value
    - name: keycloak
      kind: oidc
      issuer: https://sso.ejemplo.co/realms/tienda
      client_id: cerrojo
      client_secret: kc-secret-value
      scopes: openid email
`

func TestSocialProvidersLoad(t *testing.T) {
	cfg, src, err := Load(writeFile(t, socialYAML), envOf(nil))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	ps := cfg.Social.Providers
	if len(ps) != 5 || ps[1].Tenant != "organizations" || ps[2].TeamID != "TEAM123456" ||
		ps[4].Issuer != "https://sso.ejemplo.co/realms/tienda" ||
		ps[0].ClientSecret.Reveal() != "google-secret-value" {
		t.Fatalf("providers: %+v", ps)
	}
	if !strings.Contains(src.Keys["social.providers[4].issuer"], "line") {
		t.Errorf("sources: %v", src.Keys)
	}
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"google-secret-value", "fb-secret-value", "kc-secret-value"} {
		if strings.Contains(string(out), secret) || strings.Contains(fmt.Sprintf("%v %+v %#v",
			cfg, cfg, cfg), secret) {
			t.Errorf("%s printed", secret)
		}
	}

	// The environment holds the list as JSON and replaces the file's.
	env := `[{"name":"gh","kind":"oidc","issuer":"https://token.actions.githubusercontent.com",` +
		`"client_id":"c","client_secret":"env-secret-value"}]`
	cfg, _, err = Load(writeFile(t, socialYAML), envOf(map[string]string{
		"CERROJO_SOCIAL_PROVIDERS": env}))
	if err != nil || len(cfg.Social.Providers) != 1 || cfg.Social.Providers[0].Name != "gh" {
		t.Fatalf("from the environment: %v %+v", err, cfg.Social.Providers)
	}
	_, _, err = Load("", envOf(map[string]string{"CERROJO_SOCIAL_PROVIDERS": `[{"name":` +
		`"x","client_secret":"leak-me"`}))
	if err == nil || strings.Contains(err.Error(), "leak-me") ||
		!strings.Contains(err.Error(), "CERROJO_SOCIAL_PROVIDERS") {
		t.Errorf("bad JSON in the environment: %v", err)
	}
}

func TestSocialProvidersValidation(t *testing.T) {
	const cs = "client_id: c, client_secret: s"
	for _, tc := range []struct{ name, item, want string }{
		{"unknown kind", "{name: x, kind: myspace, " + cs + "}", "social.providers[0].kind"},
		{"bad name", "{name: Google!, kind: google, " + cs + "}", "social.providers[0].name"},
		{"oidc without issuer", "{name: x, kind: oidc, " + cs + "}",
			"social.providers[0].issuer"},
		{"plain http issuer", "{name: x, kind: oidc, issuer: http://sso.example, " + cs + "}",
			"must use https"},
		{"no client id", "{name: x, kind: google, client_secret: s}",
			"social.providers[0].client_id"},
		{"no secret", "{name: x, kind: google, client_id: c}",
			"social.providers[0].client_secret"},
		{"apple without key", "{name: a, kind: apple, client_id: c}",
			"social.providers[0].private_key_file"},
		{"apple with a secret", "{name: a, kind: apple, team_id: TEAM123456, " +
			"key_id: KEY1234567, private_key_file: k.p8, " + cs + "}",
			"social.providers[0].client_secret"},
		{"facebook with issuer", "{name: f, kind: facebook, issuer: https://x.co, " + cs + "}",
			"social.providers[0].issuer"},
		{"tenant for google", "{name: g, kind: google, tenant: common, " + cs + "}",
			"social.providers[0].tenant"},
		{"endpoints for oidc", "{name: g, kind: google, token_url: https://x.co/t, " + cs + "}",
			"social.providers[0].token_url"},
		{"unknown key", "{name: g, kind: google, colour: blue, " + cs + "}",
			`unknown key "social.providers[0].colour"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(writeFile(t, "social:\n  providers:\n    - "+tc.item+"\n"),
				envOf(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
	dup := "social:\n  providers:\n" +
		"    - {name: g, kind: google, client_id: c, client_secret: s}\n" +
		"    - {name: g, kind: google, client_id: d, client_secret: t}\n"
	if _, _, err := Load(writeFile(t, dup), envOf(nil)); err == nil ||
		!strings.Contains(err.Error(), "social.providers[1].name") ||
		!strings.Contains(err.Error(), "already the name") {
		t.Errorf("duplicate names: %v", err)
	}
	if _, _, err := Load(writeFile(t, "social:\n  providers: google\n"), envOf(nil)); err == nil ||
		!strings.Contains(err.Error(), "must be a list") {
		t.Errorf("a scalar list: %v", err)
	}
}
