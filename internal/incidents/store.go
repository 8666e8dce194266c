package incidents

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/storage"
)

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Store keeps incidents and their notes in the incidents and
// incident_notes tables, on SQLite or PostgreSQL.
type Store struct {
	db *storage.DB
	q  querier
}

// NewStore returns a store over db.
func NewStore(db *storage.DB) *Store { return &Store{db: db, q: db} }

// Tx returns a store whose statements run in tx.
func (s *Store) Tx(tx *sql.Tx) *Store { return &Store{db: s.db, q: tx} }

const incidentColumns = `id, title, description, category, status, detected_at,
	notified_to_area_at, databases, data_categories, affected_subjects, sic_due,
	sic_reported_at, sic_reference, titulares_notified_at, contained_at, closed_at,
	close_reason, created_by, created_at, updated_at, version`

// Create inserts in, whose Version is ignored and stored as 1.
func (s *Store) Create(ctx context.Context, in Incident) error {
	dbs, err := json.Marshal(nonNil(in.Databases))
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	cats, err := json.Marshal(nonNil(in.DataCategories))
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	_, err = s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO incidents (`+incidentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`),
		in.ID, in.Title, in.Description, string(in.Category), string(in.Status),
		in.DetectedAt.UTC(), in.NotifiedToAreaAt.UTC(), string(dbs), string(cats),
		in.AffectedSubjects, in.SICDue.String(), nullTime(in.SICReportedAt), in.SICReference,
		nullTime(in.TitularesNotifiedAt), nullTime(in.ContainedAt), nullTime(in.ClosedAt),
		in.CloseReason, in.CreatedBy, in.CreatedAt.UTC(), in.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	return nil
}

// Update writes the mutable fields of in (status, SIC report, notice to
// titulares, containment, closing, updated_at) if the stored version is
// still in.Version, and increments the version. It returns a
// *ConflictError with code concurrent_update when the version moved, and
// ErrNotFound when no incident has the id.
func (s *Store) Update(ctx context.Context, in Incident) error {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE incidents SET status = ?,
		sic_reported_at = ?, sic_reference = ?, titulares_notified_at = ?, contained_at = ?,
		closed_at = ?, close_reason = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ?`),
		string(in.Status), nullTime(in.SICReportedAt), in.SICReference,
		nullTime(in.TitularesNotifiedAt), nullTime(in.ContainedAt), nullTime(in.ClosedAt),
		in.CloseReason, in.UpdatedAt.UTC(), in.ID, in.Version)
	if err != nil {
		return fmt.Errorf("update incident: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update incident: %w", err)
	}
	if n == 0 {
		if _, err := s.Incident(ctx, in.ID); err != nil {
			return err
		}
		return conflict("concurrent_update",
			"the incident was changed by another request; load it again and retry")
	}
	return nil
}

// Incident loads one incident, without its timeline.
func (s *Store) Incident(ctx context.Context, id string) (Incident, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(
		`SELECT `+incidentColumns+` FROM incidents WHERE id = ?`), id)
	if err != nil {
		return Incident{}, fmt.Errorf("load incident: %w", err)
	}
	list, err := scanIncidents(rows)
	if err != nil {
		return Incident{}, err
	}
	if len(list) == 0 {
		return Incident{}, ErrNotFound
	}
	return list[0], nil
}

// List returns the incidents with the given status (all when empty), most
// recently detected first.
func (s *Store) List(ctx context.Context, status Status) ([]Incident, error) {
	query := `SELECT ` + incidentColumns + ` FROM incidents`
	var args []any
	if status != "" {
		query += ` WHERE status = ?`
		args = append(args, string(status))
	}
	query += ` ORDER BY detected_at DESC, id`
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return scanIncidents(rows)
}

// Pending returns the incidents that are not closed and not reported to the
// SIC: those whose term is running.
func (s *Store) Pending(ctx context.Context) ([]Incident, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE status <> 'closed' AND sic_reported_at IS NULL ORDER BY sic_due, id`)
	if err != nil {
		return nil, fmt.Errorf("list pending incidents: %w", err)
	}
	return scanIncidents(rows)
}

// CountNotClosed returns the number of incidents open or contained.
func (s *Store) CountNotClosed(ctx context.Context) (int64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT COUNT(*) FROM incidents WHERE status <> 'closed'`)
	if err != nil {
		return 0, fmt.Errorf("count incidents: %w", err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("count incidents: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("count incidents: %w", err)
	}
	return n, nil
}

func scanIncidents(rows *sql.Rows) ([]Incident, error) {
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		var in Incident
		var category, status, dbs, cats, due string
		var reported, notified, contained, closed sql.NullTime
		if err := rows.Scan(&in.ID, &in.Title, &in.Description, &category, &status,
			&in.DetectedAt, &in.NotifiedToAreaAt, &dbs, &cats, &in.AffectedSubjects, &due,
			&reported, &in.SICReference, &notified, &contained, &closed, &in.CloseReason,
			&in.CreatedBy, &in.CreatedAt, &in.UpdatedAt, &in.Version); err != nil {
			return nil, fmt.Errorf("load incident: %w", err)
		}
		in.Category, in.Status = Category(category), Status(status)
		if err := json.Unmarshal([]byte(dbs), &in.Databases); err != nil {
			return nil, fmt.Errorf("load incident %s databases: %w", in.ID, err)
		}
		if err := json.Unmarshal([]byte(cats), &in.DataCategories); err != nil {
			return nil, fmt.Errorf("load incident %s data categories: %w", in.ID, err)
		}
		var err error
		if in.SICDue, err = calendar.ParseDate(due); err != nil {
			return nil, fmt.Errorf("load incident %s sic_due: %w", in.ID, err)
		}
		in.SICReportedAt, in.TitularesNotifiedAt = utc(reported), utc(notified)
		in.ContainedAt, in.ClosedAt = utc(contained), utc(closed)
		in.DetectedAt, in.NotifiedToAreaAt = in.DetectedAt.UTC(), in.NotifiedToAreaAt.UTC()
		in.CreatedAt, in.UpdatedAt = in.CreatedAt.UTC(), in.UpdatedAt.UTC()
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load incident: %w", err)
	}
	return out, nil
}

// AddNote appends n to its incident's timeline as the note written at the
// incident's version seq. A second note at the same seq is a
// *ConflictError with code concurrent_update.
func (s *Store) AddNote(ctx context.Context, n Note, seq int64) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO incident_notes
		(id, incident_id, seq, author, text, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		n.ID, n.IncidentID, seq, n.Author, n.Text, n.CreatedAt.UTC())
	if storage.IsUniqueViolation(err) {
		return conflict("concurrent_update",
			"the incident was changed by another request; load it again and retry")
	}
	if err != nil {
		return fmt.Errorf("add incident note: %w", err)
	}
	return nil
}

// Notes returns an incident's timeline, oldest first.
func (s *Store) Notes(ctx context.Context, incidentID string) ([]Note, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(`SELECT id, incident_id, author, text,
		created_at FROM incident_notes WHERE incident_id = ? ORDER BY seq`),
		incidentID)
	if err != nil {
		return nil, fmt.Errorf("list incident notes: %w", err)
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		if err := rows.Scan(&n.ID, &n.IncidentID, &n.Author, &n.Text, &n.CreatedAt); err != nil {
			return nil, fmt.Errorf("load incident note: %w", err)
		}
		n.CreatedAt = n.CreatedAt.UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load incident note: %w", err)
	}
	return out, nil
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
