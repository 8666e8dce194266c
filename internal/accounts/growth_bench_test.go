package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// growthSizes are the numbers of users the lookup is measured at.
var growthSizes = []int{1_000, 10_000, 100_000}

// BenchmarkUserByEmailGrowth measures password login's account lookup,
// Store.UserByEmail (the Argon2id hash is not included), with 1k, 10k and
// 100k users in the table, looking up one in the middle. One database per
// dialect grows from size to size, so the sizes are measured in the same
// run and compare as ratios:
//
//	go test -run '^$' -bench UserByEmailGrowth -benchtime 2000x ./internal/accounts/
func BenchmarkUserByEmailGrowth(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds up to 100k users")
	}
	dbs := []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}}
	for _, d := range dbs {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			st := NewStore(db)
			ctx := context.Background()
			seeded := 0
			for _, n := range growthSizes {
				b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
					if seeded < n {
						seedUsers(b, db, seeded, n)
						seeded = n
					}
					email := growthEmail(n / 2)
					lookup := func() {
						u, err := st.UserByEmail(ctx, email)
						if err != nil {
							b.Fatal(err)
						}
						if u.PasswordHash == "" {
							b.Fatal("no password hash loaded")
						}
					}
					for range 100 { // warm the connections and statement caches
						lookup()
					}
					for b.Loop() {
						lookup()
					}
				})
			}
		})
	}
}

func growthEmail(i int) string { return fmt.Sprintf("persona%07d@ejemplo.co", i) }

// seedUsers adds users from..to-1 with a password hash of the real length,
// in one transaction.
func seedUsers(b *testing.B, db *storage.DB, from, to int) {
	b.Helper()
	now := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	hash := "$argon2id$v=19$m=19456,t=2,p=1$" + strings.Repeat("c2FsdA", 4) + "$" +
		strings.Repeat("aGFzaA", 7)
	growthInsert(b, db, "users", []string{"id", "email", "email_normalized", "email_verified",
		"name", "kind", "state", "password_hash", "password_changed_at", "created_at",
		"updated_at"}, from, to, func(i int) []any {
		return []any{fmt.Sprintf("usr_g%07d", i), growthEmail(i), growthEmail(i), true,
			"Ana Test", "customer", "active", hash, now, now, now}
	})
	growthAnalyze(b, db)
}

// growthInsert inserts rows from..to-1 of table in one transaction, with
// one multi-row INSERT per batch.
func growthInsert(b *testing.B, db *storage.DB, table string, cols []string, from, to int,
	row func(i int) []any) {
	b.Helper()
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
		b.Fatalf("seed %s: %v", table, err)
	}
}

// growthAnalyze refreshes PostgreSQL's planner statistics after a bulk
// load, as autovacuum would soon after; SQLite keeps none unless asked.
func growthAnalyze(b *testing.B, db *storage.DB) {
	b.Helper()
	if db.Dialect() != storage.Postgres {
		return
	}
	if _, err := db.ExecContext(context.Background(), "ANALYZE"); err != nil {
		b.Fatalf("analyze: %v", err)
	}
}
