package audit

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// crashEnv tells a re-executed test binary to act as the crashing writer:
// "sqlite:PATH" or "postgres:URL".
const crashEnv = "CERROJO_AUDIT_CRASH_CHILD"

// TestCrashLeavesAVerifiableLog kills a process that is appending records,
// each with a companion change in the same transaction, and checks that
// afterwards the log verifies and that changes and records match one to
// one: no committed change without its record, no record without its
// change.
func TestCrashLeavesAVerifiableLog(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "crash.db")
		db, err := storage.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		testCrash(t, db, "sqlite:"+path)
	})
	t.Run("postgres", func(t *testing.T) {
		url := storagetest.PostgresSchemaURL(t)
		db, err := storage.OpenPostgres(context.Background(), url, storage.PostgresOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		testCrash(t, db, "postgres:"+url)
	})
}

func testCrash(t *testing.T, db *storage.DB, target string) {
	ctx := context.Background()
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "CREATE TABLE crash_changes (id TEXT PRIMARY KEY)")

	for round := range 3 {
		before, _ := headSize(ctx, db)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+target, fmt.Sprintf("CRASH_ROUND=%d", round))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it write for a while, with appends in flight, then kill it.
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, _ := headSize(ctx, db)
			if n >= before+150 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		size, _ := headSize(ctx, db)
		if size <= before {
			t.Fatalf("round %d: the child appended nothing", round)
		}
		rep, err := Verify(ctx, db, VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Fatalf("round %d: after the crash the log does not verify: %v", round, rep.Problem)
		}
		// One statement, one snapshot: on PostgreSQL a commit the child sent
		// just before it died may still land while we look.
		var orphanChanges, orphanRecords, changes, records int
		err = db.QueryRowContext(ctx, "SELECT "+
			"(SELECT COUNT(*) FROM crash_changes c WHERE NOT EXISTS (SELECT 1 FROM "+
			"audit_records r WHERE r.action = 'crash.change' AND r.target_id = c.id)), "+
			"(SELECT COUNT(*) FROM audit_records r WHERE r.action = 'crash.change' AND "+
			"NOT EXISTS (SELECT 1 FROM crash_changes c WHERE c.id = r.target_id)), "+
			"(SELECT COUNT(*) FROM crash_changes), "+
			"(SELECT COUNT(*) FROM audit_records)").
			Scan(&orphanChanges, &orphanRecords, &changes, &records)
		if err != nil {
			t.Fatal(err)
		}
		if orphanChanges != 0 || orphanRecords != 0 || changes != records {
			t.Fatalf("round %d: %d changes without a record, %d records without a change, "+
				"%d changes for %d records", round, orphanChanges, orphanRecords, changes,
				records)
		}
		t.Logf("round %d: %d records, %d checkpoints verified", round, size, rep.Checkpoints)
	}
}

// TestCrashChild is the writer TestCrashLeavesAVerifiableLog kills. It
// does nothing unless started by it.
func TestCrashChild(t *testing.T) {
	target := os.Getenv(crashEnv)
	if target == "" {
		t.Skip("run by TestCrashLeavesAVerifiableLog")
	}
	ctx := context.Background()
	var db *storage.DB
	var err error
	if path, ok := strings.CutPrefix(target, "sqlite:"); ok {
		db, err = storage.OpenSQLite(ctx, path)
	} else {
		db, err = storage.OpenPostgres(ctx, strings.TrimPrefix(target, "postgres:"),
			storage.PostgresOptions{MaxOpenConns: 8})
	}
	if err != nil {
		t.Fatal(err)
	}
	env := newTestLog(t, db)
	env.log.clock, env.log.rand = clock.System{}, crand.Reader
	round := os.Getenv("CRASH_ROUND")

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("r%s-w%d-%d", round, w, i)
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, db.Rebind(
						"INSERT INTO crash_changes (id) VALUES (?)"), id); err != nil {
						return err
					}
					_, err := env.log.Append(ctx, tx, Event{
						Actor:   Actor{Type: ActorSystem, ID: "crash-test"},
						Action:  "crash.change",
						Target:  Target{Type: "change", ID: id},
						Outcome: OutcomeSuccess,
					})
					return err
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "crash child:", err)
					os.Exit(3)
				}
				// Checkpoints are signed while appends are in flight too.
				if w == 0 && i%25 == 0 {
					if _, err := env.log.Checkpoint(ctx); err != nil {
						fmt.Fprintln(os.Stderr, "crash child: checkpoint:", err)
					}
				}
			}
		})
	}
	wg.Wait()
}
