package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanRecord reads one row of recordColumns. It checks nothing about the
// content: verification does that.
func scanRecord(s rowScanner) (*Record, error) {
	var (
		r                                  Record
		timeUS                             int64
		actorType, outcome                 string
		commitment, salt                   []byte
		actorID, targetID, ip, ua, details sql.NullString
		redaction                          sql.NullString
		redactedAt, redactedBy             sql.NullInt64
	)
	err := s.Scan(&r.Index, &r.ID, &timeUS, &actorType, &r.Action, &r.Target.Type, &outcome,
		&r.RequestID, &commitment, &actorID, &targetID, &ip, &ua, &details, &salt,
		&redaction, &redactedAt, &redactedBy)
	if err != nil {
		return nil, err
	}
	r.Time = time.UnixMicro(timeUS).UTC()
	r.Actor.Type, r.Outcome = ActorType(actorType), Outcome(outcome)
	copy(r.Commitment[:], commitment)
	if len(commitment) != len(r.Commitment) {
		// Leave a commitment that cannot match: verification reports it.
		r.Commitment[0] ^= 0xff
	}
	r.Actor.ID, r.Target.ID = actorID.String, targetID.String
	r.IP, r.UserAgent = ip.String, ua.String
	if salt != nil {
		r.Salt = salt
	}
	if details.Valid {
		if err := json.Unmarshal([]byte(details.String), &r.Details); err != nil {
			// Unreadable details cannot match the commitment; verification
			// reports the record as modified.
			r.Details = map[string]string{"\x00unreadable": details.String}
		}
	}
	if redaction.Valid {
		r.Redaction = &Redaction{Reason: redaction.String,
			At: time.UnixMicro(redactedAt.Int64).UTC(), By: redactedBy.Int64}
	}
	return &r, nil
}

// personalStored reports whether any personal column holds data: a
// redacted record must have none.
func (r *Record) personalStored() bool {
	return r.Actor.ID != "" || r.Target.ID != "" || r.IP != "" || r.UserAgent != "" ||
		len(r.Details) > 0
}

// RecordByIndex returns the record at index, or ErrNotFound.
func (l *Log) RecordByIndex(ctx context.Context, index int64) (*Record, error) {
	return l.recordWhere(ctx, "idx = ?", index)
}

// RecordByID returns the record with the given id, or ErrNotFound.
func (l *Log) RecordByID(ctx context.Context, id string) (*Record, error) {
	return l.recordWhere(ctx, "id = ?", id)
}

func (l *Log) recordWhere(ctx context.Context, cond string, arg any) (*Record, error) {
	row := l.db.QueryRowContext(ctx, l.db.Rebind(
		"SELECT "+recordColumns+" FROM audit_records WHERE "+cond), arg)
	r, err := scanRecord(row)
	if err == sql.ErrNoRows {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load audit record: %w", err)
	}
	return r, nil
}
