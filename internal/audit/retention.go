package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// Redaction and retention erase a record's personal part (actor id, target
// id, IP, User-Agent, details) and its salt, and keep its public part and
// commitment. The leaf hash covers only those, so the tree, every proof and
// every checkpoint still verify; verification counts such records as
// redacted. Without the salt the commitment reveals nothing of what was
// erased. Each erasure is itself a record (audit.redact or audit.prune),
// which every erased row names, and the database triggers allow no other
// change to a record.

// pruneBatch bounds the rows one prune transaction erases, so that the
// head lock, which blocks every append, is held only briefly.
const pruneBatch = 5000

// Redact erases the personal part of every record whose actor id or target
// id is subject, or that has a detail whose value is subject, for a data
// subject's suppression request (Ley 1581 de 2012, article 15). by
// describes who asked and why; its action is set to audit.redact and its
// details say how many records were erased, never whose. It runs in tx when
// tx is not nil, so the suppression of the account and of its records
// commit together. It returns how many records it erased.
func (l *Log) Redact(ctx context.Context, tx *sql.Tx, subject string, by Event) (int64, error) {
	if subject == "" {
		return 0, invalid("subject", "is required")
	}
	if err := checkText("subject", subject, maxIDLen); err != nil {
		return 0, err
	}
	if tx == nil {
		var n int64
		err := l.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = l.Redact(ctx, tx, subject, by)
			return err
		})
		return n, err
	}

	if err := lockHead(ctx, l.db, tx); err != nil {
		return 0, err
	}
	// The subject may be the actor, the target, or the value of a detail
	// (a "user_id" next to a session target). Details are stored as JSON
	// written by encoding/json, so a value equal to subject appears as
	// subject's JSON string, quotes included.
	const match = "(actor_id = ? OR target_id = ? OR details LIKE ? ESCAPE '!') " +
		"AND salt IS NOT NULL"
	quoted, err := json.Marshal(subject)
	if err != nil {
		return 0, fmt.Errorf("redact: %w", err)
	}
	like := "%" + likeEscaper.Replace(string(quoted)) + "%"
	var n int64
	err = tx.QueryRowContext(ctx, l.db.Rebind("SELECT COUNT(*) FROM audit_records WHERE "+
		match), subject, subject, like).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("redact: %w", err)
	}
	if n == 0 {
		return 0, nil
	}

	by.Action, by.Outcome = ActionRedact, OutcomeSuccess
	by.Target = Target{Type: "audit_log"}
	by.Details = map[string]string{"records": strconv.FormatInt(n, 10),
		"reason": RedactedForSubject}
	rec, err := l.Append(ctx, tx, by)
	if err != nil {
		return 0, err
	}
	return l.erase(ctx, tx, rec, RedactedForSubject, match+" AND idx < ?", subject, subject,
		like, rec.Index)
}

// likeEscaper escapes LIKE's wildcards with '!', the ESCAPE character.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// Prune erases the personal part of records older than before, in batches,
// each batch recorded as an audit.prune record by the system. It returns
// how many records it erased.
func (l *Log) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := l.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = l.pruneBatch(ctx, tx, before)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

func (l *Log) pruneBatch(ctx context.Context, tx *sql.Tx, before time.Time) (int64, error) {
	if err := lockHead(ctx, l.db, tx); err != nil {
		return 0, err
	}
	cutoff := before.UnixMicro()
	rows, err := tx.QueryContext(ctx, l.db.Rebind("SELECT idx FROM audit_records "+
		"WHERE time_us < ? AND salt IS NOT NULL ORDER BY idx LIMIT ?"), cutoff, pruneBatch)
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	var n, last int64
	for rows.Next() {
		if err := rows.Scan(&last); err != nil {
			_ = rows.Close() // the scan error is the one returned
			return 0, fmt.Errorf("prune: %w", err)
		}
		n++
	}
	_ = rows.Close() // rows.Err below reports any error met while reading
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	if n == 0 {
		return 0, nil
	}

	rec, err := l.Append(ctx, tx, Event{
		Actor:   Actor{Type: ActorSystem, ID: "retention"},
		Action:  ActionPrune,
		Target:  Target{Type: "audit_log"},
		Outcome: OutcomeSuccess,
		Details: map[string]string{"records": strconv.FormatInt(n, 10),
			"before": before.UTC().Format(time.RFC3339)},
	})
	if err != nil {
		return 0, err
	}
	return l.erase(ctx, tx, rec, RedactedForRetention,
		"time_us < ? AND salt IS NOT NULL AND idx <= ?", cutoff, last)
}

// erase clears the personal part of the records matching cond, naming rec
// as the record that did it.
func (l *Log) erase(ctx context.Context, tx *sql.Tx, rec *Record, reason, cond string,
	args ...any) (int64, error) {
	args = append([]any{reason, rec.Time.UnixMicro(), rec.Index}, args...)
	res, err := tx.ExecContext(ctx, l.db.Rebind("UPDATE audit_records SET actor_id = NULL, "+
		"target_id = NULL, ip = NULL, user_agent = NULL, details = NULL, salt = NULL, "+
		"redaction = ?, redacted_at = ?, redacted_by = ? WHERE "+cond), args...)
	if err != nil {
		return 0, fmt.Errorf("erase personal data: %w", err)
	}
	return res.RowsAffected()
}

// lockHead takes the append lock before a read that the following append
// must not race with. SQLite's write transaction already holds it.
func lockHead(ctx context.Context, db *storage.DB, tx *sql.Tx) error {
	if db.Dialect() != storage.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT size FROM audit_head WHERE id = 1 FOR UPDATE")
	if err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	return nil
}

// RunRetention prunes, every interval until ctx ends, the records older
// than the configured retention. With RetentionDays 0 it returns at once.
func (l *Log) RunRetention(ctx context.Context, every time.Duration) error {
	if l.cfg.RetentionDays == 0 {
		return nil
	}
	if every <= 0 {
		return fmt.Errorf("audit retention: interval %s must be positive", every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		before := l.clock.Now().AddDate(0, 0, -l.cfg.RetentionDays)
		if _, err := l.Prune(ctx, before); err != nil && !errors.Is(err, context.Canceled) {
			l.logger.WarnContext(ctx, "audit retention failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
