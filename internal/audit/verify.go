package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// FindingKind classifies what verification found wrong.
type FindingKind string

// The kinds of finding. The first four name a record; the others a part of
// the log that no single record explains.
const (
	// Modified: the record's content is not what was appended.
	Modified FindingKind = "modified"
	// Deleted: a record is missing at this index.
	Deleted FindingKind = "deleted"
	// Inserted: this record was never appended through the log.
	Inserted FindingKind = "inserted"
	// Reordered: this record was appended at another index.
	Reordered FindingKind = "reordered"
	// TreeHashes: the stored tree hashes disagree with the records; proofs
	// served from them would fail.
	TreeHashes FindingKind = "tree_hashes"
	// BadCheckpoint: a checkpoint's signature does not verify, or the
	// records do not hash to the root it signed.
	BadCheckpoint FindingKind = "checkpoint"
	// BadRedaction: a record's personal part was erased without a redact
	// or prune record to account for it.
	BadRedaction FindingKind = "redaction"
)

// Finding is one inconsistency.
type Finding struct {
	Kind FindingKind `json:"kind"`
	// Index is the first record concerned, or -1 when none can be named.
	Index int64 `json:"index"`
	// ID is the id of the record now stored at Index, when there is one.
	ID string `json:"id,omitempty"`
	// Other is the second index of a reordering, the checkpoint size of a
	// checkpoint finding, or -1.
	Other  int64  `json:"other"`
	Detail string `json:"detail"`
}

func (f *Finding) String() string {
	if f.Index < 0 {
		return fmt.Sprintf("%s: %s", f.Kind, f.Detail)
	}
	id := f.ID
	if id == "" {
		id = "no record"
	}
	return fmt.Sprintf("record %d (%s) %s: %s", f.Index, id, f.Kind, f.Detail)
}

// Report is the outcome of a verification.
type Report struct {
	// Records is the number of records verified (the tree size).
	Records int64 `json:"records"`
	// Redacted counts records whose personal part was erased by a
	// redaction or prune; their public part still verified.
	Redacted int64 `json:"redacted"`
	// Checkpoints counts checkpoints whose signature and root verified.
	Checkpoints int `json:"checkpoints"`
	// LatestCheckpoint is the size of the newest verified checkpoint.
	LatestCheckpoint int64 `json:"latest_checkpoint"`
	// VerifierKeys are the keys checkpoints were checked with.
	VerifierKeys []string `json:"verifier_keys"`
	// KeysFromLog is true when the keys were read from the log itself
	// rather than pinned by the verifier.
	KeysFromLog bool `json:"keys_from_log"`
	// Problem is the first inconsistency, nil when there is none.
	Problem *Finding `json:"problem,omitempty"`
}

// OK reports whether verification found nothing wrong.
func (r *Report) OK() bool { return r.Problem == nil }

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// VerifierKeys are the trusted checkpoint verifier keys. When empty,
	// the keys stored in the database are used and the report says so:
	// someone who can rewrite the database can also replace those.
	VerifierKeys []string
}

// verifyBatch is how many records are read per query.
const verifyBatch = 1000

// Verify recomputes the tree from the stored records and checks it against
// the stored tree hashes and every checkpoint. It stops at the first
// inconsistency and names it; the error is for failures to read, not for
// what was read.
//
// Steps:
//  1. Check every checkpoint's signature.
//  2. For each index from 0 to the tree size: the record must exist; its
//     leaf hash, recomputed from its public part and commitment, must equal
//     the stored leaf hash (when not, the records around it tell a change
//     from a deletion, an insertion or a swap); its personal part, unless
//     redacted, must match its commitment; the stored subtree hashes must
//     equal the recomputed ones; and at each checkpoint's size the
//     recomputed root must equal the signed root.
//  3. No record may lie beyond the tree, and every redaction must name a
//     redact or prune record.
func Verify(ctx context.Context, db *storage.DB, opts VerifyOptions) (*Report, error) {
	v := &verifier{db: db, report: &Report{VerifierKeys: opts.VerifierKeys},
		pendingBy: make(map[int64]*Record)}
	if len(opts.VerifierKeys) == 0 {
		keys, err := verifierKeys(ctx, db)
		if err != nil {
			return nil, err
		}
		v.report.VerifierKeys, v.report.KeysFromLog = keys, true
	}
	if err := v.run(ctx); err != nil {
		return nil, err
	}
	return v.report, nil
}

type verifier struct {
	db     *storage.DB
	report *Report
	size   int64
	// checkpoints by size, signatures already checked.
	checkpoints map[int64]*Checkpoint
	maxSigned   int64
	prevSigned  int64
	// pendingBy maps the index of a redact or prune record that some
	// redacted record names to the first record naming it.
	pendingBy map[int64]*Record
	// deferred is a finding about checkpoints, reported only when no
	// record can be named.
	deferred *Finding
}

func (v *verifier) fail(f Finding) error {
	if v.report.Problem == nil {
		v.report.Problem = &f
	}
	return errStop
}

// errStop ends the scan at the first finding.
var errStop = errors.New("stop")

func (v *verifier) run(ctx context.Context) error {
	// Checkpoints first, then the size: a checkpoint signed in between is
	// then never larger than the size, as it would be if records were cut.
	err := v.loadCheckpoints(ctx)
	if err != nil {
		return err
	}
	if v.size, err = headSize(ctx, v.db); err != nil {
		return err
	}
	v.report.Records = v.size
	err = v.scan(ctx)
	if err == nil {
		err = v.checkTail(ctx)
	}
	if err == nil && len(v.pendingBy) > 0 {
		by, first := int64(-1), (*Record)(nil)
		for b, r := range v.pendingBy {
			if first == nil || r.Index < first.Index {
				by, first = b, r
			}
		}
		err = v.fail(Finding{Kind: BadRedaction, Index: first.Index, ID: first.ID, Other: -1,
			Detail: fmt.Sprintf("its redaction names record %d, which is not a redact or "+
				"prune record", by)})
	}
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if v.report.Problem == nil && v.deferred != nil {
		v.report.Problem = v.deferred
	}
	return nil
}

func (v *verifier) loadCheckpoints(ctx context.Context) error {
	rows, err := v.db.QueryContext(ctx, "SELECT size, root_hash, note FROM audit_checkpoints "+
		"ORDER BY size")
	if err != nil {
		return fmt.Errorf("verify: load checkpoints: %w", err)
	}
	defer rows.Close()
	v.checkpoints = make(map[int64]*Checkpoint)
	for rows.Next() {
		var size int64
		var root []byte
		var text string
		if err := rows.Scan(&size, &root, &text); err != nil {
			return fmt.Errorf("verify: load checkpoints: %w", err)
		}
		c, err := OpenCheckpoint([]byte(text), v.report.VerifierKeys)
		if err == nil && (c.Size != size || !bytes.Equal(c.Root[:], root)) {
			err = fmt.Errorf("it signs size %d with another root", c.Size)
		}
		if err != nil {
			// A checkpoint that does not verify is ignored for the scan,
			// which may still name a record.
			if v.deferred == nil {
				v.deferred = &Finding{Kind: BadCheckpoint, Index: -1, Other: size,
					Detail: fmt.Sprintf("the checkpoint stored for size %d does not verify: %v",
						size, err)}
			}
			continue
		}
		v.checkpoints[size] = c
		v.maxSigned = max(v.maxSigned, size)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("verify: load checkpoints: %w", err)
	}
	return nil
}

// scan walks the tree from index 0 in batches.
func (v *verifier) scan(ctx context.Context) error {
	f := newFrontier()
	for start := int64(0); start < v.size; start += verifyBatch {
		end := min(start+verifyBatch, v.size)
		recs, err := loadRange(ctx, v.db, start, end)
		if err != nil {
			return err
		}
		stored, err := loadStoredHashes(ctx, v.db, start, end)
		if err != nil {
			return err
		}
		for n := start; n < end; n++ {
			if err := v.check(ctx, f, n, recs[n], stored); err != nil {
				return err
			}
		}
	}
	if v.maxSigned > v.size {
		return v.fail(Finding{Kind: Deleted, Index: v.size, Other: v.maxSigned,
			Detail: fmt.Sprintf("checkpoint %d signs %d records but the log has %d: records "+
				"from %d on were removed", v.maxSigned, v.maxSigned, v.size, v.size)})
	}
	return nil
}

// check verifies record n and adds it to the frontier.
func (v *verifier) check(ctx context.Context, f *frontier, n int64, rec *Record,
	stored map[int64]tlog.Hash) error {
	if rec == nil {
		return v.fail(Finding{Kind: Deleted, Index: n, Other: -1,
			Detail: "no record is stored at this index"})
	}

	leaf := rec.LeafHash()
	first := tlog.StoredHashIndex(0, n)
	storedLeaf, ok := stored[first]
	if !ok {
		return v.fail(Finding{Kind: Inserted, Index: n, ID: rec.ID, Other: -1,
			Detail: "the tree has no leaf for this record"})
	}
	if storedLeaf != leaf {
		return v.fail(v.classify(ctx, n, rec, storedLeaf))
	}

	// The leaf matches; now the parts it covers only through checks.
	redacted := rec.Redacted()
	if err := rec.checkPublic(!redacted); err != nil {
		return v.fail(Finding{Kind: Modified, Index: n, ID: rec.ID, Other: -1,
			Detail: "a field breaks the rules every record was appended under"})
	}
	switch {
	case !redacted && !rec.checkPersonal():
		return v.fail(Finding{Kind: Modified, Index: n, ID: rec.ID, Other: -1,
			Detail: "the personal part does not match its commitment"})
	case redacted && (rec.Redaction == nil || rec.personalStored()):
		return v.fail(Finding{Kind: Modified, Index: n, ID: rec.ID, Other: -1,
			Detail: "the salt was erased without a redaction, or personal data was left"})
	case redacted:
		if !validReason(rec.Redaction.Reason) || rec.Redaction.By <= n {
			return v.fail(Finding{Kind: BadRedaction, Index: n, ID: rec.ID, Other: -1,
				Detail: "the redaction's reason or record is not valid"})
		}
		if _, seen := v.pendingBy[rec.Redaction.By]; !seen {
			v.pendingBy[rec.Redaction.By] = rec
		}
		v.report.Redacted++
	}
	if _, pending := v.pendingBy[n]; pending && (rec.Action == ActionRedact ||
		rec.Action == ActionPrune) {
		delete(v.pendingBy, n)
	}

	hashes, err := f.push(leaf)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for i, h := range hashes {
		if s, ok := stored[first+int64(i)]; !ok || s != h {
			return v.fail(Finding{Kind: TreeHashes, Index: n, ID: rec.ID, Other: -1,
				Detail: "a stored subtree hash completed by this record is wrong or missing"})
		}
	}

	if c, ok := v.checkpoints[n+1]; ok {
		root, err := f.root()
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if root != c.Root {
			return v.fail(Finding{Kind: BadCheckpoint, Index: -1, Other: c.Size,
				Detail: fmt.Sprintf("records %d to %d do not hash to the root signed by "+
					"checkpoint %d, although each matches its stored leaf: the stored tree "+
					"was rewritten; compare with an export or a forwarded copy to find "+
					"the record", v.prevSigned, c.Size-1, c.Size)})
		}
		v.report.Checkpoints++
		v.report.LatestCheckpoint = c.Size
		v.prevSigned = c.Size
	}
	return nil
}

func validReason(r string) bool { return r == RedactedForSubject || r == RedactedForRetention }

// classify explains a record whose leaf hash differs from the stored leaf
// at its index, by looking for where its leaf, and the leaf the tree
// expects, went:
//   - the record belongs at the next index: the one before it was deleted
//     and those after moved up (or the two were swapped);
//   - the record expected here sits at the next index: one was inserted;
//   - they sit at some later index: the two were swapped;
//   - neither is found: the record was modified in place.
func (v *verifier) classify(ctx context.Context, n int64, rec *Record,
	expected tlog.Hash) Finding {
	here := rec.LeafHash()
	found := Finding{Kind: Modified, Index: n, ID: rec.ID, Other: -1,
		Detail: "its content is not what was appended at this index"}

	for start := n + 1; start < v.size; start += verifyBatch {
		end := min(start+verifyBatch, v.size)
		recs, err := loadRange(ctx, v.db, start, end)
		if err != nil {
			return found
		}
		stored, err := loadStoredHashes(ctx, v.db, start, end)
		if err != nil {
			return found
		}
		for j := start; j < end; j++ {
			sj, haveStored := stored[tlog.StoredHashIndex(0, j)]
			var lj tlog.Hash
			if recs[j] != nil {
				lj = recs[j].LeafHash()
			}
			belongsThere := haveStored && sj == here
			expectedThere := recs[j] != nil && lj == expected
			switch {
			case belongsThere && expectedThere:
				found.Kind, found.Other = Reordered, j
				found.Detail = fmt.Sprintf("it was appended at index %d, and record %d "+
					"was appended here: the two were swapped", j, j)
				return found
			case j == n+1 && belongsThere:
				found.Kind = Deleted
				found.Detail = "the record appended here is gone and the ones after it " +
					"were moved up"
				return found
			case j == n+1 && expectedThere:
				found.Kind = Inserted
				found.Detail = "it was never appended; the record appended here was moved " +
					"down to make room"
				return found
			case belongsThere || expectedThere:
				found.Kind, found.Other = Reordered, j
				found.Detail = fmt.Sprintf("records were moved between this index and %d", j)
				return found
			}
		}
	}
	return found
}

// checkTail looks past the tree for records no append accounts for.
func (v *verifier) checkTail(ctx context.Context) error {
	var idx int64
	var id string
	err := v.db.QueryRowContext(ctx, v.db.Rebind("SELECT idx, id FROM audit_records "+
		"WHERE idx >= ? OR idx < 0 ORDER BY idx LIMIT 1"), v.size).Scan(&idx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	// A record committed since the scan began moved the head with it.
	now, err := headSize(ctx, v.db)
	if err != nil {
		return err
	}
	if idx < 0 || idx >= now {
		return v.fail(Finding{Kind: Inserted, Index: idx, ID: id, Other: -1,
			Detail: "it lies beyond the tree: no append wrote it"})
	}
	return nil
}

// loadRange returns the records with indexes in [start, end), by index.
func loadRange(ctx context.Context, db *storage.DB, start, end int64) (map[int64]*Record,
	error) {
	rows, err := db.QueryContext(ctx, db.Rebind("SELECT "+recordColumns+
		" FROM audit_records WHERE idx >= ? AND idx < ? ORDER BY idx"), start, end)
	if err != nil {
		return nil, fmt.Errorf("verify: load records: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]*Record, end-start)
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("verify: load records: %w", err)
		}
		out[r.Index] = r
	}
	return out, rows.Err()
}

// loadStoredHashes returns the stored hashes that records [start, end)
// wrote, by stored-hash index.
func loadStoredHashes(ctx context.Context, db *storage.DB, start, end int64) (
	map[int64]tlog.Hash, error) {
	rows, err := db.QueryContext(ctx, db.Rebind("SELECT idx, hash FROM audit_hashes "+
		"WHERE idx >= ? AND idx < ? ORDER BY idx"), tlog.StoredHashIndex(0, start),
		tlog.StoredHashIndex(0, end))
	if err != nil {
		return nil, fmt.Errorf("verify: load tree hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]tlog.Hash, 2*(end-start))
	for rows.Next() {
		var ix int64
		var b []byte
		if err := rows.Scan(&ix, &b); err != nil {
			return nil, fmt.Errorf("verify: load tree hashes: %w", err)
		}
		if len(b) == tlog.HashSize {
			out[ix] = tlog.Hash(b)
		}
	}
	return out, rows.Err()
}
