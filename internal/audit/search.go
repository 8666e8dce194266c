package audit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Query selects records for search and export. Empty fields match
// everything. ActorID and TargetID match only records not redacted.
type Query struct {
	ActorID  string
	TargetID string
	Action   string
	// From is inclusive, To exclusive.
	From, To time.Time
	// Limit caps the records returned.
	Limit int
	// Cursor continues a previous page; "" starts at the beginning.
	Cursor string
}

// filtered reports whether q selects less than the whole log.
func (q Query) filtered() bool {
	return q.ActorID != "" || q.TargetID != "" || q.Action != "" || !q.From.IsZero() ||
		!q.To.IsZero()
}

// Page is one page of search results, newest first.
type Page struct {
	Records []*Record
	// Next continues after the last record, "" when there is no more.
	Next string
}

// Cursors are opaque to clients: "v1" and a direction ('d' newest first for
// search, 'a' oldest first for export), ':', and the index to continue
// from, in unpadded base64url. A cursor names a position, not a permission:
// a forged one only moves the page.
const cursorPrefix = "v1"

// ErrBadCursor means a cursor was not made by this log, or not for this
// kind of listing.
var ErrBadCursor = errors.New("audit: malformed cursor")

func encodeCursor(dir byte, index int64) string {
	return base64.RawURLEncoding.EncodeToString(
		[]byte(cursorPrefix + string(dir) + ":" + strconv.FormatInt(index, 10)))
}

// decodeCursor returns the index a cursor of direction dir continues from.
func decodeCursor(dir byte, c string) (int64, error) {
	if len(c) > maxCursorLen {
		return 0, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil {
		return 0, ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix+string(dir)+":")
	if !ok {
		return 0, ErrBadCursor
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != rest {
		return 0, ErrBadCursor
	}
	// The base64 decoder skips line breaks: insist on the one spelling.
	if encodeCursor(dir, n) != c {
		return 0, ErrBadCursor
	}
	return n, nil
}

// where builds the WHERE clause of q, without the cursor.
func (q Query) where() (string, []any) {
	conds := []string{"1 = 1"}
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
	}
	if q.TargetID != "" {
		add("target_id = ?", q.TargetID)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if !q.From.IsZero() {
		add("time_us >= ?", q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		add("time_us < ?", q.To.UnixMicro())
	}
	return strings.Join(conds, " AND "), args
}

// Search returns the records that match q, newest first.
func (l *Log) Search(ctx context.Context, q Query) (*Page, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxSearchLimit {
		limit = defaultSearchLimit
	}
	where, args := q.where()
	if q.Cursor != "" {
		before, err := decodeCursor('d', q.Cursor)
		if err != nil {
			return nil, err
		}
		where += " AND idx < ?"
		args = append(args, before)
	}
	args = append(args, limit+1)
	// #nosec G701 -- where is built by Query.where from constant conditions with
	// ? placeholders; every value from the query travels in args.
	rows, err := l.db.QueryContext(ctx, l.db.Rebind("SELECT "+recordColumns+
		" FROM audit_records WHERE "+where+" ORDER BY idx DESC LIMIT ?"), args...)
	if err != nil {
		return nil, fmt.Errorf("search audit records: %w", err)
	}
	defer rows.Close()

	page := &Page{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("search audit records: %w", err)
		}
		page.Records = append(page.Records, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search audit records: %w", err)
	}
	if len(page.Records) > limit {
		page.Records = page.Records[:limit]
		page.Next = encodeCursor('d', page.Records[limit-1].Index)
	}
	return page, nil
}
