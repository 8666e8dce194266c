package cli

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/config"
)

// TestBackupWhileServing copies the embedded database while a node takes
// sign-ups, and checks that the copy opens, passes SQLite's integrity
// check, and holds every account that was committed before it began.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Admin.ListenAddr = ""
	cfg.RateLimit.Enabled = false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.RunListeners(ctx, ln, nil) }()
	defer func() { cancel(); <-done; a.Close() }()
	base := "http://" + ln.Addr().String()

	register := func(i int) {
		body := `{"email":"p` + strconv.Itoa(i) + `@ejemplo.co","password":"copia de ` +
			`seguridad larga 1","name":"P","kind":"customer"}`
		resp, err := http.Post(base+"/v1/accounts", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
	}
	for i := range 5 {
		register(i)
	}
	// Keep writing while the copy is made.
	var wg sync.WaitGroup
	var stop atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 100; !stop.Load(); i++ {
			register(i)
		}
	}()

	out := filepath.Join(dir, "copy.db")
	var stdout, stderr bytes.Buffer
	env := Env{Getenv: func(k string) string {
		if k == "CERROJO_DATA_DIR" {
			return cfg.DataDir
		}
		return ""
	}, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	err = runBackup(context.Background(), env, []string{"--out", out})
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v %s", err, stderr.String())
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v %v", fi, err)
	}

	copyDB, err := sql.Open("sqlite", out)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var check string
	if err := copyDB.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil ||
		check != "ok" {
		t.Fatalf("integrity check of the copy: %q %v", check, err)
	}
	var n int
	if err := copyDB.QueryRow(`SELECT COUNT(*) FROM users WHERE email LIKE 'p_@ejemplo.co'`).
		Scan(&n); err != nil || n != 5 {
		t.Fatalf("accounts made before the copy: %d %v", n, err)
	}

	if err := runBackup(context.Background(), env, []string{"--out", out}); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
}
