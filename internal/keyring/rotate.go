package keyring

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// Rotation of the master key happens without downtime, in four steps that
// docs/security.md walks through:
//
//  1. Every node gets the new key as its master key and the old one in
//     master_key.previous. Nodes seal with the new key and open with both.
//     VerifyDatabase accepts the new key because a previous key the ring
//     holds opens this database's check.
//  2. `cerrojo secrets rotate` re-encrypts every sealed value that is not
//     under the new key: each value is opened and sealed again for the same
//     context, and written back only if the row still holds what was read,
//     so a concurrent change is never overwritten.
//  3. When no value is left under a previous key, the rotation retires that
//     key's check: a node that still starts with the old key alone is
//     refused instead of sealing values no configured key will open.
//  4. The operator removes master_key.previous.
//
// Values found by their MAC (client secrets, pseudonyms, blind indexes) are
// not affected: Ring.MAC uses the MAC root, a random-looking key kept
// sealed in keyring_state, which step 2 re-encrypts like any other value.

// Column is a database column of sealed values and how to rebuild the
// associated data each value was sealed for. Each package that seals
// values lists its columns, so that a rotation reaches all of them.
type Column struct {
	Table  string
	Column string
	// Keys are the columns that identify a row and from which the
	// associated data is built, in the order AAD expects them.
	Keys []string
	// AAD returns the associated data for a row's key values.
	AAD func(keys []string) []byte
}

// Name is "table.column".
func (c Column) Name() string { return c.Table + "." + c.Column }

// Columns are the key ring's own sealed values.
func Columns() []Column {
	return []Column{{Table: "keyring_state", Column: "sealed", Keys: []string{"name"},
		AAD: func(k []string) []byte { return stateAAD(k[0]) }}}
}

// ColumnCount says how many values of a column each key sealed.
type ColumnCount struct {
	Column string `json:"column"`
	// ByKey maps a key id to the number of values it sealed.
	ByKey map[string]int64 `json:"by_key"`
	// Resealed is how many values Reencrypt sealed again; Changed, how many
	// changed between being read and being written back, and were left as
	// a node wrote them (under that node's primary key).
	Resealed int64 `json:"resealed,omitempty"`
	Changed  int64 `json:"changed,omitempty"`
}

// NotPrimary is how many values are under another key than primary.
func (c ColumnCount) NotPrimary(primary string) int64 {
	var n int64
	for k, v := range c.ByKey {
		if k != primary {
			n += v
		}
	}
	return n
}

// reencryptBatch bounds the rows one query reads.
const reencryptBatch = 500

// Census counts, for each column, the values each key sealed. It reads
// every value's header only; nothing is opened.
func Census(ctx context.Context, db *storage.DB, cols []Column) ([]ColumnCount, error) {
	return walk(ctx, db, nil, cols)
}

// Reencrypt seals again, under r's primary key, every value of cols that
// another key of r sealed. It can run while nodes serve and can be run
// again after an interruption. It fails on a value that no key of r opens,
// naming its column, after re-encrypting what it could.
func Reencrypt(ctx context.Context, db *storage.DB, r *Ring,
	cols []Column) ([]ColumnCount, error) {
	return walk(ctx, db, r, cols)
}

func walk(ctx context.Context, db *storage.DB, r *Ring, cols []Column) ([]ColumnCount, error) {
	out := make([]ColumnCount, 0, len(cols))
	var errs []error
	for _, c := range cols {
		cc := ColumnCount{Column: c.Name(), ByKey: map[string]int64{}}
		if err := walkColumn(ctx, db, r, c, &cc); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Name(), err))
		}
		out = append(out, cc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Column < out[j].Column })
	return out, errors.Join(errs...)
}

func walkColumn(ctx context.Context, db *storage.DB, r *Ring, c Column, cc *ColumnCount) error {
	keys := strings.Join(c.Keys, ", ")
	var after []any
	for {
		q := `SELECT ` + keys + `, ` + c.Column + ` FROM ` + c.Table + ` WHERE ` + c.Column +
			` IS NOT NULL`
		if after != nil {
			// Keyset pagination on the key tuple; row values work on both
			// databases.
			q += ` AND (` + keys + `) > (` + placeholders(len(c.Keys)) + `)`
		}
		q += ` ORDER BY ` + keys + ` LIMIT ` + fmt.Sprint(reencryptBatch)
		rows, err := db.QueryContext(ctx, db.Rebind(q), after...)
		if err != nil {
			return err
		}
		type row struct {
			keys   []string
			sealed []byte
		}
		var batch []row
		for rows.Next() {
			vals := make([]sql.NullString, len(c.Keys))
			dest := make([]any, 0, len(c.Keys)+1)
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			var sealed []byte
			dest = append(dest, &sealed)
			if err := rows.Scan(dest...); err != nil {
				_ = rows.Close() // the scan error is the one to report
				return err
			}
			rw := row{sealed: sealed}
			for _, v := range vals {
				rw.keys = append(rw.keys, v.String)
			}
			batch = append(batch, rw)
		}
		_ = rows.Close() // rows.Err below reports what went wrong while reading
		if err := rows.Err(); err != nil {
			return err
		}
		for _, rw := range batch {
			id, ok := SealedKeyID(rw.sealed)
			if !ok {
				return fmt.Errorf("a value is not in the key ring's format")
			}
			if r == nil || id == r.PrimaryID() {
				cc.ByKey[id.String()]++
				continue
			}
			resealed, err := r.reseal(rw.sealed, c.AAD(rw.keys))
			if err != nil {
				return err
			}
			args := []any{resealed}
			for _, k := range rw.keys {
				args = append(args, k)
			}
			args = append(args, rw.sealed)
			where := make([]string, len(c.Keys))
			for i, k := range c.Keys {
				where[i] = k + ` = ?`
			}
			res, err := db.ExecContext(ctx, db.Rebind(`UPDATE `+c.Table+` SET `+c.Column+
				` = ? WHERE `+strings.Join(where, ` AND `)+` AND `+c.Column+` = ?`), args...)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				cc.ByKey[r.PrimaryID().String()]++
				cc.Resealed++
			} else {
				cc.Changed++
			}
		}
		if len(batch) < reencryptBatch {
			return nil
		}
		last := batch[len(batch)-1].keys
		after = make([]any, len(last))
		for i, k := range last {
			after[i] = k
		}
	}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// reseal opens a value and seals the plaintext again with the primary key,
// for the same context.
func (r *Ring) reseal(sealed, aad []byte) ([]byte, error) {
	plain, err := r.Open(sealed, aad)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return r.Seal(plain, aad)
}

// RetireRotated retires the checks of the keys other than r's primary that
// no value of counts is sealed under any more, and returns their ids. Run
// it after a Reencrypt that left nothing behind; from then on a node whose
// master key is a retired one does not start.
func RetireRotated(ctx context.Context, s Store, r *Ring, counts []ColumnCount,
	now time.Time) ([]string, error) {
	inUse := map[string]bool{}
	for _, c := range counts {
		for k, n := range c.ByKey {
			if n > 0 {
				inUse[k] = true
			}
		}
	}
	checks, err := s.Checks(ctx)
	if err != nil {
		return nil, err
	}
	primary := r.PrimaryID().String()
	var retired []string
	for _, c := range checks {
		if c.KeyID == primary || !c.RetiredAt.IsZero() || inUse[c.KeyID] {
			continue
		}
		if err := s.RetireCheck(ctx, c.KeyID, now); err != nil {
			return retired, err
		}
		retired = append(retired, c.KeyID)
	}
	return retired, nil
}
