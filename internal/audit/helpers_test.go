package audit

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// testStart is the fake clock's start: a Monday in Bogotá.
var testStart = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

type testEnv struct {
	db    *storage.DB
	log   *Log
	clock *clock.Fake
}

// newTestLog returns a log over db with a fake clock, deterministic
// randomness and a keyring with a fixed master key.
func newTestLog(t testing.TB, db *storage.DB) *testEnv {
	t.Helper()
	master := make([]byte, 32)
	for i := range master {
		master[i] = byte(i)
	}
	src := rand.NewChaCha8([32]byte{1, 2, 3})
	ring, err := keyring.New(src, master)
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(testStart)
	l, err := New(Options{DB: db, Ring: ring, Clock: fake, Rand: rand.NewChaCha8([32]byte{4}),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{db: db, log: l, clock: fake}
}

// sampleEvent is a valid event whose fields vary with i.
func sampleEvent(i int) Event {
	return Event{
		Actor:     Actor{Type: ActorPerson, ID: fmt.Sprintf("user-%d", i%7)},
		Action:    []string{"role.grant", "auth.login", "consent.revoke"}[i%3],
		Target:    Target{Type: "user", ID: fmt.Sprintf("user-%d", (i+1)%7)},
		Outcome:   OutcomeSuccess,
		IP:        fmt.Sprintf("192.0.2.%d", i%250),
		UserAgent: "Mozilla/5.0 (test)",
		RequestID: fmt.Sprintf("req-%d", i),
		Details:   map[string]string{"role": "vendor_admin", "email": MaskEmail("ana@example.com")},
	}
}

// appendN records n sample events, advancing the clock a second each.
func (e *testEnv) appendN(t testing.TB, n int) []*Record {
	t.Helper()
	out := make([]*Record, 0, n)
	for i := range n {
		r, err := e.log.Record(context.Background(), sampleEvent(i))
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		out = append(out, r)
		e.clock.Advance(time.Second)
	}
	return out
}

// verify runs Verify and fails the test on a read error.
func (e *testEnv) verify(t testing.TB) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), e.db, VerifyOptions{})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// mustExec runs SQL written with ? placeholders.
func mustExec(t testing.TB, db *storage.DB, q string, args ...any) sql.Result {
	t.Helper()
	res, err := db.ExecContext(context.Background(), db.Rebind(q), args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

// disableGuards removes the triggers, as an attacker with the database
// owner's rights could, so that tamper tests can change rows.
func disableGuards(t testing.TB, db *storage.DB) {
	t.Helper()
	if db.Dialect() == storage.Postgres {
		for _, table := range []string{"audit_records", "audit_hashes", "audit_head",
			"audit_checkpoints", "audit_signing_keys"} {
			mustExec(t, db, "ALTER TABLE "+table+" DISABLE TRIGGER USER")
		}
		return
	}
	rows, err := db.QueryContext(context.Background(),
		"SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		mustExec(t, db, "DROP TRIGGER "+n)
	}
}
