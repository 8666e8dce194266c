package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
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
	if err := run(options{duration: 300 * time.Millisecond, workers: 2}); err != nil {
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

// TestDriveRateKeepsTheRate drives a bare server open loop at a small fixed
// rate for a second: about rate×duration requests are answered (±10%) and
// none is late. It asserts no latency or duration.
func TestDriveRateKeepsTheRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	const rate, duration = 200, time.Second
	r := driveRate(srv.URL, scenarios[0], duration, rate)
	want := rate * duration.Seconds()
	if got := float64(r.n); got < want*0.9 || got > want*1.1 {
		t.Errorf("%v requests answered, want %v ±10%%", got, want)
	}
	if r.late != 0 || r.errors != 0 {
		t.Errorf("%d late, %d failed; want none", r.late, r.errors)
	}
}

// TestPinnedHarnessRuns runs the short mode with -pin: the node and the
// baseline as child processes on CPU 0, the client on CPU 1. It needs
// Linux, taskset and two CPUs, and skips without them, under CI=true too,
// since it depends on the machine. It says nothing about the numbers.
func TestPinnedHarnessRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cerrojo, starts it and drives it")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("-pin needs Linux, not %s", runtime.GOOS)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skipf("-pin needs taskset: %v", err)
	}
	if n := runtime.NumCPU(); n < 2 {
		t.Skipf("-pin needs two CPUs; this machine gives %d", n)
	}
	if err := run(options{duration: 300 * time.Millisecond, workers: 2, pin: true}); err != nil {
		t.Fatal(err)
	}
}
