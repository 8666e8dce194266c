// Command bench drives a cerrojo node over HTTP and reports throughput,
// latency percentiles and CPU cost per thousand requests, each next to a
// baseline measured in the same run on the same machine, as a ratio.
//
//	go run ./bench                  # starts an embedded node in a temporary directory
//	go run ./bench -url http://host:8080 -duration 30s -workers 64
//	go run ./bench -short           # a quick run that checks the harness works
//	go run ./bench refresh -clients 8 -duration 10s   # refresh rotation against pgbench
//	go run ./bench memory -logins 64 # resident memory idle and under concurrent sign-ins
//	go run ./bench -rate 2000 -scenarios healthz,jwks,nit,authz  # open loop at a fixed rate
//	go run ./bench -rate 20 -scenarios login,register  # sign-ins at their own rate
//	go run ./bench -pin              # Linux: node on CPU 0, this client on CPU 1
//
// Scenarios so far:
//
//	healthz    GET /healthz through the full middleware stack, against a
//	           bare net/http server answering the same bytes (the cost of the
//	           stack: request id, access log, metrics, recovery, headers).
//	nit        POST /v1/colombia/nit/validate (strict JSON decoding, NIT
//	           parsing, problem documents), against the same bare server.
//	login      POST /v1/auth/login with the right password (rate limit, one
//	           Argon2id verification under the hasher's cap, a session, an
//	           access and a refresh token, audit records), against the bare
//	           server computing one Argon2id hash with the same parameters
//	           per request. In-process targets only.
//	authz      POST /v1/authz/check for a vendor's staff member on a product
//	           of their vendor (client authentication, loading the subject's
//	           bindings from the database, a conditional rule, the answer),
//	           against the same bare server. In-process targets only.
//	jwks       GET /.well-known/jwks.json (the key set resource servers
//	           fetch), against the same bare server.
//	introspect POST /oauth2/introspect (RFC 7662) of an Ed25519 access token
//	           by a confidential client, against the bare server verifying
//	           one Ed25519 signature per request. In-process targets only.
//	register   POST /v1/accounts (strict decoding, password policy, one
//	           Argon2id hash; the address exists, which answers alike),
//	           against one bare Argon2id hash. In-process targets only.
//	refresh    a subcommand of its own: refresh-token rotation on PostgreSQL,
//	           in process, against pgbench running the same SQL
//	           (bench/refresh.go, bench/pgbench_refresh.sql).
//
// Later capabilities add their scenarios and baselines (Argon2id for logins,
// Ed25519 for tokens, Casbin for checks).
//
// When bench starts the node itself, client and server share the process, so
// "CPU per 1k" counts both; with -url it counts the client only and says so.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/config"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "memory" {
		if err := memoryMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench memory:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "refresh" {
		if err := refreshMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench refresh:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == baselineServeCmd {
		if err := baselineServe(); err != nil {
			fmt.Fprintln(os.Stderr, "bench baseline:", err)
			os.Exit(1)
		}
		return
	}

	url := flag.String("url", "", "target node; empty starts an embedded node")
	duration := flag.Duration("duration", 10*time.Second, "time per scenario and baseline")
	workers := flag.Int("workers", 32, "concurrent client connections")
	short := flag.Bool("short", false, "one quick pass to check the harness (numbers mean little)")
	rate := flag.Float64("rate", 0, "requests per second, open loop; 0 drives at saturation")
	pin := flag.Bool("pin", false,
		"Linux: run the node as a child on CPU 0 and this client on CPU 1 (taskset)")
	only := flag.String("scenarios", "", "comma-separated scenarios to run; empty runs all "+
		"(at a fixed rate, run the sign-in ones, login and register, apart, at their own rate)")
	flag.Parse()
	if *short {
		*duration = 500 * time.Millisecond
		*workers = 4
	}

	o := options{url: *url, duration: *duration, workers: *workers, rate: *rate, pin: *pin}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.only = append(o.only, s)
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name   string
	method string
	path   string
	body   string
	auth   string // Authorization header, if any
	// contentType is the body's media type; JSON when empty.
	contentType string
	// status is the answer that counts as success; 200 when zero.
	status int
	// basePath is the baseline's path when it is not path: /argon2id for
	// sign-ins, whose baseline is the bare hash.
	basePath string
}

var scenarios = []scenario{
	{name: "healthz", method: "GET", path: "/healthz"},
	{name: "jwks", method: "GET", path: "/.well-known/jwks.json"},
	{name: "nit", method: "POST", path: "/v1/colombia/nit/validate",
		body: `{"nit":"890.903.938-8"}`},
}

// options are the command line's choices for the scenario runs.
type options struct {
	url      string // a running node; empty starts one
	duration time.Duration
	workers  int      // saturation: concurrent connections
	rate     float64  // requests per second, open loop; 0 means saturation
	pin      bool     // node and baselines on CPU 0 as child processes, client on CPU 1
	only     []string // the scenarios to run; all when empty
}

// selected keeps the scenarios o.only names, in their order, and fails on
// a name that is not one of them.
func (o options) selected(all []scenario) ([]scenario, error) {
	if len(o.only) == 0 {
		return all, nil
	}
	var out []scenario
	for _, name := range o.only {
		i := slices.IndexFunc(all, func(s scenario) bool { return s.name == name })
		if i < 0 {
			var names []string
			for _, s := range all {
				names = append(names, s.name)
			}
			return nil, fmt.Errorf("-scenarios: no scenario %q here (have %s)", name,
				strings.Join(names, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// side is one end being driven: the node or the baseline.
type side struct {
	url string
	// cpu, when not nil, reports the CPU time the server process has used
	// (for a server that is another process).
	cpu func() (time.Duration, error)
}

// measure drives one side with one scenario, at saturation or at the fixed
// rate.
func (o options) measure(s side, sc scenario) result {
	var before time.Duration
	var cpuErr error
	if s.cpu != nil {
		before, cpuErr = s.cpu()
	}
	var r result
	if o.rate > 0 {
		r = driveRate(s.url, sc, o.duration, o.rate)
	} else {
		r = drive(s.url, sc, o.duration, o.workers)
	}
	if s.cpu != nil && cpuErr == nil && r.n > 0 {
		if after, err := s.cpu(); err == nil {
			r.serverPer1k = float64((after - before).Milliseconds()) / float64(r.n) * 1000
			r.serverKnown = true
		}
	}
	return r
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if o.rate < 0 {
		return fmt.Errorf("-rate %v: must be 0 (saturation) or more", o.rate)
	}
	if o.pin && o.url != "" {
		return fmt.Errorf("-pin starts its own node; it does not go with -url")
	}

	target := o.url
	node, base := side{url: target}, side{}
	inProcess := target == "" && !o.pin
	run := scenarios
	if o.pin {
		p, err := startPinned(ctx)
		if err != nil {
			return err
		}
		defer p.stop()
		node, base, target = p.node, p.baseline, p.node.url
		login, err := loginScenario(ctx, target)
		if err != nil {
			return fmt.Errorf("prepare the login scenario: %w", err)
		}
		run = append(slices.Clone(scenarios), login, registerScenario())
		// Pinned last: building and starting the children above may use
		// both cores.
		restore, err := pinSelf(1)
		if err != nil {
			return err
		}
		defer restore()
	}
	if inProcess {
		url, a, stop, err := startNode(ctx)
		if err != nil {
			return err
		}
		defer stop()
		target = url
		node.url = url
		check, err := authzScenario(ctx, a)
		if err != nil {
			return fmt.Errorf("prepare the authz scenario: %w", err)
		}
		login, err := loginScenario(ctx, url)
		if err != nil {
			return fmt.Errorf("prepare the login scenario: %w", err)
		}
		introspect, err := introspectScenario(ctx, a, url)
		if err != nil {
			return fmt.Errorf("prepare the introspect scenario: %w", err)
		}
		run = append(slices.Clone(scenarios), check, login, introspect, registerScenario())
	}
	if !o.pin {
		baseline, stopBase, err := startBaseline()
		if err != nil {
			return err
		}
		defer stopBase()
		base.url = baseline
	}
	run, err := o.selected(run)
	if err != nil {
		return err
	}

	mode := fmt.Sprintf("%d workers", o.workers)
	if o.rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f req/s", o.rate)
	}
	fmt.Printf("cerrojo bench: %s, %s per run, target %s\n", mode, o.duration, target)
	switch {
	case o.pin:
		fmt.Println("(pinned: node and baseline are child processes on CPU 0, this client " +
			"on CPU 1; cpu ms/1k counts the client, srv ms/1k the server)")
		fmt.Println("(pinned: authz and introspect need a client created in process, " +
			"so they are skipped)")
	case !inProcess:
		fmt.Println("(remote target: CPU per 1k counts this client only; the authz, " +
			"introspect and register scenarios need in-process setup, so they are skipped)")
	}
	if o.rate > 0 {
		fmt.Println("(req/s is the rate achieved; latency runs from each request's " +
			"scheduled time; late requests found all senders busy, or were not sent " +
			"when the run ended first)")
	}
	printHeader(o.rate > 0, o.pin)
	var failed []string
	for _, sc := range run {
		got := o.measure(node, sc)
		bsc := sc
		if sc.basePath != "" {
			bsc.path = sc.basePath
		}
		bsc.status = 0 // the bare server answers 200
		b := o.measure(base, bsc)
		got.print(sc.name, "cerrojo", o.pin)
		b.print(sc.name, "baseline", o.pin)
		cpuGot, cpuBase := got.cpuPer1k, b.cpuPer1k
		if got.serverKnown && b.serverKnown {
			cpuGot, cpuBase = got.serverPer1k, b.serverPer1k
		}
		switch {
		case o.rate > 0 && b.p50 > 0 && b.p99 > 0:
			fmt.Printf("%-10s ratio     p50 %.2fx, p99 %.2fx the baseline's, %.2fx its CPU "+
				"per request\n", sc.name, float64(got.p50)/float64(b.p50),
				float64(got.p99)/float64(b.p99), safeDiv(cpuGot, cpuBase))
		case o.rate == 0 && b.rps > 0:
			fmt.Printf("%-10s ratio     %.2f of baseline throughput, %.2fx its CPU per "+
				"request\n", sc.name, got.rps/b.rps, safeDiv(cpuGot, cpuBase))
		}
		if got.errors > 0 {
			if o.rate == 0 {
				return fmt.Errorf("%s: %d requests failed", sc.name, got.errors)
			}
			// At a fixed rate an overloaded node fails requests; the other
			// scenarios are still worth measuring.
			failed = append(failed, fmt.Sprintf("%s (%d)", sc.name, got.errors))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("requests failed in %s", strings.Join(failed, ", "))
	}
	return nil
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// startNode runs an embedded node with its data in a temporary directory.
func startNode(ctx context.Context) (string, *app.App, func(), error) {
	dir, err := os.MkdirTemp("", "cerrojo-bench-")
	if err != nil {
		return "", nil, nil, err
	}
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Admin.ListenAddr = ""
	// One load generator at one address would hit every limit at once.
	// Limits stay on, so their cost per request is part of the figures,
	// but set far above what the runs send.
	const unbounded = "1000000/1s burst 1000000"
	rl := &cfg.RateLimit
	for _, v := range []*string{&rl.Login, &rl.LoginAccount, &rl.Registration, &rl.Recovery,
		&rl.RecoveryAccount, &rl.Code, &rl.CodeAccount, &rl.Token, &rl.Check, &rl.Default} {
		*v = unbounded
	}
	// The access log is part of the cost being measured, but not worth
	// printing.
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		// A listener failure shows up as failed requests in the run, which
		// the benchmark reports; nothing else could use this error.
		_ = a.RunListeners(runCtx, ln, nil)
		close(done)
	}()
	stop := func() {
		cancel()
		<-done
		// Teardown after the measurements: a failure to close or to remove
		// the temporary directory cannot change the results.
		_ = a.Close()
		_ = os.RemoveAll(dir)
	}
	return "http://" + ln.Addr().String(), a, stop, nil
}

// startBaseline serves the same paths with a bare net/http handler that
// writes a fixed answer: what the machine can do with no cerrojo code.
func startBaseline() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	answer := []byte(`{"valid":true,"nit":"890903938-8","formatted":"890.903.938-8"}` + "\n")
	// #nosec G112 -- serves only the benchmark's own load on 127.0.0.1 for one run; a
	// header timeout would also cut its idle keep-alive connections and skew the baseline.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body is drained only to mirror cerrojo's work; the answer is fixed.
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/argon2id":
			bareArgon2id()
		case "/ed25519":
			bareEd25519()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer) // a write error is the client's to see
	})}
	// Serve returns ErrServerClosed when the stop function closes it.
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

type result struct {
	n        int // requests answered
	rps      float64
	p50      time.Duration
	p90      time.Duration
	p99      time.Duration
	cpuPer1k float64 // milliseconds of this process's CPU per 1000 requests
	errors   int64
	// late counts, at a fixed rate, the requests that could not start on
	// time (fixedRate is set for those runs).
	late      int64
	fixedRate bool
	// serverPer1k is the server process's CPU per 1000 requests, when the
	// server is another process (serverKnown).
	serverPer1k float64
	serverKnown bool
}

// summarize fills the throughput, percentiles and CPU from the sorted
// latencies of the answered requests.
func (r *result) summarize(sorted []time.Duration, elapsed, cpu time.Duration) {
	r.n = len(sorted)
	if r.n == 0 {
		return
	}
	r.rps = float64(r.n) / elapsed.Seconds()
	r.p50, r.p90, r.p99 = sorted[r.n*50/100], sorted[r.n*90/100], sorted[r.n*99/100]
	r.cpuPer1k = float64(cpu.Milliseconds()) / float64(r.n) * 1000
}

func printHeader(fixedRate, server bool) {
	fmt.Printf("%-10s %-9s %10s %9s %9s %9s %11s", "scenario", "side", "req/s", "p50", "p90",
		"p99", "cpu ms/1k")
	if server {
		fmt.Printf(" %11s", "srv ms/1k")
	}
	fmt.Printf(" %8s", "errors")
	if fixedRate {
		fmt.Printf(" %8s", "late")
	}
	fmt.Println()
}

func (r result) print(name, side string, server bool) {
	fmt.Printf("%-10s %-9s %10.0f %9s %9s %9s %11.2f", name, side, r.rps,
		r.p50.Round(time.Microsecond), r.p90.Round(time.Microsecond),
		r.p99.Round(time.Microsecond), r.cpuPer1k)
	if server {
		fmt.Printf(" %11.2f", r.serverPer1k)
	}
	fmt.Printf(" %8d", r.errors)
	if r.fixedRate {
		fmt.Printf(" %8d", r.late)
	}
	fmt.Println()
}

// drive sends requests from workers goroutines, each on its own keep-alive
// connection, as fast as answers come (saturation), for duration.
func drive(base string, sc scenario, duration time.Duration, workers int) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers,
		MaxConnsPerHost: workers}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	var errs atomic.Int64
	latencies := make([][]time.Duration, workers)
	cpuStart := cpuTime()
	start := time.Now()
	deadline := start.Add(duration)

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := once(client, base, sc); err != nil {
					errs.Add(1)
					continue
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuStart

	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	slices.Sort(all)
	res := result{errors: errs.Load()}
	res.summarize(all, elapsed, cpu)
	return res
}

func once(client *http.Client, base string, sc scenario) error {
	var body io.Reader
	if sc.body != "" {
		body = strings.NewReader(sc.body)
	}
	req, err := http.NewRequest(sc.method, base+sc.path, body)
	if err != nil {
		return err
	}
	if sc.body != "" {
		ct := sc.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if sc.auth != "" {
		req.Header.Set("Authorization", sc.auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	// Drained so the connection is reused; only the status is checked.
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	want := sc.status
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
