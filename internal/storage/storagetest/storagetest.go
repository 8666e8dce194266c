// Package storagetest is the conformance harness for cerrojo's stores: a
// store test written once runs against SQLite and PostgreSQL.
//
// PostgreSQL is found through CERROJO_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test). Each test gets its own schema,
// dropped afterwards, so tests run in parallel without seeing each other.
// When PostgreSQL cannot be reached the PostgreSQL half is skipped with a
// message saying how to enable it, except when CI=true: there it fails,
// because a green CI run must mean both databases passed.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// DefaultPostgresURL is used when CERROJO_TEST_POSTGRES_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Each runs fn as two subtests, "sqlite" and "postgres", each with a fresh,
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *storage.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a fresh, migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *storage.DB {
	t.Helper()
	db := OpenSQLiteUnmigrated(t)
	migrate(t, db)
	return db
}

// OpenSQLiteUnmigrated returns a fresh SQLite database with no schema.
func OpenSQLiteUnmigrated(t testing.TB) *storage.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cerrojo.db")
	db, err := storage.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	// A close error after the test says nothing about the code under test.
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Postgres returns a fresh, migrated PostgreSQL schema, or skips (fails when
// CI=true) if PostgreSQL cannot be reached.
func Postgres(t testing.TB) *storage.DB {
	t.Helper()
	db := OpenPostgresUnmigrated(t)
	migrate(t, db)
	return db
}

// OpenPostgresUnmigrated returns a connection to a fresh, empty schema.
func OpenPostgresUnmigrated(t testing.TB) *storage.DB {
	t.Helper()
	u := PostgresSchemaURL(t)
	db, err := storage.OpenPostgres(context.Background(), u, storage.PostgresOptions{MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	// A close error after the test says nothing about the code under test.
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// PostgresSchemaURL creates an empty schema for this test and returns a URL
// whose connections use it. The schema is dropped when the test ends.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	admin := requirePostgres(t)

	schema := "cerrojo_test_" + randomHex(8)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatalf("parse CERROJO_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresURL is the server the tests use.
func PostgresURL() string {
	if u := os.Getenv("CERROJO_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

var (
	adminOnce sync.Once
	adminDB   *storage.DB
	adminErr  error
)

// requirePostgres returns a shared connection to the test server, skipping or
// failing the test when there is none. The connection lives as long as the
// test binary.
func requirePostgres(t testing.TB) *storage.DB {
	t.Helper()
	adminOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		adminDB, adminErr = storage.OpenPostgres(ctx, PostgresURL(), storage.PostgresOptions{MaxOpenConns: 4})
	})
	if adminErr != nil {
		msg := fmt.Sprintf("PostgreSQL is not reachable (%v). Start it, or point "+
			"CERROJO_TEST_POSTGRES_URL at a server where the user may create schemas", adminErr)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI=true makes the PostgreSQL tests mandatory", msg)
		}
		t.Skip(msg)
	}
	return adminDB
}

func migrate(t testing.TB, db *storage.DB) {
	t.Helper()
	if _, err := db.MigrateUp(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", db.Dialect(), err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// AddUser inserts a bare account (named "Ana Test", email id@ejemplo.co)
// of the given kind and state, for tests of tables that refer to users.
func AddUser(t testing.TB, db *storage.DB, id, kind, state string) {
	t.Helper()
	now := time.Now().UTC()
	_, err := db.ExecContext(context.Background(), db.Rebind(`INSERT INTO users (id, email,
		email_normalized, name, kind, state, created_at, updated_at)
		VALUES (?, ?, ?, 'Ana Test', ?, ?, ?, ?)`),
		id, id+"@ejemplo.co", id+"@ejemplo.co", kind, state, now, now)
	if err != nil {
		t.Fatalf("add user %s: %v", id, err)
	}
}

// BulkInsert inserts rows from..to-1 of table in one transaction, with one
// multi-row INSERT per batch: how benchmarks seed a database with many
// rows quickly. row returns the values of row i, in the order of cols.
func BulkInsert(tb testing.TB, db *storage.DB, table string, cols []string, from, to int,
	row func(i int) []any) {
	tb.Helper()
	per := 30_000 / len(cols) // under SQLite's 32,766 host parameters
	ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for lo := from; lo < to; lo += per {
			hi := min(lo+per, to)
			var q strings.Builder
			q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			args := make([]any, 0, (hi-lo)*len(cols))
			for i := lo; i < hi; i++ {
				if i > lo {
					q.WriteString(", ")
				}
				q.WriteString(ph)
				args = append(args, row(i)...)
			}
			if _, err := tx.ExecContext(ctx, db.Rebind(q.String()), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed %s: %v", table, err)
	}
}

// Analyze refreshes PostgreSQL's planner statistics after a bulk load, as
// autovacuum would soon after; SQLite keeps none unless asked.
func Analyze(tb testing.TB, db *storage.DB) {
	tb.Helper()
	if db.Dialect() != storage.Postgres {
		return
	}
	if _, err := db.ExecContext(context.Background(), "ANALYZE"); err != nil {
		tb.Fatalf("analyze: %v", err)
	}
}
