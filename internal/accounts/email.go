package accounts

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// RecentAuthWindow is how recent the last authentication must be for an
// email change (OWASP ASVS 5.0 section 6.3: re-authentication before
// changing the address recovery depends on).
const RecentAuthWindow = 15 * time.Minute

// ErrReauthenticate means the operation needs a fresher login.
var ErrReauthenticate = errors.New("sign in again to do this")

// ErrSameEmail means the new address is the current one.
var ErrSameEmail = errors.New("the new email address is the current one")

// RequestEmailChange starts moving an account to a new address: it sends a
// code and link to the new address and a notice to the old one. Nothing
// changes until the new address is confirmed. authTime is when the person
// last authenticated (the access token's auth_time).
func (s *Service) RequestEmailChange(ctx context.Context, userID, newEmail string,
	authTime time.Time, m Meta) error {
	now := s.Clock.Now()
	if now.Sub(authTime) > RecentAuthWindow {
		return ErrReauthenticate
	}
	e, err := ParseEmail(newEmail)
	if err != nil {
		v := &ValidationError{}
		v.add("/email", "invalid", "El correo electrónico no es válido.",
			"The email address is not valid.")
		return v
	}
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("request email change: %w", err)
	}
	if e.Normalized == u.Email.Normalized {
		return ErrSameEmail
	}

	code, err := s.newCode()
	if err != nil {
		return err
	}
	secret, err := s.newSecret(32)
	if err != nil {
		return err
	}
	id, err := s.newID("ott_")
	if err != nil {
		return err
	}
	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		if err := s.Store.Tx(tx).CreateToken(ctx, OneTimeToken{
			ID: id, UserID: u.ID, Purpose: PurposeChangeEmail, Target: e.Address,
			CodeMAC:   s.mac(PurposeChangeEmail, "code", u.ID+":"+code),
			LinkMAC:   s.mac(PurposeChangeEmail, "link", secret),
			ExpiresAt: now.Add(verificationCodeTTL), CreatedAt: now,
		}); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor:  audit.Actor{Type: audit.ActorPerson, ID: u.ID},
			Action: "account.email_change_request", Target: audit.Target{Type: "user", ID: u.ID},
			Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"new_email": audit.MaskEmail(e.Address)},
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("request email change: %w", err)
	}

	// The code goes to the new address, as if to a new account; the old
	// address hears that a change was asked for.
	to := u
	to.Email = e
	link := s.Config.BaseURL + "/confirm-email?token=" + url.QueryEscape(secret)
	s.notify("verify_new_email", func(ctx context.Context) error {
		return s.Notifier.VerifyEmail(ctx, to, code, link)
	})
	s.notify("email_change_requested", func(ctx context.Context) error {
		return s.Notifier.EmailChangeRequested(ctx, u, e.Address)
	})
	return nil
}

// ConfirmEmailChange completes a change with the code sent to the new
// address (from the signed-in person) or the link's secret.
func (s *Service) ConfirmEmailChange(ctx context.Context, userID, code, secret string,
	m Meta) error {
	var t OneTimeToken
	var err error
	switch {
	case secret != "" && len(secret) <= 128:
		t, err = s.Store.TokenByLink(ctx, PurposeChangeEmail,
			s.mac(PurposeChangeEmail, "link", secret))
	case code != "" && userID != "":
		t, err = s.Store.LatestToken(ctx, userID, PurposeChangeEmail)
	default:
		return ErrInvalidCode
	}
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("confirm email change: %w", err)
	}
	now := s.Clock.Now()
	if !t.ConsumedAt.IsZero() || !now.Before(t.ExpiresAt) || (userID != "" && t.UserID != userID) {
		return ErrInvalidCode
	}
	if secret == "" {
		want := s.mac(PurposeChangeEmail, "code", t.UserID+":"+code)
		if subtle.ConstantTimeCompare(want, t.CodeMAC) != 1 {
			if _, err := s.Store.CountAttempt(ctx, t.ID, maxCodeAttempts, now); err != nil {
				return fmt.Errorf("confirm email change: %w", err)
			}
			return ErrInvalidCode
		}
	}
	e, err := ParseEmail(t.Target)
	if err != nil {
		return ErrInvalidCode
	}
	old, err := s.Store.UserByID(ctx, t.UserID)
	if err != nil {
		return fmt.Errorf("confirm email change: %w", err)
	}

	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		st := s.Store.Tx(tx)
		if err := consume(ctx, st, t.ID, now); err != nil {
			return err
		}
		if err := st.SetEmail(ctx, t.UserID, e, now); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: t.UserID}, Action: "account.email_change",
			Target: audit.Target{Type: "user", ID: t.UserID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"old_email": audit.MaskEmail(old.Email.Address),
				"new_email": audit.MaskEmail(e.Address)},
		}))
		return err
	})
	if errors.Is(err, ErrInvalidCode) || errors.Is(err, ErrEmailTaken) {
		// Taken since the request: say only that the code no longer works,
		// so confirmations cannot probe for registered addresses.
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("confirm email change: %w", err)
	}
	s.notify("email_changed", func(ctx context.Context) error {
		return s.Notifier.EmailChanged(ctx, old, e.Address)
	})
	return nil
}
