package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// SessionEnder ends a person's sessions; the sessions package implements
// it. except, when not empty, is a session to keep (the one making the
// change).
type SessionEnder interface {
	EndAllSessions(ctx context.Context, tx *sql.Tx, userID, except, reason string) error
}

// RequestPasswordReset mails a single-use reset link, valid for
// resetTokenTTL, to the account with this email, replacing any earlier
// link. It returns nil whether or not the email has an account.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, m Meta) error {
	u, found, err := s.lookupEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("request reset: %w", err)
	}
	if !found || u.State == StateDisabled || u.State == StatePendingDeletion {
		return nil
	}

	secret, err := s.newSecret(32)
	if err != nil {
		return err
	}
	id, err := s.newID("ott_")
	if err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		if err := s.Store.Tx(tx).CreateToken(ctx, OneTimeToken{
			ID: id, UserID: u.ID, Purpose: PurposeResetPassword,
			LinkMAC:   s.mac(PurposeResetPassword, "link", secret),
			ExpiresAt: now.Add(resetTokenTTL), CreatedAt: now,
		}); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor:  audit.Actor{Type: audit.ActorPerson, ID: u.ID},
			Action: "account.password_reset_request", Target: audit.Target{Type: "user", ID: u.ID},
			Outcome: audit.OutcomeSuccess,
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("request reset: %w", err)
	}
	link := s.Config.BaseURL + "/reset-password?token=" + url.QueryEscape(secret)
	s.notify("password_reset", func(ctx context.Context) error {
		return s.Notifier.PasswordReset(ctx, u, link)
	})
	return nil
}

// ResetInput completes a password reset.
type ResetInput struct {
	Token    string
	Password string
	// EndOtherSessions ends every session of the account; the person
	// chooses. The reset itself signs no one in: the person logs in next,
	// with their second factor if they have one, so a reset never bypasses
	// MFA.
	EndOtherSessions bool
}

// ResetPassword sets a new password with a reset link's secret. It also
// unlocks a locked account and clears its failure count: proving control
// of the mailbox is one of the ways out of a lockout.
func (s *Service) ResetPassword(ctx context.Context, in ResetInput, sessions SessionEnder,
	m Meta) error {
	if in.Token == "" || len(in.Token) > 128 {
		return ErrInvalidCode
	}
	t, err := s.Store.TokenByLink(ctx, PurposeResetPassword,
		s.mac(PurposeResetPassword, "link", in.Token))
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	now := s.Clock.Now()
	if !t.ConsumedAt.IsZero() || !now.Before(t.ExpiresAt) {
		return ErrInvalidCode
	}
	u, err := s.Store.UserByID(ctx, t.UserID)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if u.State == StateDisabled || u.State == StatePendingDeletion {
		return ErrInvalidCode
	}

	hash, err := s.newPasswordHash(ctx, in.Password, u)
	if err != nil {
		var v *ValidationError
		if errors.As(err, &v) {
			return err
		}
		return fmt.Errorf("reset password: %w", err)
	}

	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		st := s.Store.Tx(tx)
		if err := consume(ctx, st, t.ID, now); err != nil {
			return err
		}
		if err := st.SetPassword(ctx, u.ID, hash, false, now); err != nil {
			return err
		}
		if u.State == StateLocked {
			if err := st.SetState(ctx, u.ID, StateActive, time.Time{}, now); err != nil {
				return err
			}
		}
		if in.EndOtherSessions && sessions != nil {
			if err := sessions.EndAllSessions(ctx, tx, u.ID, "", "password_reset"); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "account.password_reset",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"end_other_sessions": fmt.Sprint(in.EndOtherSessions),
				"unlocked": fmt.Sprint(u.State == StateLocked)},
		}))
		return err
	})
	if errors.Is(err, ErrInvalidCode) {
		return err
	}
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if err := s.Counters.Reset(ctx, s.counterKey("account", u.Email.Normalized)); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	s.notify("password_changed", func(ctx context.Context) error {
		return s.Notifier.PasswordChanged(ctx, u)
	})
	return nil
}

// ErrWrongPassword is a password change whose current password is wrong.
var ErrWrongPassword = errors.New("the current password is not correct")

// ChangePassword replaces the password of a signed-in person, who must give
// the current one. sessionID is the session making the change; with
// endOthers every other session ends.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next, sessionID string,
	endOthers bool, sessions SessionEnder, m Meta) error {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	ok, _, err := s.Hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil && u.PasswordHash != "" {
		return fmt.Errorf("change password: %w", err)
	}
	if !ok {
		// Counts toward lockout like a failed login: a stolen session must
		// not become an unlimited password oracle.
		err := s.failLogin(ctx, s.counterKey("account", u.Email.Normalized),
			s.counterKey("ip", m.IP), u, true, "wrong_current_password", m)
		if !errors.Is(err, ErrInvalidCredentials) {
			return err
		}
		return ErrWrongPassword
	}

	hash, err := s.newPasswordHash(ctx, next, u)
	if err != nil {
		var v *ValidationError
		if errors.As(err, &v) {
			return err
		}
		return fmt.Errorf("change password: %w", err)
	}

	now := s.Clock.Now()
	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		if err := s.Store.Tx(tx).SetPassword(ctx, u.ID, hash, false, now); err != nil {
			return err
		}
		if endOthers && sessions != nil {
			if err := sessions.EndAllSessions(ctx, tx, u.ID, sessionID, "password_change"); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "account.password_change",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"end_other_sessions": fmt.Sprint(endOthers)},
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.notify("password_changed", func(ctx context.Context) error {
		return s.Notifier.PasswordChanged(ctx, u)
	})
	return nil
}
