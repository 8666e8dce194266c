package app

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// TestKilledMidTraffic runs the cerrojo binary on PostgreSQL, kills it
// with SIGKILL while sign-ups arrive, and starts another process on the
// same database: every acknowledged sign-up is there, the new process
// serves, and the audit log, which the killed process was appending to,
// still verifies.
func TestKilledMidTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dbURL := storagetest.PostgresSchemaURL(t)
	bin := filepath.Join(t.TempDir(), "cerrojo")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/cerrojo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	key, _ := keyring.NewMasterKey()
	dataDir := t.TempDir()
	serve := func() (*exec.Cmd, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "CERROJO_DATABASE_URL="+dbURL,
			"CERROJO_MASTER_KEY="+key, "CERROJO_LISTEN_ADDR="+addr,
			"CERROJO_ADMIN_LISTEN_ADDR=", "CERROJO_DATA_DIR="+dataDir,
			"CERROJO_RATELIMIT_ENABLED=false", "CERROJO_LOG_LEVEL=warn")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		base := "http://" + addr
		for deadline := time.Now().Add(30 * time.Second); ; {
			if resp, err := http.Get(base + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return cmd, base
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("cerrojo serve did not become ready")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first, base := serve()
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := "k" + strconv.Itoa(w) + "-" + strconv.Itoa(i) + "@ejemplo.co"
				resp, err := client.Post(base+"/v1/accounts", "application/json",
					strings.NewReader(`{"email":"`+email+`","password":"`+journeyPassword+
						`","name":"Caida","kind":"customer"}`))
				if err != nil {
					continue // the process is gone; keep trying until told to stop
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					acked = append(acked, email)
					mu.Unlock()
				}
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil { // SIGKILL: no shutdown of any kind
		t.Fatal(err)
	}
	first.Wait()
	close(stop)
	wg.Wait()

	_, base2 := serve()
	resp, err := http.Post(base2+"/v1/accounts", "application/json", strings.NewReader(
		`{"email":"despues@ejemplo.co","password":"`+journeyPassword+
			`","name":"Despues","kind":"customer"}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("the second process: %v %v", resp, err)
	}
	resp.Body.Close()

	ctx := context.Background()
	db, err := storage.OpenPostgres(ctx, dbURL, storage.PostgresOptions{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, email := range acked {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email = $1`,
			email).Scan(&n); err != nil || n != 1 {
			t.Errorf("acknowledged sign-up %s: %d rows, %v", email, n, err)
		}
	}
	rep, err := audit.Verify(ctx, db, audit.VerifyOptions{})
	if err != nil || !rep.OK() || rep.Records < int64(len(acked)) {
		t.Fatalf("the audit log after SIGKILL: %+v %v", rep, err)
	}
}
