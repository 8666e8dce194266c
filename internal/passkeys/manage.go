package passkeys

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// List returns userID's passkeys, oldest first; empty, not nil, when there
// are none.
func (s *Service) List(ctx context.Context, userID string) ([]Credential, error) {
	recs, err := s.store.passkeys(ctx, s.db, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Credential, len(recs))
	for i := range recs {
		out[i] = recs[i].public()
	}
	return out, nil
}

// Count returns how many passkeys userID has, for deciding whether a
// second factor is enrolled.
func (s *Service) Count(ctx context.Context, userID string) (int, error) {
	return s.store.count(ctx, s.db, userID)
}

// Rename sets the name of userID's passkey id and audits it as
// mfa.passkey.rename. It returns ErrInvalidName or ErrNotFound, also when
// the passkey is someone else's.
func (s *Service) Rename(ctx context.Context, userID, id, name string, m Meta) error {
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		ok, err := s.store.rename(ctx, tx, userID, id, name)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: "mfa.passkey.rename", Outcome: audit.OutcomeSuccess,
			Target: passkeyTarget(id)}))
		return err
	})
}

// Remove deletes userID's passkey id and audits it as mfa.passkey.remove.
// It returns ErrNotFound, also when the passkey is someone else's.
//
// The caller must have authenticated the person recently (a step-up), and
// must refuse to remove the last second factor of an account whose roles
// require one: this package does not know the other factors or the roles.
func (s *Service) Remove(ctx context.Context, userID, id string, m Meta) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		rec, err := s.store.remove(ctx, tx, userID, id)
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: "mfa.passkey.remove", Outcome: audit.OutcomeSuccess,
			Target: passkeyTarget(rec.ID),
			Details: map[string]string{"aaguid": hex.EncodeToString(rec.AAGUID),
				"backup_eligible": strconv.FormatBool(rec.BackupEligible)}}))
		return err
	})
}

// RemoveAll removes every passkey of the person, for account recovery by
// an operator after checking who the person is out of band. actor is who
// did it and reason why; the audit event mfa.passkey.remove_all records
// both and the count, in the same transaction.
func (s *Service) RemoveAll(ctx context.Context, userID string, actor audit.Actor,
	reason string, m Meta) (int, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM passkeys WHERE user_id = ?`),
			userID)
		if err != nil {
			return fmt.Errorf("remove passkeys: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: actor,
			Action: "mfa.passkey.remove_all", Outcome: audit.OutcomeSuccess,
			Target: audit.Target{Type: "user", ID: userID},
			Details: map[string]string{"passkeys": strconv.FormatInt(n, 10),
				"reason": reason}}))
		return err
	})
	return int(n), err
}
