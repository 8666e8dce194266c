package audit

import (
	"errors"
	"net/http"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// PublicRoutes registers the routes anyone may call: they reveal hashes and
// signed tree heads, never a record's content.
//
//	GET /v1/audit/checkpoint
//	GET /v1/audit/proof/inclusion?index=N|id=ID[&tree_size=M]
//	GET /v1/audit/proof/consistency?old=N[&new=M]
func (l *Log) PublicRoutes(r *httpx.Router) {
	r.HandleFunc("GET /v1/audit/checkpoint", l.handleCheckpoint)
	r.HandleFunc("GET /v1/audit/proof/inclusion", l.handleInclusion)
	r.HandleFunc("GET /v1/audit/proof/consistency", l.handleConsistency)
}

// AdminRoutes registers the routes that show records. They carry personal
// data: serve them only where administrators alone can reach them.
//
//	GET /v1/admin/audit/records?actor=&target=&action=&from=&to=&limit=&cursor=
//	GET /v1/admin/audit/export?...same filters...&personal=true|false
func (l *Log) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("GET /v1/admin/audit/records", l.handleSearch)
	r.HandleFunc("GET /v1/admin/audit/export", l.handleExport)
}

// checkpointResponse is GET /v1/audit/checkpoint's body. Note is the
// signed note as text; verify it with one of VerifierKeys, which a careful
// client pins rather than trusts from this response.
type checkpointResponse struct {
	Size         int64     `json:"size"`
	RootHash     tlog.Hash `json:"root_hash"`
	Note         string    `json:"note"`
	VerifierKeys []string  `json:"verifier_keys"`
	SignedAt     string    `json:"signed_at,omitempty"`
}

func (l *Log) handleCheckpoint(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r.URL.RawQuery); err != nil {
		return err
	}
	c, err := l.LatestCheckpoint(r.Context())
	if err != nil {
		return proofError(err)
	}
	keys, err := l.VerifierKeys(r.Context())
	if err != nil {
		return err
	}
	resp := checkpointResponse{Size: c.Size, RootHash: c.Root, Note: string(c.Note),
		VerifierKeys: keys}
	if !c.Time.IsZero() {
		resp.SignedAt = c.Time.UTC().Format(time.RFC3339)
	}
	return httpx.WriteJSON(w, http.StatusOK, resp)
}

func (l *Log) handleInclusion(w http.ResponseWriter, r *http.Request) error {
	p, err := parseInclusion(r.URL.RawQuery)
	if err != nil {
		return err
	}
	if p.ID != "" {
		rec, err := l.RecordByID(r.Context(), p.ID)
		if err != nil {
			return proofError(err)
		}
		p.Index = rec.Index
	}
	proof, err := l.InclusionProof(r.Context(), p.Index, p.TreeSize)
	if err != nil {
		return proofError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, proof)
}

func (l *Log) handleConsistency(w http.ResponseWriter, r *http.Request) error {
	oldSize, newSize, err := parseConsistency(r.URL.RawQuery)
	if err != nil {
		return err
	}
	proof, err := l.ConsistencyProof(r.Context(), oldSize, newSize)
	if err != nil {
		return proofError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, proof)
}

// proofError turns the log's client errors into problems; anything else is
// internal and becomes a 500.
func proofError(err error) error {
	switch {
	case errors.Is(err, ErrNoCheckpoint):
		return httpx.NewProblem(http.StatusNotFound, httpx.CodeNotFound,
			"no checkpoint has been signed yet")
	case errors.Is(err, ErrNotFound):
		return httpx.NewProblem(http.StatusNotFound, httpx.CodeNotFound,
			"no audit record has this id")
	case errors.Is(err, ErrTreeSize):
		return httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"the index or tree size is outside the log; proofs are made for tree sizes up "+
				"to the current size and indexes below the tree size")
	case errors.Is(err, ErrEmptyLog):
		return httpx.NewProblem(http.StatusNotFound, httpx.CodeNotFound,
			"the audit log is empty")
	}
	return err
}

// searchResponse is GET /v1/admin/audit/records's body, newest first.
type searchResponse struct {
	Records    []RecordJSON `json:"records"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

func (l *Log) handleSearch(w http.ResponseWriter, r *http.Request) error {
	q, err := parseSearch(r.URL.RawQuery)
	if err != nil {
		return err
	}
	page, err := l.Search(r.Context(), q)
	if err != nil {
		return err
	}
	resp := searchResponse{Records: make([]RecordJSON, 0, len(page.Records)),
		NextCursor: page.Next}
	for _, rec := range page.Records {
		resp.Records = append(resp.Records, rec.JSON(true))
	}
	return httpx.WriteJSON(w, http.StatusOK, resp)
}

func (l *Log) handleExport(w http.ResponseWriter, r *http.Request) error {
	opts, err := parseExport(r.URL.RawQuery)
	if err != nil {
		return err
	}
	// Sign (or find) the checkpoint before the first byte goes out, so that
	// a failure can still be a problem document.
	size, err := l.Size(r.Context())
	if err != nil {
		return err
	}
	if size == 0 {
		return proofError(ErrEmptyLog)
	}
	w.Header().Set("Content-Type", contentTypeJSONLines)
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportFileName(size)+`"`)
	cw := &countingWriter{w: w}
	err = l.Export(r.Context(), cw, opts)
	if err != nil && cw.n == 0 {
		w.Header().Del("Content-Disposition")
		return proofError(err)
	}
	if err != nil {
		// Once lines have been sent the status cannot change; the missing
		// end line tells the verifier the export is incomplete.
		httpx.NoteError(r.Context(), err)
	}
	return nil
}

type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
