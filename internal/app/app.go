// Package app assembles one cerrojo node from its configuration: database,
// migrations, master key, Redis and the HTTP server with every capability's
// routes. `cerrojo serve` and the end-to-end tests both start nodes through
// it, so what the tests run is what operators run.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/habeasdata"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/incidents"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/login"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
	"github.com/cerrojo/cerrojo/internal/redisconn"
	"github.com/cerrojo/cerrojo/internal/server"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/vendors"
)

// SQLiteFileName is the embedded database's file in the data directory.
const SQLiteFileName = "cerrojo.db"

// App is a running node's parts.
type App struct {
	Config config.Config
	Logger *slog.Logger
	Clock  clock.Clock
	DB     *storage.DB
	Redis  *redis.Client // nil without Redis
	// Limits are the public listener's rate limits; nil when turned off.
	Limits *ratelimit.Middleware
	Ring   *keyring.Ring
	Audit  *audit.Log
	capabilities
	// Server is the public API; Admin is the admin API, nil when
	// admin.listen_addr is empty.
	Server *server.Server
	Admin  *server.Server
	setup  setup
}

// New opens the node's dependencies and builds its server. It applies
// migrations when the configuration says so, and refuses to start with
// pending migrations otherwise, or with a master key that does not match
// the database.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger) (_ *App, err error) {
	a := &App{Config: cfg, Logger: logger, Clock: clock.System{}}
	defer func() {
		if err != nil {
			_ = a.Close() // the error that stopped New is the one returned
		}
	}()

	if err := a.openDatabase(ctx); err != nil {
		return nil, err
	}
	if err := a.migrate(ctx); err != nil {
		return nil, err
	}
	if err := a.openKeyring(ctx); err != nil {
		return nil, err
	}
	a.Audit, err = audit.New(audit.Options{DB: a.DB, Ring: a.Ring, Clock: a.Clock,
		Config: AuditConfig(cfg.Audit), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if cfg.Redis.URL != "" {
		a.Redis, err = redisconn.Open(cfg.Redis.URL.Reveal())
		if err != nil {
			return nil, err
		}
		// Redis is optional at run time: an outage degrades readiness but
		// must not keep the node from starting.
		if err := redisconn.Ping(ctx, a.Redis); err != nil {
			logger.Warn("redis is not reachable; continuing without it until it is",
				"error", err.Error())
		}
	}
	if err := a.openCapabilities(ctx); err != nil {
		return nil, err
	}

	reg := newRegistry()
	reg.MustRegister(&login.Adoption{DB: a.DB, Clock: a.Clock, Logger: logger},
		habeasdata.Metrics{Service: a.HabeasData},
		incidents.NewCollector(a.DB, a.Clock, logger))
	metrics := httpx.NewMetrics(reg)
	var proxies httpx.Proxies
	for _, p := range config.List(cfg.HTTP.TrustedProxies) {
		prefix, _ := config.ParseProxy(p) // Validate has checked it
		proxies = append(proxies, prefix)
	}
	a.Limits, err = a.openRateLimits(reg)
	if err != nil {
		return nil, err
	}
	public := server.Options{Name: "public", HTTP: cfg.HTTP, Logger: logger,
		BodyLimits: map[string]int64{
			// A document upload is a file, not JSON: vendors.max_document_bytes.
			vendors.UploadPattern: int64(cfg.Vendors.MaxDocumentBytes)},
		Registry: reg, Metrics: metrics, Checks: a.readinessChecks(), Proxies: proxies,
		CORSOrigins: config.List(cfg.HTTP.CORSOrigins)}
	if a.Limits != nil {
		public.Limit = limitRoutes(a.Limits)
	}
	if a.Server, err = server.New(public); err != nil {
		return nil, fmt.Errorf("http.tls_cert_file: %w", err)
	}
	if cfg.Admin.ListenAddr != "" {
		// The admin listener serves operators on a private network: it is
		// not rate limited, and every /v1/admin/ route needs an operator's
		// sign-in (requireOperator).
		a.Admin, err = server.New(server.Options{Name: "admin", HTTP: cfg.HTTP, Logger: logger,
			Registry: reg, Metrics: metrics, Checks: a.readinessChecks(), Proxies: proxies,
			CORSOrigins: config.List(cfg.HTTP.CORSOrigins), Guard: a.requireOperator})
		if err != nil {
			return nil, fmt.Errorf("http.tls_cert_file: %w", err)
		}
	}
	a.routes()
	return a, nil
}

func (a *App) openDatabase(ctx context.Context) error {
	var err error
	if a.Config.Embedded() {
		path := filepath.Join(a.Config.DataDir, SQLiteFileName)
		a.DB, err = storage.OpenSQLite(ctx, path)
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(a.Config.DataDir)
		a.Logger.Info("embedded single-node mode: SQLite database in the data directory; "+
			"set CERROJO_DATABASE_URL to a PostgreSQL URL to run several nodes",
			"data_dir", abs, "database", path)
		return nil
	}

	a.DB, err = storage.OpenPostgres(ctx, a.Config.Database.URL.Reveal(),
		storage.PostgresOptions{MaxOpenConns: a.Config.Database.MaxOpenConns})
	if err != nil {
		return err
	}
	a.Logger.Info("database: PostgreSQL", "database", a.DB.Location())
	return nil
}

func (a *App) migrate(ctx context.Context) error {
	if !a.Config.Database.MigrateOnStart {
		pending, err := a.DB.HasPendingMigrations(ctx)
		if err != nil {
			return err
		}
		if pending {
			return errors.New("the database has pending migrations and " +
				"database.migrate_on_start is false; run `cerrojo migrate up` first")
		}
		return nil
	}

	applied, err := a.DB.MigrateUp(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		a.Logger.Info("applied migration", "version", m.Version, "name", m.Name)
	}
	return nil
}

func (a *App) openKeyring(ctx context.Context) error {
	key, src, err := keyring.LoadMasterKey(a.Config, rand.Reader)
	if err != nil {
		return err
	}
	switch {
	case src.Created:
		a.Logger.Info("created a new master key; back it up; without it the secrets in "+
			"this database cannot be read", "master_key_file", src.Path)
	case src.Path != "":
		a.Logger.Info("master key loaded", "source", src.Kind, "master_key_file", src.Path)
	default:
		a.Logger.Info("master key loaded", "source", "CERROJO_MASTER_KEY")
	}
	if src.LooseMode != 0 {
		a.Logger.Warn("master key file can be read by other users; run chmod 600 on it",
			"master_key_file", src.Path, "mode", src.LooseMode.String())
	}

	a.Ring, err = keyring.NewFromConfig(rand.Reader, key, a.Config)
	if err != nil {
		return err
	}
	return keyring.VerifyDatabase(ctx, a.Ring, keyring.NewSQLStore(a.DB), a.Clock.Now())
}

func (a *App) readinessChecks() []server.Check {
	checks := []server.Check{{Name: "database", Func: a.DB.PingContext}}
	if a.Redis != nil {
		checks = append(checks, server.Check{Name: "redis", Func: func(ctx context.Context) error {
			return redisconn.Ping(ctx, a.Redis)
		}})
	}
	return checks
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Run serves the public API, and the admin API when it is enabled, on the
// configured addresses until ctx is cancelled.
func (a *App) Run(ctx context.Context) error {
	public, err := net.Listen("tcp", a.Config.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (listen_addr): %w", a.Config.ListenAddr, err)
	}
	var admin net.Listener
	if a.Admin != nil {
		admin, err = net.Listen("tcp", a.Config.Admin.ListenAddr)
		if err != nil {
			_ = public.Close() // unused listener; the listen error is what matters
			return fmt.Errorf("listen on %s (admin.listen_addr): %w", a.Config.Admin.ListenAddr,
				err)
		}
	}
	return a.RunListeners(ctx, public, admin)
}

// RunListeners serves the public API on public and the admin API on admin
// (which may be nil) until ctx is cancelled or either server fails; then both
// shut down gracefully.
func (a *App) RunListeners(ctx context.Context, public, admin net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	background := a.startBackground(ctx)
	// Deferred calls run last first: stop the loops, then wait for them.
	defer background.Wait()
	defer cancel()

	type result struct {
		name string
		err  error
	}
	results := make(chan result, 2)
	running := 0
	serve := func(name string, s *server.Server, ln net.Listener) {
		a.Logger.Info("listening", "listener", name, "addr", ln.Addr().String())
		running++
		go func() { results <- result{name, s.Run(ctx, ln)} }()
	}
	serve("public", a.Server, public)
	if a.Admin != nil && admin != nil {
		serve("admin", a.Admin, admin)
	}

	var errs []error
	for range running {
		r := <-results
		cancel() // one server stopping, for whatever reason, stops the other
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s listener: %w", r.name, r.err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	a.Logger.Info("stopped cleanly")
	return nil
}

// startBackground runs the node's periodic work until ctx ends: signing
// audit checkpoints, audit retention and forwarding. Each loop reports its
// own failures to the log and keeps going.
func (a *App) startBackground(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	run := func(name string, fn func(ctx context.Context) error) {
		wg.Go(func() {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				a.Logger.Error("background task stopped", "task", name, "error", err.Error())
			}
		})
	}
	a.capabilityLoops(run)
	if every := a.Config.Audit.CheckpointEvery.D(); every > 0 {
		run("audit_checkpoints", func(ctx context.Context) error {
			return a.Audit.RunCheckpointer(ctx, every)
		})
	}
	if a.Config.Audit.RetentionDays > 0 {
		run("audit_retention", func(ctx context.Context) error {
			return a.Audit.RunRetention(ctx, 6*time.Hour)
		})
	}
	if sink, err := audit.NewSink(AuditConfig(a.Config.Audit).Forward); err != nil {
		a.Logger.Error("audit forwarding is misconfigured; records are not forwarded",
			"error", err.Error())
	} else if sink != nil {
		f, err := a.Audit.NewForwarder(sink)
		if err != nil {
			a.Logger.Error("audit forwarding cannot start", "error", err.Error())
		} else {
			run("audit_forwarding", f.Run)
		}
	}
	return &wg
}

// Close releases the node's connections.
func (a *App) Close() error {
	var errs []error
	// Let queued emails reach the sender before the connections close.
	if a.Accounts != nil {
		a.Accounts.Wait()
	}
	if a.Sessions != nil {
		a.Sessions.Wait()
	}
	if a.MFA != nil {
		a.MFA.Wait()
	}
	if a.login != nil {
		a.login.Wait()
	}
	if a.HabeasData != nil {
		a.HabeasData.Wait()
	}
	if a.Vendors != nil {
		a.Vendors.Wait()
	}
	if a.Redis != nil {
		errs = append(errs, a.Redis.Close())
	}
	if a.DB != nil {
		errs = append(errs, a.DB.Close())
	}
	return errors.Join(errs...)
}
