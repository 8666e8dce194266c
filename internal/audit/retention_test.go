package audit

import (
	"context"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

var officer = Event{Actor: Actor{Type: ActorPerson, ID: "officer-1"}, RequestID: "req-dsr"}

func TestRedactKeepsTheLogVerifiable(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		recs := env.appendN(t, 20)
		// Record 20 names user-3 only in a detail; record 21 names
		// "user_3", which a LIKE wildcard would confuse with "user-3".
		for _, d := range []string{"user-3", "user_3"} {
			e := sampleEvent(0)
			e.Details = map[string]string{"user_id": d}
			r, err := env.log.Record(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
		if _, err := env.log.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}

		// user-3 is the actor of records 3, 10, 17, the target of 2, 9, 16,
		// and a detail of 20.
		n, err := env.log.Redact(ctx, nil, "user-3", officer)
		if err != nil {
			t.Fatal(err)
		}
		if n != 7 {
			t.Fatalf("redacted %d records, want 7", n)
		}
		if r, _ := env.log.RecordByIndex(ctx, 21); r.Redacted() {
			t.Fatal("a record naming user_3 was redacted for user-3")
		}
		for _, i := range []int64{2, 3, 9, 10, 16, 17, 20} {
			r, err := env.log.RecordByIndex(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Redacted() || r.personalStored() || r.Redaction == nil ||
				r.Redaction.Reason != RedactedForSubject || r.Redaction.By != 22 {
				t.Fatalf("record %d after redaction: %+v", i, r)
			}
			if r.Action != recs[i].Action || r.LeafHash() != recs[i].LeafHash() {
				t.Fatalf("record %d: public part or leaf changed by redaction", i)
			}
		}
		by, _ := env.log.RecordByIndex(ctx, 22)
		if by.Action != ActionRedact || by.Details["records"] != "7" ||
			by.Actor.ID != "officer-1" {
			t.Fatalf("redaction record: %+v", by)
		}
		if other, _ := env.log.RecordByIndex(ctx, 4); other.Redacted() {
			t.Fatal("a record of someone else was redacted")
		}

		if _, err := env.log.Checkpoint(ctx); err != nil {
			t.Fatalf("checkpoint after redaction: %v", err)
		}
		rep := env.verify(t)
		if !rep.OK() || rep.Redacted != 7 || rep.Checkpoints != 2 {
			t.Fatalf("after redaction: %+v, %v", rep, rep.Problem)
		}

		again, err := env.log.Redact(ctx, nil, "user-3", officer)
		if err != nil || again != 0 {
			t.Fatalf("second redaction: %d, %v; want 0 and no new record", again, err)
		}
		if size, _ := env.log.Size(ctx); size != 23 {
			t.Fatalf("size %d after an empty redaction, want 23", size)
		}
	})
}

func TestPruneErasesOnlyOldPersonalData(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		env.appendN(t, 10) // times testStart + 0..9 s
		env.clock.Advance(400 * 24 * time.Hour)
		env.appendN(t, 3)

		n, err := env.log.Prune(ctx, testStart.Add(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Fatalf("pruned %d, want 5", n)
		}
		for i := range int64(13) {
			r, _ := env.log.RecordByIndex(ctx, i)
			if got, want := r.Redacted(), i < 5; got != want {
				t.Fatalf("record %d redacted = %v, want %v", i, got, want)
			}
		}
		prune, _ := env.log.RecordByIndex(ctx, 13)
		if prune.Action != ActionPrune || prune.Actor.Type != ActorSystem {
			t.Fatalf("prune record: %+v", prune)
		}
		if rep := env.verify(t); !rep.OK() || rep.Redacted != 5 {
			t.Fatalf("after prune: %+v, %v", rep, rep.Problem)
		}
		if n, err := env.log.Prune(ctx, testStart.Add(5*time.Second)); n != 0 || err != nil {
			t.Fatalf("second prune: %d, %v; want 0", n, err)
		}
	})
}

func TestRetentionRunnerUsesTheConfiguredDays(t *testing.T) {
	db := storagetest.SQLite(t)
	env := newTestLog(t, db)
	env.appendN(t, 3)
	env.clock.Advance(367 * 24 * time.Hour)
	env.appendN(t, 1)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- env.log.RunRetention(ctx, time.Hour) }()
	// The first pass runs at once; wait for its record.
	for {
		if n, _ := env.log.Size(context.Background()); n == 5 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r, _ := env.log.RecordByIndex(context.Background(), 2)
	if !r.Redacted() || r.Redaction.Reason != RedactedForRetention {
		t.Fatalf("record older than 366 days was not pruned: %+v", r)
	}
	if r, _ := env.log.RecordByIndex(context.Background(), 3); r.Redacted() {
		t.Fatal("a record inside the retention period was pruned")
	}
}
