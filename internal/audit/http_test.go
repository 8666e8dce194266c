package audit

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func newServer(t *testing.T, l *Log) *httptest.Server {
	t.Helper()
	r := httpx.NewRouter()
	l.PublicRoutes(r)
	l.AdminRoutes(r)
	srv := httptest.NewServer(httpx.WithRequestInfo(r))
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path and decodes a JSON body into dst, returning the status.
func get(t *testing.T, srv *httptest.Server, path string, dst any) (int, http.Header) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if dst != nil {
		if err := json.Unmarshal(body, dst); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode, resp.Header
}

func TestHTTPProofs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		srv := newServer(t, env.log)
		ctx := context.Background()

		var prob httpx.Problem
		if status, _ := get(t, srv, "/v1/audit/checkpoint", &prob); status != 404 ||
			prob.Code != httpx.CodeNotFound {
			t.Fatalf("checkpoint of an empty log: %d %+v", status, prob)
		}

		recs := env.appendN(t, 9)
		if _, err := env.log.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		var cp checkpointResponse
		if status, _ := get(t, srv, "/v1/audit/checkpoint", &cp); status != 200 {
			t.Fatalf("checkpoint: %d", status)
		}
		opened, err := OpenCheckpoint([]byte(cp.Note), cp.VerifierKeys)
		if err != nil || opened.Size != 9 || opened.Root != cp.RootHash {
			t.Fatalf("served checkpoint: %+v, %v", opened, err)
		}

		var inc InclusionProof
		get(t, srv, "/v1/audit/proof/inclusion?id="+recs[4].ID, &inc)
		if err := tlog.CheckRecord(inc.Proof, 9, cp.RootHash, 4, recs[4].LeafHash()); err != nil {
			t.Fatalf("inclusion by id: %v", err)
		}
		env.appendN(t, 4)
		get(t, srv, "/v1/audit/proof/inclusion?index=2&tree_size=13", &inc)
		if err := tlog.CheckRecord(inc.Proof, 13, inc.RootHash, 2, recs[2].LeafHash()); err != nil {
			t.Fatalf("inclusion by index: %v", err)
		}
		var cons ConsistencyProof
		get(t, srv, "/v1/audit/proof/consistency?old=9&new=13", &cons)
		if err := tlog.CheckTree(cons.Proof, 13, cons.NewRoot, 9, cp.RootHash); err != nil {
			t.Fatalf("consistency from the served checkpoint: %v", err)
		}

		bad := []struct {
			path, param string
			status      int
		}{
			{"/v1/audit/proof/inclusion", "index", 400},
			{"/v1/audit/proof/inclusion?index=-1", "index", 400},
			{"/v1/audit/proof/inclusion?index=01", "index", 400},
			{"/v1/audit/proof/inclusion?index=%2B1", "index", 400},
			{"/v1/audit/proof/inclusion?index=1&index=2", "index", 400},
			{"/v1/audit/proof/inclusion?index=1&id=" + recs[0].ID, "id", 400},
			{"/v1/audit/proof/inclusion?id=XYZ", "id", 400},
			{"/v1/audit/proof/inclusion?index=1&tree_size=0", "tree_size", 400},
			{"/v1/audit/proof/inclusion?index=1&tree_size=x", "tree_size", 400},
			{"/v1/audit/proof/inclusion?index=1&bogus=1", "bogus", 400},
			{"/v1/audit/proof/inclusion?index=20&tree_size=13", "", 400},
			{"/v1/audit/proof/inclusion?id=" + strings.Repeat("0", 32), "", 404},
			{"/v1/audit/proof/consistency?new=3", "old", 400},
			{"/v1/audit/proof/consistency?old=5&new=3", "new", 400},
			{"/v1/audit/proof/consistency?old=0", "old", 400},
			{"/v1/audit/proof/consistency?old=3&new=99", "", 400},
			{"/v1/audit/checkpoint?x=1", "x", 400},
			{"/v1/admin/audit/records?limit=0", "limit", 400},
			{"/v1/admin/audit/records?limit=501", "limit", 400},
			{"/v1/admin/audit/records?from=yesterday", "from", 400},
			{"/v1/admin/audit/records?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
				"to", 400},
			{"/v1/admin/audit/records?action=Role+Grant", "action", 400},
			{"/v1/admin/audit/records?actor=", "actor", 400},
			{"/v1/admin/audit/records?cursor=abc", "cursor", 400},
			{"/v1/admin/audit/records?cursor=" + encodeCursor('a', 3), "cursor", 400},
			{"/v1/admin/audit/export?personal=yes", "personal", 400},
			{"/v1/admin/audit/export?limit=100001", "limit", 400},
			{"/v1/admin/audit/records?q=" + strings.Repeat("a", maxQueryBytes), "", 400},
		}
		for _, tc := range bad {
			var p httpx.Problem
			status, h := get(t, srv, tc.path, &p)
			if status != tc.status || h.Get("Content-Type") != httpx.ContentTypeProblem {
				t.Errorf("%s: got %d %s, want %d problem", tc.path, status,
					h.Get("Content-Type"), tc.status)
				continue
			}
			if tc.param != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.param) {
				t.Errorf("%s: problem %+v does not name %q", tc.path, p, tc.param)
			}
		}
	})
}

func TestHTTPSearchPages(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		srv := newServer(t, env.log)
		env.appendN(t, 30)

		// user-2 is the actor of records 2, 9, 16, 23.
		var ids []int64
		path := "/v1/admin/audit/records?actor=user-2&limit=3"
		for pages := 0; ; pages++ {
			var resp searchResponse
			if status, _ := get(t, srv, path, &resp); status != 200 {
				t.Fatalf("%s: %d", path, status)
			}
			for _, r := range resp.Records {
				if *r.ActorID != "user-2" {
					t.Fatalf("record %d has actor %s", r.Index, *r.ActorID)
				}
				ids = append(ids, r.Index)
			}
			if resp.NextCursor == "" {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			path = "/v1/admin/audit/records?actor=user-2&limit=3&cursor=" +
				url.QueryEscape(resp.NextCursor)
		}
		if got, want := ids, []int64{23, 16, 9, 2}; !equalInts(got, want) {
			t.Fatalf("got %v, want %v (newest first)", got, want)
		}

		from := testStart.Add(10 * 1e9).Format("2006-01-02T15:04:05Z")
		to := testStart.Add(13 * 1e9).Format("2006-01-02T15:04:05Z")
		var resp searchResponse
		get(t, srv, "/v1/admin/audit/records?action=role.grant&from="+from+"&to="+to, &resp)
		// role.grant is every third record; 10, 11, 12 are in range.
		if len(resp.Records) != 1 || resp.Records[0].Index != 12 {
			t.Fatalf("got %+v, want record 12", resp.Records)
		}
		get(t, srv, "/v1/admin/audit/records?target=user-0", &resp)
		if len(resp.Records) == 0 || *resp.Records[0].TargetID != "user-0" {
			t.Fatalf("search by target: %+v", resp.Records)
		}
	})
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHTTPExportVerifiesOffline(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		srv := newServer(t, env.log)
		env.appendN(t, 25)
		if _, err := env.log.Redact(context.Background(), nil, "user-5", officer); err != nil {
			t.Fatal(err)
		}

		resp, err := http.Get(srv.URL + "/v1/admin/audit/export")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != contentTypeJSONLines {
			t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		keys, _ := env.log.VerifierKeys(context.Background())
		rep, err := VerifyExport(strings.NewReader(string(body)), VerifyOptions{VerifierKeys: keys})
		if err != nil || !rep.OK() {
			t.Fatalf("export does not verify: %v, %+v", err, rep)
		}
		if rep.Records != 26 || rep.TreeSize != 26 || !rep.Contiguous || rep.Redacted != 6 {
			t.Fatalf("got %+v", rep)
		}

		// Filtered, paged and without personal data.
		var total int64
		cursor := ""
		for {
			path := "/v1/admin/audit/export?action=auth.login&limit=4&personal=false"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), `"salt"`) || strings.Contains(string(body), "user-") {
				t.Fatalf("an export without personal data holds some: %s", body)
			}
			rep, err := VerifyExport(strings.NewReader(string(body)), VerifyOptions{VerifierKeys: keys})
			if err != nil || !rep.OK() || rep.Contiguous {
				t.Fatalf("filtered export: %v, %+v", err, rep)
			}
			total += rep.Records
			lines := strings.Split(strings.TrimSpace(string(body)), "\n")
			var end exportEnd
			json.Unmarshal([]byte(lines[len(lines)-1]), &end)
			if end.NextCursor == "" {
				break
			}
			cursor = end.NextCursor
		}
		if total != 8 { // auth.login is records 1, 4, ..., 22
			t.Fatalf("paged filtered export held %d records, want 8", total)
		}
	})
}
