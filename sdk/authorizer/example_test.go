package authorizer_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/cerrojo/cerrojo/sdk"
	"github.com/cerrojo/cerrojo/sdk/authorizer"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

// products stands in for a service's own store.
var products = map[string]*authz.Resource{}

// A service decides locally, refreshes the policy in the background, and
// logs denials with their reason, which clients never see.
func Example() {
	ctx := context.Background()
	keys, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{
		URL: "https://auth.example.co/.well-known/jwks.json"})
	if err != nil {
		return
	}
	v, err := sdk.NewVerifier(sdk.Config{Issuer: "https://auth.example.co",
		Audiences: []string{"catalogue-api"}, Keys: keys})
	if err != nil {
		return
	}
	az, err := authorizer.NewLocal(authorizer.LocalConfig{
		BaseURL:      "https://auth.example.co",
		ClientID:     "catalogue-api",
		ClientSecret: os.Getenv("CERROJO_CLIENT_SECRET"),
	})
	if err != nil {
		return
	}
	go az.Run(ctx)

	loadProduct := func(r *http.Request) (*authz.Resource, error) {
		p, ok := products[r.PathValue("id")]
		if !ok {
			return nil, authorizer.ErrNotFound
		}
		return p, nil
	}
	logDenials := authorizer.OnDecision(func(r *http.Request, d authz.Decision, err error) {
		if err == nil && !d.Allowed {
			slog.InfoContext(r.Context(), "permission denied", "reason", d.Reason)
		}
	})
	updateProduct := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := authorizer.DecisionFrom(r.Context())
		slog.InfoContext(r.Context(), "product updated", "rule", d.Rule)
	})

	http.Handle("PUT /products/{id}", sdk.Middleware(v)(
		authorizer.Require(az, "product:update", loadProduct, logDenials)(updateProduct)))
}
