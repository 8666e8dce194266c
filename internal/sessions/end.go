package sessions

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// end ends one session inside tx and audits it. Its access tokens stay on
// the revocation list until they have all expired.
func (s *Service) end(ctx context.Context, tx *sql.Tx, ses Session, reason string,
	actor audit.Actor, now time.Time, m Meta) error {
	ended, err := s.store.Tx(tx).EndSession(ctx, ses.ID, reason, now, now.Add(s.AccessTTL))
	if err != nil || !ended {
		return err
	}
	_, err = s.Audit.Append(ctx, tx, m.event(audit.Event{
		Actor: actor, Action: "session.end", Target: audit.Target{Type: "session", ID: ses.ID},
		Outcome: audit.OutcomeSuccess,
		Details: map[string]string{"reason": reason, "user_id": ses.UserID},
	}))
	return err
}

// End ends one of a person's sessions. It returns ErrNotFound when the
// session is not theirs, so people cannot probe other people's session ids.
func (s *Service) End(ctx context.Context, userID, sessionID, reason string, m Meta) error {
	ses, err := s.store.Session(ctx, sessionID)
	if err != nil {
		return err
	}
	if ses.UserID != userID {
		return ErrNotFound
	}
	now := s.Clock.Now().UTC()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return s.end(ctx, tx, ses, reason, audit.Actor{Type: audit.ActorPerson, ID: userID}, now, m)
	})
}

// EndAllSessions ends every active session of a person except one (the
// caller's own, or none when except is empty), inside the caller's
// transaction. It implements accounts.SessionEnder.
func (s *Service) EndAllSessions(ctx context.Context, tx *sql.Tx, userID, except,
	reason string) error {
	list, err := s.store.Tx(tx).ActiveSessions(ctx, userID)
	if err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	for _, ses := range list {
		if ses.ID == except {
			continue
		}
		if err := s.end(ctx, tx, ses, reason, audit.Actor{Type: audit.ActorSystem,
			ID: "sessions"}, now, Meta{}); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
	}
	return nil
}

// EndAll ends every session of a person except one, in its own transaction.
func (s *Service) EndAll(ctx context.Context, userID, except, reason string) error {
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return s.EndAllSessions(ctx, tx, userID, except, reason)
	})
}

// List returns a person's active sessions, most recently used first.
func (s *Service) List(ctx context.Context, userID string) ([]Session, error) {
	list, err := s.store.ActiveSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	out := list[:0]
	for _, ses := range list {
		if ses.ActiveAt(now) {
			out = append(out, ses)
		}
	}
	return out, nil
}

// touchEvery limits last-seen writes to one per session per minute: idle
// timeouts are minutes long, and a write on every API call would make the
// sessions table the hottest in the database.
const touchEvery = time.Minute

// Check returns the session behind an access token if it is still active,
// and records its use. cerrojo's own endpoints call it on every request.
func (s *Service) Check(ctx context.Context, sessionID string) (Session, error) {
	ses, err := s.store.Session(ctx, sessionID)
	if err != nil {
		if err == ErrNotFound {
			return Session{}, ErrSessionEnded
		}
		return Session{}, err
	}
	now := s.Clock.Now()
	if !ses.ActiveAt(now) {
		return Session{}, ErrSessionEnded
	}
	if now.Sub(ses.LastSeenAt) >= touchEvery {
		if err := s.store.Touch(ctx, ses.ID, now); err != nil {
			return Session{}, err
		}
		ses.LastSeenAt = now
	}
	return ses, nil
}
