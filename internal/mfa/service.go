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
	"github.com/cerrojo/cerrojo/internal/sms"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Errors of the operations. Callers tell them apart with errors.Is.
var (
	// ErrInvalidCode is a TOTP, recovery, text or email code that is
	// malformed, wrong, expired or already used. Every one counts toward
	// the rate limit; the caller should count it toward account lockout
	// too.
	ErrInvalidCode = errors.New("mfa: the code is not valid")
	// ErrCodeReused is a TOTP code that was right but whose time step was
	// already used (RFC 6238 section 5.2), or a recovery, text or email
	// code already spent. errors.Is(ErrCodeReused, ErrInvalidCode) holds, so callers
	// that do not care treat it as any wrong code.
	ErrCodeReused = fmt.Errorf("%w: it was already used", ErrInvalidCode)
	// ErrTooManyAttempts means the person's wrong codes reached
	// Config.MaxFailures in the current window; no code is checked until
	// the window ends.
	ErrTooManyAttempts = errors.New("mfa: too many wrong codes; try again later")
	// ErrNoFactor means the person has no active TOTP factor to verify,
	// or that the text or email factor named is not active yet.
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
	// ErrInvalidPhone is a phone number that is not valid or cannot
	// receive text messages. errors.Is(ErrInvalidPhone, ErrInvalidInput)
	// holds.
	ErrInvalidPhone = fmt.Errorf("%w: phone number", ErrInvalidInput)
	// ErrSMSDisabled means codes by text message are switched off
	// (Config.SMSCodes).
	ErrSMSDisabled = errors.New("mfa: codes by text message are not offered")
	// ErrEmailCodesDisabled means codes by email are switched off
	// (Config.EmailCodes).
	ErrEmailCodesDisabled = errors.New("mfa: codes by email are not offered")
	// ErrStrongFactorRequired means codes by text message are offered only
	// to people who also hold an authenticator app or a passkey
	// (Config.SMSRequiresStrongFactor; OWASP ASVS 5.0 requirement 6.6.1),
	// and this person holds neither.
	ErrStrongFactorRequired = errors.New(
		"mfa: codes by text message need an authenticator app or a passkey first")
	// ErrEmailNotVerified means the account's email address has not been
	// verified, so codes cannot be sent to it.
	ErrEmailNotVerified = errors.New("mfa: the account's email address is not verified")
	// ErrAddressChanged means the account's email address is no longer
	// the one the email factor was enrolled with; the person must enrol
	// it again.
	ErrAddressChanged = errors.New(
		"mfa: the account's email address changed since the factor was added")
	// ErrAlreadyEnrolled means the person already has an active factor
	// sending codes to that phone number or address.
	ErrAlreadyEnrolled = errors.New("mfa: that destination is already a factor")
	// ErrThrottled means too many codes were sent lately; the error is a
	// *ThrottledError, which says when to try again.
	ErrThrottled = errors.New("mfa: too many codes sent; try again later")
	// ErrDelivery wraps the failure to hand a code to the text-message
	// provider or the mail sender. The code was issued but may not
	// arrive; the person can ask for another one.
	ErrDelivery = errors.New("mfa: the code could not be sent")
)

// Config tunes the service. The zero value of each field means its
// default.
type Config struct {
	// MaxFailures is how many wrong codes (TOTP, recovery, text and email
	// together) a person may send in FailureWindow; default 5.
	MaxFailures int
	// FailureWindow starts at the first wrong code and lasts this long;
	// default 15 minutes.
	FailureWindow time.Duration
	// MaxTOTPFactors caps a person's active TOTP factors; default 5.
	MaxTOTPFactors int
	// EnrollmentTTL is how long a pending factor can be activated; default
	// 30 minutes.
	EnrollmentTTL time.Duration

	// SMSCodes offers one-time codes by text message as a second factor.
	// Off by default; Options.SMS must be set when it is on.
	SMSCodes bool
	// SMSRequiresStrongFactor accepts codes by text message only from
	// people who also hold an active TOTP factor or, through
	// Options.StrongFactor, a passkey (OWASP ASVS 5.0 requirement 6.6.1):
	// a text can be read by whoever takes over the phone number.
	SMSRequiresStrongFactor bool
	// EmailCodes offers one-time codes by email, to the account's verified
	// address, as a second factor. Off by default; Options.EmailCode must
	// be set when it is on.
	EmailCodes bool
	// CodeTTL is how long a texted or emailed code stays valid; default
	// and most 10 minutes.
	CodeTTL time.Duration
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
	if c.CodeTTL == 0 {
		c.CodeTTL = defaultCodeTTL
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
	case c.CodeTTL < minCodeTTL || c.CodeTTL > maxCodeTTL:
		return fmt.Errorf("mfa config: code_ttl is %s, want %s to %s", c.CodeTTL, minCodeTTL,
			maxCodeTTL)
	}
	return nil
}

// Change says what changed about a person's factors, for Notifier.
type Change string

// The changes a Notifier hears about. ChangeFactorRemoved is the removal
// of a TOTP factor; it was named before there were other kinds.
const (
	ChangeTOTPAdded              Change = "totp_added"
	ChangeFactorRemoved          Change = "factor_removed"
	ChangeRecoveryCodesGenerated Change = "recovery_codes_generated"
	ChangeRecoveryCodesDeleted   Change = "recovery_codes_deleted"
	ChangeSMSAdded               Change = "sms_added"
	ChangeSMSRemoved             Change = "sms_removed"
	ChangeEmailAdded             Change = "email_added"
	ChangeEmailRemoved           Change = "email_removed"
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
	// Ring seals TOTP seeds, recovery-code hashes and the destinations of
	// text and email factors, and keys the MACs of their codes and the
	// rate limit's counter names.
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

	// SMS sends codes by text message; required when Config.SMSCodes is
	// set.
	SMS sms.Sender
	// EmailCode sends a code by email; required when Config.EmailCodes is
	// set. notify.Mailer.EmailCode is one.
	EmailCode EmailCodeFunc
	// StrongFactor, when set, reports whether the person holds a strong
	// factor kept outside this package (a passkey), for
	// Config.SMSRequiresStrongFactor. When nil only TOTP counts.
	StrongFactor func(ctx context.Context, userID string) (bool, error)
}

// Service manages TOTP factors, text and email factors, and recovery
// codes. It is safe for concurrent use, and several nodes may share one
// database.
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

	sms          sms.Sender
	emailCode    EmailCodeFunc
	strongFactor func(ctx context.Context, userID string) (bool, error)
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
	switch {
	case o.Config.SMSCodes && o.SMS == nil:
		return nil, errors.New("mfa: codes by text message are on but there is no SMS sender")
	case o.Config.EmailCodes && o.EmailCode == nil:
		return nil, errors.New("mfa: codes by email are on but there is no email sender")
	}
	s := &Service{db: o.DB, ring: o.Ring, audit: o.Audit, counters: o.Counters,
		notifier: o.Notifier, issuer: o.Issuer, clock: o.Clock, rand: o.Rand,
		logger: o.Logger, cfg: o.Config.withDefaults(), sms: o.SMS, emailCode: o.EmailCode,
		strongFactor: o.StrongFactor}
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
