package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// An export is JSON Lines (one JSON object per line) that can be verified
// offline with nothing but a verifier key:
//
//	{"type":"checkpoint","format":"cerrojo-audit-export-v1","note":...,
//	 "verifier_keys":[...],"contiguous":true,"first":0}
//	{"type":"record","record":{...},"inclusion_proof":["<base64 hash>",...]}
//	...
//	{"type":"end","records":<count>,"next_cursor":"..."}
//
// The checkpoint comes first so that a verifier can check each record as
// it reads it, in constant memory. Each record carries its RFC 6962
// inclusion proof in the checkpoint's tree. "contiguous" is true when the
// export was not filtered: its indexes must then follow one another, so a
// line removed from the middle is noticed. The end line makes a cut-off
// export detectable. A filtered export proves that each record it holds is
// in the log unchanged; it cannot prove that the log holds no other record
// matching the filter.
const exportFormat = "cerrojo-audit-export-v1"

type exportHeader struct {
	Type         string   `json:"type"`
	Format       string   `json:"format"`
	Note         string   `json:"note"`
	VerifierKeys []string `json:"verifier_keys"`
	Contiguous   bool     `json:"contiguous"`
	// First is the index the export starts at when contiguous.
	First int64 `json:"first"`
}

type exportRecord struct {
	Type   string           `json:"type"`
	Record RecordJSON       `json:"record"`
	Proof  tlog.RecordProof `json:"inclusion_proof"`
}

type exportEnd struct {
	Type       string `json:"type"`
	Records    int64  `json:"records"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ExportOptions select what an export holds.
type ExportOptions struct {
	Query
	// WithoutPersonal leaves out every record's personal part and salt.
	WithoutPersonal bool
}

// Export writes the records that match opts, oldest first, as an export
// against a checkpoint signed for the occasion (or the newest one, if this
// log cannot sign). Records appended after that checkpoint are left for the
// next export.
func (l *Log) Export(ctx context.Context, w io.Writer, opts ExportOptions) error {
	cp, err := l.Checkpoint(ctx)
	if errors.Is(err, ErrNoSigner) {
		cp, err = l.LatestCheckpoint(ctx)
	}
	if err != nil {
		return err
	}
	keys, err := l.VerifierKeys(ctx)
	if err != nil {
		return err
	}
	limit := opts.Limit
	if limit <= 0 || limit > MaxExportLimit {
		limit = defaultExportLimit
	}
	var first int64
	if opts.Cursor != "" {
		if first, err = decodeCursor('a', opts.Cursor); err != nil {
			return err
		}
	}

	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	err = enc.Encode(exportHeader{Type: "checkpoint", Format: exportFormat, Note: string(cp.Note),
		VerifierKeys: keys, Contiguous: !opts.filtered(), First: first})
	if err != nil {
		return err
	}

	where, args := opts.where()
	args = append(args, first, cp.Size, limit+1)
	rows, err := l.db.QueryContext(ctx, l.db.Rebind("SELECT "+recordColumns+
		" FROM audit_records WHERE "+where+" AND idx >= ? AND idx < ? ORDER BY idx LIMIT ?"),
		args...)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()

	reader := newCachedReader(hashReader(ctx, l.db, l.db))
	var n int64
	next := ""
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if n == int64(limit) {
			next = encodeCursor('a', r.Index)
			break
		}
		proof, err := tlog.ProveRecord(cp.Size, r.Index, reader)
		if err != nil {
			return fmt.Errorf("export: prove record %d: %w", r.Index, err)
		}
		line := exportRecord{Type: "record", Record: r.JSON(!opts.WithoutPersonal), Proof: proof}
		if err := enc.Encode(line); err != nil {
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := enc.Encode(exportEnd{Type: "end", Records: n, NextCursor: next}); err != nil {
		return err
	}
	return bw.Flush()
}

// cachedReader remembers the hashes it has read: consecutive records'
// proofs share most of theirs. It forgets everything past a bound.
type cachedReader struct {
	next   tlog.HashReader
	hashes map[int64]tlog.Hash
}

const maxCachedHashes = 1 << 16

func newCachedReader(next tlog.HashReader) *cachedReader {
	return &cachedReader{next: next, hashes: make(map[int64]tlog.Hash)}
}

func (c *cachedReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for _, ix := range indexes {
		if _, ok := c.hashes[ix]; !ok {
			missing = append(missing, ix)
		}
	}
	if len(missing) > 0 {
		got, err := c.next.ReadHashes(missing)
		if err != nil {
			return nil, err
		}
		if len(c.hashes)+len(got) > maxCachedHashes {
			clear(c.hashes)
		}
		for i, ix := range missing {
			c.hashes[ix] = got[i]
		}
	}
	for i, ix := range indexes {
		out[i] = c.hashes[ix]
	}
	return out, nil
}

// ExportReport is what VerifyExport found.
type ExportReport struct {
	Report
	// TreeSize is the size of the checkpoint the export is against.
	TreeSize int64 `json:"tree_size"`
	// Contiguous is true when the export claims to hold every record of a
	// range, and the indexes were checked to follow one another.
	Contiguous bool `json:"contiguous"`
}

// VerifyExport checks an export: the checkpoint's signature with
// opts.VerifierKeys (or, when none are given, with the keys the export
// names, which the report then flags), each record's commitment, leaf hash
// and inclusion proof against the checkpoint, the order of indexes, and the
// count at the end. It stops at the first inconsistency; the error is for
// an export that cannot be read at all.
func VerifyExport(r io.Reader, opts VerifyOptions) (*ExportReport, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxExportLineBytes)
	line := 0
	next := func(dst any) error {
		line++
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			return io.EOF
		}
		return decodeLine(sc.Bytes(), dst)
	}

	var head exportHeader
	if err := next(&head); err != nil {
		return nil, fmt.Errorf("export header: %w", err)
	}
	if head.Type != "checkpoint" || head.Format != exportFormat {
		return nil, fmt.Errorf("export header: not a %s file", exportFormat)
	}
	if len(head.VerifierKeys) > maxVerifierKeys || head.First < 0 {
		return nil, errors.New("export header: out of bounds")
	}
	rep := &ExportReport{Contiguous: head.Contiguous}
	rep.VerifierKeys = opts.VerifierKeys
	if len(rep.VerifierKeys) == 0 {
		rep.VerifierKeys, rep.KeysFromLog = head.VerifierKeys, true
	}
	cp, err := OpenCheckpoint([]byte(head.Note), rep.VerifierKeys)
	if err != nil {
		rep.Problem = &Finding{Kind: BadCheckpoint, Index: -1, Other: -1,
			Detail: fmt.Sprintf("the export's checkpoint does not verify: %v", err)}
		return rep, nil
	}
	rep.TreeSize, rep.Checkpoints, rep.LatestCheckpoint = cp.Size, 1, cp.Size

	expect := head.First
	for {
		var raw json.RawMessage
		err := next(&raw)
		if err == io.EOF {
			rep.Problem = &Finding{Kind: Deleted, Index: expect, Other: -1,
				Detail: "the export ends without its end line: it was cut short"}
			return rep, nil
		}
		if err != nil {
			return nil, err
		}
		var kind struct {
			Type string `json:"type"`
		}
		// A line that is not JSON leaves Type empty and fails as a record line
		// below, with its line number.
		_ = json.Unmarshal(raw, &kind)
		if kind.Type == "end" {
			var end exportEnd
			if err := decodeLine(raw, &end); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			switch {
			case end.Records != rep.Records:
				rep.Problem = &Finding{Kind: Deleted, Index: -1, Other: -1,
					Detail: fmt.Sprintf("the end line counts %d records, the export holds %d",
						end.Records, rep.Records)}
			case head.Contiguous && end.NextCursor == "" && expect != cp.Size:
				rep.Problem = &Finding{Kind: Deleted, Index: expect, Other: -1,
					Detail: fmt.Sprintf("the export ends at %d, before the last record of "+
						"the checkpoint's tree (%d)", expect, cp.Size-1)}
			}
			if rep.Problem == nil && sc.Scan() {
				rep.Problem = &Finding{Kind: Inserted, Index: -1, Other: -1,
					Detail: "there are lines after the end line"}
			}
			return rep, nil
		}

		var lr exportRecord
		if err := decodeLine(raw, &lr); err != nil || lr.Type != "record" {
			return nil, fmt.Errorf("line %d: not a record line", line)
		}
		if f := checkExportRecord(&lr, cp, expect, head.Contiguous); f != nil {
			if f.Kind == Deleted && laterHas(sc, expect) {
				// The record expected here comes later: moved, not deleted.
				f.Kind, f.ID, f.Other = Reordered, lr.Record.ID, lr.Record.Index
				f.Detail = fmt.Sprintf("record %d stands here and record %d later", f.Other,
					expect)
			}
			rep.Problem = f
			return rep, nil
		}
		expect = lr.Record.Index + 1
		rep.Records++
		if lr.Record.Salt == "" && lr.Record.Redaction != nil {
			rep.Redacted++
		}
	}
}

// laterHas reads the rest of the export looking for a record line with the
// given index. It decodes only the index.
func laterHas(sc *bufio.Scanner, index int64) bool {
	for sc.Scan() {
		var l struct {
			Type   string `json:"type"`
			Record struct {
				Index int64 `json:"index"`
			} `json:"record"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Type == "record" &&
			l.Record.Index == index {
			return true
		}
	}
	return false
}

// checkExportRecord verifies one record line; expect is the lowest index it
// may have (exactly that index when the export is contiguous).
func checkExportRecord(lr *exportRecord, cp *Checkpoint, expect int64,
	contiguous bool) *Finding {
	j := &lr.Record
	f := &Finding{Kind: Modified, Index: j.Index, ID: j.ID, Other: -1}
	switch {
	case contiguous && j.Index < expect:
		f.Kind, f.Detail = Inserted, fmt.Sprintf("index %d was already passed: a copy, or "+
			"out of order", j.Index)
		return f
	case j.Index < expect:
		f.Kind, f.Detail = Reordered, fmt.Sprintf("it comes after index %d", expect-1)
		return f
	case contiguous && j.Index > expect:
		f.Kind, f.Index, f.ID = Deleted, expect, ""
		f.Detail = fmt.Sprintf("the export skips from %d to %d", expect-1, j.Index)
		return f
	case j.Index >= cp.Size:
		f.Kind, f.Detail = Inserted, "its index is beyond the checkpoint's tree"
		return f
	case len(lr.Proof) > maxProofHashes:
		f.Detail = "its inclusion proof is too long"
		return f
	}
	rec, err := j.record()
	if err != nil {
		f.Detail = fmt.Sprintf("it is not a valid record: %v", err)
		return f
	}
	if !rec.checkPersonal() {
		f.Detail = "the personal part does not match its commitment"
		return f
	}
	leaf := rec.LeafHash()
	if tlog.CheckRecord(lr.Proof, cp.Size, cp.Root, rec.Index, leaf) != nil {
		f.Detail = "it is not the record the checkpoint's tree holds at this index"
		return f
	}
	if j.LeafHash != "" && j.LeafHash != leaf.String() {
		f.Detail = "its leaf_hash field is not its leaf hash"
		return f
	}
	return nil
}

// decodeLine decodes one JSON value strictly (no unknown fields, duplicate
// keys or trailing data), with httpx's rules.
func decodeLine(b []byte, dst any) error {
	if err := httpx.DecodeJSONBytes(b, dst); err != nil {
		var p *httpx.Problem
		if errors.As(err, &p) {
			return errors.New(p.Detail)
		}
		return err
	}
	return nil
}

// contentTypeJSONLines is what the export route answers with.
const contentTypeJSONLines = "application/jsonl"

// exportFileName suggests a name to browsers and curl -J.
func exportFileName(size int64) string {
	return "cerrojo-audit-" + strconv.FormatInt(size, 10) + ".jsonl"
}
