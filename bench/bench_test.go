package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// TestHarnessRuns checks that the harness works end to end in its short
// mode: it starts a node, drives every scenario and its baseline, and no
// request fails. It says nothing about the numbers.
func TestHarnessRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and drives it")
	}
	if err := run("", 300*time.Millisecond, 2); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshHarnessRuns runs the refresh scenario once, briefly, against
// the test PostgreSQL server: both sides rotate tokens and the harness's
// own check (rotations reported equal tokens spent) holds. It needs
// pgbench; under CI=true a missing pgbench or server fails the test.
func TestRefreshHarnessRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("rotates tokens on PostgreSQL for two seconds")
	}
	storagetest.Postgres(t) // skips, or fails under CI=true, without a server
	if _, err := exec.LookPath("pgbench"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgbench not found (%v); CI=true makes this test mandatory", err)
		}
		t.Skipf("pgbench not found: %v", err)
	}
	var out strings.Builder
	err := runRefresh(context.Background(), refreshConfig{PostgresURL: storagetest.PostgresURL(),
		Clients: 2, Duration: time.Second, Sessions: 50, Runs: 1, Pgbench: "pgbench", Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "ratio") {
		t.Fatalf("no ratio in the report:\n%s", out.String())
	}
}

// TestMemoryHarnessRuns runs the memory scenario in its short mode: a node
// takes a few concurrent sign-ins and the harness reports resident memory.
// It says nothing about the numbers.
func TestMemoryHarnessRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and signs people in")
	}
	var out strings.Builder
	if err := runMemory(context.Background(), memoryConfig{Logins: 4, Rounds: 1,
		Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "resident at peak") {
		t.Errorf("report: %s", out.String())
	}
}
