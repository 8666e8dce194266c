package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// Refresh rotates a refresh token: it spends the one presented and issues a
// new access token and refresh token. A token presented after it was spent
// revokes its family and ends its session (see the package doc).
func (s *Service) Refresh(ctx context.Context, token, clientID string, m Meta) (Issued, error) {
	if len(token) != len(refreshPrefix)+43 {
		return Issued{}, ErrInvalidGrant
	}
	old, err := s.store.RefreshTokenByHash(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return Issued{}, ErrInvalidGrant
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: %w", err)
	}
	if clientID != "" && clientID != old.ClientID {
		// RFC 6749 section 6: the token was issued to another client.
		return Issued{}, ErrInvalidGrant
	}
	ses, err := s.store.Session(ctx, old.SessionID)
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: %w", err)
	}
	now := s.Clock.Now().UTC()

	next, secret, err := s.newRefresh(ses, old.FamilyID, now)
	if err != nil {
		return Issued{}, err
	}
	var reuse bool
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		st := s.store.Tx(tx)
		won, err := st.MarkUsed(ctx, old.ID, next.ID, now)
		if err != nil {
			return err
		}
		if !won {
			reuse, err = s.spentTokenPresented(ctx, tx, st, old, ses, next, now, m)
			return err
		}
		return s.continueFamily(ctx, st, old, ses, next, now)
	})
	if err == nil && reuse {
		s.notifyReuse(ses)
		return Issued{}, ErrInvalidGrant
	}
	if err != nil {
		if errors.Is(err, ErrInvalidGrant) {
			return Issued{}, err
		}
		return Issued{}, fmt.Errorf("refresh: %w", err)
	}

	roles, err := s.roles(ctx, ses.UserID)
	if err != nil {
		return Issued{}, err
	}
	ses.LastSeenAt = now
	return s.issue(ctx, ses, roles, secret, next.ExpiresAt)
}

// continueFamily checks that the spent token was still good and stores its
// successor.
func (s *Service) continueFamily(ctx context.Context, st *Store, old RefreshToken,
	ses Session, next RefreshToken, now time.Time) error {
	if !now.Before(old.ExpiresAt) || !ses.ActiveAt(now) {
		return ErrInvalidGrant // rolls back the spend: nothing changes
	}
	if err := st.CreateRefreshToken(ctx, next); err != nil {
		return err
	}
	return st.Touch(ctx, ses.ID, now)
}

// spentTokenPresented handles a token that was already used or revoked. A
// revoked one is simply refused. A used one is a retry within the grace
// window, or a replay: then the family is revoked and the session ended,
// committed even though the request fails. It reports whether a replay was
// detected.
func (s *Service) spentTokenPresented(ctx context.Context, tx *sql.Tx, st *Store,
	old RefreshToken, ses Session, next RefreshToken, now time.Time, m Meta) (bool, error) {
	current, err := st.RefreshTokenByHash(ctx, old.Hash)
	if err != nil {
		return false, err
	}
	if !current.RevokedAt.IsZero() || current.UsedAt.IsZero() {
		return false, ErrInvalidGrant
	}

	if s.Config.ReuseGrace > 0 && now.Sub(current.UsedAt) <= s.Config.ReuseGrace &&
		ses.ActiveAt(now) && now.Before(old.ExpiresAt) {
		ok, err := st.ReplaceSuccessor(ctx, current.ID, current.ReplacedBy, next.ID, now)
		if err != nil {
			return false, err
		}
		if ok {
			return false, s.continueFamily(ctx, st, old, ses, next, now)
		}
	}

	// Replay: the family and the session end now, and stay ended.
	if err := st.RevokeFamily(ctx, old.FamilyID, now); err != nil {
		return false, err
	}
	if err := s.end(ctx, tx, ses, "refresh_token_reuse",
		audit.Actor{Type: audit.ActorSystem, ID: "sessions"}, now, m); err != nil {
		return false, err
	}
	if _, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
		Actor:  audit.Actor{Type: audit.ActorClient, ID: old.ClientID},
		Action: "session.refresh_reuse", Target: audit.Target{Type: "session", ID: ses.ID},
		Outcome: audit.OutcomeDenied,
		Details: map[string]string{"user_id": ses.UserID, "family_id": old.FamilyID},
	})); err != nil {
		return false, err
	}
	// No error: the revocation must commit; Refresh then refuses.
	return true, nil
}

func (s *Service) notifyReuse(ses Session) {
	if s.Notifier == nil {
		return
	}
	s.pending.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.Notifier.RefreshTokenReuse(ctx, ses.UserID, ses.Device); err != nil {
			s.Logger.Error("send notification", "notification", "refresh_token_reuse",
				"error", err.Error())
		}
	})
}

// Wait blocks until notifications started so far are handed over.
func (s *Service) Wait() { s.pending.Wait() }

// LookupRefresh returns a refresh token and its session when the token is
// unused, unrevoked, unexpired and its session active: what introspection
// calls active.
func (s *Service) LookupRefresh(ctx context.Context, token string) (RefreshToken, Session,
	error) {
	if len(token) != len(refreshPrefix)+43 {
		return RefreshToken{}, Session{}, ErrInvalidGrant
	}
	t, err := s.store.RefreshTokenByHash(ctx, hashToken(token))
	if err != nil {
		return RefreshToken{}, Session{}, ErrInvalidGrant
	}
	now := s.Clock.Now()
	if !t.UsedAt.IsZero() || !t.RevokedAt.IsZero() || !now.Before(t.ExpiresAt) {
		return RefreshToken{}, Session{}, ErrInvalidGrant
	}
	ses, err := s.store.Session(ctx, t.SessionID)
	if err != nil || !ses.ActiveAt(now) {
		return RefreshToken{}, Session{}, ErrInvalidGrant
	}
	return t, ses, nil
}
