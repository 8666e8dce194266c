package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// Login is the outcome of a successful password check.
type Login struct {
	User User
	// MustChangePassword is set when the password must be replaced before
	// anything else (an admin asked, or it was found in a breach at this
	// login).
	MustChangePassword bool
}

// delayFrom is the first failure in a window that is answered late: two
// typos cost nothing, a third starts the growing delay (OWASP
// Authentication Cheat Sheet, "account lockout").
const delayFrom = 3

// failureDelay is the wait before answering the n-th failure in a window:
// Config.FailureDelay for the third, doubling with each further one, up to
// Config.FailureDelayMax.
func (c Config) failureDelay(n int64) time.Duration {
	if n < delayFrom || c.FailureDelay <= 0 {
		return 0
	}
	d := c.FailureDelay << min(n-delayFrom, 20)
	return min(d, c.FailureDelayMax)
}

// Authenticate checks an email and password. A right password does not
// clear the account's failure count: the caller does, with
// SignInCompleted, once the whole sign-in (second factor included)
// succeeded, so that wrong second factors between right passwords still
// add up to a lockout. Every failure is
// ErrInvalidCredentials after alike work: an unknown email runs a dummy
// hash, and locked or disabled accounts are checked after the password, so
// neither the answer nor its time tells them apart. Sessions and tokens are
// the caller's next step.
func (s *Service) Authenticate(ctx context.Context, email, pw string, m Meta) (Login, error) {
	e, emailErr := ParseEmail(email)
	acctKey := s.counterKey("account", e.Normalized)
	if emailErr != nil {
		acctKey = s.counterKey("account", email)
	}
	ipKey := s.counterKey("ip", m.IP)

	// 1. Refuse at once, with the same work, when the email or IP has
	// failed too often.
	blocked, err := s.blocked(ctx, acctKey, ipKey)
	if err != nil {
		return Login{}, fmt.Errorf("login: %w", err)
	}

	// 2. Load the account; for an unknown email, spend a dummy hash.
	var u User
	found := false
	if emailErr == nil {
		u, err = s.Store.UserByEmail(ctx, e.Normalized)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, ErrNotFound):
			return Login{}, fmt.Errorf("login: %w", err)
		}
	}
	if !found || u.PasswordHash == "" {
		if err := s.Hasher.DummyVerify(ctx, pw); err != nil && ctx.Err() != nil {
			return Login{}, ctx.Err()
		}
		return Login{}, s.failLogin(ctx, acctKey, ipKey, u, found, reason(blocked, "unknown_email"), m)
	}

	// 3. Check the password, whatever the account's state.
	ok, rehash, err := s.Hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		if ctx.Err() != nil {
			return Login{}, ctx.Err()
		}
		return Login{}, fmt.Errorf("login: verify password of %s: %w", u.ID, err)
	}
	if blocked != "" {
		return Login{}, s.failLogin(ctx, acctKey, ipKey, u, true, blocked, m)
	}
	if !ok {
		return Login{}, s.failLogin(ctx, acctKey, ipKey, u, true, "wrong_password", m)
	}

	// 4. The password is right; now the account's state decides.
	now := s.Clock.Now()
	switch u.State {
	case StateActive:
	case StateLocked:
		if now.Before(u.LockedUntil) {
			return Login{}, s.failLogin(ctx, acctKey, ipKey, u, true, "locked", m)
		}
	default:
		return Login{}, s.failLogin(ctx, acctKey, ipKey, u, true, string(u.State), m)
	}

	return s.succeedLogin(ctx, u, pw, rehash, m)
}

func reason(blocked, otherwise string) string {
	if blocked != "" {
		return blocked
	}
	return otherwise
}

// blocked says why the email or IP may not try now ("" when they may).
func (s *Service) blocked(ctx context.Context, acctKey, ipKey string) (string, error) {
	n, err := s.Counters.Get(ctx, acctKey)
	if err != nil {
		return "", err
	}
	if n >= int64(s.Config.LockoutThreshold) {
		return "too_many_failures", nil
	}
	n, err = s.Counters.Get(ctx, ipKey)
	if err != nil {
		return "", err
	}
	if n >= int64(s.Config.IPThreshold) {
		return "ip_blocked", nil
	}
	return "", nil
}

// failLogin counts the failure, locks the account when it reaches the
// threshold, audits, waits the growing delay and returns
// ErrInvalidCredentials.
func (s *Service) failLogin(ctx context.Context, acctKey, ipKey string, u User, found bool,
	why string, m Meta) error {
	n, err := s.Counters.Incr(ctx, acctKey, s.Config.LockoutWindow)
	if err != nil {
		return fmt.Errorf("login: count failure: %w", err)
	}
	ipN, err := s.Counters.Incr(ctx, ipKey, s.Config.LockoutWindow)
	if err != nil {
		return fmt.Errorf("login: count failure: %w", err)
	}
	if ipN == int64(s.Config.IPThreshold) {
		// Many failures from one address, over any number of accounts: the
		// shape of credential stuffing. The address is blocked for the rest
		// of the window (blocked), and operators alert on this event.
		_, err := s.Audit.Record(ctx, m.event(audit.Event{
			Actor:  audit.Actor{Type: audit.ActorSystem, ID: "lockout"},
			Action: "abuse.source_blocked", Outcome: audit.OutcomeSuccess,
			Target: audit.Target{Type: "ip", ID: m.IP},
			Details: map[string]string{"failures": strconv.FormatInt(ipN, 10),
				"window": s.Config.LockoutWindow.String()}}))
		if err != nil {
			return fmt.Errorf("login: %w", err)
		}
	}

	ev := audit.Event{Actor: anonymous, Action: "login.password",
		Outcome: audit.OutcomeFailure, Details: map[string]string{"reason": why}}
	if found {
		ev.Target = audit.Target{Type: "user", ID: u.ID}
	}
	if _, err := s.Audit.Record(ctx, m.event(ev)); err != nil {
		return fmt.Errorf("login: %w", err)
	}

	if found && n == int64(s.Config.LockoutThreshold) && u.State == StateActive {
		if err := s.lock(ctx, u, m); err != nil {
			return err
		}
	}
	s.sleep(ctx, s.Config.failureDelay(n))
	return ErrInvalidCredentials
}

func (s *Service) lock(ctx context.Context, u User, m Meta) error {
	now := s.Clock.Now()
	until := now.Add(s.Config.LockoutDuration)
	err := s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		if err := s.Store.Tx(tx).SetState(ctx, u.ID, StateLocked, until, now); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorSystem, ID: "lockout"}, Action: "account.lock",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"until": until.UTC().Format(time.RFC3339),
				"reason": "too_many_failures"},
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("lock account: %w", err)
	}
	s.notify("account_locked", func(ctx context.Context) error {
		return s.Notifier.AccountLocked(ctx, u, until)
	})
	return nil
}

func (s *Service) succeedLogin(ctx context.Context, u User, pw string, rehash bool,
	m Meta) (Login, error) {
	now := s.Clock.Now()

	// A breached password at login forces a change (NIST SP 800-63B
	// section 3.1.1.2: verifiers check at establishment and should act on
	// evidence of compromise).
	mustChange := u.MustChangePassword
	if !mustChange && s.Breach != nil {
		v := &ValidationError{}
		s.checkBreach(ctx, v, pw)
		mustChange = len(v.Fields) > 0
	}

	var newHash string
	if rehash {
		h, err := s.Hasher.Hash(ctx, pw)
		if err != nil {
			return Login{}, fmt.Errorf("login: rehash: %w", err)
		}
		newHash = h
	}

	err := s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		st := s.Store.Tx(tx)
		if u.State == StateLocked {
			// The lock has run out.
			if err := st.SetState(ctx, u.ID, StateActive, time.Time{}, now); err != nil {
				return err
			}
		}
		if newHash != "" {
			if err := st.RehashPassword(ctx, u.ID, u.PasswordHash, newHash, now); err != nil {
				return err
			}
		}
		if mustChange && !u.MustChangePassword {
			if err := st.SetMustChangePassword(ctx, u.ID, true, now); err != nil {
				return err
			}
		}
		details := map[string]string{}
		if newHash != "" {
			details["rehashed"] = "true"
		}
		if mustChange {
			details["forced_change"] = "breached_or_requested"
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "login.password",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: details,
		}))
		return err
	})
	if err != nil {
		return Login{}, fmt.Errorf("login: %w", err)
	}
	if u.State == StateLocked {
		u.State, u.LockedUntil = StateActive, time.Time{}
	}
	u.MustChangePassword = mustChange
	return Login{User: u, MustChangePassword: mustChange}, nil
}
