// Package notify turns account, session and second-factor events into
// emails: it implements the Notifier interfaces of packages accounts,
// sessions and mfa, mfa's email-code delivery and the passkey notices, with
// package mail's templates and sender, in each person's language.
//
// Codes and links pass through here on their way to the sender and are
// never logged; errors name the message kind, not its content.
package notify

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/mail"
)

// Mailer sends the emails of accounts, sessions and second factors.
type Mailer struct {
	Renderer *mail.Renderer
	Sender   mail.Sender
	Users    *accounts.Store
	Clock    clock.Clock
}

func (m *Mailer) send(ctx context.Context, u accounts.User, kind string, e mail.Email) error {
	msg, err := m.Renderer.Render(mail.MatchLocale(u.Locale), u.Email.Address, e)
	if err != nil {
		return fmt.Errorf("render %s email: %w", kind, err)
	}
	if err := m.Sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s email: %w", kind, err)
	}
	return nil
}

// VerifyEmail implements accounts.Notifier.
func (m *Mailer) VerifyEmail(ctx context.Context, u accounts.User, code, link string) error {
	return m.send(ctx, u, "verify_email", mail.VerifyEmail{Code: code, Link: link,
		ExpiresIn: accounts.VerificationCodeTTL})
}

// EmailAlreadyRegistered implements accounts.Notifier: the owner of an
// address learns that someone tried to open a second account with it.
func (m *Mailer) EmailAlreadyRegistered(ctx context.Context, u accounts.User) error {
	n := mail.VendorNotice{
		Title: "Alguien intentó crear una cuenta con su correo",
		Paragraphs: []string{
			"Recibimos una solicitud para crear una cuenta nueva con este correo, que ya " +
				"tiene una cuenta. No cambiamos nada.",
			"Si fue usted, inicie sesión con su cuenta actual o recupere su contraseña. " +
				"Si no fue usted, puede ignorar este mensaje.",
		},
	}
	if mail.MatchLocale(u.Locale) == mail.English {
		n = mail.VendorNotice{
			Title: "Someone tried to open an account with your address",
			Paragraphs: []string{
				"We received a request to open a new account with this address, which " +
					"already has one. Nothing was changed.",
				"If it was you, sign in to your account or reset your password. If not, " +
					"you can ignore this message.",
			},
		}
	}
	return m.send(ctx, u, "email_already_registered", n)
}

// PasswordReset implements accounts.Notifier.
func (m *Mailer) PasswordReset(ctx context.Context, u accounts.User, link string) error {
	return m.send(ctx, u, "password_reset", mail.PasswordReset{Link: link,
		ExpiresIn: accounts.ResetTokenTTL})
}

// PasswordChanged implements accounts.Notifier.
func (m *Mailer) PasswordChanged(ctx context.Context, u accounts.User) error {
	return m.send(ctx, u, "password_changed", mail.PasswordChanged{When: m.Clock.Now()})
}

// AccountLocked implements accounts.Notifier.
func (m *Mailer) AccountLocked(ctx context.Context, u accounts.User, until time.Time) error {
	when := until.In(time.FixedZone("COT", -5*3600)).Format("2006-01-02 15:04")
	n := mail.VendorNotice{
		Title: "Bloqueamos temporalmente el inicio de sesión en su cuenta",
		Paragraphs: []string{
			"Hubo demasiados intentos fallidos de iniciar sesión con su cuenta, así que " +
				"la bloqueamos hasta las " + when + " (hora de Colombia).",
			"Si no fue usted, alguien puede estar intentando adivinar su contraseña. " +
				"Puede desbloquearla ya cambiando su contraseña con la opción " +
				"«¿Olvidó su contraseña?».",
		},
	}
	if mail.MatchLocale(u.Locale) == mail.English {
		n = mail.VendorNotice{
			Title: "We temporarily locked sign-in to your account",
			Paragraphs: []string{
				"There were too many failed attempts to sign in to your account, so we " +
					"locked it until " + when + " (Colombia time).",
				"If it was not you, someone may be trying to guess your password. You can " +
					"unlock it now by resetting your password with \"Forgot your password?\".",
			},
		}
	}
	return m.send(ctx, u, "account_locked", n)
}

// RefreshTokenReuse implements sessions.Notifier: a refresh token was used
// twice, so a copy of it is in someone else's hands; the session was ended.
func (m *Mailer) RefreshTokenReuse(ctx context.Context, userID, device string) error {
	u, err := m.Users.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("refresh token reuse email: %w", err)
	}
	return m.send(ctx, u, "session_revoked", mail.SessionRevoked{When: m.Clock.Now(),
		IP: netip.Addr{}})
}

// EmailChangeRequested implements accounts.Notifier: the current address
// hears that someone asked to move the account to another one.
func (m *Mailer) EmailChangeRequested(ctx context.Context, u accounts.User,
	newAddress string) error {
	masked := maskAddress(newAddress)
	n := mail.VendorNotice{
		Title: "Se solicitó cambiar el correo de su cuenta",
		Paragraphs: []string{
			"Alguien con acceso a su cuenta pidió cambiar su correo a " + masked + ". " +
				"El cambio se hará solo cuando se confirme desde ese correo.",
			"Si no fue usted, cambie su contraseña y cierre las demás sesiones.",
		},
	}
	if mail.MatchLocale(u.Locale) == mail.English {
		n = mail.VendorNotice{
			Title: "A change of your account's email was requested",
			Paragraphs: []string{
				"Someone signed in to your account asked to change its email to " + masked +
					". The change happens only once it is confirmed from that address.",
				"If it was not you, change your password and end your other sessions.",
			},
		}
	}
	return m.send(ctx, u, "email_change_requested", n)
}

// EmailChanged implements accounts.Notifier: the old address hears that the
// account now uses another one.
func (m *Mailer) EmailChanged(ctx context.Context, u accounts.User, newAddress string) error {
	return m.send(ctx, u, "email_changed", mail.EmailChanged{NewAddress: newAddress,
		When: m.Clock.Now()})
}

// maskAddress shows enough of an address for its owner to recognise it.
func maskAddress(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at < 1 {
		return "***"
	}
	return a[:1] + "***" + a[at:]
}
