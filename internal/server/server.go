// Package server assembles cerrojo's HTTP server: the middleware stack of
// package httpx around a router, the operational endpoints (/healthz,
// /readyz, /metrics), and a run loop that shuts down gracefully.
//
// Capabilities add their routes to Router() before Run is called.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// Check is one dependency that /readyz asks about.
type Check struct {
	// Name appears in the /readyz answer, such as "database".
	Name string
	// Func returns nil when the dependency is usable.
	Func func(ctx context.Context) error
}

// Options configure a Server.
type Options struct {
	// Name tells listeners apart in logs: "public" or "admin".
	Name     string
	HTTP     config.HTTPConfig
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Metrics are shared by every listener of the process; nil makes new
	// ones on Registry.
	Metrics *httpx.Metrics
	Checks  []Check
	// Proxies may name the client in forwarding headers (http.trusted_proxies).
	Proxies httpx.Proxies
	// CORSOrigins may call the API from a browser (http.cors_origins).
	CORSOrigins []string
	// Limit, when set, wraps the router: rate limits, which run after the
	// request is identified and logged and before any route reads a body.
	// It receives the router to learn which route a request is for.
	Limit func(rt *httpx.Router, next http.Handler) http.Handler
	// BodyLimits replace http.max_body_bytes for the routes they name, by
	// pattern (uploads of documents).
	BodyLimits map[string]int64
	// Guard, when set, wraps the router inside every other middleware:
	// the admin listener's authentication of operators.
	Guard func(next http.Handler) http.Handler
}

// Server is cerrojo's HTTP server.
type Server struct {
	opts    Options
	router  *httpx.Router
	handler http.Handler
	http    *http.Server
	tls     *tls.Config // nil: plain HTTP
}

// New builds a server. Its operational routes are already registered. It
// fails only when http.tls_cert_file and http.tls_key_file cannot be
// loaded.
func New(opts Options) (*Server, error) {
	if opts.Name == "" {
		opts.Name = "public"
	}
	if opts.Metrics == nil {
		opts.Metrics = httpx.NewMetrics(opts.Registry)
	}
	s := &Server{opts: opts, router: httpx.NewRouter()}
	logger := opts.Logger.With("listener", opts.Name)

	s.router.HandleFunc("GET /healthz", s.healthz)
	s.router.HandleFunc("GET /readyz", s.readyz)
	s.router.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
	}))

	// Outermost first. AccessLog wraps Recover so a recovered panic is
	// logged and counted as the 500 it became.
	var h http.Handler = s.router
	if opts.Guard != nil {
		h = opts.Guard(h)
	}
	if opts.Limit != nil {
		h = opts.Limit(s.router, h)
	}
	h = httpx.LimitBodyByRoute(opts.HTTP.MaxBodyBytes, s.router, opts.BodyLimits)(h)
	h = httpx.CORS(opts.CORSOrigins)(h)
	h = httpx.SecurityHeaders(h)
	h = httpx.Recover(logger)(h)
	h = httpx.AccessLog(logger, opts.Metrics)(h)
	h = httpx.RequestInfo(opts.Proxies)(h)
	s.handler = h

	if opts.HTTP.TLSCertFile != "" {
		certs, err := newCertReloader(opts.HTTP.TLSCertFile, opts.HTTP.TLSKeyFile, logger)
		if err != nil {
			return nil, err
		}
		s.tls = tlsConfig(certs)
	}
	s.http = &http.Server{
		TLSConfig:         s.tls,
		Handler:           h,
		ReadHeaderTimeout: opts.HTTP.ReadHeaderTimeout.D(),
		ReadTimeout:       opts.HTTP.ReadTimeout.D(),
		WriteTimeout:      opts.HTTP.WriteTimeout.D(),
		IdleTimeout:       opts.HTTP.IdleTimeout.D(),
		MaxHeaderBytes:    opts.HTTP.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Router is where capabilities register their routes.
func (s *Server) Router() *httpx.Router { return s.router }

// Handler is the complete handler, middleware included, for tests.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves on ln until ctx is cancelled, then stops accepting connections
// and waits up to the shutdown timeout for requests in flight to finish.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() {
		if s.tls != nil {
			// The certificate comes from TLSConfig.GetCertificate.
			errc <- s.http.ServeTLS(ln, "", "")
			return
		}
		errc <- s.http.Serve(ln)
	}()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	timeout := s.opts.HTTP.ShutdownTimeout.D()
	s.opts.Logger.Info("shutting down: draining requests in flight", "listener", s.opts.Name,
		"timeout", timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	shutdownErr := s.http.Shutdown(shutdownCtx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if shutdownErr != nil {
		_ = s.http.Close() // forced close after the timeout; the shutdown error is returned
		return fmt.Errorf("shutdown: requests still running after %s: %w", timeout, shutdownErr)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds each readiness check: a load balancer polls often and
// must get an answer before its own timeout.
const readyTimeout = 2 * time.Second

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	out := readiness{Status: "ready", Checks: make(map[string]string, len(s.opts.Checks))}
	status := http.StatusOK

	for _, c := range s.opts.Checks {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := c.Func(ctx)
		cancel()
		if err != nil {
			// The reason goes to the log with the request; the answer
			// says only which dependency failed.
			httpx.NoteError(r.Context(), fmt.Errorf("readiness %s: %w", c.Name, err))
			out.Checks[c.Name] = "unavailable"
			out.Status = "unavailable"
			status = http.StatusServiceUnavailable
			continue
		}
		out.Checks[c.Name] = "ok"
	}
	return httpx.WriteJSON(w, status, out)
}
