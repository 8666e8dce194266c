package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/password"
)

// RegisterInput is what a person gives to open an account.
type RegisterInput struct {
	Email    string
	Password string
	Name     string
	Phone    string // optional
	Kind     Kind
	Locale   string // es-CO (default) or en
}

// Register opens an account and sends the verification email. When the
// email is already registered it changes nothing, tells the owner of that
// address by email, and returns nil all the same: the caller answers both
// cases alike, so registration cannot be used to learn who has an account.
func (s *Service) Register(ctx context.Context, in RegisterInput, m Meta) error {
	u, err := s.validateRegistration(ctx, in)
	if err != nil {
		return err
	}

	// Hash before looking anything up, so both outcomes cost the same.
	hash, err := s.Hasher.Hash(ctx, in.Password)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	u.PasswordHash = hash
	u.PasswordChangedAt = u.CreatedAt

	var code, link string
	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		st := s.Store.Tx(tx)
		if err := st.CreateUser(ctx, u); err != nil {
			return err
		}
		code, link, err = s.issueVerification(ctx, st, u)
		if err != nil {
			return err
		}
		_, err = s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "account.register",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": string(u.Kind),
				"email": audit.MaskEmail(u.Email.Address)},
		}))
		return err
	})
	if errors.Is(err, ErrEmailTaken) {
		return s.registeredAgain(ctx, u.Email, m)
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}

	s.notify("verify_email", func(ctx context.Context) error {
		return s.Notifier.VerifyEmail(ctx, u, code, link)
	})
	return nil
}

func (s *Service) validateRegistration(ctx context.Context, in RegisterInput) (User, error) {
	v := &ValidationError{}
	email, err := ParseEmail(in.Email)
	if err != nil {
		v.add("/email", "invalid", "El correo electrónico no es válido.",
			"The email address is not valid.")
	}
	name, err := CleanName(in.Name)
	if err != nil {
		v.add("/name", "invalid", "Escriba su nombre.", "Enter your name.")
	}
	var phone string
	if in.Phone != "" {
		if phone, err = ParsePhone(in.Phone); err != nil {
			v.add("/phone", "invalid", "El número de teléfono no es válido.",
				"The phone number is not valid.")
		}
	}
	switch in.Kind {
	case KindCustomer, KindVendor:
	default:
		v.add("/kind", "invalid", `El tipo de cuenta debe ser "customer" o "vendor".`,
			`The account kind must be "customer" or "vendor".`)
	}
	locale := in.Locale
	switch locale {
	case "":
		locale = "es-CO"
	case "es-CO", "en":
	default:
		v.add("/locale", "invalid", `El idioma debe ser "es-CO" o "en".`,
			`The locale must be "es-CO" or "en".`)
	}
	s.policyProblems(v, in.Password, password.Context{Email: email.Address, Name: name})
	if len(v.Fields) == 0 {
		s.checkBreach(ctx, v, in.Password)
	}
	if err := v.orNil(); err != nil {
		return User{}, err
	}

	id, err := s.newID("usr_")
	if err != nil {
		return User{}, err
	}
	now := s.Clock.Now().UTC()
	return User{ID: id, Email: email, Phone: phone, Name: name, Kind: in.Kind,
		State: StateActive, Locale: locale, CreatedAt: now, UpdatedAt: now}, nil
}

// registeredAgain handles a registration for an address that has an
// account: the owner is told (OWASP Authentication Cheat Sheet, "account
// enumeration"), and the attempt is audited against their account.
func (s *Service) registeredAgain(ctx context.Context, email Email, m Meta) error {
	existing, err := s.Store.UserByEmail(ctx, email.Normalized)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if _, err := s.Audit.Record(ctx, m.event(audit.Event{
		Actor: anonymous, Action: "account.register",
		Target: audit.Target{Type: "user", ID: existing.ID}, Outcome: audit.OutcomeFailure,
		Details: map[string]string{"reason": "email_taken"},
	})); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	s.notify("email_already_registered", func(ctx context.Context) error {
		return s.Notifier.EmailAlreadyRegistered(ctx, existing)
	})
	return nil
}

// issueVerification creates a verification code and link for u's address,
// replacing any earlier ones.
func (s *Service) issueVerification(ctx context.Context, st *Store, u User) (code, link string,
	err error) {
	code, err = s.newCode()
	if err != nil {
		return "", "", err
	}
	secret, err := s.newSecret(32)
	if err != nil {
		return "", "", err
	}
	id, err := s.newID("ott_")
	if err != nil {
		return "", "", err
	}
	now := s.Clock.Now().UTC()
	err = st.CreateToken(ctx, OneTimeToken{
		ID: id, UserID: u.ID, Purpose: PurposeVerifyEmail,
		CodeMAC:   s.mac(PurposeVerifyEmail, "code", u.ID+":"+code),
		LinkMAC:   s.mac(PurposeVerifyEmail, "link", secret),
		ExpiresAt: now.Add(verificationCodeTTL), CreatedAt: now,
	})
	if err != nil {
		return "", "", err
	}
	return code, s.Config.BaseURL + "/verify-email?token=" + url.QueryEscape(secret), nil
}
