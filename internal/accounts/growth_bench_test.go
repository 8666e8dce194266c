package accounts

import (
	"context"
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
	storagetest.BulkInsert(b, db, "users", []string{"id", "email", "email_normalized",
		"email_verified", "name", "kind", "state", "password_hash", "password_changed_at",
		"created_at", "updated_at"}, from, to, func(i int) []any {
		return []any{fmt.Sprintf("usr_g%07d", i), growthEmail(i), growthEmail(i), true,
			"Ana Test", "customer", "active", hash, now, now, now}
	})
	storagetest.Analyze(b, db)
}
