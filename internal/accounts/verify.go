package accounts

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// VerifyEmailCode checks the 6-digit code sent to email. A wrong code
// counts an attempt; after maxCodeAttempts the code is spent. Every failure
// is ErrInvalidCode, whether or not the email has an account.
func (s *Service) VerifyEmailCode(ctx context.Context, email, code string, m Meta) error {
	e, err := ParseEmail(email)
	if err != nil || len(code) != 6 {
		return ErrInvalidCode
	}
	u, err := s.Store.UserByEmail(ctx, e.Normalized)
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	t, err := s.Store.LatestToken(ctx, u.ID, PurposeVerifyEmail)
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	now := s.Clock.Now()
	if !t.ConsumedAt.IsZero() || !now.Before(t.ExpiresAt) {
		return ErrInvalidCode
	}

	want := s.mac(PurposeVerifyEmail, "code", u.ID+":"+code)
	if subtle.ConstantTimeCompare(want, t.CodeMAC) != 1 {
		if _, err := s.Store.CountAttempt(ctx, t.ID, maxCodeAttempts, now); err != nil {
			return fmt.Errorf("verify email: %w", err)
		}
		if _, err := s.Audit.Record(ctx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "account.verify_email",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeFailure,
			Details: map[string]string{"reason": "wrong_code"},
		})); err != nil {
			return fmt.Errorf("verify email: %w", err)
		}
		return ErrInvalidCode
	}
	return s.completeVerification(ctx, u, t, m)
}

// VerifyEmailLink checks the secret of a verification link.
func (s *Service) VerifyEmailLink(ctx context.Context, secret string, m Meta) error {
	if secret == "" || len(secret) > 128 {
		return ErrInvalidCode
	}
	t, err := s.Store.TokenByLink(ctx, PurposeVerifyEmail, s.mac(PurposeVerifyEmail, "link", secret))
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	if !t.ConsumedAt.IsZero() || !s.Clock.Now().Before(t.ExpiresAt) {
		return ErrInvalidCode
	}
	u, err := s.Store.UserByID(ctx, t.UserID)
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	return s.completeVerification(ctx, u, t, m)
}

func (s *Service) completeVerification(ctx context.Context, u User, t OneTimeToken, m Meta) error {
	now := s.Clock.Now()
	err := s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		st := s.Store.Tx(tx)
		if err := consume(ctx, st, t.ID, now); err != nil {
			return err
		}
		if err := st.MarkEmailVerified(ctx, u.ID, now); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "account.verify_email",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
		}))
		return err
	})
	if errors.Is(err, ErrInvalidCode) {
		return err
	}
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	return nil
}

// ResendVerification sends a new code and link to an unverified account,
// at most once per resendInterval. It returns nil in every case the client
// may not tell apart: no account, already verified, or too soon.
func (s *Service) ResendVerification(ctx context.Context, email string, m Meta) error {
	u, found, err := s.lookupEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	if !found || u.EmailVerified || u.State == StateDisabled {
		return nil
	}
	last, err := s.Store.LatestToken(ctx, u.ID, PurposeVerifyEmail)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("resend verification: %w", err)
	}
	if err == nil && s.Clock.Now().Sub(last.CreatedAt) < resendInterval {
		return nil
	}

	var code, link string
	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		code, link, err = s.issueVerification(ctx, s.Store.Tx(tx), u)
		if err != nil {
			return err
		}
		_, err = s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "account.resend_verification",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	s.notify("verify_email", func(ctx context.Context) error {
		return s.Notifier.VerifyEmail(ctx, u, code, link)
	})
	return nil
}
