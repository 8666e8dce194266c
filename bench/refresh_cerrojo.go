package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// sideResult is what one side of a run measured.
type sideResult struct {
	rotations int64
	rate      float64 // rotations per second
	latency   time.Duration
	cpuPer1k  float64 // ms of this process's CPU per 1000 rotations; cerrojo side only
	machine   float64 // share of the machine's CPU busy during the run, 0 to 1; -1 unknown
}

// rotateCerrojo runs cerrojo's own rotation, sessions.Service.Refresh, from
// clients goroutines for duration. Goroutine i owns seeded session i and
// presents, each time, the refresh token its previous rotation returned.
// The service is wired as a node wires it: PostgreSQL pool, real token
// minter (Ed25519) and audit log; only the HTTP layer is left out.
func rotateCerrojo(ctx context.Context, s *benchSchema, clients int, duration time.Duration,
	cpuProfile string) (sideResult, error) {
	db, err := storage.OpenPostgres(ctx, s.url, storage.PostgresOptions{MaxOpenConns: clients})
	if err != nil {
		return sideResult{}, err
	}
	defer db.Close()
	svc, err := newRotationService(ctx, db)
	if err != nil {
		return sideResult{}, err
	}
	// Open the pool's connections before the clock starts: pgbench too
	// leaves its connection time out of its rate.
	if err := openConns(ctx, db, clients); err != nil {
		return sideResult{}, err
	}

	if cpuProfile != "" {
		// #nosec G304 -- the -cpuprofile path given by whoever runs the benchmark.
		f, err := os.Create(cpuProfile)
		if err != nil {
			return sideResult{}, fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return sideResult{}, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	var (
		total    atomic.Int64
		busy     atomic.Int64 // nanoseconds spent inside Refresh, summed over goroutines
		firstErr error
		errOnce  sync.Once
	)
	meta := sessions.Meta{IP: "203.0.113.9", UserAgent: "cerrojo-bench", RequestID: "bench"}
	machine0 := readMachineCPU()
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(duration)

	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			token := seedToken(i)
			var n int64
			var spent time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				is, err := svc.Refresh(ctx, token, "cerrojo", meta)
				if err != nil {
					// The chain is broken: this goroutine cannot go on.
					errOnce.Do(func() {
						firstErr = fmt.Errorf("rotation %d of session %d: %w", n+1, i, err)
					})
					break
				}
				spent += time.Since(t0)
				token = is.RefreshToken
				n++
			}
			total.Add(n)
			busy.Add(int64(spent))
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	machine := machine0.busySince()
	if firstErr != nil {
		return sideResult{}, firstErr
	}

	n := total.Load()
	res := sideResult{rotations: n, machine: machine}
	if n > 0 {
		res.rate = float64(n) / elapsed.Seconds()
		res.latency = time.Duration(busy.Load() / n)
		res.cpuPer1k = float64(cpu.Microseconds()) / 1000 / float64(n) * 1000
	}
	return res, nil
}

// newRotationService builds the sessions service as internal/app does, on
// db, with a fresh key ring.
func newRotationService(ctx context.Context, db *storage.DB) (*sessions.Service, error) {
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		return nil, err
	}
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		return nil, err
	}
	clk := clock.System{}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	minter, err := tokens.New(ctx, tokens.Options{Config: tokens.Default(),
		Store: tokens.NewSQLStore(db), Ring: ring, Clock: clk, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	auditLog, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: clk, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return sessions.New(sessions.Options{DB: db, Minter: minter,
		AccessTTL: tokens.Default().AccessTokenTTL, Audit: auditLog, Clock: clk,
		Logger: logger, Config: sessions.DefaultConfig()}), nil
}

// openConns makes the pool open n connections now and keep them idle.
func openConns(ctx context.Context, db *storage.DB, n int) error {
	var held []interface{ Close() error }
	defer func() {
		for _, c := range held {
			_ = c.Close() // back to the idle pool; a close error is the pool's concern
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("open connection: %w", err)
		}
		held = append(held, c)
		if err := c.PingContext(ctx); err != nil {
			return fmt.Errorf("open connection: %w", err)
		}
	}
	return nil
}
