package social

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// LinkRequired is the answer to a result whose email already has an
// account that this identity is not linked to. Linking is never done by
// email alone: whoever controls the address at the provider may not be
// whoever controls the account (a provider that does not verify addresses,
// a recycled address). The person signs in to the account first and then
// links with the token (POST /v1/me/identities).
type LinkRequired struct {
	LinkRequired bool   `json:"link_required"`
	LinkToken    string `json:"link_token"`
	Email        string `json:"email"`
	Provider     string `json:"provider"`
	ExpiresIn    int64  `json:"expires_in"`
}

// Outcome is what a result handle leads to: a sign-in of User (Created
// when the account was opened just now), or Link.
type Outcome struct {
	User     accounts.User
	Created  bool
	AuthTime time.Time
	Link     *LinkRequired
}

// Result spends a result handle (single use, ResultTTL) and decides: the
// identity's account signs in; an account with the same email gets a link
// token instead; with neither, a customer account without a password is
// opened for the identity (its email verified only when the provider said
// email_verified true) and signs in.
func (s *Service) Result(ctx context.Context, handle string, m accounts.Meta) (Outcome,
	error) {
	now := s.o.Clock.Now()
	if handle == "" || len(handle) > MaxParamBytes {
		return Outcome{}, errInvalidHandle
	}
	r, err := s.st.takeResult(ctx, s.mac("result", handle), kindResult)
	if errors.Is(err, errNotFound) || err == nil && !now.Before(r.expiresAt) {
		if err := s.auditFailure(ctx, "-", "invalid_handle", m); err != nil {
			return Outcome{}, err
		}
		return Outcome{}, errInvalidHandle
	}
	if err != nil {
		return Outcome{}, err
	}

	// 1. The identity is linked: its account signs in, whatever email the
	// provider gives today (OWASP ASVS 5.0 6.8.1: keyed by provider and
	// subject).
	id, err := s.st.identityBySubject(ctx, r.provider, r.claims.Subject)
	if err == nil {
		return s.signIn(ctx, id, r, m)
	}
	if !errors.Is(err, errNotFound) {
		return Outcome{}, err
	}

	// 2. Another account has the address: link, never merge.
	email, perr := accounts.ParseEmail(r.claims.Email)
	if perr != nil {
		if err := s.auditFailure(ctx, r.provider, "no_email", m); err != nil {
			return Outcome{}, err
		}
		return Outcome{}, httpx.NewProblem(http.StatusUnprocessableEntity, "email_required",
			"the provider gave no email address; allow sharing it, or register with a "+
				"password")
	}
	if _, err := s.o.Accounts.Store.UserByEmail(ctx, email.Normalized); err == nil {
		return s.linkRequired(ctx, r, email, m)
	} else if !errors.Is(err, accounts.ErrNotFound) {
		return Outcome{}, err
	}

	// 3. Nobody has it: a new account, with the identity, in one
	// transaction.
	idID, err := s.ids.ID("sci_")
	if err != nil {
		return Outcome{}, err
	}
	u, err := s.o.Accounts.CreateExternal(ctx, accounts.ExternalInput{Email: email.Address,
		EmailVerified: r.claims.EmailVerified, Name: r.claims.Name, Provider: r.provider}, m,
		func(ctx context.Context, tx *sql.Tx, u accounts.User) error {
			if err := s.st.createIdentity(ctx, tx, Identity{ID: idID, UserID: u.ID,
				Provider: r.provider, Subject: r.claims.Subject, Email: email.Address,
				CreatedAt: now}); err != nil {
				return err
			}
			return s.record(ctx, tx, audit.Event{
				Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID}, Action: "login.social",
				Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
				Details: map[string]string{"provider": r.provider, "identity": idID,
					"created": "true"}}, m)
		})
	if errors.Is(err, accounts.ErrEmailTaken) {
		// Registered between the look-up and now.
		return s.linkRequired(ctx, r, email, m)
	}
	if errors.Is(err, errIdentityTaken) {
		// The same identity's other result won the race; it signs in.
		id, err := s.st.identityBySubject(ctx, r.provider, r.claims.Subject)
		if err != nil {
			return Outcome{}, err
		}
		return s.signIn(ctx, id, r, m)
	}
	if err != nil {
		var v *accounts.ValidationError
		if errors.As(err, &v) {
			return Outcome{}, httpx.NewProblem(http.StatusUnprocessableEntity,
				"email_required", "the provider gave no valid email address")
		}
		return Outcome{}, err
	}
	return Outcome{User: u, Created: true, AuthTime: r.authTime}, nil
}

// signIn admits the account of a linked identity when its state allows a
// sign-in (accounts.CanSignIn, which audits a refusal), as a password
// sign-in would.
func (s *Service) signIn(ctx context.Context, id Identity, r result, m accounts.Meta) (Outcome,
	error) {
	u, err := s.o.Accounts.CanSignIn(ctx, id.UserID, "social", m)
	if errors.Is(err, accounts.ErrCannotSignIn) {
		return Outcome{}, httpx.NewProblem(http.StatusForbidden, "account_unavailable",
			"this account cannot sign in now")
	}
	if err != nil {
		return Outcome{}, err
	}
	if err := s.st.touchIdentity(ctx, id.ID, s.o.Clock.Now()); err != nil {
		return Outcome{}, err
	}
	ev := audit.Event{Actor: audit.Actor{Type: audit.ActorPerson, ID: u.ID},
		Action: "login.social", Target: audit.Target{Type: "user", ID: u.ID},
		Outcome: audit.OutcomeSuccess, Details: map[string]string{"provider": r.provider,
			"identity": id.ID}}
	if err := s.record(ctx, nil, ev, m); err != nil {
		return Outcome{}, err
	}
	return Outcome{User: u, AuthTime: r.authTime}, nil
}

// linkRequired stores a link token (single use, LinkTTL) carrying the
// identity and answers with it.
func (s *Service) linkRequired(ctx context.Context, r result, email accounts.Email,
	m accounts.Meta) (Outcome, error) {
	token, err := s.random()
	if err != nil {
		return Outcome{}, err
	}
	now := s.o.Clock.Now()
	if err := s.st.putResult(ctx, result{mac: s.mac("link", token), kind: kindLink,
		provider: r.provider, claims: r.claims, authTime: r.authTime,
		expiresAt: now.Add(LinkTTL), createdAt: now}); err != nil {
		return Outcome{}, err
	}
	if err := s.record(ctx, nil, audit.Event{Actor: anonymous, Action: "login.social",
		Outcome: audit.OutcomeFailure, Details: map[string]string{"provider": r.provider,
			"reason": "link_required", "email": audit.MaskEmail(email.Address)}}, m); err != nil {
		return Outcome{}, err
	}
	return Outcome{Link: &LinkRequired{LinkRequired: true, LinkToken: token,
		Email: email.Address, Provider: r.provider,
		ExpiresIn: int64(LinkTTL / time.Second)}}, nil
}

// Link links the identity of a link token to userID's account. The caller
// has checked that the person authenticated recently (step-up); the token's
// email must be the account's, so a token obtained for one account cannot
// be attached to another.
func (s *Service) Link(ctx context.Context, userID, token string, m accounts.Meta) (Identity,
	error) {
	now := s.o.Clock.Now()
	fail := func(reason string, p *httpx.Problem) (Identity, error) {
		err := s.record(ctx, nil, audit.Event{Actor: audit.Actor{Type: audit.ActorPerson,
			ID: userID}, Action: "account.social_link", Target: audit.Target{Type: "user",
			ID: userID}, Outcome: audit.OutcomeFailure,
			Details: map[string]string{"reason": reason}}, m)
		if err != nil {
			return Identity{}, err
		}
		return Identity{}, p
	}
	if token == "" || len(token) > MaxParamBytes {
		return fail("invalid_link_token", errInvalidLink)
	}
	r, err := s.st.takeResult(ctx, s.mac("link", token), kindLink)
	if errors.Is(err, errNotFound) || err == nil && !now.Before(r.expiresAt) {
		return fail("invalid_link_token", errInvalidLink)
	}
	if err != nil {
		return Identity{}, err
	}
	u, err := s.o.Accounts.Store.UserByID(ctx, userID)
	if err != nil {
		return Identity{}, err
	}
	email, perr := accounts.ParseEmail(r.claims.Email)
	if perr != nil || email.Normalized != u.Email.Normalized {
		return fail("email_mismatch", httpx.NewProblem(http.StatusForbidden, "email_mismatch",
			"the identity's email is not this account's; sign in to the account with that "+
				"email"))
	}
	idID, err := s.ids.ID("sci_")
	if err != nil {
		return Identity{}, err
	}
	id := Identity{ID: idID, UserID: u.ID, Provider: r.provider, Subject: r.claims.Subject,
		Email: email.Address, CreatedAt: now}
	err = s.o.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.st.createIdentity(ctx, tx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, audit.Event{Actor: audit.Actor{Type: audit.ActorPerson,
			ID: u.ID}, Action: "account.social_link", Target: audit.Target{Type: "user",
			ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"provider": r.provider, "identity": idID}}, m)
	})
	if errors.Is(err, errIdentityTaken) {
		return fail("identity_in_use", httpx.NewProblem(http.StatusConflict, "identity_in_use",
			"this identity is already linked to an account"))
	}
	if err != nil {
		return Identity{}, fmt.Errorf("link identity: %w", err)
	}
	return id, nil
}

// Sweep deletes the sign-ins in flight and the results that expired; they
// are refused on use anyway, so the node's periodic sweep calls it rather
// than every start.
func (s *Service) Sweep(ctx context.Context) error {
	return s.st.sweep(ctx, s.o.Clock.Now())
}

// Identities lists userID's linked identities.
func (s *Service) Identities(ctx context.Context, userID string) ([]Identity, error) {
	return s.st.identities(ctx, s.o.DB, userID)
}

// Unlink removes one of userID's identities, unless it is the last way the
// person can sign in: no password, no other identity, no passkey. A person
// must never lock themselves out of their account.
func (s *Service) Unlink(ctx context.Context, userID, identityID string,
	m accounts.Meta) error {
	u, err := s.o.Accounts.Store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	passkeys := 0
	if s.o.Passkeys != nil {
		if passkeys, err = s.o.Passkeys(ctx, userID); err != nil {
			return err
		}
	}
	ev := audit.Event{Actor: audit.Actor{Type: audit.ActorPerson, ID: userID},
		Action: "account.social_unlink", Target: audit.Target{Type: "user", ID: userID},
		Outcome: audit.OutcomeSuccess, Details: map[string]string{"identity": identityID}}
	errLast := errors.New("last method")
	err = s.o.DB.InTx(ctx, func(tx *sql.Tx) error {
		ids, err := s.st.identities(ctx, tx, userID)
		if err != nil {
			return err
		}
		found := false
		for _, id := range ids {
			if id.ID == identityID {
				found = true
				ev.Details["provider"] = id.Provider
			}
		}
		if !found {
			return errNotFound
		}
		if len(ids) == 1 && !u.HasPassword() && passkeys == 0 {
			return errLast
		}
		if err := s.st.deleteIdentity(ctx, tx, userID, identityID); err != nil {
			return err
		}
		return s.record(ctx, tx, ev, m)
	})
	switch {
	case errors.Is(err, errNotFound):
		return httpx.NewProblem(http.StatusNotFound, httpx.CodeNotFound,
			"you have no linked identity with this id")
	case errors.Is(err, errLast):
		ev.Outcome, ev.Details["reason"] = audit.OutcomeFailure, "last_sign_in_method"
		if err := s.record(ctx, nil, ev, m); err != nil {
			return err
		}
		return httpx.NewProblem(http.StatusConflict, "last_sign_in_method",
			"this is your only way to sign in; set a password or add a passkey first")
	}
	return err
}
