package tokens

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// SQLStore keeps the keys in the signing_keys table of either database.
type SQLStore struct {
	db *storage.DB
}

// NewSQLStore returns a Store over db.
func NewSQLStore(db *storage.DB) *SQLStore { return &SQLStore{db: db} }

const selectKeys = "SELECT kid, alg, state, public_jwk, private_sealed, created_us, " +
	"activated_us, retired_us, deletable_after_us FROM signing_keys ORDER BY created_us, kid"

// Generation returns the key set's generation.
func (s *SQLStore) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := s.db.QueryRowContext(ctx,
		"SELECT generation FROM signing_keys_head WHERE id = 1").Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("read signing key generation: %w", err)
	}
	return gen, nil
}

// Load returns the generation and every key. The generation is read first:
// a change that commits between the two reads then shows as a generation
// newer than the one returned, and the next poll reloads, whereas the other
// order could pair old keys with a new generation and miss the change.
func (s *SQLStore) Load(ctx context.Context) (int64, []Record, error) {
	gen, err := s.Generation(ctx)
	if err != nil {
		return 0, nil, err
	}
	recs, err := loadRecords(ctx, s.db)
	if err != nil {
		return 0, nil, err
	}
	return gen, recs, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func loadRecords(ctx context.Context, q querier) ([]Record, error) {
	rows, err := q.QueryContext(ctx, selectKeys)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	defer rows.Close()

	var out []Record
	for rows.Next() {
		var (
			r                             Record
			jwk                           string
			created                       int64
			activated, retired, deletable sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &r.Algorithm, &r.State, &jwk, &r.Sealed, &created,
			&activated, &retired, &deletable); err != nil {
			return nil, fmt.Errorf("load signing keys: %w", err)
		}
		r.PublicJWK = []byte(jwk)
		r.CreatedAt = fromMicros(created)
		if activated.Valid {
			r.ActivatedAt = fromMicros(activated.Int64)
		}
		if retired.Valid {
			r.RetiredAt = fromMicros(retired.Int64)
		}
		if deletable.Valid {
			r.DeletableAfter = fromMicros(deletable.Int64)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	return out, nil
}

// Update applies plan under the lock on signing_keys_head. On PostgreSQL
// SELECT ... FOR UPDATE takes the row lock, and because each statement of
// a READ COMMITTED transaction sees what committed before it began, the
// keys read after the lock include every change of the node that held it
// before. SQLite's write transactions are IMMEDIATE (see storage), so the
// transaction already holds the database's one write lock.
func (s *SQLStore) Update(ctx context.Context, plan func([]Key) (Changes, error)) (int64, error) {
	var gen int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		lock := "SELECT generation FROM signing_keys_head WHERE id = 1"
		if s.db.Dialect() == storage.Postgres {
			lock += " FOR UPDATE"
		}
		if err := tx.QueryRowContext(ctx, lock).Scan(&gen); err != nil {
			return fmt.Errorf("lock signing keys: %w", err)
		}

		recs, err := loadRecords(ctx, tx)
		if err != nil {
			return err
		}
		keys := make([]Key, len(recs))
		for i, r := range recs {
			keys[i] = r.Key
		}
		ch, err := plan(keys)
		if err != nil {
			return err
		}
		if ch.empty() {
			return nil
		}

		if err := s.apply(ctx, tx, ch); err != nil {
			return err
		}
		gen++
		_, err = tx.ExecContext(ctx, s.db.Rebind(
			"UPDATE signing_keys_head SET generation = ? WHERE id = 1"), gen)
		if err != nil {
			return fmt.Errorf("update signing key generation: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return gen, nil
}

func (s *SQLStore) apply(ctx context.Context, tx *sql.Tx, ch Changes) error {
	for _, kid := range ch.Delete {
		// Only retired keys are ever deleted; the state guard keeps a
		// faulty plan from unpublishing a key that may still sign.
		_, err := tx.ExecContext(ctx, s.db.Rebind(
			"DELETE FROM signing_keys WHERE kid = ? AND state = 'retired'"), kid)
		if err != nil {
			return fmt.Errorf("delete signing key %s: %w", kid, err)
		}
	}
	for _, k := range ch.Update {
		res, err := tx.ExecContext(ctx, s.db.Rebind(
			"UPDATE signing_keys SET state = ?, activated_us = ?, retired_us = ?, "+
				"deletable_after_us = ? WHERE kid = ?"),
			string(k.State), nullMicros(k.ActivatedAt), nullMicros(k.RetiredAt),
			nullMicros(k.DeletableAfter), k.ID)
		if err != nil {
			return fmt.Errorf("update signing key %s: %w", k.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("update signing key %s: %d rows changed (%v)", k.ID, n, err)
		}
	}
	for _, r := range ch.Insert {
		_, err := tx.ExecContext(ctx, s.db.Rebind(
			"INSERT INTO signing_keys (kid, alg, state, public_jwk, private_sealed, created_us, "+
				"activated_us, retired_us, deletable_after_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			r.ID, r.Algorithm, string(r.State), string(r.PublicJWK), r.Sealed,
			micros(r.CreatedAt), nullMicros(r.ActivatedAt), nullMicros(r.RetiredAt),
			nullMicros(r.DeletableAfter))
		if err != nil {
			return fmt.Errorf("insert signing key %s: %w", r.ID, err)
		}
	}
	return nil
}

func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}
