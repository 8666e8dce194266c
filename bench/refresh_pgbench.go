package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgbenchScript mirrors, statement for statement, what one successful
// sessions.Service.Refresh sends to PostgreSQL. It is embedded so that the
// harness runs exactly the file that sits next to it, from any directory.
//
//go:embed pgbench_refresh.sql
var pgbenchScript []byte

// pgbenchTarget is how pgbench reaches one bench schema: libpq does not
// understand pgx's URL parameters, so the URL is taken apart into flags and
// environment variables.
type pgbenchTarget struct {
	args []string // -h, -p, -U
	db   string
	env  []string
}

func newPgbenchTarget(serverURL string, s *benchSchema) (pgbenchTarget, error) {
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return pgbenchTarget{}, errors.New("the -postgres URL cannot be parsed")
	}
	t := pgbenchTarget{
		args: []string{"-h", cfg.Host, "-p", strconv.Itoa(int(cfg.Port)), "-U", cfg.User},
		db:   cfg.Database,
		env:  []string{"PGOPTIONS=-c search_path=" + s.name, "PGAPPNAME=cerrojo-bench"},
	}
	if cfg.Password != "" {
		t.env = append(t.env, "PGPASSWORD="+cfg.Password)
	}
	if u, err := url.Parse(serverURL); err == nil {
		if mode := u.Query().Get("sslmode"); mode != "" {
			t.env = append(t.env, "PGSSLMODE="+mode)
		}
	}
	return t, nil
}

// pgbenchReport is what pgbench printed about a run.
type pgbenchReport struct {
	processed int64
	failed    int64
	latency   time.Duration
	tps       float64 // without initial connection time
}

// runPgbench runs the script with clients connections and as many threads
// for duration (whole seconds, as pgbench's -T takes them).
func runPgbench(ctx context.Context, path string, t pgbenchTarget, clients int,
	duration time.Duration) (sideResult, error) {
	dir, err := os.MkdirTemp("", "cerrojo-pgbench-")
	if err != nil {
		return sideResult{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "pgbench_refresh.sql")
	if err := os.WriteFile(script, pgbenchScript, 0o600); err != nil {
		return sideResult{}, err
	}

	c := strconv.Itoa(clients)
	args := append(append([]string{}, t.args...), "-n", "-M", "prepared", "-D", "g=0",
		"-c", c, "-j", c, "-T", strconv.Itoa(int(duration/time.Second)), "-f", script, t.db)
	// #nosec G204 -- path is exec.LookPath of the -pgbench flag and the arguments are built
	// here from numbers, a temporary file and the benchmark's own connection string.
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), t.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	machine0 := readMachineCPU()
	runErr := cmd.Run()
	machine := machine0.busySince()
	if runErr != nil {
		return sideResult{}, fmt.Errorf("pgbench: %v: %s", runErr, lastLines(stderr.String(), 5))
	}
	rep, err := parsePgbench(stdout.String())
	if err != nil {
		return sideResult{}, err
	}
	if rep.failed > 0 {
		return sideResult{}, fmt.Errorf("pgbench: %d transactions failed", rep.failed)
	}
	return sideResult{rotations: rep.processed, rate: rep.tps, latency: rep.latency,
		machine: machine}, nil
}

// parsePgbench reads the summary pgbench prints at the end of a run.
func parsePgbench(out string) (pgbenchReport, error) {
	var r pgbenchReport
	var sawTPS, sawProcessed bool
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "tps = "):
			// "tps = 3403.078066 (without initial connection time)"
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				return r, fmt.Errorf("pgbench: read %q: %w", line, err)
			}
			r.tps, sawTPS = v, true
		case strings.HasPrefix(line, "number of transactions actually processed: "):
			v := strings.TrimPrefix(line, "number of transactions actually processed: ")
			v, _, _ = strings.Cut(v, "/") // "n/m" when -t fixes the count
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return r, fmt.Errorf("pgbench: read %q: %w", line, err)
			}
			r.processed, sawProcessed = n, true
		case strings.HasPrefix(line, "number of failed transactions: "):
			v := strings.Fields(strings.TrimPrefix(line, "number of failed transactions: "))
			if len(v) > 0 {
				r.failed, _ = strconv.ParseInt(v[0], 10, 64)
			}
		case strings.HasPrefix(line, "latency average = "):
			// "latency average = 1.175 ms"
			f := strings.Fields(line)
			if len(f) == 5 && f[4] == "ms" {
				if ms, err := strconv.ParseFloat(f[3], 64); err == nil {
					r.latency = time.Duration(ms * float64(time.Millisecond))
				}
			}
		}
	}
	if !sawTPS || !sawProcessed {
		return r, fmt.Errorf("pgbench: no summary in its output: %s", lastLines(out, 5))
	}
	return r, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
