package mfa

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/counters"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Errors of the operations. Callers tell them apart with errors.Is.
var (
	// ErrInvalidCode is a TOTP or recovery code that is malformed, wrong or
	// already used. Every one counts toward the rate limit; the caller
	// should count it toward account lockout too.
	ErrInvalidCode = errors.New("mfa: the code is not valid")
	// ErrCodeReused is a TOTP code that was right but whose time step was
	// already used (RFC 6238 section 5.2), or a recovery code already
	// spent. errors.Is(ErrCodeReused, ErrInvalidCode) holds, so callers
	// that do not care treat it as any wrong code.
	ErrCodeReused = fmt.Errorf("%w: it was already used", ErrInvalidCode)
	// ErrTooManyAttempts means the person's wrong codes reached
	// Config.MaxFailures in the current window; no code is checked until
	// the window ends.
	ErrTooManyAttempts = errors.New("mfa: too many wrong codes; try again later")
	// ErrNoFactor means the person has no active TOTP factor to verify.
	ErrNoFactor = errors.New("mfa: no active factor")
	// ErrNoSuchFactor means the person has no factor with that id.
	ErrNoSuchFactor = errors.New("mfa: no such factor")
	// ErrNotPending means the factor to activate is already active or was
	// replaced by a newer enrolment.
	ErrNotPending = errors.New("mfa: the factor is not waiting for activation")
	// ErrEnrollmentExpired means the factor to activate was enrolled more
	// than Config.EnrollmentTTL ago; the person must enrol again.
	ErrEnrollmentExpired = errors.New("mfa: the enrolment has expired")
	// ErrTooManyFactors means the person already has Config.MaxTOTPFactors
	// active TOTP factors.
	ErrTooManyFactors = errors.New("mfa: too many factors of this kind")
	// ErrUnknownUser means there is no account with that id.
	ErrUnknownUser = errors.New("mfa: unknown user")
	// ErrInvalidInput wraps a problem with a label or name, which the
	// error names.
	ErrInvalidInput = errors.New("mfa: invalid input")
)

// Config tunes the service. The zero value of each field means its
// default.
type Config struct {
	// MaxFailures is how many wrong codes (TOTP and recovery together) a
	// person may send in FailureWindow; default 5.
	MaxFailures int
	// FailureWindow starts at the first wrong code and lasts this long;
	// default 15 minutes.
	FailureWindow time.Duration
	// MaxTOTPFactors caps a person's active TOTP factors; default 5.
	MaxTOTPFactors int
	// EnrollmentTTL is how long a pending factor can be activated; default
	// 30 minutes.
	EnrollmentTTL time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxFailures == 0 {
		c.MaxFailures = defaultMaxFailures
	}
	if c.FailureWindow == 0 {
		c.FailureWindow = defaultFailureWindow
	}
	if c.MaxTOTPFactors == 0 {
		c.MaxTOTPFactors = defaultMaxTOTPFactors
	}
	if c.EnrollmentTTL == 0 {
		c.EnrollmentTTL = defaultEnrollmentTTL
	}
	return c
}

// Validate reports the first field outside its bounds, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.MaxFailures < 1 || c.MaxFailures > 20:
		// Past 20 guesses per window the rate limit no longer protects a
		// six-digit code for long.
		return fmt.Errorf("mfa config: max_failures is %d, want 1 to 20", c.MaxFailures)
	case c.FailureWindow < time.Minute || c.FailureWindow > 24*time.Hour:
		return fmt.Errorf("mfa config: failure_window is %s, want 1m to 24h", c.FailureWindow)
	case c.MaxTOTPFactors < 1 || c.MaxTOTPFactors > 20:
		return fmt.Errorf("mfa config: max_totp_factors is %d, want 1 to 20", c.MaxTOTPFactors)
	case c.EnrollmentTTL < time.Minute || c.EnrollmentTTL > 24*time.Hour:
		return fmt.Errorf("mfa config: enrollment_ttl is %s, want 1m to 24h", c.EnrollmentTTL)
	}
	return nil
}

// Change says what changed about a person's factors, for Notifier.
type Change string

// The changes a Notifier hears about.
const (
	ChangeTOTPAdded              Change = "totp_added"
	ChangeFactorRemoved          Change = "factor_removed"
	ChangeRecoveryCodesGenerated Change = "recovery_codes_generated"
	ChangeRecoveryCodesDeleted   Change = "recovery_codes_deleted"
)

// Notifier tells a person about changes to their second factors, so that
// a change they did not make does not go unnoticed. It is called after the
// change commits, in the background; errors are logged. Implementations
// must never receive or send codes or seeds: they get none.
type Notifier interface {
	FactorsChanged(ctx context.Context, userID string, what Change) error
	RecoveryCodeUsed(ctx context.Context, userID string, remaining int) error
}

// Options are a Service's dependencies.
type Options struct {
	DB *storage.DB
	// Ring seals TOTP seeds and recovery-code hashes and keys the rate
	// limit's counter names.
	Ring  *keyring.Ring
	Audit audit.Recorder
	// Counters counts wrong codes across nodes; counters.NewSQL(DB, Clock)
	// when nil.
	Counters counters.Counters
	// Notifier is optional.
	Notifier Notifier
	// Issuer names the service in authenticator apps, such as "Mercado
	// Ejemplo". It is required and may not contain a colon.
	Issuer string
	Clock  clock.Clock  // clock.System when nil
	Rand   io.Reader    // crypto/rand when nil
	Logger *slog.Logger // for failed notifications; slog.Default when nil
	Config Config
}

// Service manages TOTP factors and recovery codes. It is safe for
// concurrent use, and several nodes may share one database.
type Service struct {
	db       *storage.DB
	ring     *keyring.Ring
	audit    audit.Recorder
	counters counters.Counters
	notifier Notifier
	issuer   string
	clock    clock.Clock
	rand     io.Reader
	logger   *slog.Logger
	cfg      Config
	pending  sync.WaitGroup
}

// New returns a service, or an error naming the option that is missing or
// out of bounds.
func New(o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("mfa: no database")
	case o.Ring == nil:
		return nil, errors.New("mfa: no key ring")
	case o.Audit == nil:
		return nil, errors.New("mfa: no audit log")
	}
	if err := checkLabel("issuer", o.Issuer, maxIssuerBytes); err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	s := &Service{db: o.DB, ring: o.Ring, audit: o.Audit, counters: o.Counters,
		notifier: o.Notifier, issuer: o.Issuer, clock: o.Clock, rand: o.Rand,
		logger: o.Logger, cfg: o.Config.withDefaults()}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.rand == nil {
		s.rand = rand.Reader
	} else {
		s.rand = &lockedReader{r: s.rand}
	}
	if s.counters == nil {
		s.counters = counters.NewSQL(o.DB, s.clock)
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s, nil
}

// Meta describes the request an operation comes from, for the audit log.
type Meta struct {
	IP        string
	UserAgent string
	RequestID string
}

func (m Meta) event(e audit.Event) audit.Event {
	e.IP, e.UserAgent, e.RequestID = m.IP, m.UserAgent, m.RequestID
	return e
}

// person is the audit actor for userID: every operation here is done by
// the person on their own account.
func person(userID string) audit.Actor {
	return audit.Actor{Type: audit.ActorPerson, ID: userID}
}

// lockedReader serialises reads from a caller's io.Reader, which need not
// be safe for concurrent use.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

func (s *Service) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	return b, nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newFactorID returns "mfa_" and 128 random bits in lower-case base32.
func (s *Service) newFactorID() (string, error) {
	b, err := s.random(16)
	if err != nil {
		return "", err
	}
	return "mfa_" + strings.ToLower(idEncoding.EncodeToString(b)), nil
}

// counterKey names a person's wrong-code counter by a MAC of their id, so
// that Redis and the counters table hold no account ids in clear. After a
// master key rotation the names change and counts start again: an
// attacker gains at most one window's tries, once.
func (s *Service) counterKey(userID string) string {
	return "mfa:" + hex.EncodeToString(s.ring.MAC("mfa.attempts", []byte(userID))[:16])
}

// notify runs a notification after a commit, in the background: mail must
// neither slow down nor fail a change already made. The request's values
// are kept but not its cancellation.
func (s *Service) notify(ctx context.Context, what string, fn func(ctx context.Context) error) {
	if s.notifier == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.pending.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.logger.ErrorContext(ctx, "send mfa notification", "notification", what,
				"error", err.Error())
		}
	})
}

// Wait blocks until every notification started so far has returned; call
// it at shutdown, and in tests before reading what was notified.
func (s *Service) Wait() { s.pending.Wait() }
