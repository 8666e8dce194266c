package audit

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// copyColumns copies every column of a record but idx and id.
const copyColumns = "time_us, actor_type, action, target_type, outcome, request_id, " +
	"commitment, actor_id, target_id, ip, user_agent, details, salt, redaction, " +
	"redacted_at, redacted_by"

// renumber moves the records at or after from by delta, in two steps so
// that no primary key collides on the way.
func renumber(t *testing.T, db *storage.DB, from, delta int64) {
	mustExec(t, db, "UPDATE audit_records SET idx = idx + 1000000 WHERE idx >= ?", from)
	mustExec(t, db, "UPDATE audit_records SET idx = idx - 1000000 + ? WHERE idx >= 1000000", delta)
}

func swap(t *testing.T, db *storage.DB, a, b int64) {
	mustExec(t, db, "UPDATE audit_records SET idx = -1 WHERE idx = ?", a)
	mustExec(t, db, "UPDATE audit_records SET idx = ? WHERE idx = ?", a, b)
	mustExec(t, db, "UPDATE audit_records SET idx = ? WHERE idx = -1", b)
}

// insertCopy inserts a copy of record src at index at, under a new id.
func insertCopy(t *testing.T, db *storage.DB, src, at int64) {
	mustExec(t, db, "INSERT INTO audit_records (idx, id, "+copyColumns+") SELECT ?, ?, "+
		copyColumns+" FROM audit_records WHERE idx = ?", at, strings.Repeat("ab", 16), src)
}

// TestVerifyNamesTheFirstBadRecord tampers with the stored log directly in
// SQL, as someone with the database owner's rights could, and checks that
// verification names the first bad record and what happened to it.
func TestVerifyNamesTheFirstBadRecord(t *testing.T) {
	const records = 20
	newID := strings.Repeat("ab", 16)
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *storage.DB)
		kind   FindingKind
		index  int64
		id     func(recs []*Record) string // the id now at index, "" for none
		other  int64
	}{
		{
			name: "a public field changed",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET action = 'role.revoke' WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "the outcome changed",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET outcome = 'failure' WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "the time changed by a microsecond",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET time_us = time_us + 1 WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "the actor changed",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET actor_id = 'user-9' WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "the ip changed",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET ip = '198.51.100.1' WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "a detail changed",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, `UPDATE audit_records SET details = '{"role":"super_admin"}' `+
					"WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "the commitment changed",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET commitment = salt WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "the personal part erased without a redaction",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET salt = NULL, actor_id = NULL, "+
					"target_id = NULL, ip = NULL, user_agent = NULL, details = NULL "+
					"WHERE idx = 7")
			},
			kind: Modified, index: 7, other: -1,
		},
		{
			name: "a redaction naming a record that is not a redaction",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "UPDATE audit_records SET salt = NULL, actor_id = NULL, "+
					"target_id = NULL, ip = NULL, user_agent = NULL, details = NULL, "+
					"redaction = 'subject', redacted_at = 1, redacted_by = 9 WHERE idx = 7")
			},
			kind: BadRedaction, index: 7, other: -1,
		},
		{
			name: "a record deleted",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "DELETE FROM audit_records WHERE idx = 7")
			},
			kind: Deleted, index: 7, id: func([]*Record) string { return "" }, other: -1,
		},
		{
			name: "a record deleted and the rest moved up",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "DELETE FROM audit_records WHERE idx = 7")
				renumber(t, db, 8, -1)
			},
			kind: Deleted, index: 7, id: func(r []*Record) string { return r[8].ID }, other: -1,
		},
		{
			name: "the last records deleted and the head moved back",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "DELETE FROM audit_records WHERE idx >= 18")
				mustExec(t, db, "UPDATE audit_head SET size = 18")
			},
			kind: Deleted, index: 18, id: func([]*Record) string { return "" }, other: 20,
		},
		{
			name: "the first record deleted",
			tamper: func(t *testing.T, db *storage.DB) {
				mustExec(t, db, "DELETE FROM audit_records WHERE idx = 0")
			},
			kind: Deleted, index: 0, id: func([]*Record) string { return "" }, other: -1,
		},
		{
			name: "a record inserted after the last",
			tamper: func(t *testing.T, db *storage.DB) {
				insertCopy(t, db, 3, records)
			},
			kind: Inserted, index: records, id: func([]*Record) string { return newID },
			other: -1,
		},
		{
			name: "a record inserted after the last and the head moved on",
			tamper: func(t *testing.T, db *storage.DB) {
				insertCopy(t, db, 3, records)
				mustExec(t, db, "UPDATE audit_head SET size = size + 1")
			},
			kind: Inserted, index: records, id: func([]*Record) string { return newID },
			other: -1,
		},
		{
			name: "a record inserted in the middle",
			tamper: func(t *testing.T, db *storage.DB) {
				renumber(t, db, 7, 1)
				insertCopy(t, db, 3, 7)
				mustExec(t, db, "UPDATE audit_head SET size = size + 1")
			},
			kind: Inserted, index: 7, id: func([]*Record) string { return newID }, other: -1,
		},
		{
			name: "two neighbours swapped",
			tamper: func(t *testing.T, db *storage.DB) {
				swap(t, db, 7, 8)
			},
			kind: Reordered, index: 7, id: func(r []*Record) string { return r[8].ID },
			other: 8,
		},
		{
			name: "two distant records swapped",
			tamper: func(t *testing.T, db *storage.DB) {
				swap(t, db, 5, 16)
			},
			kind: Reordered, index: 5, id: func(r []*Record) string { return r[16].ID },
			other: 16,
		},
		{
			name: "a stored subtree hash changed",
			tamper: func(t *testing.T, db *storage.DB) {
				// Record 7 completes subtrees; its level-1 hash follows its leaf.
				mustExec(t, db, "UPDATE audit_hashes SET hash = ? WHERE idx = ?",
					make([]byte, 32), tlog.StoredHashIndex(1, 3))
			},
			kind: TreeHashes, index: 7, other: -1,
		},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, db *storage.DB) {
				env := newTestLog(t, db)
				recs := env.appendN(t, 10)
				if _, err := env.log.Checkpoint(context.Background()); err != nil {
					t.Fatal(err)
				}
				recs = append(recs, env.appendN(t, records-10)...)
				if _, err := env.log.Checkpoint(context.Background()); err != nil {
					t.Fatal(err)
				}
				if rep := env.verify(t); !rep.OK() {
					t.Fatalf("before tampering: %v", rep.Problem)
				}

				disableGuards(t, db)
				tc.tamper(t, db)

				rep := env.verify(t)
				if rep.OK() {
					t.Fatal("verify found nothing wrong")
				}
				p := rep.Problem
				wantID := recs[min(tc.index, records-1)].ID
				if tc.id != nil {
					wantID = tc.id(recs)
				}
				if p.Kind != tc.kind || p.Index != tc.index || p.ID != wantID ||
					p.Other != tc.other {
					t.Fatalf("got %s (other %d), want %s at %d (%s), other %d", p, p.Other,
						tc.kind, tc.index, wantID, tc.other)
				}
			})
		})
	}
}

// TestVerifyCatchesARewrittenTree covers the attacker who changes a record
// and then recomputes every stored hash to match: only the signed
// checkpoint can tell, and it does.
func TestVerifyCatchesARewrittenTree(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		env.appendN(t, 12)
		if _, err := env.log.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		disableGuards(t, db)
		mustExec(t, db, "UPDATE audit_records SET action = 'role.revoke' WHERE idx = 4")
		rewriteHashes(t, db)

		rep := env.verify(t)
		if rep.OK() || rep.Problem.Kind != BadCheckpoint || rep.Problem.Other != 12 {
			t.Fatalf("got %+v, want checkpoint 12 to fail", rep.Problem)
		}
		// The checkpointer refuses to sign over it.
		env.appendN(t, 1)
		if _, err := env.log.Checkpoint(ctx); err != ErrInconsistent {
			t.Fatalf("checkpoint over a rewritten tree: got %v, want ErrInconsistent", err)
		}
	})
}

// TestVerifyCatchesAForgedCheckpoint changes a signed note.
func TestVerifyCatchesAForgedCheckpoint(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		env.appendN(t, 3)
		if _, err := env.log.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
		disableGuards(t, db)
		mustExec(t, db, "UPDATE audit_checkpoints SET note = REPLACE(note, 'tree', 'TREE')")
		rep := env.verify(t)
		if rep.OK() || rep.Problem.Kind != BadCheckpoint {
			t.Fatalf("got %+v, want a checkpoint finding", rep.Problem)
		}
	})
}

// rewriteHashes recomputes audit_hashes from the records as they are now.
func rewriteHashes(t *testing.T, db *storage.DB) {
	t.Helper()
	ctx := context.Background()
	size, err := headSize(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := loadRange(ctx, db, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "DELETE FROM audit_hashes")
	f := newFrontier()
	for n := range size {
		hashes, err := f.push(recs[n].LeafHash())
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range hashes {
			mustExec(t, db, "INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)",
				tlog.StoredHashIndex(0, n)+int64(i), h[:])
		}
	}
}
