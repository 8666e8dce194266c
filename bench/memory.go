package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cerrojo/cerrojo/internal/config"
)

// The memory scenario: the node's resident memory when idle, and at its
// peak while many people sign in at once, set against what their Argon2id
// hashes need. Each hash needs password.argon2_memory_kib (19 MiB by
// default) while it runs; the hasher runs at most password.max_concurrent
// at once (GOMAXPROCS by default) and queues the rest, which is what keeps
// a burst of logins from taking the node's memory.
//
//	go run ./bench memory -logins 64 -rounds 3

type memoryConfig struct {
	Logins int // concurrent sign-ins per round
	Rounds int
	Out    io.Writer
}

func memoryMain(args []string) error {
	fs := flag.NewFlagSet("bench memory", flag.ContinueOnError)
	c := memoryConfig{Out: os.Stdout}
	fs.IntVar(&c.Logins, "logins", 64, "concurrent sign-ins")
	fs.IntVar(&c.Rounds, "rounds", 3, "rounds of concurrent sign-ins")
	short := fs.Bool("short", false, "one small round, to check the harness")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *short {
		c.Logins, c.Rounds = 4, 1
	}
	return runMemory(context.Background(), c)
}

// residentBytes is this process's resident set size (Linux /proc).
func residentBytes() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}

func runMemory(ctx context.Context, c memoryConfig) error {
	url, _, stop, err := startNode(ctx)
	if err != nil {
		return err
	}
	defer stop()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConnsPerHost: c.Logins}}
	// #nosec G101 -- the password of the throwaway users this run creates, not a secret
	const pw = "guayabas maduras del huerto 9"
	post := func(path, body string) (int, error) {
		resp, err := client.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		// Drained so the connection is reused; only the status is used.
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}
	for i := range c.Logins {
		code, err := post("/v1/accounts", `{"email":"m`+strconv.Itoa(i)+`@ejemplo.co",`+
			`"password":"`+pw+`","name":"Persona Prueba","kind":"customer"}`)
		if err != nil || code != http.StatusAccepted {
			return fmt.Errorf("register: %d %v", code, err)
		}
	}

	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(200 * time.Millisecond)
	idle, err := residentBytes()
	if err != nil {
		return err
	}

	var peak atomic.Int64
	peak.Store(idle)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if rss, err := residentBytes(); err == nil && rss > peak.Load() {
					peak.Store(rss)
				}
			}
		}
	}()
	var failed atomic.Int64
	start := time.Now()
	for range c.Rounds {
		var wg sync.WaitGroup
		for i := range c.Logins {
			wg.Go(func() {
				code, err := post("/v1/auth/login", `{"email":"m`+strconv.Itoa(i)+
					`@ejemplo.co","password":"`+pw+`"}`)
				if err != nil || code != http.StatusOK {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
	}
	elapsed := time.Since(start)
	close(done)
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d sign-ins failed", n)
	}

	perHash := int64(config.Default().Password.Argon2MemoryKiB) << 10
	// password.max_concurrent is 0 in the configuration startNode uses,
	// which the hasher reads as GOMAXPROCS.
	limit := runtime.GOMAXPROCS(0)
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	growth := peak.Load() - idle
	fmt.Fprintf(c.Out, "cerrojo bench memory: %d concurrent sign-ins x %d rounds in %s, "+
		"GOMAXPROCS %d\n", c.Logins, c.Rounds, elapsed.Round(time.Millisecond),
		runtime.GOMAXPROCS(0))
	fmt.Fprintf(c.Out, "resident when idle        %8.1f MiB\n", mib(idle))
	fmt.Fprintf(c.Out, "resident at peak          %8.1f MiB (+%.1f MiB)\n", mib(peak.Load()),
		mib(growth))
	fmt.Fprintf(c.Out, "Argon2id, all at once     %8.1f MiB (%d x %.0f MiB)\n",
		mib(perHash*int64(c.Logins)), c.Logins, mib(perHash))
	fmt.Fprintf(c.Out, "Argon2id, hasher's cap    %8.1f MiB (%d at once: "+
		"password.max_concurrent)\n", mib(perHash*int64(limit)), limit)
	fmt.Fprintf(c.Out, "growth / all at once      %8.2f\n", float64(growth)/
		float64(perHash*int64(c.Logins)))
	fmt.Fprintf(c.Out, "growth / hasher's cap     %8.2f\n", float64(growth)/
		float64(perHash*int64(limit)))
	return nil
}
