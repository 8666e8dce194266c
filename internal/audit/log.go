package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Recorder is what capabilities depend on to record what they do. Append
// writes the record in the caller's transaction, so that the record and the
// change it describes commit or roll back together; Record is for events
// that change nothing else, such as a failed login. audittest.Recorder is
// an in-memory implementation for other packages' tests.
type Recorder interface {
	Append(ctx context.Context, tx *sql.Tx, e Event) (*Record, error)
	Record(ctx context.Context, e Event) (*Record, error)
}

var _ Recorder = (*Log)(nil)

// Options are a Log's dependencies.
type Options struct {
	DB *storage.DB
	// Ring opens the checkpoint signing key. Without it the log appends,
	// proves and verifies but cannot sign checkpoints.
	Ring *keyring.Ring
	// Clock stamps records; clock.System when nil.
	Clock clock.Clock
	// Rand supplies record ids, salts and signing keys; crypto/rand when
	// nil.
	Rand io.Reader
	// Config tunes retention, checkpoints and forwarding; DefaultConfig
	// when zero.
	Config Config
	// Logger receives the errors of the background loops (checkpointer,
	// retention, forwarder), which have no caller to return them to. The
	// log never writes records' contents to it. slog.Default when nil.
	Logger *slog.Logger
}

// Log is cerrojo's audit log over one database. It is safe for concurrent
// use, and several nodes may share one database.
type Log struct {
	db     *storage.DB
	ring   *keyring.Ring
	clock  clock.Clock
	rand   io.Reader
	cfg    Config
	logger *slog.Logger

	signerMu sync.Mutex
	signer   note.Signer // loaded or created on the first checkpoint
	verifier string
}

// New returns a log over opts.DB, whose migrations must have been applied.
func New(opts Options) (*Log, error) {
	if opts.DB == nil {
		return nil, errors.New("audit: no database")
	}
	cfg := opts.Config
	if cfg == (Config{}) {
		cfg = DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Log{db: opts.DB, ring: opts.Ring, clock: opts.Clock, rand: opts.Rand, cfg: cfg,
		logger: opts.Logger}
	if l.clock == nil {
		l.clock = clock.System{}
	}
	if l.rand == nil {
		l.rand = rand.Reader
	} else {
		l.rand = &lockedReader{r: l.rand}
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	return l, nil
}

// Record appends e in a transaction of its own.
func (l *Log) Record(ctx context.Context, e Event) (*Record, error) {
	var rec *Record
	err := l.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		rec, err = l.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Append writes e as the next record in tx. The record exists if and only
// if tx commits.
//
// Append locks the tree head until tx ends, so appends from every node
// queue behind it: call it as the last statement before Commit, and keep
// the transaction short. On a rollback the index is given to the next
// record, so indexes stay dense.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, e Event) (*Record, error) {
	e, err := e.normalize()
	if err != nil {
		return nil, err
	}
	rec, err := l.newRecord(e)
	if err != nil {
		return nil, err
	}

	// Lock the head and take the next index. In PostgreSQL the row lock
	// holds until tx ends; SQLite's write transactions are already
	// serialised (BEGIN IMMEDIATE).
	var size int64
	err = tx.QueryRowContext(ctx,
		"UPDATE audit_head SET size = size + 1 WHERE id = 1 RETURNING size").Scan(&size)
	if err != nil {
		return nil, fmt.Errorf("append audit record: lock head: %w", err)
	}
	rec.Index = size - 1

	hashes, err := tlog.StoredHashesForRecordHash(rec.Index, rec.LeafHash(),
		hashReader(ctx, l.db, tx))
	if err != nil {
		return nil, fmt.Errorf("append audit record: tree hashes: %w", err)
	}
	if err := insertRecord(ctx, l.db, tx, rec); err != nil {
		return nil, err
	}
	if err := insertHashes(ctx, l.db, tx, tlog.StoredHashIndex(0, rec.Index), hashes); err != nil {
		return nil, err
	}
	return rec, nil
}

// newRecord stamps a normalised event with an id, the time and a salted
// commitment to its personal part.
func (l *Log) newRecord(e Event) (*Record, error) {
	var buf [16 + saltSize]byte
	if _, err := io.ReadFull(l.rand, buf[:]); err != nil {
		return nil, fmt.Errorf("append audit record: random: %w", err)
	}
	rec := &Record{
		ID:    hex.EncodeToString(buf[:16]),
		Time:  l.clock.Now().UTC().Truncate(time.Microsecond),
		Event: e,
		Salt:  buf[16:],
	}
	rec.Commitment = commit(rec.Salt, &rec.Event)
	return rec, nil
}

const recordColumns = "idx, id, time_us, actor_type, action, target_type, outcome, " +
	"request_id, commitment, actor_id, target_id, ip, user_agent, details, salt, " +
	"redaction, redacted_at, redacted_by"

func insertRecord(ctx context.Context, db *storage.DB, tx *sql.Tx, r *Record) error {
	details, err := json.Marshal(r.Details)
	if err != nil {
		return fmt.Errorf("append audit record: encode details: %w", err)
	}
	if r.Details == nil {
		details = []byte("{}")
	}
	_, err = tx.ExecContext(ctx, db.Rebind("INSERT INTO audit_records ("+recordColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)"),
		r.Index, r.ID, r.Time.UnixMicro(), string(r.Actor.Type), r.Action, r.Target.Type,
		string(r.Outcome), r.RequestID, r.Commitment[:], r.Actor.ID, r.Target.ID, r.IP,
		r.UserAgent, string(details), r.Salt)
	if err != nil {
		return fmt.Errorf("append audit record: %w", err)
	}
	return nil
}

// insertHashes writes hashes at consecutive stored-hash indexes from first.
func insertHashes(ctx context.Context, db *storage.DB, tx *sql.Tx, first int64,
	hashes []tlog.Hash) error {
	q := "INSERT INTO audit_hashes (idx, hash) VALUES "
	args := make([]any, 0, 2*len(hashes))
	for i, h := range hashes {
		if i > 0 {
			q += ", "
		}
		q += "(?, ?)"
		args = append(args, first+int64(i), h[:])
	}
	if _, err := tx.ExecContext(ctx, db.Rebind(q), args...); err != nil {
		return fmt.Errorf("append audit record: store tree hashes: %w", err)
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hashReader reads stored tree hashes for tlog. tlog asks for at most a few
// dozen at a time.
func hashReader(ctx context.Context, db *storage.DB, q querier) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return readHashes(ctx, db, q, indexes)
	})
}

func readHashes(ctx context.Context, db *storage.DB, q querier, indexes []int64) ([]tlog.Hash,
	error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	query := "SELECT idx, hash FROM audit_hashes WHERE idx IN (?"
	args := []any{indexes[0]}
	for _, ix := range indexes[1:] {
		query += ", ?"
		args = append(args, ix)
	}
	rows, err := q.QueryContext(ctx, db.Rebind(query+")"), args...)
	if err != nil {
		return nil, fmt.Errorf("read tree hashes: %w", err)
	}
	defer rows.Close()
	found := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var ix int64
		var b []byte
		if err := rows.Scan(&ix, &b); err != nil {
			return nil, fmt.Errorf("read tree hashes: %w", err)
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("read tree hashes: hash %d has %d bytes", ix, len(b))
		}
		found[ix] = tlog.Hash(b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tree hashes: %w", err)
	}
	out := make([]tlog.Hash, len(indexes))
	for i, ix := range indexes {
		h, ok := found[ix]
		if !ok {
			return nil, fmt.Errorf("read tree hashes: hash %d is missing", ix)
		}
		out[i] = h
	}
	return out, nil
}

// Size returns the number of committed records.
func (l *Log) Size(ctx context.Context) (int64, error) {
	return headSize(ctx, l.db.DB)
}

func headSize(ctx context.Context, q querier) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT size FROM audit_head WHERE id = 1").Scan(&n); err != nil {
		return 0, fmt.Errorf("read audit tree size: %w", err)
	}
	return n, nil
}

// lockedReader makes an injected random source safe for concurrent appends;
// test sources (math/rand/v2's ChaCha8) are not.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (lr *lockedReader) Read(p []byte) (int, error) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.r.Read(p)
}
