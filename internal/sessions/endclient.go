package sessions

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// EndClientSessions ends, inside the caller's transaction, every active
// session a person holds with one client: what revoking the access they
// granted that client means. It returns how many it ended.
func (s *Service) EndClientSessions(ctx context.Context, tx *sql.Tx, userID, clientID,
	reason string, m Meta) (int, error) {
	list, err := s.store.Tx(tx).ActiveSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	now := s.Clock.Now().UTC()
	n := 0
	for _, ses := range list {
		if ses.ClientID != clientID {
			continue
		}
		if err := s.end(ctx, tx, ses, reason, audit.Actor{Type: audit.ActorPerson, ID: userID},
			now, m); err != nil {
			return n, fmt.Errorf("end session: %w", err)
		}
		n++
	}
	return n, nil
}

// EndBySystem ends one session, whoever holds it, for a reason the system
// found (a replayed authorization code, a logout from a client).
func (s *Service) EndBySystem(ctx context.Context, sessionID, reason string, m Meta) error {
	ses, err := s.store.Session(ctx, sessionID)
	if err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return s.end(ctx, tx, ses, reason, audit.Actor{Type: audit.ActorSystem, ID: "openid"},
			now, m)
	})
}
