package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// encodeSearch writes q back as a query string.
func encodeSearch(q Query) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("actor", q.ActorID)
	set("target", q.TargetID)
	set("action", q.Action)
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	set("cursor", q.Cursor)
	return v.Encode()
}

func sameQuery(a, b Query) bool {
	return a.ActorID == b.ActorID && a.TargetID == b.TargetID && a.Action == b.Action &&
		a.From.Equal(b.From) && a.To.Equal(b.To) && a.Limit == b.Limit && a.Cursor == b.Cursor
}

func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{
		"", "actor=user-1&limit=10",
		"action=role.grant&from=2026-03-02T00:00:00Z&to=2026-04-01T00:00:00-05:00",
		"cursor=" + encodeCursor('d', 42), "limit=0", "limit=501", "limit=007", "actor=a&actor=b",
		"%zz", "from=2026-13-01T00:00:00Z", "target=%00", "unknown=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseSearch(raw)
		if err != nil {
			if q != (Query{}) {
				t.Fatalf("error %v with a half-built query %+v", err, q)
			}
			return
		}
		if q.Limit < 0 || q.Limit > MaxSearchLimit {
			t.Fatalf("limit %d passed", q.Limit)
		}
		again, err := parseSearch(encodeSearch(q))
		if err != nil || !sameQuery(q, again) {
			t.Fatalf("round trip: %+v became %+v, %v", q, again, err)
		}
	})
}

func FuzzParseExport(f *testing.F) {
	for _, s := range []string{"", "personal=false&limit=100000", "personal=1",
		"cursor=" + encodeCursor('a', 7), "cursor=" + encodeCursor('d', 7)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		opts, err := parseExport(raw)
		if err != nil {
			if opts != (ExportOptions{}) {
				t.Fatalf("error %v with half-built options", err)
			}
			return
		}
		if opts.Limit < 0 || opts.Limit > MaxExportLimit {
			t.Fatalf("limit %d passed", opts.Limit)
		}
	})
}

func FuzzParseProofParams(f *testing.F) {
	for _, s := range []string{"index=3", "index=3&tree_size=9", "id=" + strings.Repeat("a", 32),
		"old=1&new=2", "old=5&new=3", "index=-1", "index=9223372036854775807", "old=1&old=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if p, err := parseInclusion(raw); err == nil {
			if p.Index < 0 || p.TreeSize < 0 || (p.ID != "" && !validID(p.ID)) {
				t.Fatalf("accepted %+v", p)
			}
		} else if p != (inclusionParams{}) {
			t.Fatal("half-built inclusion params")
		}
		if o, n, err := parseConsistency(raw); err == nil {
			if o < 1 || n < 0 || (n != 0 && n < o) {
				t.Fatalf("accepted old %d new %d", o, n)
			}
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor('d', 0))
	f.Add(encodeCursor('a', 123456789))
	f.Add("djE6MTI")
	f.Add("")
	f.Fuzz(func(t *testing.T, c string) {
		for _, dir := range []byte{'a', 'd'} {
			n, err := decodeCursor(dir, c)
			if err != nil {
				continue
			}
			// Each position has one spelling.
			if n < 0 || encodeCursor(dir, n) != c {
				t.Fatalf("cursor %q decodes to %d, which encodes as %q", c, n,
					encodeCursor(dir, n))
			}
		}
	})
}

func FuzzEvent(f *testing.F) {
	f.Add("person", "u1", "role.grant", "user", "u2", "success", "192.0.2.1", "UA", "r-1",
		"role", "vendor_admin")
	f.Add("system", "", "audit.prune", "", "", "failure", "::ffff:10.0.0.1", "\x00\xff",
		"", "email", "a@b")
	f.Fuzz(func(t *testing.T, actorType, actorID, action, targetType, targetID, outcome, ip,
		ua, requestID, key, value string) {
		e := Event{Actor: Actor{Type: ActorType(actorType), ID: actorID}, Action: action,
			Target: Target{Type: targetType, ID: targetID}, Outcome: Outcome(outcome), IP: ip,
			UserAgent: ua, RequestID: requestID, Details: map[string]string{key: value}}
		n, err := e.normalize()
		if err != nil {
			return
		}
		again, err := n.normalize()
		if err != nil || again.IP != n.IP || again.UserAgent != n.UserAgent {
			t.Fatalf("normalising twice changed the event: %v", err)
		}
		r := Record{ID: strings.Repeat("0", 32), Event: n}
		if lines := bytes.Count(r.LeafText(), []byte("\n")); lines != 9 {
			t.Fatalf("leaf has %d lines, want 9: a field broke the encoding", lines)
		}
	})
}

func FuzzMaskEmail(f *testing.F) {
	for _, s := range []string{"juan.perez@example.com", "@x", "x@", "", "ñandú@EXAMPLE.co",
		"a@b@c", "\xff@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		m := MaskEmail(email)
		if _, err := checkDetails(map[string]string{"email": m}); err != nil {
			t.Fatalf("MaskEmail(%q) = %q, which the details check refuses: %v", email, m, err)
		}
		if d := MaskDocument(email); len(d) > 7 {
			t.Fatalf("MaskDocument(%q) = %q keeps more than four characters", email, d)
		}
	})
}

func FuzzRecordJSON(f *testing.F) {
	export, _ := sampleExport(f)
	sc := bufio.NewScanner(bytes.NewReader(export))
	sc.Buffer(nil, maxExportLineBytes)
	for sc.Scan() {
		var lr exportRecord
		if json.Unmarshal(sc.Bytes(), &lr) == nil && lr.Type == "record" {
			b, _ := json.Marshal(lr.Record)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var j RecordJSON
		if decodeLine(data, &j) != nil {
			return
		}
		r, err := j.record()
		if err != nil {
			return
		}
		// What was accepted writes out and reads back to the same leaf.
		back := r.JSON(!r.Redacted())
		r2, err := back.record()
		if err != nil || r2.LeafHash() != r.LeafHash() {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

func FuzzVerifyExport(f *testing.F) {
	export, keys := sampleExport(f)
	f.Add(export)
	lines := bytes.SplitAfter(export, []byte("\n"))
	f.Add(bytes.Join(lines[:5], nil))
	f.Add(bytes.Join(append(append([][]byte{}, lines[:3]...), lines[4:]...), nil))

	// The leaves a valid export may hold: those of the signed tree.
	leaves := map[tlog.Hash]bool{}
	for _, l := range lines {
		var lr exportRecord
		if json.Unmarshal(l, &lr) == nil && lr.Type == "record" {
			r, _ := lr.Record.record()
			leaves[r.LeafHash()] = true
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyExport(bytes.NewReader(data), VerifyOptions{VerifierKeys: keys})
		if err != nil || !rep.OK() {
			return
		}
		// A verified export holds only records of the signed tree: no
		// mutation the fuzzer finds may pass off another record.
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, maxExportLineBytes)
		for sc.Scan() {
			var lr exportRecord
			if json.Unmarshal(sc.Bytes(), &lr) != nil || lr.Type != "record" {
				continue
			}
			r, err := lr.Record.record()
			if err != nil || !leaves[r.LeafHash()] {
				t.Fatalf("a verified export holds a record not in the tree: %s", sc.Bytes())
			}
		}
	})
}
