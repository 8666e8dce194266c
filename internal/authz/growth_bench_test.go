package authz

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

// growthSizes are the numbers of role bindings the check is measured at.
var growthSizes = []int{1_000, 10_000, 100_000}

// BenchmarkCheckGrowth measures one Service.Check (one subject, one
// question, allowed, not audited) with 1k, 10k and 100k role bindings in
// the table, spread over many users and vendors; the subject holds 3 of
// its own on top. One database per dialect grows from size to size, so
// the sizes are measured in the same run and compare as ratios:
//
//	go test -run '^$' -bench CheckGrowth -benchtime 2000x ./internal/authz/
func BenchmarkCheckGrowth(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds up to 100k rows")
	}
	dbs := []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}}
	for _, d := range dbs {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			svc := growthService(b, db)
			ctx := context.Background()
			storagetest.AddUser(b, db, "usr_subject", "vendor", "active")
			for i, role := range []string{"vendor_staff", "vendor_manager", "vendor_owner"} {
				if _, _, err := svc.Grant(ctx, cli, GrantInput{UserID: "usr_subject",
					Role: role, Vendor: fmt.Sprintf("ven_s%d", i)}, meta); err != nil {
					b.Fatal(err)
				}
			}
			seeded := 0
			for _, n := range growthSizes {
				b.Run(fmt.Sprintf("bindings=%d", n), func(b *testing.B) {
					if seeded < n {
						seedBindings(b, db, seeded, n)
						seeded = n
					}
					qs := []Question{{Permission: "product:update", Resource: product("ven_s1")}}
					for range 100 { // warm the connections and statement caches
						if _, err := svc.Check(ctx, "usr_subject", qs, asker, meta); err != nil {
							b.Fatal(err)
						}
					}
					for b.Loop() {
						ds, err := svc.Check(ctx, "usr_subject", qs, asker, meta)
						if err != nil {
							b.Fatal(err)
						}
						if !ds[0].Allowed {
							b.Fatalf("denied: %s", ds[0].Reason)
						}
					}
				})
			}
		})
	}
}

// seedBindings adds bindings from..to-1: four per user (users are added
// with them) over to/20 vendors, in one transaction.
func seedBindings(b *testing.B, db *storage.DB, from, to int) {
	b.Helper()
	now := time.Now().UTC()
	vendors := max(to/20, 10)
	roles := []string{"vendor_staff", "vendor_manager", "vendor_owner"}
	storagetest.BulkInsert(b, db, "users", []string{"id", "email", "email_normalized", "name",
		"kind", "state", "created_at", "updated_at"}, from/4, (to+3)/4, func(u int) []any {
		id := fmt.Sprintf("usr_g%07d", u)
		return []any{id, id + "@ejemplo.co", id + "@ejemplo.co", "Ana Test", "vendor",
			"active", now, now}
	})
	storagetest.BulkInsert(b, db, "role_bindings", []string{"user_id", "role", "vendor_id",
		"granted_by", "granted_at"}, from, to, func(i int) []any {
		return []any{fmt.Sprintf("usr_g%07d", i/4), roles[i%3],
			fmt.Sprintf("ven_g%06d", i%vendors), "system:bench", now}
	})
	storagetest.Analyze(b, db)
}

// growthService is newFixture's service, for a benchmark: a real audit
// log, the default policy, allowed checks not audited, every vendor
// approved.
func growthService(b *testing.B, db *storage.DB) *Service {
	b.Helper()
	master := make([]byte, 32)
	rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		b.Fatal(err)
	}
	fake := clock.NewFake(t0)
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		b.Fatal(err)
	}
	approved := func(_ context.Context, ids []string) ([]string, error) { return ids, nil }
	return New(Options{DB: db, Policy: policy.Default(), Audit: log, Clock: fake,
		ApprovedVendors: approved})
}
