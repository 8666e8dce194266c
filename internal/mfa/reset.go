package mfa

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// Reset removes every factor of the person (TOTP, text and email, pending
// ones included) and their recovery codes, for account recovery by an
// operator after checking who the person is out of band. actor is who
// did it and reason why (a support ticket, say); the audit event
// mfa.reset records both and the counts, in the same transaction. The person is notified. Passkeys are kept elsewhere
// (package passkeys).
func (s *Service) Reset(ctx context.Context, userID string, actor audit.Actor, reason string,
	m Meta) (int, error) {
	var factors, codes int64
	err := s.inTx(ctx, func(tx *sql.Tx, _ store) error {
		var err error
		if factors, err = s.deleteAll(ctx, tx, "mfa_factors", userID); err != nil {
			return err
		}
		n, err := s.deleteAll(ctx, tx, "mfa_oob_factors", userID)
		if err != nil {
			return err
		}
		factors += n
		if codes, err = s.deleteAll(ctx, tx, "mfa_recovery_codes", userID); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: actor,
			Action: "mfa.reset", Target: audit.Target{Type: "user", ID: userID},
			Outcome: audit.OutcomeSuccess, Details: map[string]string{
				"factors":          strconv.FormatInt(factors, 10),
				"recovery_removed": strconv.FormatInt(codes, 10), "reason": reason}}))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reset factors: %w", err)
	}
	if factors > 0 || codes > 0 {
		s.notify(ctx, "factors_changed", func(ctx context.Context) error {
			return s.notifier.FactorsChanged(ctx, userID, ChangeFactorRemoved)
		})
	}
	return int(factors), nil
}

// deleteAll deletes the person's rows of table, one of this package's.
func (s *Service) deleteAll(ctx context.Context, tx *sql.Tx, table,
	userID string) (int64, error) {
	res, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM `+table+` WHERE user_id = ?`),
		userID)
	if err != nil {
		return 0, fmt.Errorf("delete %s: %w", table, err)
	}
	return res.RowsAffected()
}
