package audit

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// BenchmarkAppendVsInsert measures records appended per second against
// plain inserts per second of a row of the same shape, each in its own
// transaction, into the same database in the same run, and reports the
// ratio (append/insert; 1 would mean the log costs nothing). Sequential and
// with 16 concurrent writers, on both databases:
//
//	go test -run '^$' -bench AppendVsInsert -benchtime 2000x ./internal/audit
func BenchmarkAppendVsInsert(b *testing.B) {
	dbs := []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}}
	for _, d := range dbs {
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/writers=%d", d.name, writers), func(b *testing.B) {
				benchAppendVsInsert(b, d.open(b), writers)
			})
		}
	}
}

func benchAppendVsInsert(b *testing.B, db *storage.DB, writers int) {
	ctx := context.Background()
	env := newTestLog(b, db)
	mustExec(b, db, "CREATE TABLE bench_plain (id TEXT PRIMARY KEY, time_us BIGINT NOT NULL, "+
		"actor_type TEXT NOT NULL, action TEXT NOT NULL, target_type TEXT NOT NULL, "+
		"outcome TEXT NOT NULL, request_id TEXT NOT NULL, actor_id TEXT, target_id TEXT, "+
		"ip TEXT, user_agent TEXT, details TEXT)")
	insert := db.Rebind("INSERT INTO bench_plain (id, time_us, actor_type, action, " +
		"target_type, outcome, request_id, actor_id, target_id, ip, user_agent, details) " +
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

	run := func(n int, one func(i int) error) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := w; i < n; i += writers {
					if err := one(i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}

	// Alternate the two in rounds, so that drift in the machine's fsync
	// latency during the run falls on both alike.
	const rounds = 10
	var appendTime, insertTime time.Duration
	b.ResetTimer()
	for r := range rounds {
		lo, hi := b.N*r/rounds, b.N*(r+1)/rounds
		appendTime += run(hi-lo, func(i int) error {
			_, err := env.log.Record(ctx, sampleEvent(lo+i))
			return err
		})
		insertTime += run(hi-lo, func(i int) error {
			e := sampleEvent(lo + i)
			return db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, insert, fmt.Sprintf("%032d", lo+i), int64(i),
					"person", e.Action, e.Target.Type, "success", e.RequestID, e.Actor.ID,
					e.Target.ID, e.IP, e.UserAgent,
					`{"email":"a***@example.com","role":"vendor_admin"}`)
				return err
			})
		})
	}
	b.StopTimer()

	appends := float64(b.N) / appendTime.Seconds()
	inserts := float64(b.N) / insertTime.Seconds()
	b.ReportMetric(appends, "appends/s")
	b.ReportMetric(inserts, "inserts/s")
	b.ReportMetric(appends/inserts, "append/insert")
	b.ReportMetric(0, "ns/op")
}
