package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// The refresh scenario compares cerrojo's refresh-token rotation on
// PostgreSQL with pgbench running the same SQL statements (the script
// bench/pgbench_refresh.sql) on the same server, schema, seed and number of
// clients. The ratio is how much of the database's rotation throughput
// cerrojo's own code keeps: Go, database/sql and pgx, the minting of the
// access token, and the CPU they take from PostgreSQL on a shared machine.
//
//	go run ./bench refresh -postgres postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//		-clients 8 -duration 10s -runs 3

// refreshTarget is the ratio the project aims for.
const refreshTarget = 0.6

// Bounds of the refresh flags, each with its reason.
const (
	// maxRefreshClients keeps both sides within PostgreSQL's default
	// max_connections (100) with room for other sessions.
	maxRefreshClients = 64
	// maxSeededSessions bounds the seed, which is one INSERT per table.
	maxSeededSessions = 1_000_000
	// maxRefreshRuns bounds the time a mistyped -runs can take.
	maxRefreshRuns = 25
)

// refreshConfig is the refresh scenario's configuration.
type refreshConfig struct {
	PostgresURL string        // the server; a fresh schema is made for each side of each run
	Clients     int           // concurrent rotations: goroutines, and pgbench -c and -j
	Duration    time.Duration // time per side per run, whole seconds (pgbench -T)
	Sessions    int           // sessions seeded, at least Clients
	Runs        int           // pairs of measurements; the summary gives their median
	Pgbench     string        // pgbench executable, looked up in PATH
	CPUProfile  string        // file for a CPU profile of cerrojo's side of the last run
	Out         io.Writer
}

// Validate checks the configuration; an error names the flag.
func (c refreshConfig) Validate() error {
	var errs []error
	if c.PostgresURL == "" {
		errs = append(errs, errors.New("-postgres: a PostgreSQL URL is required"))
	}
	if c.Clients < 1 || c.Clients > maxRefreshClients {
		errs = append(errs, fmt.Errorf("-clients %d: must be 1 to %d", c.Clients,
			maxRefreshClients))
	}
	if c.Duration < time.Second || c.Duration%time.Second != 0 {
		errs = append(errs, fmt.Errorf("-duration %s: must be whole seconds, at least 1s "+
			"(pgbench -T counts seconds)", c.Duration))
	}
	if c.Sessions < c.Clients || c.Sessions > maxSeededSessions {
		errs = append(errs, fmt.Errorf("-sessions %d: must be from -clients to %d", c.Sessions,
			maxSeededSessions))
	}
	if c.Runs < 1 || c.Runs > maxRefreshRuns {
		errs = append(errs, fmt.Errorf("-runs %d: must be 1 to %d", c.Runs, maxRefreshRuns))
	}
	return errors.Join(errs...)
}

// refreshMain parses the refresh scenario's flags and runs it.
func refreshMain(args []string) error {
	fs := flag.NewFlagSet("bench refresh", flag.ContinueOnError)
	def := os.Getenv("CERROJO_TEST_POSTGRES_URL")
	if def == "" {
		def = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	c := refreshConfig{Out: os.Stdout}
	fs.StringVar(&c.PostgresURL, "postgres", def, "PostgreSQL server where bench may create "+
		"schemas (default from CERROJO_TEST_POSTGRES_URL)")
	fs.IntVar(&c.Clients, "clients", 8, "concurrent rotations on each side")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "time per side per run")
	fs.IntVar(&c.Sessions, "sessions", 10_000, "sessions seeded, each with a live refresh token")
	fs.IntVar(&c.Runs, "runs", 3, "runs; each measures both sides, alternating which goes first")
	fs.StringVar(&c.Pgbench, "pgbench", "pgbench", "pgbench executable")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of cerrojo's side of "+
		"the last run to this file")
	short := fs.Bool("short", false, "one quick run to check the harness (numbers mean little)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *short {
		c.Clients, c.Duration, c.Sessions, c.Runs = 2, time.Second, 100, 1
	}
	return runRefresh(context.Background(), c)
}

// refreshRun is one run: both sides measured on fresh schemas.
type refreshRun struct {
	cerrojo, pgbench sideResult
}

func (r refreshRun) ratio() float64 { return safeDiv(r.cerrojo.rate, r.pgbench.rate) }

// runRefresh measures both sides c.Runs times and prints each run and the
// medians.
func runRefresh(ctx context.Context, c refreshConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	pgbench, err := exec.LookPath(c.Pgbench)
	if err != nil {
		return fmt.Errorf("pgbench is needed for the baseline and was not found (%v); "+
			"install the PostgreSQL client tools or pass -pgbench", err)
	}
	admin, err := storage.OpenPostgres(ctx, c.PostgresURL, storage.PostgresOptions{
		MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer admin.Close()
	var version string
	if err := admin.QueryRowContext(ctx, "SHOW server_version").Scan(&version); err != nil {
		return fmt.Errorf("read server version: %w", err)
	}

	fmt.Fprintf(c.Out, "cerrojo bench refresh: %d clients, %s per side, %d sessions seeded, "+
		"PostgreSQL %s at %s\n", c.Clients, c.Duration, c.Sessions, version, admin.Location())
	fmt.Fprintf(c.Out, "%-4s %-8s %11s %10s %11s %9s %12s\n", "run", "side", "rotations/s",
		"rotations", "mean lat.", "machine", "cpu ms/1k")

	var runs []refreshRun
	for i := range c.Runs {
		profile := ""
		if i == c.Runs-1 {
			profile = c.CPUProfile
		}
		// Alternate which side goes first, so that drift in the machine's
		// load does not always favour the same one.
		r, err := measureRun(ctx, c, admin, pgbench, i%2 == 1, profile)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		r.cerrojo.print(c.Out, i+1, "cerrojo")
		r.pgbench.print(c.Out, i+1, "pgbench")
		fmt.Fprintf(c.Out, "%-4d ratio    %.2f\n", i+1, r.ratio())
		runs = append(runs, r)
	}

	printRefreshSummary(c.Out, runs)
	return nil
}

// measureRun measures both sides once, each on its own freshly seeded
// schema.
func measureRun(ctx context.Context, c refreshConfig, admin *storage.DB, pgbench string,
	pgbenchFirst bool, profile string) (refreshRun, error) {
	var r refreshRun
	cerrojoSide := func() error {
		var err error
		r.cerrojo, err = measureSide(ctx, c, admin, func(s *benchSchema) (sideResult, error) {
			return rotateCerrojo(ctx, s, c.Clients, c.Duration, profile)
		})
		if err != nil {
			return fmt.Errorf("cerrojo: %w", err)
		}
		return nil
	}
	pgbenchSide := func() error {
		var err error
		r.pgbench, err = measureSide(ctx, c, admin, func(s *benchSchema) (sideResult, error) {
			t, err := newPgbenchTarget(c.PostgresURL, s)
			if err != nil {
				return sideResult{}, err
			}
			return runPgbench(ctx, pgbench, t, c.Clients, c.Duration)
		})
		return err
	}

	order := []func() error{cerrojoSide, pgbenchSide}
	if pgbenchFirst {
		order[0], order[1] = order[1], order[0]
	}
	for _, side := range order {
		if err := side(); err != nil {
			return refreshRun{}, err
		}
	}
	return r, nil
}

// measureSide seeds a fresh schema, runs one side in it, checks that the
// side really rotated as many tokens as it claims, and drops the schema.
func measureSide(ctx context.Context, c refreshConfig, admin *storage.DB,
	run func(*benchSchema) (sideResult, error)) (sideResult, error) {
	s, err := newBenchSchema(ctx, admin, c.PostgresURL, c.Sessions)
	if err != nil {
		return sideResult{}, err
	}
	res, err := run(s)
	if err == nil {
		var spent int64
		spent, err = spentTokens(ctx, s)
		if err == nil && spent != res.rotations {
			err = fmt.Errorf("reported %d rotations but %d tokens were spent", res.rotations,
				spent)
		}
	}
	if dropErr := s.drop(admin); dropErr != nil {
		err = errors.Join(err, dropErr)
	}
	return res, err
}

func (r sideResult) print(w io.Writer, run int, side string) {
	machine := "-"
	if r.machine >= 0 {
		machine = strconv.FormatFloat(r.machine*100, 'f', 0, 64) + "%"
	}
	cpu := "-"
	if r.cpuPer1k > 0 {
		cpu = strconv.FormatFloat(r.cpuPer1k, 'f', 0, 64)
	}
	fmt.Fprintf(w, "%-4d %-8s %11.0f %10d %11s %9s %12s\n", run, side, r.rate, r.rotations,
		r.latency.Round(time.Microsecond), machine, cpu)
}

func printRefreshSummary(w io.Writer, runs []refreshRun) {
	var ours, theirs, ratios []float64
	for _, r := range runs {
		ours = append(ours, r.cerrojo.rate)
		theirs = append(theirs, r.pgbench.rate)
		ratios = append(ratios, r.ratio())
	}
	fmt.Fprintf(w, "median of %d: cerrojo %.0f rotations/s (%s), pgbench %.0f tps (%s)\n",
		len(runs), median(ours), spread(ours, "%.0f"), median(theirs), spread(theirs, "%.0f"))
	verdict := "meets"
	if median(ratios) < refreshTarget {
		verdict = "is below"
	}
	fmt.Fprintf(w, "ratio %.2f (%s) %s the target of %.2f\n", median(ratios),
		spread(ratios, "%.2f"), verdict, refreshTarget)
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread says "min to max" of xs in format f.
func spread(xs []float64, f string) string {
	if len(xs) < 2 {
		return "one run"
	}
	return fmt.Sprintf(f+" to "+f, slices.Min(xs), slices.Max(xs))
}

// machineCPU is a reading of /proc/stat, to tell how busy the whole machine
// was during a side: on a small machine the Go process, pgbench and
// PostgreSQL share the CPUs, and a side that saturates them is bound by CPU
// rather than by round trips.
type machineCPU struct {
	busy, total uint64
	ok          bool
}

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return machineCPU{}
	}
	var m machineCPU
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return machineCPU{}
		}
		if i >= 8 { // guest time is already counted in user time
			break
		}
		m.total += n
		if i != 3 && i != 4 { // idle and iowait
			m.busy += n
		}
	}
	m.ok = true
	return m
}

// busySince returns the share of CPU time the machine spent busy since m
// was read, or -1 when it cannot tell.
func (m machineCPU) busySince() float64 {
	now := readMachineCPU()
	if !m.ok || !now.ok || now.total <= m.total {
		return -1
	}
	return float64(now.busy-m.busy) / float64(now.total-m.total)
}
