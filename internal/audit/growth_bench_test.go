package audit

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// growthSizes are the numbers of records already in the log when appends
// and searches are measured.
var growthSizes = []int{1_000, 10_000, 100_000}

// BenchmarkLogGrowth measures, with 1k, 10k and 100k records already in
// the log:
//
//   - search: Search by actor id, an actor with 10 records (all returned);
//   - append: Record, one append in a transaction of its own. Each
//     iteration adds a record, so the log ends the sub-benchmark b.N
//     records larger than its name says.
//
// The log is seeded through the real Append, 1,000 appends per
// transaction, so the tree stays valid. One database per dialect grows
// from size to size, so the sizes are measured in the same run and
// compare as ratios:
//
//	go test -run '^$' -bench LogGrowth -benchtime 500x ./internal/audit/
func BenchmarkLogGrowth(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds up to 100k records")
	}
	dbs := []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}}
	for _, d := range dbs {
		b.Run(d.name, func(b *testing.B) {
			env := newTestLog(b, d.open(b))
			ctx := context.Background()
			search := func(b *testing.B) {
				page, err := env.log.Search(ctx, Query{ActorID: growthActor(0), Limit: 50})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Records) != 10 {
					b.Fatalf("got %d records, want 10", len(page.Records))
				}
			}
			i := 0
			record := func(b *testing.B) {
				e := growthEvent(i)
				e.Actor.ID = "usr_bench"
				i++
				if _, err := env.log.Record(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			seeded := 0
			for _, n := range growthSizes {
				seedLog(b, env, n, &seeded)
				for _, op := range []struct {
					name string
					fn   func(*testing.B)
				}{{"search", search}, {"append", record}} {
					b.Run(fmt.Sprintf("records=%d/%s", n, op.name), func(b *testing.B) {
						for range 20 { // warm the connections and statement caches
							op.fn(b)
						}
						for b.Loop() {
							op.fn(b)
						}
					})
				}
			}
		})
	}
}

// growthActor is the actor of seeded record i: ten records each.
func growthActor(i int) string { return fmt.Sprintf("usr_g%07d", i/10) }

func growthEvent(i int) Event {
	return Event{
		Actor:     Actor{Type: ActorPerson, ID: growthActor(i)},
		Action:    []string{"role.grant", "auth.login", "consent.revoke"}[i%3],
		Target:    Target{Type: "user", ID: fmt.Sprintf("usr_t%07d", i%5000)},
		Outcome:   OutcomeSuccess,
		IP:        fmt.Sprintf("192.0.2.%d", i%250),
		UserAgent: "Mozilla/5.0 (test)",
		RequestID: fmt.Sprintf("req-%d", i),
		Details:   map[string]string{"role": "vendor_admin", "email": MaskEmail("ana@example.com")},
	}
}

// seedLog appends seeded records through Log.Append, 1,000 per
// transaction, until the log holds at least n records.
// seeded counts the seeded records across calls.
func seedLog(b *testing.B, env *testEnv, n int, seeded *int) {
	b.Helper()
	ctx := context.Background()
	size, err := env.log.Size(ctx)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for int(size) < n {
		batch := min(1000, n-int(size))
		err := env.db.InTx(ctx, func(tx *sql.Tx) error {
			for range batch {
				// Seeded records are numbered apart from the measured ones,
				// so actor usr_g0000000 keeps exactly 10.
				if _, err := env.log.Append(ctx, tx, growthEvent(*seeded)); err != nil {
					return err
				}
				*seeded++
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
		size += int64(batch)
		env.clock.Advance(time.Second)
	}
	if db := env.db; db.Dialect() == storage.Postgres {
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded to %d records in %v", size, time.Since(start).Round(time.Millisecond))
}
