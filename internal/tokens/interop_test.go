package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/sdk"
)

// TestThirdPartyLibrariesAcceptOurTokens serves a node's JWKS over HTTP
// and has two independent libraries verify its tokens with their own JWKS
// handling: coreos/go-oidc (what relying parties in Go use) and
// golang-jwt/jwt (the most used JWT library), for each algorithm.
func TestThirdPartyLibrariesAcceptOurTokens(t *testing.T) {
	for _, alg := range []string{sdk.EdDSA, sdk.ES256, sdk.RS256} {
		t.Run(alg, func(t *testing.T) {
			cfg := testConfig()
			cfg.Algorithm = alg
			n := newNode(t, storagetest.SQLite(t), cfg, time.Now().Truncate(time.Second))
			jwksURL := serveNode(t, n)
			tok := n.mint(t, "user-42")

			t.Run("go-oidc", func(t *testing.T) {
				keys := oidc.NewRemoteKeySet(context.Background(), jwksURL)
				// go-oidc verifies ID tokens; an access token has the
				// claims it checks (iss, aud, exp), and go-oidc ignores
				// typ. The client id check stands for the audience check.
				v := oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{ClientID: cfg.Audience,
					SupportedSigningAlgs: []string{alg}, Now: n.clock.Now})
				idt, err := v.Verify(context.Background(), tok)
				if err != nil {
					t.Fatal(err)
				}
				if idt.Subject != "user-42" || idt.Issuer != cfg.Issuer {
					t.Fatalf("got %+v", idt)
				}

				// And a wrong audience is refused there too.
				other := oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{ClientID: "other-api",
					SupportedSigningAlgs: []string{alg}, Now: n.clock.Now})
				if _, err := other.Verify(context.Background(), tok); err == nil {
					t.Fatal("go-oidc accepted a token for another audience")
				}
			})

			t.Run("golang-jwt", func(t *testing.T) {
				set := fetchJWKS(t, jwksURL)
				keyfunc := func(tk *jwt.Token) (any, error) {
					kid, _ := tk.Header["kid"].(string)
					for _, k := range set.Key(kid) {
						if k.Algorithm == tk.Method.Alg() {
							return k.Key, nil
						}
					}
					return nil, fmt.Errorf("no key %q for %s", kid, tk.Method.Alg())
				}
				var claims jwt.RegisteredClaims
				parsed, err := jwt.ParseWithClaims(tok, &claims, keyfunc,
					jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(cfg.Issuer),
					jwt.WithAudience(cfg.Audience), jwt.WithExpirationRequired(),
					jwt.WithIssuedAt(), jwt.WithTimeFunc(n.clock.Now))
				if err != nil {
					t.Fatal(err)
				}
				if !parsed.Valid || claims.Subject != "user-42" || parsed.Header["typ"] != "at+jwt" {
					t.Fatalf("got %+v", parsed)
				}

				// The library refuses an algorithm outside its allow-list
				// for our token, as a sanity check of the setup.
				_, err = jwt.ParseWithClaims(tok, &jwt.RegisteredClaims{}, keyfunc,
					jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(n.clock.Now))
				if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
					t.Fatalf("got %v, want the method refused", err)
				}
			})
		})
	}
}

func serveNode(t *testing.T, n *node) string {
	t.Helper()
	r := httpx.NewRouter()
	n.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + "/.well-known/jwks.json"
}

func fetchJWKS(t *testing.T, url string) jose.JSONWebKeySet {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}
