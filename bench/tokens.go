package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/clients"
)

// introspectScenario signs the bench account in, to get an access token
// (Ed25519 by default), and returns the scenario in which a confidential
// client introspects it (RFC 7662): client authentication, the token's
// signature and claims, and the session's revocation state. Its baseline
// is one bare Ed25519 verification per request.
func introspectScenario(ctx context.Context, a *app.App, base string) (scenario, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/auth/login",
		strings.NewReader(`{"email":"bench.login@ejemplo.co","password":"`+benchPassword+`"}`))
	if err != nil {
		return scenario{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return scenario{}, err
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	_ = resp.Body.Close() // the decode error, if any, is the one that matters
	if err != nil || out.AccessToken == "" {
		return scenario{}, fmt.Errorf("sign in for introspection: %d %v", resp.StatusCode, err)
	}
	c, secret, err := a.Clients.Create(ctx, clients.NewClient{Name: "bench-introspect",
		Type: clients.Confidential})
	if err != nil {
		return scenario{}, err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID) + ":" +
		url.QueryEscape(secret)))
	return scenario{name: "introspect", method: "POST", path: "/oauth2/introspect",
		body: "token=" + url.QueryEscape(out.AccessToken), auth: "Basic " + basic,
		contentType: "application/x-www-form-urlencoded", basePath: "/ed25519"}, nil
}

// The baseline of token verification: one Ed25519 signature check of a
// message as long as an access token's signing input.
var (
	benchPub, benchPriv = mustEd25519()
	benchMessage        = []byte(strings.Repeat("a", 600))
	benchSignature      = ed25519.Sign(benchPriv, benchMessage)
)

func mustEd25519() (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := make([]byte, ed25519.SeedSize) // a fixed key: only the cost is measured
	priv := ed25519.NewKeyFromSeed(seed)
	return priv.Public().(ed25519.PublicKey), priv
}

func bareEd25519() {
	if !ed25519.Verify(benchPub, benchMessage, benchSignature) {
		panic("bench: the baseline signature does not verify")
	}
}
