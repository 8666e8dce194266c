package app

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/mail/mailtest"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/sdk"
)

// TestSDKRefusesTokensOfEndedSessions plays a marketplace service that
// trusts cerrojo through the public sdk package only, on both databases:
// it verifies a signed-in person's access token against the node's JWKS
// and revocation list, and refuses it once the session has ended, whether
// it refreshes the list by hand or lets Run poll; introspection agrees.
func TestSDKRefusesTokensOfEndedSessions(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			cfg := embeddedConfig(t)
			if dialect == "postgres" {
				cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
				key, _ := keyring.NewMasterKey()
				cfg.MasterKey.Value = config.Secret(key)
			}
			// The verification email needs somewhere to go; the test
			// does not read it, since login works for unverified accounts.
			withSMTP(&cfg, mailtest.Start(t))
			// The interval the list tells pollers to use, so that the
			// polling half of the test is quick.
			cfg.Sessions.RevocationPoll = config.Duration(time.Second)
			n := start(t, cfg)
			sdkJourney(t, n, cfg)
		})
	}
}

func sdkJourney(t *testing.T, n *node, cfg config.Config) {
	api := apiClient{t: t, base: n.url}
	const email = "tienda.sdk@ejemplo.co"
	const pw = "naranjas y limones del valle 7"
	register(t, api, email, pw)
	login := func(what string) (access, sid string) {
		t.Helper()
		r := api.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"`+pw+`"}`, "").
			want(t, 200, what)
		return r.str("access_token"), r.str("session_id")
	}
	accessA, sidA := login("login on device A")
	accessB, _ := login("login on device B")

	// 1. The service's verifier, built as a service outside cerrojo would.
	ctx := context.Background()
	keys, err := sdk.NewRemoteKeySet(sdk.RemoteKeySetConfig{URL: n.url + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	newVerifier := func(revs sdk.Revocations) *sdk.Verifier {
		t.Helper()
		v, err := sdk.NewVerifier(sdk.Config{Issuer: cfg.IssuerURL(),
			Audiences: []string{cfg.Tokens.Audience}, Keys: keys, Revocations: revs})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	revs, err := sdk.NewRemoteRevocations(sdk.RemoteRevocationsConfig{
		URL: n.url + "/v1/sessions/revocations"})
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(revs)

	// 2. Before the list is fetched the verifier fails closed; after, the
	// token verifies and names its session.
	if _, err := v.Verify(ctx, accessA); !errors.Is(err, sdk.ErrRevocationUnavailable) {
		t.Fatalf("verify before any list: got %v, want ErrRevocationUnavailable", err)
	}
	if err := revs.Refresh(ctx); err != nil {
		t.Fatalf("refresh the revocation list: %v", err)
	}
	claims, err := v.Verify(ctx, accessA)
	if err != nil {
		t.Fatalf("verify a live token: %v", err)
	}
	if claims.SessionID != sidA {
		t.Fatalf("token names session %q, want %q", claims.SessionID, sidA)
	}

	// 3. Sign out on device A. The service hears of it at its next poll,
	// here an explicit one; device B's session stands.
	api.do("POST", "/v1/auth/logout", "", accessA).want(t, 204, "logout on device A")
	if err := revs.Refresh(ctx); err != nil {
		t.Fatalf("refresh after logout: %v", err)
	}
	if _, err := v.Verify(ctx, accessA); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("verify after logout: got %v, want ErrRevoked", err)
	}
	if _, err := v.Verify(ctx, accessB); err != nil {
		t.Fatalf("verify the other session's token: %v", err)
	}

	// 4. Introspection, asked by a resource server with its own
	// credentials, agrees.
	rs, secret, err := n.app.Clients.Create(ctx, clients.NewClient{Name: "orders-service",
		Type: clients.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	introspect := func(tok string) any {
		t.Helper()
		return api.form("/oauth2/introspect", url.Values{"token": {tok}}, rs.ID, secret).
			want(t, 200, "introspect").body["active"]
	}
	if got := introspect(accessA); got != false {
		t.Errorf("introspection of the ended session's token: active %v, want false", got)
	}
	if got := introspect(accessB); got != true {
		t.Errorf("introspection of the live session's token: active %v, want true", got)
	}

	// 5. A second service lets Run poll at the interval the node
	// announces. MaxStale is generous so that a slow machine cannot make
	// the list stale mid-test: this part is about hearing of the logout.
	polled, err := sdk.NewRemoteRevocations(sdk.RemoteRevocationsConfig{
		URL: n.url + "/v1/sessions/revocations", MaxStale: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		polled.Run(runCtx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	v2 := newVerifier(polled)
	eventually(t, "the polling verifier to accept device B's token", func() bool {
		_, err := v2.Verify(ctx, accessB)
		return err == nil
	})
	if _, err := v2.Verify(ctx, accessA); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("polling verifier on the ended session: got %v, want ErrRevoked", err)
	}
	api.do("POST", "/v1/auth/logout", "", accessB).want(t, 204, "logout on device B")
	eventually(t, "the polling verifier to refuse device B's token", func() bool {
		_, err := v2.Verify(ctx, accessB)
		return errors.Is(err, sdk.ErrRevoked)
	})
}

// eventually polls cond until it holds, failing after a deadline generous
// enough for a loaded machine: it waits for an outcome, not a duration.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
