package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestMigrations(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testMigrations(t, storagetest.OpenSQLiteUnmigrated(t)) })
	t.Run("postgres", func(t *testing.T) { testMigrations(t, storagetest.OpenPostgresUnmigrated(t)) })
}

func testMigrations(t *testing.T, db *storage.DB) {
	ctx := context.Background()

	status, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if len(status) == 0 {
		t.Fatal("no migrations are embedded")
	}
	for _, m := range status {
		if m.Applied {
			t.Fatalf("fresh database: migration %d is applied", m.Version)
		}
	}
	if pending, err := db.HasPendingMigrations(ctx); err != nil || !pending {
		t.Fatalf("fresh database: pending = %v, %v; want true", pending, err)
	}

	applied, err := db.MigrateUp(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	if len(applied) != len(status) {
		t.Fatalf("applied %d migrations, want %d", len(applied), len(status))
	}
	again, err := db.MigrateUp(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second up: applied %d, %v; want 0, nil", len(again), err)
	}

	status, _ = db.MigrationStatus(ctx)
	for _, m := range status {
		if !m.Applied || m.AppliedAt.IsZero() {
			t.Errorf("after up: migration %d applied=%v at %v", m.Version, m.Applied, m.AppliedAt)
		}
	}
}

// TestMigrationsHaveTheSameVersionsOnBothDialects keeps the two directories
// in step, so that `migrate status` means the same on either database.
func TestMigrationsHaveTheSameVersionsOnBothDialects(t *testing.T) {
	ctx := context.Background()
	lite, err := storagetest.OpenSQLiteUnmigrated(t).MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := storagetest.OpenPostgresUnmigrated(t).MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %d %s, postgres %d %s", i, lite[i].Version,
				lite[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}

func TestConcurrentMigrationsOnPostgresApplyOnce(t *testing.T) {
	url := storagetest.PostgresSchemaURL(t)
	ctx := context.Background()

	const nodes = 4
	var wg sync.WaitGroup
	counts := make([]int, nodes)
	for i := range nodes {
		wg.Go(func() {
			db, err := storage.OpenPostgres(ctx, url, storage.PostgresOptions{MaxOpenConns: 2})
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			applied, err := db.MigrateUp(ctx)
			if err != nil {
				t.Errorf("node %d: %v", i, err)
			}
			counts[i] = len(applied)
		})
	}
	wg.Wait()

	total := 0
	for _, c := range counts {
		total += c
	}
	db, _ := storage.OpenPostgres(ctx, url, storage.PostgresOptions{})
	defer db.Close()
	status, _ := db.MigrationStatus(ctx)
	if total != len(status) {
		t.Fatalf("nodes applied %v migrations in all, want each of %d once", counts, len(status))
	}
}

func TestStore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx,
			"CREATE TABLE conformance (id TEXT PRIMARY KEY, n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		insert := db.Rebind("INSERT INTO conformance (id, n) VALUES (?, ?)")

		t.Run("unique violations are recognised", func(t *testing.T) {
			if _, err := db.ExecContext(ctx, insert, "a", 1); err != nil {
				t.Fatal(err)
			}
			_, err := db.ExecContext(ctx, insert, "a", 2)
			if !storage.IsUniqueViolation(err) {
				t.Fatalf("got %v, want a unique violation", err)
			}
			if storage.IsUniqueViolation(errors.New("other")) || storage.IsUniqueViolation(nil) {
				t.Fatal("a plain error counts as a unique violation")
			}
		})

		t.Run("a failed transaction leaves nothing behind", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, insert, "b", 1); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("got %v, want the function's error", err)
			}
			var n int
			db.QueryRowContext(ctx, db.Rebind("SELECT COUNT(*) FROM conformance WHERE id = ?"),
				"b").Scan(&n)
			if n != 0 {
				t.Fatalf("rolled-back row is visible")
			}
		})

		t.Run("a panicking transaction rolls back and re-panics", func(t *testing.T) {
			func() {
				defer func() {
					if recover() == nil {
						t.Fatal("panic was swallowed")
					}
				}()
				db.InTx(ctx, func(tx *sql.Tx) error {
					tx.ExecContext(ctx, insert, "c", 1)
					panic("boom")
				})
			}()
			var n int
			db.QueryRowContext(ctx, db.Rebind("SELECT COUNT(*) FROM conformance WHERE id = ?"),
				"c").Scan(&n)
			if n != 0 {
				t.Fatalf("row of a panicking transaction is visible")
			}
		})

		t.Run("a committed transaction is visible", func(t *testing.T) {
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, insert, "d", 4)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, db.Rebind("SELECT n FROM conformance WHERE id = ?"),
				"d").Scan(&n); err != nil || n != 4 {
				t.Fatalf("got %d, %v; want 4", n, err)
			}
		})

		t.Run("concurrent writers all succeed", func(t *testing.T) {
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					err := db.InTx(ctx, func(tx *sql.Tx) error {
						var n int
						tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM conformance").Scan(&n)
						_, err := tx.ExecContext(ctx, insert, "w"+string(rune('a'+i)), n)
						return err
					})
					if err != nil {
						t.Errorf("writer %d: %v", i, err)
					}
				})
			}
			wg.Wait()
		})
	})
}

func TestSQLiteRunsInWALWithForeignKeys(t *testing.T) {
	db := storagetest.SQLite(t)
	ctx := context.Background()
	var mode string
	var fk, sync int
	db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
	db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
	db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
	if mode != "wal" || fk != 1 || sync != 2 {
		t.Fatalf("got journal_mode=%s foreign_keys=%d synchronous=%d; want wal, 1, 2 (FULL)",
			mode, fk, sync)
	}
}

func TestRebind(t *testing.T) {
	pg := storagetest.OpenPostgresUnmigrated(t)
	lite := storagetest.OpenSQLiteUnmigrated(t)
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
	if got, want := pg.Rebind(q), "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"; got != want {
		t.Errorf("postgres: got %q, want %q", got, want)
	}
	if got := lite.Rebind(q); got != q {
		t.Errorf("sqlite: got %q, want it unchanged", got)
	}
}

// TestQueryHotReusesOneStatement checks that QueryHot answers like
// QueryContext, sees rows written after its statement was prepared, and
// is safe from many goroutines at once on both databases.
func TestQueryHotReusesOneStatement(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE hot_t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		q := db.Rebind(`SELECT v FROM hot_t WHERE k = ?`)
		read := func(k string) (int, bool) {
			rows, err := db.QueryHot(ctx, q, k)
			if err != nil {
				t.Error(err)
				return 0, false
			}
			defer rows.Close()
			var v int
			found := rows.Next()
			if found {
				rows.Scan(&v)
			}
			return v, found
		}
		if _, found := read("a"); found {
			t.Fatal("a row before any was written")
		}
		if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO hot_t (k, v) VALUES (?, ?)`), "a", 7); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if v, found := read("a"); !found || v != 7 {
					t.Errorf("read a: %d, %v", v, found)
				}
			})
		}
		wg.Wait()
	})
}
