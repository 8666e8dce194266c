package audit

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// The parsers in this file read query strings from anyone (the proof
// routes are public). Each failure is a 400 problem that names the
// parameter and says what it must be, never echoing more than the name.

func badParam(name, format string, args ...any) *httpx.Problem {
	msg := fmt.Sprintf(format, args...)
	p := httpx.Problemf(http.StatusBadRequest, httpx.CodeValidationFailed,
		"the query parameter %q %s", name, msg)
	p.Errors = []httpx.FieldError{{Field: name, Code: "invalid_parameter", Message: msg}}
	return p
}

// params parses a raw query string, refusing unknown and repeated
// parameters: a parameter given twice could be read differently by a proxy
// and by cerrojo.
func params(raw string, allowed ...string) (url.Values, error) {
	if len(raw) > maxQueryBytes {
		return nil, httpx.Problemf(http.StatusBadRequest, httpx.CodeValidationFailed,
			"the query string is longer than %d bytes", maxQueryBytes)
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"the query string is malformed")
	}
	for name, vals := range v {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return nil, badParam(truncate(name, 40), "is not known here")
		}
		if len(vals) > 1 {
			return nil, badParam(name, "appears more than once")
		}
	}
	return v, nil
}

// intParam reads a decimal integer in [lo, hi]; it reports whether the
// parameter was present. Only the canonical form is accepted ("7", not
// "+7" or "007"), so each value has one spelling.
func intParam(v url.Values, name string, lo, hi int64) (int64, bool, error) {
	s, ok := v[name]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s[0], 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s[0] || n < lo || n > hi {
		return 0, false, badParam(name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, true, nil
}

// timeParam reads an RFC 3339 time.
func timeParam(v url.Values, name string) (time.Time, error) {
	s, ok := v[name]
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s[0])
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, badParam(name, "must be an RFC 3339 time such as "+
			"2026-03-02T14:00:00Z")
	}
	return t, nil
}

// textParam reads an id: printable UTF-8 up to max bytes.
func textParam(v url.Values, name string, max int) (string, error) {
	s, ok := v[name]
	if !ok {
		return "", nil
	}
	if s[0] == "" || checkText(name, s[0], max) != nil {
		return "", badParam(name, "must be 1 to %d bytes of printable text", max)
	}
	return s[0], nil
}

// parseQuery reads the search and export filters.
func parseQuery(v url.Values, maxLimit int) (Query, error) {
	var q Query
	var err error
	if q.ActorID, err = textParam(v, "actor", maxIDLen); err != nil {
		return Query{}, err
	}
	if q.TargetID, err = textParam(v, "target", maxIDLen); err != nil {
		return Query{}, err
	}
	if a, ok := v["action"]; ok {
		if a[0] == "" || !isName(a[0], maxActionLen) {
			return Query{}, badParam("action", "must be an action name such as role.grant")
		}
		q.Action = a[0]
	}
	if q.From, err = timeParam(v, "from"); err != nil {
		return Query{}, err
	}
	if q.To, err = timeParam(v, "to"); err != nil {
		return Query{}, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return Query{}, badParam("to", "must be after from")
	}
	limit, _, err := intParam(v, "limit", 1, int64(maxLimit))
	if err != nil {
		return Query{}, err
	}
	q.Limit = int(limit)
	if c, ok := v["cursor"]; ok {
		q.Cursor = c[0]
	}
	return q, nil
}

// parseSearch reads GET /v1/admin/audit/records's query string.
func parseSearch(raw string) (Query, error) {
	v, err := params(raw, "actor", "target", "action", "from", "to", "limit", "cursor")
	if err != nil {
		return Query{}, err
	}
	q, err := parseQuery(v, MaxSearchLimit)
	if err != nil {
		return Query{}, err
	}
	if q.Cursor != "" {
		if _, err := decodeCursor('d', q.Cursor); err != nil {
			return Query{}, badParam("cursor", "is not a cursor from a previous page")
		}
	}
	return q, nil
}

// parseExport reads GET /v1/admin/audit/export's query string.
func parseExport(raw string) (ExportOptions, error) {
	v, err := params(raw, "actor", "target", "action", "from", "to", "limit", "cursor",
		"personal")
	if err != nil {
		return ExportOptions{}, err
	}
	q, err := parseQuery(v, MaxExportLimit)
	if err != nil {
		return ExportOptions{}, err
	}
	if q.Cursor != "" {
		if _, err := decodeCursor('a', q.Cursor); err != nil {
			return ExportOptions{}, badParam("cursor", "is not a next_cursor from an export")
		}
	}
	opts := ExportOptions{Query: q}
	if p, ok := v["personal"]; ok {
		switch p[0] {
		case "true":
		case "false":
			opts.WithoutPersonal = true
		default:
			return ExportOptions{}, badParam("personal", "must be true or false")
		}
	}
	return opts, nil
}

// inclusionParams are GET /v1/audit/proof/inclusion's: index or id, and
// tree_size (0 meaning the newest checkpoint's).
type inclusionParams struct {
	Index    int64
	ID       string
	TreeSize int64
}

func parseInclusion(raw string) (inclusionParams, error) {
	v, err := params(raw, "index", "id", "tree_size")
	if err != nil {
		return inclusionParams{}, err
	}
	var p inclusionParams
	index, hasIndex, err := intParam(v, "index", 0, 1<<62)
	if err != nil {
		return inclusionParams{}, err
	}
	p.Index = index
	if id, ok := v["id"]; ok {
		if hasIndex {
			return inclusionParams{}, badParam("id", "cannot be given with index")
		}
		if !validID(id[0]) {
			return inclusionParams{}, badParam("id", "must be a record id: 32 lower-case hex "+
				"digits")
		}
		p.ID = id[0]
	} else if !hasIndex {
		return inclusionParams{}, badParam("index", "is required (or id)")
	}
	if p.TreeSize, _, err = intParam(v, "tree_size", 1, 1<<62); err != nil {
		return inclusionParams{}, err
	}
	return p, nil
}

// parseConsistency reads GET /v1/audit/proof/consistency's old and new;
// new 0 means the newest checkpoint's size.
func parseConsistency(raw string) (oldSize, newSize int64, err error) {
	v, err := params(raw, "old", "new")
	if err != nil {
		return 0, 0, err
	}
	oldSize, ok, err := intParam(v, "old", 1, 1<<62)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, badParam("old", "is required")
	}
	if newSize, _, err = intParam(v, "new", 1, 1<<62); err != nil {
		return 0, 0, err
	}
	if newSize != 0 && newSize < oldSize {
		return 0, 0, badParam("new", "must not be less than old")
	}
	return oldSize, newSize, nil
}
