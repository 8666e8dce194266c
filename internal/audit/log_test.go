package audit

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestAppendAndVerify(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()

		recs := env.appendN(t, 37)
		for i, r := range recs {
			if r.Index != int64(i) {
				t.Fatalf("record %d has index %d", i, r.Index)
			}
		}
		if _, err := env.log.Checkpoint(ctx); err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
		env.appendN(t, 5)

		rep := env.verify(t)
		if !rep.OK() {
			t.Fatalf("fresh log does not verify: %v", rep.Problem)
		}
		if rep.Records != 42 || rep.Checkpoints != 1 || rep.LatestCheckpoint != 37 {
			t.Fatalf("got %+v, want 42 records and one checkpoint of 37", rep)
		}

		got, err := env.log.RecordByIndex(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != recs[3].ID || got.Details["role"] != "vendor_admin" ||
			!got.Time.Equal(recs[3].Time) || got.LeafHash() != recs[3].LeafHash() {
			t.Fatalf("record read back differs:\n got %+v\nwant %+v", got, recs[3])
		}
	})
}

func TestRecordCommitsWithTheChange(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		mustExec(t, db, "CREATE TABLE grants (id TEXT PRIMARY KEY)")

		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, db.Rebind("INSERT INTO grants (id) VALUES (?)"),
				"g1"); err != nil {
				return err
			}
			if _, err := env.log.Append(ctx, tx, sampleEvent(0)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want boom", err)
		}
		if n, _ := env.log.Size(ctx); n != 0 {
			t.Fatalf("a rolled-back append left a tree of size %d", n)
		}

		err = db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, db.Rebind("INSERT INTO grants (id) VALUES (?)"),
				"g2"); err != nil {
				return err
			}
			_, err := env.log.Append(ctx, tx, sampleEvent(1))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := env.log.RecordByIndex(ctx, 0)
		if err != nil || r.RequestID != "req-1" {
			t.Fatalf("got %v, %v; want the committed record at index 0", r, err)
		}
		if rep := env.verify(t); !rep.OK() || rep.Records != 1 {
			t.Fatalf("got %+v", rep)
		}
	})
}

func TestConcurrentAppendsAreDenseAndVerify(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		const writers, each = 16, 25

		var wg sync.WaitGroup
		var mu sync.Mutex
		seen := make(map[int64]bool)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					e := sampleEvent(w*each + i)
					var r *Record
					var err error
					if i%2 == 0 {
						r, err = env.log.Record(ctx, e)
					} else {
						// Every other append rolls back, to leave holes if
						// indexes were handed out outside the transaction.
						err = db.InTx(ctx, func(tx *sql.Tx) error {
							if _, err := env.log.Append(ctx, tx, e); err != nil {
								return err
							}
							return errRollback
						})
						if errors.Is(err, errRollback) {
							continue
						}
					}
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					mu.Lock()
					if seen[r.Index] {
						t.Errorf("index %d handed out twice", r.Index)
					}
					seen[r.Index] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		want := int64(writers * ((each + 1) / 2))
		if n, _ := env.log.Size(ctx); n != want {
			t.Fatalf("tree size %d, want %d", n, want)
		}
		for i := range want {
			if !seen[i] {
				t.Fatalf("index %d was never committed: indexes are not dense", i)
			}
		}
		if _, err := env.log.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if rep := env.verify(t); !rep.OK() {
			t.Fatalf("concurrent appends do not verify: %v", rep.Problem)
		}
	})
}

var errRollback = errors.New("roll back on purpose")

func TestProofsCheckWithTlog(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		recs := env.appendN(t, 1)
		var sizes []int64
		c, err := env.log.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, c.Size)
		for _, n := range []int{1, 2, 5, 8, 13} {
			recs = append(recs, env.appendN(t, n)...)
			c, err := env.log.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, c.Size)
		}

		for _, size := range sizes {
			for _, r := range recs {
				if r.Index >= size {
					continue
				}
				p, err := env.log.InclusionProof(ctx, r.Index, size)
				if err != nil {
					t.Fatalf("inclusion %d in %d: %v", r.Index, size, err)
				}
				if p.LeafHash != r.LeafHash() {
					t.Fatalf("inclusion %d: leaf hash differs from the record's", r.Index)
				}
				if err := tlog.CheckRecord(p.Proof, size, p.RootHash, r.Index,
					r.LeafHash()); err != nil {
					t.Fatalf("tlog.CheckRecord(%d in %d): %v", r.Index, size, err)
				}
				if len(p.Proof) > 0 {
					bad := append(tlog.RecordProof(nil), p.Proof...)
					bad[0][0] ^= 1
					if tlog.CheckRecord(bad, size, p.RootHash, r.Index, r.LeafHash()) == nil {
						t.Fatalf("a corrupted inclusion proof checks")
					}
				}
			}
			for _, old := range sizes {
				if old > size {
					continue
				}
				p, err := env.log.ConsistencyProof(ctx, old, size)
				if err != nil {
					t.Fatalf("consistency %d to %d: %v", old, size, err)
				}
				if err := tlog.CheckTree(p.Proof, size, p.NewRoot, old, p.OldRoot); err != nil {
					t.Fatalf("tlog.CheckTree(%d to %d): %v", old, size, err)
				}
			}
		}

		// The roots proofs are made against are the ones checkpoints signed.
		keys, _ := env.log.VerifierKeys(ctx)
		latest, err := env.log.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := OpenCheckpoint(latest.Note, keys)
		if err != nil {
			t.Fatal(err)
		}
		p, err := env.log.InclusionProof(ctx, 0, 0)
		if err != nil || p.TreeSize != opened.Size || p.RootHash != opened.Root {
			t.Fatalf("default-size proof: %+v, %v; want against checkpoint %d", p, err,
				opened.Size)
		}

		for _, tc := range []struct{ index, size int64 }{{-1, 3}, {3, 3}, {0, 1000}} {
			if _, err := env.log.InclusionProof(ctx, tc.index, tc.size); !errors.Is(err,
				ErrTreeSize) {
				t.Errorf("inclusion(%d, %d): got %v, want ErrTreeSize", tc.index, tc.size, err)
			}
		}
		for _, tc := range []struct{ old, size int64 }{{0, 3}, {4, 3}, {1, 1000}} {
			if _, err := env.log.ConsistencyProof(ctx, tc.old, tc.size); !errors.Is(err,
				ErrTreeSize) {
				t.Errorf("consistency(%d, %d): got %v, want ErrTreeSize", tc.old, tc.size, err)
			}
		}
	})
}

// TestVerifyWhileAppending checks that verification of a live log, with
// appends and checkpoints going on, finds nothing wrong.
func TestVerifyWhileAppending(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		env.appendN(t, 1)
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := env.log.Record(ctx, sampleEvent(i)); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
				if i%5 == 0 {
					env.log.Checkpoint(ctx)
				}
			}
		})
		for range 10 {
			if rep := env.verify(t); !rep.OK() {
				cancel()
				wg.Wait()
				t.Fatalf("live log: %v", rep.Problem)
			}
		}
		cancel()
		wg.Wait()
	})
}
