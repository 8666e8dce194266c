package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/testutil"
)

// TestNewUserFlow does what the README tells a newcomer to do, with the real
// binary: start it with no configuration, ask /healthz, /readyz and
// /metrics, send bad JSON, stop it with Ctrl-C (SIGINT), then start it again
// on the same data directory.
func TestNewUserFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "cerrojo")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := t.TempDir()

	first := startBinary(t, bin, work)
	base := "http://" + first.addr

	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: got %d, want 200", path, resp.StatusCode)
		}
	}

	bad := []struct{ name, body, code string }{
		{"malformed JSON", `{"nit": `, "invalid_json"},
		{"unknown field", `{"nit":"890903938-8","admin":true}`, "unknown_field"},
		{"oversized body", `{"nit":"` + strings.Repeat("9", 2<<20) + `"}`, "body_too_large"},
	}
	for _, tc := range bad {
		resp, err := http.Post(base+"/v1/colombia/nit/validate", "application/json",
			strings.NewReader(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var p map[string]any
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode > 499 || p["code"] != tc.code ||
			resp.Header.Get("Content-Type") != "application/problem+json" || p["detail"] == "" {
			t.Errorf("%s: got %d %v, want a 4xx problem with code %s", tc.name,
				resp.StatusCode, p, tc.code)
		}
	}

	logs := first.stop(t, os.Interrupt)
	for _, want := range []string{"embedded single-node mode", "created a new master key",
		`"msg":"stopped cleanly"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if info, err := os.Stat(filepath.Join(work, "cerrojo-data", "master.key")); err != nil ||
		info.Mode().Perm() != 0o600 {
		t.Errorf("master key file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}

	second := startBinary(t, bin, work)
	logs = second.stop(t, syscall.SIGTERM)
	if strings.Contains(logs, "created a new master key") || strings.Contains(logs, "applied migration") {
		t.Errorf("second start did not reuse the key and database:\n%s", logs)
	}
	if !strings.Contains(logs, `"msg":"stopped cleanly"`) {
		t.Errorf("SIGTERM did not stop cleanly:\n%s", logs)
	}
}

type running struct {
	cmd  *exec.Cmd
	addr string
	logs *testutil.SyncBuffer
	done chan error
}

// startBinary runs `cerrojo serve` in dir with only the listen addresses
// set (to free ports, so tests can run beside a real server on 8080), and
// waits until /healthz answers.
func startBinary(t *testing.T, bin, dir string) *running {
	t.Helper()
	addr, admin := freePort(t), freePort(t)
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CERROJO_LISTEN_ADDR="+addr, "CERROJO_ADMIN_LISTEN_ADDR="+admin)
	for _, v := range []string{"CERROJO_DATABASE_URL", "CERROJO_REDIS_URL", "CERROJO_DATA_DIR",
		"CERROJO_MASTER_KEY", "CERROJO_MASTER_KEY_FILE", "CERROJO_CONFIG"} {
		cmd.Env = append(cmd.Env, v+"=")
	}
	// With a plain writer as Stderr, Wait returns only after everything the
	// process wrote has been copied.
	logs := &testutil.SyncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: cmd, addr: addr, logs: logs, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("cerrojo exited early: %v\n%s", err, logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("cerrojo did not answer within 60s:\n%s", logs)
	return nil
}

// stop sends sig and waits for a zero exit status.
func (r *running) stop(t *testing.T, sig os.Signal) string {
	t.Helper()
	r.cmd.Process.Signal(sig)
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("exit after %v: %v", sig, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("cerrojo did not stop within 30s of %v", sig)
	}
	return r.logs.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
