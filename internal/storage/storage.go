// Package storage opens cerrojo's database and owns its schema.
//
// Two databases are supported behind the same interfaces: SQLite through
// modernc.org/sqlite (pure Go, embedded, single node) and PostgreSQL through
// pgx (production, many nodes). Capabilities do not talk to drivers: each
// defines the Store interface it needs in its own package and implements it
// with portable SQL over a *DB, using Rebind for placeholders and Dialect
// where the two databases truly differ. The conformance suite in
// storagetest runs every store test against both.
//
// Guarantees:
//   - SQLite runs in WAL mode with synchronous=FULL, foreign keys on and
//     IMMEDIATE write transactions, so a committed write survives a crash and
//     concurrent writers wait (busy_timeout) instead of failing.
//   - Migrations are versioned SQL embedded in the binary; on PostgreSQL they
//     run under an advisory lock, so several nodes starting at once apply
//     each migration exactly once.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names a supported database.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database and the dialect it speaks.
type DB struct {
	*sql.DB
	dialect  Dialect
	location string // a description safe to log: a file path or a redacted URL
	// hot holds the statements QueryHot prepared, by query text.
	hot sync.Map
}

// QueryHot runs query like QueryContext, through a statement prepared once
// and kept for the life of db. It is for the few reads that run on nearly
// every request (a client's credentials, a subject's role bindings), where
// parsing the SQL again each time costs more than running it: with SQLite,
// about a third of such a request's CPU. query must be a constant (after
// Rebind), never built from input, or the cache would grow without bound.
func (db *DB) QueryHot(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := db.hot.Load(query); ok {
		return st.(*sql.Stmt).QueryContext(ctx, args...)
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.hot.LoadOrStore(query, st); loaded {
		_ = st.Close() // another goroutine prepared it first; this copy was never used
		st = prev.(*sql.Stmt)
	}
	return st.QueryContext(ctx, args...)
}

// Dialect returns the database's dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// Location describes where the data lives, without credentials.
func (db *DB) Location() string { return db.location }

// SQLiteBusyTimeout is how long a SQLite writer waits for another to finish
// before failing with SQLITE_BUSY.
const SQLiteBusyTimeout = 10 * time.Second

// OpenSQLite opens (creating if needed) the SQLite database at path.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite: create directory: %w", err)
	}

	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(SQLiteBusyTimeout.Milliseconds(), 10)+")")
	// IMMEDIATE takes the write lock when a transaction begins, so two
	// transactions that read then write cannot deadlock on the upgrade.
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()

	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// WAL allows one writer and many readers; a handful of connections is
	// plenty for one node, and writers queue on busy_timeout.
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)

	db := &DB{DB: sqlDB, dialect: SQLite, location: path}
	if err := db.PingContext(ctx); err != nil {
		_ = sqlDB.Close() // the open error below is the one to report
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = sqlDB.Close() // the open error below is the one to report
		return nil, fmt.Errorf("open sqlite %s: read journal mode: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		_ = sqlDB.Close() // the open error below is the one to report
		return nil, fmt.Errorf("open sqlite %s: journal mode is %q, want wal", path, mode)
	}
	return db, nil
}

// PostgresOptions tunes a PostgreSQL connection pool.
type PostgresOptions struct {
	MaxOpenConns int
}

// OpenPostgres connects to the PostgreSQL database at rawURL.
func OpenPostgres(ctx context.Context, rawURL string, opts PostgresOptions) (*DB, error) {
	connCfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx's parse errors may quote the URL; say only what kind of
		// mistake it was.
		return nil, errors.New("open postgres: the database URL cannot be parsed")
	}
	location := fmt.Sprintf("postgres://%s@%s:%d/%s", connCfg.User, connCfg.Host, connCfg.Port,
		connCfg.Database)

	sqlDB := stdlib.OpenDB(*connCfg)
	if opts.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
		sqlDB.SetMaxIdleConns(opts.MaxOpenConns)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	sqlDB.SetConnMaxLifetime(time.Hour)

	db := &DB{DB: sqlDB, dialect: Postgres, location: location}
	if err := db.PingContext(ctx); err != nil {
		_ = sqlDB.Close() // the open error below is the one to report
		return nil, fmt.Errorf("open postgres %s: %w", location, err)
	}
	return db, nil
}

// Rebind rewrites a query written with ? placeholders into the dialect's
// form ($1, $2, ... for PostgreSQL). Queries in cerrojo never contain a
// literal question mark, so no quoting rules are needed; a query that does
// would be a bug caught by the conformance suite.
func (db *DB) Rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback() // the panic goes on; a rollback error cannot be reported
			panic(p)
		}
	}()

	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint violation on either database.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		code := sqErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
