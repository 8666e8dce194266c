package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Forwarding keeps a copy of every record outside cerrojo, so that someone
// who controls cerrojo's database cannot rewrite history unnoticed.
//
// The forwarder follows the log from the database instead of taking records
// from Append: Append runs inside the caller's transaction and cannot know
// whether it will commit, and a copy of a record that was rolled back would
// be a record of something that did not happen. Reading committed records
// by index gives exactly the committed ones, in order, and the append path
// never waits for the network. The database is the queue: when the
// collector is down, nothing is dropped and nothing grows in memory; the
// forwarder falls behind (Stats().Lag) and catches up. Delivery is at least
// once: a batch sent just before a crash is sent again, and collectors
// deduplicate by record id.
//
// Several nodes may run a forwarder for the same sink; a lease in
// audit_forwarding lets one of them at a time send.

// Sink delivers records to a collector.
type Sink interface {
	// Name identifies the sink's position in audit_forwarding.
	Name() string
	// Send delivers a batch, in index order, or fails as a whole.
	Send(ctx context.Context, batch []RecordJSON) error
	io.Closer
}

// ForwardStats are a forwarder's counters since it started.
type ForwardStats struct {
	// Forwarded counts records delivered.
	Forwarded int64
	// Failures counts failed delivery attempts.
	Failures int64
	// Lag is how many committed records were not yet delivered at the last
	// look, or -1 when another node holds the lease.
	Lag int64
}

// Forwarder copies committed records to a sink.
type Forwarder struct {
	log      *Log
	sink     Sink
	personal bool
	batch    int
	owner    string

	// Timing; tests shorten it.
	poll       time.Duration
	lease      time.Duration
	minBackoff time.Duration
	maxBackoff time.Duration

	forwarded, failures, lag atomic.Int64
}

// NewForwarder returns a forwarder from l to sink, configured by
// l's Config.Forward (personal data, batch size).
func (l *Log) NewForwarder(sink Sink) (*Forwarder, error) {
	var id [8]byte
	if _, err := io.ReadFull(l.rand, id[:]); err != nil {
		return nil, fmt.Errorf("forwarder: %w", err)
	}
	batch := l.cfg.Forward.BatchSize
	if batch <= 0 {
		batch = defaultBatchSize
	}
	return &Forwarder{log: l, sink: sink, personal: l.cfg.Forward.PersonalData, batch: batch,
		owner: hex.EncodeToString(id[:]), poll: time.Second, lease: 30 * time.Second,
		minBackoff: time.Second, maxBackoff: 5 * time.Minute}, nil
}

// Stats returns the forwarder's counters.
func (f *Forwarder) Stats() ForwardStats {
	return ForwardStats{Forwarded: f.forwarded.Load(), Failures: f.failures.Load(),
		Lag: f.lag.Load()}
}

// Run forwards until ctx ends, then closes the sink. Failures are retried
// with exponential backoff (with jitter, up to five minutes) and logged.
func (f *Forwarder) Run(ctx context.Context) error {
	defer f.sink.Close()
	backoff := f.minBackoff
	for {
		sent, err := f.step(ctx)
		wait := f.poll
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			f.failures.Add(1)
			f.log.logger.WarnContext(ctx, "audit forwarding failed; will retry",
				"sink", f.sink.Name(), "retry_in", backoff.String(), "error", err.Error())
			// #nosec G404 -- retry jitter, which only spreads retries and needs no secrecy.
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(2*backoff, f.maxBackoff)
		case sent > 0:
			backoff, wait = f.minBackoff, 0
		default:
			backoff = f.minBackoff
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// step sends one batch if this node holds the lease and records are
// waiting, and returns how many it sent.
func (f *Forwarder) step(ctx context.Context) (int, error) {
	next, held, err := f.claim(ctx)
	if err != nil || !held {
		if !held {
			f.lag.Store(-1)
		}
		return 0, err
	}
	size, err := f.log.Size(ctx)
	if err != nil {
		return 0, err
	}
	f.lag.Store(size - next)
	if next >= size {
		return 0, nil
	}

	recs, err := loadRange(ctx, f.log.db, next, min(next+int64(f.batch), size))
	if err != nil {
		return 0, err
	}
	batch := make([]RecordJSON, 0, len(recs))
	for i := next; i < next+int64(len(recs)); i++ {
		r, ok := recs[i]
		if !ok {
			return 0, fmt.Errorf("forward: record %d is missing; run cerrojo audit verify", i)
		}
		batch = append(batch, r.JSON(f.personal))
	}
	if err := f.sink.Send(ctx, batch); err != nil {
		return 0, fmt.Errorf("forward to %s: %w", f.sink.Name(), err)
	}

	db := f.log.db
	_, err = db.ExecContext(ctx, db.Rebind("UPDATE audit_forwarding SET next_index = ? "+
		"WHERE sink = ? AND lease_owner = ? AND next_index = ?"),
		next+int64(len(batch)), f.sink.Name(), f.owner, next)
	if err != nil {
		return 0, fmt.Errorf("forward: save position: %w", err)
	}
	f.forwarded.Add(int64(len(batch)))
	f.lag.Store(size - next - int64(len(batch)))
	return len(batch), nil
}

// claim takes or renews the sink's lease and returns the next index to send.
func (f *Forwarder) claim(ctx context.Context) (int64, bool, error) {
	db := f.log.db
	// Wall-clock time, not the injected clock, bounds the lease: it is about
	// processes, not about records.
	nowUS, until := time.Now().UnixMicro(), time.Now().Add(f.lease).UnixMicro()
	_, err := db.ExecContext(ctx, db.Rebind("INSERT INTO audit_forwarding "+
		"(sink, next_index, lease_owner, lease_until_us) VALUES (?, 0, ?, ?) "+
		"ON CONFLICT (sink) DO NOTHING"), f.sink.Name(), f.owner, until)
	if err != nil {
		return 0, false, fmt.Errorf("forward: claim lease: %w", err)
	}
	res, err := db.ExecContext(ctx, db.Rebind("UPDATE audit_forwarding SET lease_owner = ?, "+
		"lease_until_us = ? WHERE sink = ? AND (lease_owner = ? OR lease_until_us < ?)"),
		f.owner, until, f.sink.Name(), f.owner, nowUS)
	if err != nil {
		return 0, false, fmt.Errorf("forward: claim lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	var next int64
	err = db.QueryRowContext(ctx, db.Rebind(
		"SELECT next_index FROM audit_forwarding WHERE sink = ?"), f.sink.Name()).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("forward: read position: %w", err)
	}
	return next, true, nil
}

// NewSink builds the sink cfg describes, or returns nil when forwarding is
// off.
func NewSink(cfg ForwardConfig) (Sink, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultForwardTimeout
	}
	switch cfg.Kind {
	case "http":
		return NewHTTPSink(cfg.URL, cfg.Token, timeout), nil
	case "syslog":
		return NewSyslogSink(cfg.Network, cfg.Address, timeout), nil
	}
	return nil, nil
}
