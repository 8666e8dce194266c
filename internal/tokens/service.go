package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/sdk"
)

// Options are what a Service is built from.
type Options struct {
	Config Config
	Store  Store
	// Ring seals and opens the private keys.
	Ring  *keyring.Ring
	Clock clock.Clock
	// Logger receives Run's reports of failed maintenance; nil discards
	// them.
	Logger *slog.Logger
}

// Service mints and verifies access tokens and publishes the JWKS.
type Service struct {
	cfg      Config
	clock    clock.Clock
	keys     *Keys
	verifier *sdk.Verifier
	logger   *slog.Logger
}

// New checks the configuration, creates the first keys on a new database
// (and otherwise does whatever maintenance is due), and loads the key set.
func New(ctx context.Context, opts Options) (*Service, error) {
	cfg := opts.Config.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Store == nil || opts.Ring == nil || opts.Clock == nil {
		return nil, errors.New("tokens: Store, Ring and Clock are required")
	}

	s := &Service{cfg: cfg, clock: opts.Clock, logger: opts.Logger,
		keys: NewKeys(cfg, opts.Store, opts.Ring, opts.Clock)}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if err := s.keys.Maintain(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}

	v, err := sdk.NewVerifier(sdk.Config{Issuer: cfg.Issuer, Audiences: []string{cfg.Audience},
		Keys: keySource{s.keys}, Now: opts.Clock.Now})
	if err != nil {
		return nil, err
	}
	s.verifier = v
	return s, nil
}

// Keys returns the service's key manager.
func (s *Service) Keys() *Keys { return s.keys }

// Verifier returns a verifier of this service's tokens for the configured
// audience, reading keys in process: cerrojo's own endpoints use it.
func (s *Service) Verifier() *sdk.Verifier { return s.verifier }

// Verify checks a token with Verifier.
func (s *Service) Verify(ctx context.Context, token string) (*sdk.Claims, error) {
	return s.verifier.Verify(ctx, token)
}

// Run keeps the keys fresh and rotates them on schedule until ctx ends.
// Every node runs it; the store's lock makes one of them do each change.
func (s *Service) Run(ctx context.Context) error {
	return s.keys.Run(ctx, func(err error) {
		s.logger.Warn("signing key maintenance failed", "error", err.Error())
	})
}

// Routes registers the JWKS.
func (s *Service) Routes(r *httpx.Router) {
	r.HandleFunc("GET /.well-known/jwks.json", s.jwks)
}

// jwks serves the published keys (RFC 7517 section 5). Caches may keep the
// document for JWKSMaxAge, which the key timings allow for; the strong
// ETag lets them revalidate it cheaply (RFC 9110 section 13.1.2).
func (s *Service) jwks(w http.ResponseWriter, r *http.Request) error {
	set, err := s.keys.Set()
	if err != nil {
		// A stale set might lack the next key: better no answer, which
		// clients retry, than one they would cache.
		httpx.NoteError(r.Context(), err)
		w.Header().Set("Retry-After", "5")
		return httpx.NewProblem(http.StatusServiceUnavailable, httpx.CodeUnavailable,
			"the signing keys are being reloaded; try again shortly")
	}
	body, etag := set.JWKS()

	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.JWKSMaxAge.Seconds())))
	h.Set("ETag", etag)
	if httpx.NotModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}
