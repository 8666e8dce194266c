package audit

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// collector gathers the record ids a sink delivered.
type collector struct {
	mu  sync.Mutex
	ids []string
	raw []string
}

func (c *collector) add(id, raw string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids = append(c.ids, id)
	c.raw = append(c.raw, raw)
}

// waitFor waits until the collector holds want distinct ids.
func (c *collector) waitFor(t *testing.T, want int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		seen := map[string]bool{}
		var order []string
		for _, id := range c.ids {
			if !seen[id] {
				seen[id] = true
				order = append(order, id)
			}
		}
		c.mu.Unlock()
		if len(order) >= want {
			return order
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the collector did not receive %d records in time", want)
	return nil
}

func fastForwarder(t *testing.T, l *Log, sink Sink) *Forwarder {
	t.Helper()
	f, err := l.NewForwarder(sink)
	if err != nil {
		t.Fatal(err)
	}
	f.poll, f.minBackoff, f.maxBackoff = 5*time.Millisecond, 5*time.Millisecond, 20*time.Millisecond
	return f
}

func runForwarder(t *testing.T, f *Forwarder) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestHTTPForwarding(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		var got collector
		var calls int
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if r.Header.Get("Authorization") != "Bearer s3cret" ||
				r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if n <= 2 { // the collector is down at first
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			body, _ := io.ReadAll(r.Body)
			var batch struct{ Records []RecordJSON }
			if err := json.Unmarshal(body, &batch); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			for _, rec := range batch.Records {
				got.add(rec.ID, string(body))
			}
		}))
		defer srv.Close()

		recs := env.appendN(t, 7)
		// A rolled-back append must never be forwarded.
		var rolledBack string
		db.InTx(ctx, func(tx *sql.Tx) error {
			r, err := env.log.Append(ctx, tx, sampleEvent(99))
			if err == nil {
				rolledBack = r.ID
			}
			return errRollback
		})

		env.log.cfg.Forward.BatchSize = 3
		f := fastForwarder(t, env.log, NewHTTPSink(srv.URL, "s3cret", time.Second))
		runForwarder(t, f)
		second := fastForwarder(t, env.log, NewHTTPSink(srv.URL, "s3cret", time.Second))
		runForwarder(t, second)
		recs = append(recs, env.appendN(t, 5)...)

		ids := got.waitFor(t, len(recs))
		for i, r := range recs {
			if ids[i] != r.ID {
				t.Fatalf("record %d arrived as %s, want %s (in index order)", i, ids[i], r.ID)
			}
		}
		for _, raw := range got.raw {
			if strings.Contains(raw, rolledBack) {
				t.Fatal("a rolled-back record was forwarded")
			}
			if strings.Contains(raw, "actor_id") || strings.Contains(raw, "192.0.2.") {
				t.Fatal("personal data was forwarded with PersonalData off")
			}
		}
		// Whichever took the lease first sent everything; the other waited.
		// The counters move just after the collector has the batch.
		deadline := time.Now().Add(10 * time.Second)
		for f.Stats().Forwarded+second.Stats().Forwarded < int64(len(recs)) &&
			time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		a, b := f.Stats(), second.Stats()
		if a.Forwarded == 0 {
			a, b = b, a
		}
		if a.Failures < 2 || a.Forwarded < int64(len(recs)) {
			t.Fatalf("lease holder: %+v, want at least 2 failures and all records", a)
		}
		if b.Forwarded != 0 || b.Lag != -1 {
			t.Fatalf("the other forwarder sent while the lease was held: %+v", b)
		}
	})
}

func TestSyslogForwarding(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			env := newTestLog(t, storagetest.SQLite(t))
			env.log.cfg.Forward.PersonalData = true
			var got collector
			addr := syslogServer(t, network, &got)

			recs := env.appendN(t, 4)
			sink, err := NewSink(ForwardConfig{Kind: "syslog", Network: network, Address: addr})
			if err != nil {
				t.Fatal(err)
			}
			runForwarder(t, fastForwarder(t, env.log, sink))
			got.waitFor(t, len(recs))

			got.mu.Lock()
			defer got.mu.Unlock()
			msg := got.raw[0]
			// <85> is authpriv.notice; then version, time, host, app, procid,
			// msgid, structured data, BOM and the record.
			want := "<85>1 " + recs[0].Time.Format(timeFormat) + " "
			if !strings.HasPrefix(msg, want) {
				t.Fatalf("got %q, want it to start with %q", msg, want)
			}
			if !strings.Contains(msg, " cerrojo - role.grant - \xef\xbb\xbf{") ||
				!strings.Contains(msg, `"ip":"192.0.2.0"`) {
				t.Fatalf("message %q lacks its fields or its personal part", msg)
			}
		})
	}
}

// syslogServer listens on a local port and collects messages; over TCP it
// reads RFC 6587 octet-counted frames.
func syslogServer(t *testing.T, network string, c *collector) string {
	t.Helper()
	record := func(msg string) {
		i := strings.Index(msg, "\xef\xbb\xbf")
		var r RecordJSON
		if i < 0 || json.Unmarshal([]byte(msg[i+3:]), &r) != nil {
			t.Errorf("malformed message %q", msg)
			return
		}
		c.add(r.ID, msg)
	}
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		go func() {
			buf := make([]byte, 64<<10)
			for {
				n, _, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				record(string(buf[:n]))
			}
		}()
		return pc.LocalAddr().String()
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					lenText, err := br.ReadString(' ')
					if err != nil {
						return
					}
					n, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
					if err != nil || n > 1<<20 {
						t.Errorf("bad frame length %q", lenText)
						return
					}
					buf := make([]byte, n)
					if _, err := io.ReadFull(br, buf); err != nil {
						return
					}
					record(string(buf))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestForwardConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  ForwardConfig
		ok   bool
	}{
		{"off", ForwardConfig{}, true},
		{"http", ForwardConfig{Kind: "http", URL: "https://siem.example/ingest"}, true},
		{"http without a host", ForwardConfig{Kind: "http", URL: "https:///x"}, false},
		{"ftp", ForwardConfig{Kind: "http", URL: "ftp://siem.example/"}, false},
		{"syslog tcp", ForwardConfig{Kind: "syslog", Network: "tcp", Address: "siem:6514"}, true},
		{"syslog without a port", ForwardConfig{Kind: "syslog", Network: "tcp",
			Address: "siem"}, false},
		{"syslog over unix", ForwardConfig{Kind: "syslog", Network: "unix",
			Address: "a:1"}, false},
		{"unknown kind", ForwardConfig{Kind: "kafka"}, false},
		{"batch too large", ForwardConfig{BatchSize: maxBatchSize + 1}, false},
		{"batch at the bound", ForwardConfig{BatchSize: maxBatchSize}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.validate()
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "siem.example") {
				t.Fatalf("the error quotes the URL: %v", err)
			}
		})
	}
}
