package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/redisconn/redistest"
	"github.com/cerrojo/cerrojo/internal/scrub"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/internal/testutil"
)

// node is a running App on a loopback port.
type node struct {
	app  *App
	url  string
	logs *testutil.SyncBuffer
	stop func() error
}

func start(t testing.TB, cfg config.Config) *node {
	t.Helper()
	n, err := tryStart(t, cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return n
}

func tryStart(t testing.TB, cfg config.Config) (*node, error) {
	t.Helper()
	return tryStartOn(t, cfg, nil)
}

// startOwnURL starts a node whose public_url (and so token issuer) is the
// loopback address it listens on, as host names it: what a client that
// discovers the issuer, or a browser, must see.
func startOwnURL(t testing.TB, cfg config.Config, host string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = fmt.Sprintf("http://%s:%d", host, ln.Addr().(*net.TCPAddr).Port)
	n, err := tryStartOn(t, cfg, ln)
	if err != nil {
		ln.Close()
		t.Fatalf("start: %v", err)
	}
	n.url = cfg.PublicURL
	return n
}

// tryStartOn starts a node listening on ln, or on a new loopback port
// when ln is nil.
func tryStartOn(t testing.TB, cfg config.Config, ln net.Listener) (*node, error) {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	keepLog(logs)
	// As the command builds it (internal/cli): JSON, scrubbed.
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{
		ReplaceAttr: scrub.ReplaceAttr}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, logger)
	if err != nil {
		cancel()
		return &node{logs: logs}, err
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- a.RunListeners(ctx, ln, nil) }()

	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
			a.Close()
		})
		return stopErr
	}
	t.Cleanup(func() { stop() })
	return &node{app: a, url: "http://" + ln.Addr().String(), logs: logs, stop: stop}, nil
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

// embeddedConfig is the default configuration in a temporary directory,
// with rate limits off: tests of other features send in a second what
// people send in an hour. TestRateLimits turns them on.
func embeddedConfig(t testing.TB) config.Config {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.RateLimit.Enabled = false
	return cfg
}

func TestEmbeddedNode(t *testing.T) {
	cfg := embeddedConfig(t)
	n := start(t, cfg)

	if code, body := get(t, n.url+"/healthz"); code != 200 || body["status"] != "ok" {
		t.Errorf("healthz: got %d %v", code, body)
	}
	code, body := get(t, n.url+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	if code != 200 || checks["database"] != "ok" {
		t.Errorf("readyz: got %d %v", code, body)
	}
	if _, ok := checks["redis"]; ok {
		t.Errorf("readyz reports redis although none is configured")
	}

	logs := n.logs.String()
	for _, want := range []string{"embedded single-node mode", cfg.DataDir, "created a new master key"} {
		if !strings.Contains(logs, want) {
			t.Errorf("start-up log lacks %q:\n%s", want, logs)
		}
	}
	for _, f := range []string{SQLiteFileName, keyring.MasterKeyFileName} {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, f)); err != nil {
			t.Errorf("data directory lacks %s: %v", f, err)
		}
	}
	if err := n.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if !strings.Contains(n.logs.String(), "stopped cleanly") {
		t.Errorf("no clean-stop line in the log")
	}

	keyBefore, _ := os.ReadFile(filepath.Join(cfg.DataDir, keyring.MasterKeyFileName))
	again := start(t, cfg)
	keyAfter, _ := os.ReadFile(filepath.Join(cfg.DataDir, keyring.MasterKeyFileName))
	if !bytes.Equal(keyBefore, keyAfter) {
		t.Errorf("second start replaced the master key")
	}
	if strings.Contains(again.logs.String(), "created a new master key") ||
		strings.Contains(again.logs.String(), "applied migration") {
		t.Errorf("second start created a key or re-applied migrations:\n%s", again.logs)
	}
}

func TestWrongMasterKeyIsRefused(t *testing.T) {
	cfg := embeddedConfig(t)
	first := start(t, cfg)
	first.stop()

	other, _ := keyring.NewMasterKey()
	cfg.MasterKey.Value = config.Secret(other)
	_, err := tryStart(t, cfg)
	if !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Fatalf("got %v, want ErrWrongMasterKey", err)
	}
}

func TestPendingMigrationsStopStartWhenMigrationIsOff(t *testing.T) {
	cfg := embeddedConfig(t)
	cfg.Database.MigrateOnStart = false
	_, err := tryStart(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "cerrojo migrate up") {
		t.Fatalf("got %v, want an error telling to run cerrojo migrate up", err)
	}
}

func TestPostgresNodeWithRedis(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
	cfg.Redis.URL = config.CredentialURL(redistest.URL(t))
	key, _ := keyring.NewMasterKey()
	cfg.MasterKey.Value = config.Secret(key)

	n := start(t, cfg)
	code, body := get(t, n.url+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	if code != 200 || checks["database"] != "ok" || checks["redis"] != "ok" {
		t.Fatalf("readyz: got %d %v", code, body)
	}
	if strings.Contains(n.logs.String(), "embedded single-node mode") {
		t.Errorf("a PostgreSQL node claims embedded mode")
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, keyring.MasterKeyFileName)); err == nil {
		t.Errorf("a key file was created although the key was configured")
	}

	// A second node on the same database with the same key starts; one with
	// another key does not.
	start(t, cfg)
	other, _ := keyring.NewMasterKey()
	cfg.MasterKey.Value = config.Secret(other)
	if _, err := tryStart(t, cfg); !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Fatalf("second node with another key: got %v, want ErrWrongMasterKey", err)
	}
}

func TestRedisOutageMakesNodeUnready(t *testing.T) {
	cfg := embeddedConfig(t)
	// Nothing listens on this port: the node must still start, and say it
	// is not ready.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfg.Redis.URL = config.CredentialURL("redis://" + addr + "/0")

	n := start(t, cfg)
	code, body := get(t, n.url+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	if code != http.StatusServiceUnavailable || checks["redis"] != "unavailable" ||
		checks["database"] != "ok" {
		t.Fatalf("readyz: got %d %v, want 503 with redis unavailable", code, body)
	}
	if !strings.Contains(n.logs.String(), "redis is not reachable") {
		t.Errorf("no warning about Redis at start-up")
	}
}
