package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// ExternalInput opens an account for a person who proved who they are at
// an outside identity provider (package social) instead of choosing a
// password.
type ExternalInput struct {
	// Email is the address the provider gave.
	Email string
	// EmailVerified is true only when the provider asserted that it
	// verified the address (OpenID Connect Core 1.0 section 5.1,
	// email_verified); otherwise the usual verification mail is sent.
	EmailVerified bool
	// Name is the provider's display name; the local part of the email
	// when the provider gave none.
	Name string
	// Provider names the configured provider, for the audit log.
	Provider string
	// Locale is es-CO (default) or en.
	Locale string
}

// CreateExternal opens a customer account with no password: password
// sign-in fails for it like any wrong password (Authenticate spends a
// dummy hash on an empty hash), and a password reset sets a first one.
// also, when not nil, runs in the same transaction once the user row
// exists, so that the account and what proves it (the social identity)
// are created together or not at all. It returns ErrEmailTaken when the
// address has an account, and a *ValidationError when the provider's
// email is not an address.
func (s *Service) CreateExternal(ctx context.Context, in ExternalInput, m Meta,
	also func(ctx context.Context, tx *sql.Tx, u User) error) (User, error) {
	email, err := ParseEmail(in.Email)
	if err != nil {
		v := &ValidationError{}
		v.add("/email", "invalid", "El proveedor no entregó un correo electrónico válido.",
			"The provider gave no valid email address.")
		return User{}, v
	}
	name, err := CleanName(in.Name)
	if err != nil {
		local, _, _ := strings.Cut(email.Address, "@")
		if name, err = CleanName(local); err != nil {
			name = "-"
		}
	}
	locale := in.Locale
	if locale != "en" {
		locale = "es-CO"
	}
	id, err := s.newID("usr_")
	if err != nil {
		return User{}, err
	}
	now := s.Clock.Now().UTC()
	u := User{ID: id, Email: email, EmailVerified: in.EmailVerified, Name: name,
		Kind: KindCustomer, State: StateActive, Locale: locale, CreatedAt: now, UpdatedAt: now}

	var code, link string
	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		st := s.Store.Tx(tx)
		if err := st.CreateUser(ctx, u); err != nil {
			return err
		}
		if !u.EmailVerified {
			if code, link, err = s.issueVerification(ctx, st, u); err != nil {
				return err
			}
		}
		if also != nil {
			if err := also(ctx, tx, u); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "account.register",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": string(u.Kind), "method": "social",
				"provider": in.Provider, "email": audit.MaskEmail(u.Email.Address),
				"email_verified": fmt.Sprint(u.EmailVerified)},
		}))
		return err
	})
	if errors.Is(err, ErrEmailTaken) {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("create external account: %w", err)
	}
	if !u.EmailVerified {
		s.notify("verify_email", func(ctx context.Context) error {
			return s.Notifier.VerifyEmail(ctx, u, code, link)
		})
	}
	return u, nil
}

// HasPassword reports whether the account can sign in with a password;
// accounts opened by CreateExternal cannot until a reset sets one.
func (u User) HasPassword() bool { return u.PasswordHash != "" }
