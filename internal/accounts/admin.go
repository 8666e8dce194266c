package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// Unlock ends a lockout at an admin's request and clears the failure count.
func (s *Service) Unlock(ctx context.Context, adminID, userID string, m Meta) error {
	return s.setState(ctx, adminID, userID, StateActive, "account.unlock", nil, m)
}

// Disable turns an account off and ends every session it has.
func (s *Service) Disable(ctx context.Context, adminID, userID string, sessions SessionEnder,
	m Meta) error {
	return s.setState(ctx, adminID, userID, StateDisabled, "account.disable", sessions, m)
}

// Enable turns a disabled account back on.
func (s *Service) Enable(ctx context.Context, adminID, userID string, m Meta) error {
	return s.setState(ctx, adminID, userID, StateActive, "account.enable", nil, m)
}

func (s *Service) setState(ctx context.Context, adminID, userID string, to State, action string,
	sessions SessionEnder, m Meta) error {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	now := s.Clock.Now()
	actor := audit.Actor{Type: audit.ActorPerson, ID: adminID}
	if adminID == "" {
		actor = audit.Actor{Type: audit.ActorSystem, ID: "admin"}
	}
	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		if err := s.Store.Tx(tx).SetState(ctx, u.ID, to, time.Time{}, now); err != nil {
			return err
		}
		if sessions != nil {
			if err := sessions.EndAllSessions(ctx, tx, u.ID, "", action); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: actor, Action: action, Target: audit.Target{Type: "user", ID: u.ID},
			Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"from": string(u.State), "to": string(to)},
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if to == StateActive {
		return s.Counters.Reset(ctx, s.counterKey("account", u.Email.Normalized))
	}
	return nil
}
