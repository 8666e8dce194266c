package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/internal/testutil"
)

// TestDatabaseOutage cuts PostgreSQL off (a TCP proxy in front of it is
// closed, connections included) while sign-ups arrive, then brings it back.
// While it is down, requests fail cleanly: a problem document, 5xx, no
// hang, and /readyz says so. After, they succeed again without a restart,
// and every sign-up that was acknowledged is in the database.
func TestDatabaseOutage(t *testing.T) {
	u, err := url.Parse(storagetest.PostgresSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	px := testutil.StartProxy(t, u.Host)
	u.Host = px.Addr()
	cfg := embeddedConfig(t)
	cfg.Database.URL = config.CredentialURL(u.String())
	key, _ := keyring.NewMasterKey()
	cfg.MasterKey.Value = config.Secret(key)
	n := start(t, cfg)
	client := &http.Client{Timeout: 20 * time.Second}

	var mu sync.Mutex
	var acked []string
	var failures []string
	signUp := func(i int) int {
		email := "caida" + strconv.Itoa(i) + "@ejemplo.co"
		body := `{"email":"` + email + `","password":"` + journeyPassword +
			`","name":"Caida","kind":"customer"}`
		resp, err := client.Post(n.url+"/v1/accounts", "application/json",
			strings.NewReader(body))
		if err != nil {
			t.Errorf("sign-up %d: no answer: %v", i, err)
			return 0
		}
		resp.Body.Close()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case resp.StatusCode == http.StatusAccepted:
			acked = append(acked, email)
		case resp.StatusCode >= 500 &&
			resp.Header.Get("Content-Type") == "application/problem+json":
			failures = append(failures, email)
		default:
			t.Errorf("sign-up %d: %d %s", i, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return resp.StatusCode
	}

	i := 0
	for ; i < 5; i++ {
		if signUp(i) != http.StatusAccepted {
			t.Fatalf("sign-up %d before the outage failed", i)
		}
	}
	px.Stop()
	// Down: a few sign-ups and a readiness probe.
	for end := i + 5; i < end; i++ {
		signUp(i)
	}
	if code, _ := get(t, n.url+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is down: %d", code)
	}
	px.Restart(t)
	// Back: the pool redials on its own.
	deadline := time.Now().Add(15 * time.Second)
	for signUp(i) != http.StatusAccepted {
		i++
		if time.Now().After(deadline) {
			t.Fatal("sign-ups still fail after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(failures) == 0 {
		t.Error("no request failed while the database was down: the proxy did not cut it")
	}
	for _, email := range acked {
		var n2 int
		err := n.app.DB.QueryRowContext(context.Background(), n.app.DB.Rebind(
			`SELECT COUNT(*) FROM users WHERE email = ?`), email).Scan(&n2)
		if err != nil || n2 != 1 {
			t.Errorf("acknowledged sign-up %s: %d rows, %v", email, n2, err)
		}
	}
}
