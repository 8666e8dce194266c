package accounts

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// SecondFactorFailed counts a wrong second factor (an authenticator,
// recovery, email or text code) toward the account's lockout, exactly as
// a wrong password counts: NIST SP 800-63B section 5.2.2 limits failed
// attempts per account whatever the authenticator, and PCI DSS v4.0.1
// 8.3.4 locks after at most ten. The factor's own, tighter limit is the
// caller's; this one makes an attacker who holds the password unable to
// go on guessing codes across fresh sign-ins. It does not wait the growing
// delay: the factor's limit already slows guessing, and the caller has a
// session or challenge to answer.
func (s *Service) SecondFactorFailed(ctx context.Context, userID string, m Meta) error {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("count factor failure: %w", err)
	}
	key := s.counterKey("account", u.Email.Normalized)
	n, err := s.Counters.Incr(ctx, key, s.Config.LockoutWindow)
	if err != nil {
		return fmt.Errorf("count factor failure: %w", err)
	}
	if n == int64(s.Config.LockoutThreshold) && u.State == StateActive {
		return s.lock(ctx, u, m)
	}
	return nil
}

// SignInCompleted clears the account's failure count once a sign-in is
// complete (the password, and the second factor when there is one), so
// earlier typos do not carry over.
func (s *Service) SignInCompleted(ctx context.Context, userID string) error {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("reset factor failures: %w", err)
	}
	return s.Counters.Reset(ctx, s.counterKey("account", u.Email.Normalized))
}

// ErrCannotSignIn means the account exists but may not sign in now: it is
// disabled, or locked and the lock has not run out.
var ErrCannotSignIn = errors.New("accounts: the account may not sign in now")

// CanSignIn returns the account if it may start a session now. Sign-ins
// that do not go through Authenticate (a passkey without a password) call
// it before creating a session; a refusal is audited.
func (s *Service) CanSignIn(ctx context.Context, userID, method string, m Meta) (User, error) {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return User{}, err
	}
	switch {
	case u.State == StateActive:
		return u, nil
	case u.State == StateLocked && !s.Clock.Now().Before(u.LockedUntil):
		return u, nil
	}
	_, err = s.Audit.Record(ctx, m.event(audit.Event{Actor: anonymous, Action: "login." + method,
		Outcome: audit.OutcomeFailure, Target: audit.Target{Type: "user", ID: u.ID},
		Details: map[string]string{"reason": string(u.State)}}))
	if err != nil {
		return User{}, fmt.Errorf("sign in: %w", err)
	}
	return User{}, ErrCannotSignIn
}

// RateKey names the account an email address signs in to, for per-account
// rate limits, without the address itself: a MAC of its normalised form,
// so that "Ana@Ejemplo.co" and "ana@ejemplo.co" share one limit and a
// limiter's store (Redis) holds no personal data.
func (s *Service) RateKey(email string) string {
	if e, err := ParseEmail(email); err == nil {
		email = e.Normalized
	}
	return hex.EncodeToString(s.Ring.MAC("accounts.ratelimit", []byte(email))[:16])
}
