package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/mail"
	"github.com/cerrojo/cerrojo/internal/mfa"
)

// The second-factor emails: package mfa's Notifier and its email-code
// delivery, and the notice of passkey changes for package passkeys.

var (
	_ mfa.Notifier      = (*Mailer)(nil)
	_ mfa.EmailCodeFunc = (&Mailer{}).EmailCode
)

// factorChanges maps each change package mfa reports to what the
// factor_changed email says. ChangeFactorRemoved is the removal of a TOTP
// factor.
var factorChanges = map[mfa.Change]struct {
	action mail.FactorAction
	kind   mail.FactorKind
}{
	mfa.ChangeTOTPAdded:              {mail.FactorAdded, mail.FactorTOTP},
	mfa.ChangeFactorRemoved:          {mail.FactorRemoved, mail.FactorTOTP},
	mfa.ChangeSMSAdded:               {mail.FactorAdded, mail.FactorSMS},
	mfa.ChangeSMSRemoved:             {mail.FactorRemoved, mail.FactorSMS},
	mfa.ChangeEmailAdded:             {mail.FactorAdded, mail.FactorEmail},
	mfa.ChangeEmailRemoved:           {mail.FactorRemoved, mail.FactorEmail},
	mfa.ChangeRecoveryCodesGenerated: {mail.FactorAdded, mail.FactorRecoveryCodes},
	mfa.ChangeRecoveryCodesDeleted:   {mail.FactorRemoved, mail.FactorRecoveryCodes},
}

// FactorsChanged implements mfa.Notifier: the person hears that a second
// factor was added to or removed from their account.
func (m *Mailer) FactorsChanged(ctx context.Context, userID string, what mfa.Change) error {
	c, ok := factorChanges[what]
	if !ok {
		return fmt.Errorf("factor changed email: unknown change %q", what)
	}
	return m.toUser(ctx, userID, "factor_changed", mail.FactorChanged{Action: c.action,
		Factor: c.kind, When: m.Clock.Now()})
}

// RecoveryCodeUsed implements mfa.Notifier: the person hears that one of
// their recovery codes was spent, and how many are left.
func (m *Mailer) RecoveryCodeUsed(ctx context.Context, userID string, remaining int) error {
	return m.toUser(ctx, userID, "recovery_code_used", mail.RecoveryCodeUsed{
		When: m.Clock.Now(), Remaining: remaining})
}

// PasskeyChanged tells the person that a passkey, named label (which may
// be empty), was added to their account or removed from it.
func (m *Mailer) PasskeyChanged(ctx context.Context, userID string, added bool,
	label string) error {
	action := mail.FactorRemoved
	if added {
		action = mail.FactorAdded
	}
	return m.toUser(ctx, userID, "factor_changed", mail.FactorChanged{Action: action,
		Factor: mail.FactorPasskey, Label: label, When: m.Clock.Now()})
}

// EmailCode sends a sign-in code, in the person's language, to address:
// it is an mfa.EmailCodeFunc. It sends synchronously and returns the
// sender's error, which names the message kind and not the code.
func (m *Mailer) EmailCode(ctx context.Context, userID, address, code string,
	expires time.Time) error {
	left := expires.Sub(m.Clock.Now())
	if left <= 0 {
		return errors.New("sign in code email: the code has already expired")
	}
	u, err := m.Users.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("sign in code email: %w", err)
	}
	// Whole minutes, rounded up, as the template says them.
	left = (left + time.Minute - 1).Truncate(time.Minute)
	return m.sendTo(ctx, u, address, "sign_in_code", mail.SignInCode{Code: code,
		ExpiresIn: left})
}

// toUser sends e to the account's address.
func (m *Mailer) toUser(ctx context.Context, userID, kind string, e mail.Email) error {
	u, err := m.Users.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s email: %w", kind, err)
	}
	return m.send(ctx, u, kind, e)
}

// sendTo is send with another recipient than the account's address.
func (m *Mailer) sendTo(ctx context.Context, u accounts.User, address, kind string,
	e mail.Email) error {
	msg, err := m.Renderer.Render(mail.MatchLocale(u.Locale), address, e)
	if err != nil {
		return fmt.Errorf("render %s email: %w", kind, err)
	}
	if err := m.Sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s email: %w", kind, err)
	}
	return nil
}
