// Package audittest provides an in-memory audit.Recorder for the tests of
// packages that record audit events, so they can check what they record
// without a database.
package audittest

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// Recorder keeps every event it is given, in order. It validates events
// exactly as the real log does, so a test fails on an event the log would
// refuse. It does not see transactions: an event appended in a transaction
// that later rolls back stays recorded here, so tests of rollback paths
// must check the database, not this recorder.
type Recorder struct {
	mu      sync.Mutex
	records []*audit.Record
	// Err, when set, is returned by every call instead of recording, to
	// test how callers handle a failing log.
	Err error
}

var _ audit.Recorder = (*Recorder)(nil)

// Append records e; tx is ignored.
func (r *Recorder) Append(ctx context.Context, tx *sql.Tx, e audit.Event) (*audit.Record, error) {
	return r.Record(ctx, e)
}

// Record records e.
func (r *Recorder) Record(_ context.Context, e audit.Event) (*audit.Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return nil, r.Err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	n := int64(len(r.records))
	rec := &audit.Record{Index: n, ID: fmt.Sprintf("%032x", n), Time: time.Unix(n, 0).UTC(),
		Event: e}
	r.records = append(r.records, rec)
	return rec, nil
}

// Events returns the events recorded so far.
func (r *Recorder) Events() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]audit.Event, len(r.records))
	for i, rec := range r.records {
		out[i] = rec.Event
	}
	return out
}

// Actions returns the recorded actions in order, for compact assertions.
func (r *Recorder) Actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.records))
	for i, rec := range r.records {
		out[i] = rec.Action
	}
	return out
}
