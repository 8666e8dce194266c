package mfa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// ActivateOOB activates a pending text or email factor when code is the
// one sent to it. Tries count toward the same per-person limit as every
// other code, and a right one does not clear it: activating a destination
// someone controls must not buy them more guesses at the other factors.
func (s *Service) ActivateOOB(ctx context.Context, userID, factorID, code string,
	m Meta) error {
	const action = "mfa.oob.activate"

	// 1. Validate and take a place in the rate limit.
	if !validFactorID(factorID) {
		return ErrNoSuchFactor
	}
	target := factorTarget(factorID)
	if err := s.reserve(ctx, userID); err != nil {
		if errors.Is(err, ErrTooManyAttempts) {
			return s.fail(ctx, action, userID, target, "too_many_attempts", m, err)
		}
		return fmt.Errorf("activate factor: %w", err)
	}
	c, ok := parseTOTPCode(code)
	if !ok {
		return s.fail(ctx, action, userID, target, "malformed", m, ErrInvalidCode)
	}

	// 2. Load the pending factor and check the policy.
	f, err := s.store().oobFactor(ctx, userID, factorID)
	if err != nil {
		return wrapOp("activate factor", err)
	}
	if f.active() {
		return ErrNotPending
	}
	now := s.clock.Now().UTC()
	if !now.Before(f.createdAt.Add(s.cfg.EnrollmentTTL)) {
		return ErrEnrollmentExpired
	}
	if err := s.allowChannel(ctx, userID, f.channel, target, action, m); err != nil {
		return err
	}

	// 3. Decide.
	mac, err := s.tryCode(ctx, userID, f.id, c, action, m)
	if err != nil {
		return err
	}

	// 4. Spend the code and activate, under the cap, unless a concurrent
	// request did first.
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		if err := st.lockUser(ctx, userID); err != nil {
			return err
		}
		active, err := st.oobFactors(ctx, userID, f.channel)
		if err != nil {
			return err
		}
		if len(active) >= channelCap(f.channel) {
			return ErrTooManyFactors
		}
		done, err := st.spendOOBCode(ctx, userID, f.id, mac, now)
		if err != nil {
			return err
		}
		if !done {
			return ErrCodeReused
		}
		if done, err = st.activateOOB(ctx, userID, f.id, now); err != nil {
			return err
		}
		if !done {
			return ErrNotPending
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: action, Target: target, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": f.channel}}))
		return err
	})
	if errors.Is(err, ErrCodeReused) {
		return s.fail(ctx, action, userID, target, "reused", m, ErrCodeReused)
	}
	if err != nil {
		return fmt.Errorf("activate factor: %w", err)
	}

	// 5. Tell the person.
	change := ChangeSMSAdded
	if f.channel == KindEmail {
		change = ChangeEmailAdded
	}
	s.notify(ctx, "factors_changed", func(ctx context.Context) error {
		return s.notifier.FactorsChanged(ctx, userID, change)
	})
	return nil
}

// VerifyOOB checks code against the live code of one of the person's
// active text or email factors and returns the factor's kind, KindSMS or
// KindEmail (RFC 8176 amr "sms" or "mail"). A code works once: of two
// concurrent verifications of one code exactly one succeeds.
//
// Every call counts toward the same per-person limit as VerifyTOTP and
// UseRecoveryCode; past it the result is ErrTooManyAttempts whatever the
// code, and a right code clears the count. A wrong, expired or spent code
// is ErrInvalidCode (ErrCodeReused when it was right but already used);
// the caller should count it toward account lockout.
func (s *Service) VerifyOOB(ctx context.Context, userID, factorID, code string,
	m Meta) (string, error) {
	const action = "mfa.oob.verify"
	user := userTarget(userID)

	// 1. Take a place in the rate limit.
	if err := s.reserve(ctx, userID); err != nil {
		if errors.Is(err, ErrTooManyAttempts) {
			return "", s.fail(ctx, action, userID, user, "too_many_attempts", m, err)
		}
		return "", fmt.Errorf("verify code: %w", err)
	}

	// 2. Validate.
	if !validFactorID(factorID) {
		return "", s.fail(ctx, action, userID, user, "no_such_factor", m, ErrNoSuchFactor)
	}
	target := factorTarget(factorID)
	c, ok := parseTOTPCode(code)
	if !ok {
		return "", s.fail(ctx, action, userID, target, "malformed", m, ErrInvalidCode)
	}

	// 3. Load the factor and check the policy.
	f, err := s.store().oobFactor(ctx, userID, factorID)
	if errors.Is(err, ErrNoSuchFactor) {
		return "", s.fail(ctx, action, userID, target, "no_such_factor", m, ErrNoSuchFactor)
	}
	if err != nil {
		return "", fmt.Errorf("verify code: %w", err)
	}
	if !f.active() {
		return "", s.fail(ctx, action, userID, target, "not_active", m, ErrNoFactor)
	}
	if err := s.allowChannel(ctx, userID, f.channel, target, action, m); err != nil {
		return "", err
	}

	// 4. Decide.
	mac, err := s.tryCode(ctx, userID, f.id, c, action, m)
	if err != nil {
		return "", err
	}

	// 5. Spend the code, unless a concurrent request did first.
	now := s.clock.Now().UTC()
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		done, err := st.spendOOBCode(ctx, userID, f.id, mac, now)
		if err != nil {
			return err
		}
		if !done {
			return ErrCodeReused
		}
		if err := st.markOOBUsed(ctx, userID, f.id, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: action, Target: target, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": f.channel}}))
		return err
	})
	if errors.Is(err, ErrCodeReused) {
		return "", s.fail(ctx, action, userID, target, "reused", m, ErrCodeReused)
	}
	if err != nil {
		return "", fmt.Errorf("verify code: %w", err)
	}
	s.clear(ctx, userID)
	return f.channel, nil
}

// tryCode takes one of the live code's tries and compares code with it in
// constant time. It returns the stored MAC when they match, for spending
// exactly that code; otherwise it audits why not and returns
// ErrInvalidCode (ErrCodeReused for a right code already spent).
func (s *Service) tryCode(ctx context.Context, userID, factorID, code, action string,
	m Meta) ([]byte, error) {
	now := s.clock.Now().UTC()
	want := s.codeMAC(factorID, userID, code)
	target := factorTarget(factorID)

	stored, counted, err := s.store().countTry(ctx, userID, factorID, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	if counted {
		if !sameMAC(stored, want) {
			return nil, s.fail(ctx, action, userID, target, "wrong_code", m, ErrInvalidCode)
		}
		return stored, nil
	}

	// No try was left to take: say why, for the audit log.
	c, found, err := s.store().codeState(ctx, userID, factorID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	reason, refusal := "no_code", ErrInvalidCode
	switch {
	case !found:
	case c.used && sameMAC(c.mac, want):
		reason, refusal = "reused", ErrCodeReused
	case c.used:
		reason = "spent"
	case !now.Before(c.expiresAt):
		reason = "expired"
	default:
		reason = "no_tries_left"
	}
	return nil, s.fail(ctx, action, userID, target, reason, m, refusal)
}
