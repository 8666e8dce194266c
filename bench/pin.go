package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// baselineServeCmd is the hidden subcommand -pin runs, pinned, as the
// baseline server: it prints the server's URL on a line and serves until
// it is killed.
const baselineServeCmd = "baseline-serve"

func baselineServe() error {
	url, _, err := startBaseline()
	if err != nil {
		return err
	}
	fmt.Println(url)
	select {} // until the parent ends it
}

// pinned is a node and a baseline server running as child processes on
// CPU 0.
type pinned struct {
	node, baseline side
	stop           func()
}

// startPinned builds cmd/cerrojo and bench itself, then starts the node
// (configured as startNode configures the embedded one) and the baseline
// server as child processes under taskset -c 0, and waits until both answer.
func startPinned(ctx context.Context) (*pinned, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("-pin needs Linux (sched_setaffinity and /proc), not %s",
			runtime.GOOS)
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return nil, fmt.Errorf("-pin needs taskset (util-linux) on the PATH: %w", err)
	}
	if n := runtime.NumCPU(); n < 2 {
		return nil, fmt.Errorf("-pin needs two CPUs, one for the server and one for the "+
			"client; this process may use %d", n)
	}
	dir, err := os.MkdirTemp("", "cerrojo-bench-pin-")
	if err != nil {
		return nil, err
	}
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
		_ = os.RemoveAll(dir) // teardown after the measurements
	}
	ok := false
	defer func() {
		if !ok {
			stopAll()
		}
	}()

	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	nodeBin, benchBin := filepath.Join(dir, "cerrojo"), filepath.Join(dir, "bench")
	for _, b := range [][2]string{{nodeBin, "./cmd/cerrojo"}, {benchBin, "./bench"}} {
		// #nosec G204 -- runs the go tool on this module's own packages, into a
		// temporary directory this function created.
		build := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1])
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", b[1], err, out)
		}
	}

	// The baseline: bench itself, serving the bare handler.
	// #nosec G204 -- taskset from the PATH runs the binary built just above.
	bcmd := exec.CommandContext(ctx, taskset, "-c", "0", benchBin, baselineServeCmd)
	bout, err := bcmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := bcmd.Start(); err != nil {
		return nil, fmt.Errorf("start the pinned baseline: %w", err)
	}
	stops = append(stops, stopper(bcmd))
	line, err := bufio.NewReader(bout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("the pinned baseline did not say where it listens: %w", err)
	}
	baseURL := strings.TrimSpace(line)

	// The node, configured as startNode configures the embedded one. An
	// empty variable counts as unset, so the admin listener is turned off
	// in a configuration file; the rest goes in CERROJO_* variables.
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(dir, "cerrojo.yaml")
	if err := os.WriteFile(cfgFile, []byte("admin:\n  listen_addr: \"\"\n"), 0o600); err != nil {
		return nil, err
	}
	const unbounded = "1000000/1s burst 1000000"
	env := append(os.Environ(), "CERROJO_DATA_DIR="+filepath.Join(dir, "data"),
		"CERROJO_LISTEN_ADDR="+addr, "CERROJO_PUBLIC_URL=http://"+addr)
	for _, k := range []string{"LOGIN", "LOGIN_ACCOUNT", "REGISTRATION", "RECOVERY",
		"RECOVERY_ACCOUNT", "CODE", "CODE_ACCOUNT", "TOKEN", "CHECK", "DEFAULT"} {
		env = append(env, "CERROJO_RATELIMIT_"+k+"="+unbounded)
	}
	// #nosec G204 -- taskset from the PATH runs the binary built just above.
	ncmd := exec.CommandContext(ctx, taskset, "-c", "0", nodeBin, "serve", "--config", cfgFile)
	ncmd.Env = env
	// The access log is part of the cost measured, as in process, but not
	// worth keeping: stdout and stderr go to /dev/null.
	if err := ncmd.Start(); err != nil {
		return nil, fmt.Errorf("start the pinned node: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- ncmd.Wait() }()
	stops = append(stops, func() {
		_ = ncmd.Process.Signal(syscall.SIGTERM) // a graceful stop; killed below if not
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = ncmd.Process.Kill()
			<-exited
		}
	})
	nodeURL := "http://" + addr
	if err := waitReady(ctx, nodeURL+"/readyz", exited); err != nil {
		return nil, err
	}
	ok = true
	return &pinned{
		node:     side{url: nodeURL, cpu: procCPU(ncmd.Process.Pid)},
		baseline: side{url: baseURL, cpu: procCPU(bcmd.Process.Pid)},
		stop:     stopAll,
	}, nil
}

// stopper kills a child that has nothing to finish and reaps it.
func stopper(cmd *exec.Cmd) func() {
	return func() {
		_ = cmd.Process.Kill() // the baseline keeps no state
		_ = cmd.Wait()         // killed: the error says so and nothing more
	}
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("-pin builds ./cmd/cerrojo: run it inside the cerrojo module")
	}
	return filepath.Dir(mod), nil
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitReady polls url until it answers 200, the child exits or 30 s pass.
func waitReady(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("the pinned node exited before it was ready (%v); run "+
				"`go run ./cmd/cerrojo serve` to see why", err)
		default:
		}
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close() // only the status matters
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the pinned node did not answer 200 at %s within 30 s", url)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// procCPU returns a reader of the user and system CPU time process pid has
// used, from /proc/<pid>/stat (utime and stime, fields 14 and 15).
func procCPU(pid int) func() (time.Duration, error) {
	path := filepath.Join("/proc", strconv.Itoa(pid), "stat")
	return func() (time.Duration, error) {
		// #nosec G304 -- the /proc stat file of a child this process started.
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		// The command name, field 2, is in parentheses and may hold
		// spaces: the fields are counted after its closing one.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			return 0, fmt.Errorf("%s: no command name", path)
		}
		f := strings.Fields(s[i+1:]) // f[0] is field 3
		if len(f) < 13 {
			return 0, fmt.Errorf("%s: %d fields", path, len(f)+2)
		}
		var ticks int64
		for _, v := range f[11:13] {
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", path, err)
			}
			ticks += t
		}
		return time.Duration(ticks) * time.Second / clockTicks, nil
	}
}
