package accounts

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
	"github.com/cerrojo/cerrojo/internal/password"
)

// Config tunes the account rules.
type Config struct {
	// LockoutThreshold is the number of failed logins for one account in
	// LockoutWindow after which it is locked (PCI DSS 8.3.4: at most 10).
	LockoutThreshold int
	// LockoutWindow is how long failures are remembered.
	LockoutWindow time.Duration
	// LockoutDuration is how long a lock lasts (PCI DSS 8.3.4: at least 30
	// minutes).
	LockoutDuration time.Duration
	// IPThreshold is the number of failed logins from one client IP in
	// LockoutWindow after which that IP may not try again until the window
	// ends. It is higher than LockoutThreshold because many people share
	// an address behind carrier-grade NAT, which is common on Colombian
	// mobile networks.
	IPThreshold int
	// FailureDelay is the wait before answering the third failed login in a
	// window; it doubles with each further failure up to FailureDelayMax.
	FailureDelay    time.Duration
	FailureDelayMax time.Duration
	// BaseURL is where links in emails point, such as
	// https://cuenta.example.co; the paths are appended.
	BaseURL string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		LockoutThreshold: 10,
		LockoutWindow:    30 * time.Minute,
		LockoutDuration:  30 * time.Minute,
		IPThreshold:      100,
		FailureDelay:     250 * time.Millisecond,
		FailureDelayMax:  8 * time.Second,
		BaseURL:          "http://localhost:8080",
	}
}

// Notifier sends the emails of this package. Implementations render the
// person's locale and must not log codes or links.
type Notifier interface {
	VerifyEmail(ctx context.Context, u User, code, link string) error
	EmailAlreadyRegistered(ctx context.Context, u User) error
	PasswordReset(ctx context.Context, u User, link string) error
	PasswordChanged(ctx context.Context, u User) error
	AccountLocked(ctx context.Context, u User, until time.Time) error
	// EmailChangeRequested tells the current address that a change to
	// newAddress was asked for; EmailChanged tells it the change happened.
	EmailChangeRequested(ctx context.Context, u User, newAddress string) error
	EmailChanged(ctx context.Context, u User, newAddress string) error
}

// Options are a Service's dependencies.
type Options struct {
	Store    *Store
	Hasher   *password.Hasher
	Policy   password.Policy
	Breach   password.BreachChecker // optional
	Counters counters.Counters
	Ring     *keyring.Ring
	Audit    audit.Recorder
	Notifier Notifier
	Clock    clock.Clock  // clock.System when nil
	Rand     io.Reader    // crypto/rand when nil
	Logger   *slog.Logger // for failures of background work (mail); slog.Default when nil
	Config   Config
}

// Service runs the account operations.
type Service struct {
	Options
	sleep   func(ctx context.Context, d time.Duration)
	pending sync.WaitGroup
}

// New returns a service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Config == (Config{}) {
		o.Config = DefaultConfig()
	}
	return &Service{Options: o, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
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

// anonymous is the audit actor of a request whose sender is not known: a
// failed login for an unknown email, a registration for a taken one.
var anonymous = audit.Actor{Type: audit.ActorPerson, ID: "anonymous"}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a prefixed random id with 128 bits of randomness.
func (s *Service) newID(prefix string) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.Rand, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return prefix + strings.ToLower(idEncoding.EncodeToString(b)), nil
}

// newSecret returns n random bytes as URL-safe text, for links.
func (s *Service) newSecret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.Rand, b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return strings.ToLower(idEncoding.EncodeToString(b)), nil
}

// newCode returns a 6-digit code, uniform over 000000-999999.
func (s *Service) newCode() (string, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(s.Rand, b[:]); err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		// Reject the top of the range so every code is equally likely.
		if n < 4294000000 {
			return fmt.Sprintf("%06d", n%1000000), nil
		}
	}
}

// mac keys a secret for storage.
func (s *Service) mac(p Purpose, kind, secret string) []byte {
	return s.Ring.MAC("accounts."+string(p)+"."+kind, []byte(secret))
}

// counterKey names a failure counter without putting the email or IP in
// Redis or the database in clear.
func (s *Service) counterKey(kind, value string) string {
	return "lockout:" + kind + ":" + hex.EncodeToString(s.Ring.MAC("accounts.lockout."+kind,
		[]byte(value))[:16])
}

// ValidationError lists what is wrong with an operation's input, field by
// field. Its messages are written for clients.
type ValidationError struct {
	Fields []FieldProblem
}

// FieldProblem is one field's problem.
type FieldProblem struct {
	Field   string // JSON Pointer, such as /password
	Code    string
	Message string // Spanish first; English in MessageEN
	English string
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Code
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

func (e *ValidationError) add(field, code, es, en string) {
	e.Fields = append(e.Fields, FieldProblem{Field: field, Code: code, Message: es, English: en})
}

func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Errors of the operations, written for clients.
var (
	// ErrInvalidCredentials is every failed login: unknown email, wrong
	// password, locked, disabled or pending-deletion account, or a client
	// that failed too often.
	ErrInvalidCredentials = errors.New("the email or password is not correct")
	// ErrInvalidCode is a verification code or link that is wrong, spent or
	// expired.
	ErrInvalidCode = errors.New("the code or link is not valid or has expired")
)

func (s *Service) policyProblems(v *ValidationError, pw string, c password.Context) {
	for _, viol := range s.Policy.Check(pw, c) {
		v.add("/password", string(viol.Code), viol.Message("es"), viol.Message("en"))
	}
}

// checkBreach asks the breach service, when one is configured. The service
// being down does not block people: the check fails open, and the failure
// is logged.
func (s *Service) checkBreach(ctx context.Context, v *ValidationError, pw string) {
	if s.Breach == nil {
		return
	}
	viols, err := s.Policy.CheckBreach(ctx, s.Breach, pw)
	if err != nil {
		s.Logger.WarnContext(ctx, "breached-password check unavailable", "error", err.Error())
		return
	}
	for _, viol := range viols {
		v.add("/password", string(viol.Code), viol.Message("es"), viol.Message("en"))
	}
}

// notify runs a notification in the background: mail must not slow down or
// fail the operation that was already committed, and its timing must not
// reveal whether an account exists.
func (s *Service) notify(what string, fn func(ctx context.Context) error) {
	s.pending.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.Logger.Error("send notification", "notification", what, "error", err.Error())
		}
	})
}

// Wait blocks until every notification started so far has been handed to
// the Notifier; call it at shutdown, and in tests before reading mail.
func (s *Service) Wait() { s.pending.Wait() }

// lookupEmail finds the account of an email as typed. found is false when
// the text is not an address or no account has it: callers that must not
// reveal which answer alike.
func (s *Service) lookupEmail(ctx context.Context, raw string) (u User, found bool, err error) {
	e, err := ParseEmail(raw)
	if err != nil {
		return User{}, false, nil
	}
	u, err = s.Store.UserByEmail(ctx, e.Normalized)
	if errors.Is(err, ErrNotFound) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, err
	}
	return u, true, nil
}

// consume spends a one-time token inside a transaction; a token spent by a
// concurrent request is ErrInvalidCode, so exactly one use succeeds.
func consume(ctx context.Context, st *Store, id string, now time.Time) error {
	ok, err := st.ConsumeToken(ctx, id, now)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidCode
	}
	return nil
}

// newPasswordHash checks a new password against the policy (and the breach
// service, when configured) for person u and hashes it.
func (s *Service) newPasswordHash(ctx context.Context, pw string, u User) (string, error) {
	v := &ValidationError{}
	s.policyProblems(v, pw, password.Context{Email: u.Email.Address, Name: u.Name})
	if len(v.Fields) == 0 {
		s.checkBreach(ctx, v, pw)
	}
	if err := v.orNil(); err != nil {
		return "", err
	}
	return s.Hasher.Hash(ctx, pw)
}
