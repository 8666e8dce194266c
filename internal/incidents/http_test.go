package incidents

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

type api struct {
	t      *testing.T
	f      *fixture
	router *httpx.Router
}

func newAPI(t *testing.T, db *storage.DB) *api {
	f := newFixture(t, db)
	r := httpx.NewRouter()
	(&Handlers{Service: f.svc}).AdminRoutes(r)
	return &api{t: t, f: f, router: r}
}

// do sends a request; a body that is not empty is sent as JSON.
func (a *api) do(method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	a.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	a.router.ServeHTTP(rec, req)
	var doc map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			a.t.Fatalf("%s %s: body %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec, doc
}

// want checks the status, and for problems the media type and code.
func (a *api) want(method, path, body string, status int, code string) map[string]any {
	a.t.Helper()
	rec, doc := a.do(method, path, body)
	if rec.Code != status {
		a.t.Fatalf("%s %s %s: status %d, want %d: %s", method, path, body, rec.Code, status,
			rec.Body.String())
	}
	if code != "" {
		if ct := rec.Header().Get("Content-Type"); ct != httpx.ContentTypeProblem {
			a.t.Fatalf("%s %s: content type %q", method, path, ct)
		}
		if doc["code"] != code {
			a.t.Fatalf("%s %s %s: code %v, want %s: %s", method, path, body, doc["code"], code,
				rec.Body.String())
		}
		if d, _ := doc["detail"].(string); d == "" {
			a.t.Fatalf("%s %s: problem without detail", method, path)
		}
	}
	return doc
}

func fieldOf(doc map[string]any) string {
	errs, _ := doc["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

const validOpen = `{"title":"Leaked backup","category":"confidentiality",
	"affected_subjects":40,"databases":["clientes"],"data_categories":["contacto"]}`

func TestHTTPRoutes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		a := newAPI(t, db)
		rec, doc := a.do("POST", "/v1/admin/incidents", validOpen)
		if rec.Code != http.StatusCreated {
			t.Fatalf("open: %d %s", rec.Code, rec.Body.String())
		}
		id, _ := doc["id"].(string)
		if !strings.HasPrefix(id, "inc_") || rec.Header().Get("Location") !=
			"/v1/admin/incidents/"+id {
			t.Fatalf("open: id %q location %q", id, rec.Header().Get("Location"))
		}
		if doc["sic_due"] != "2025-05-08" || doc["status"] != "open" ||
			doc["detected_at"] != "2025-04-14T15:00:00Z" || doc["sic_reported_at"] != nil ||
			doc["created_by"] != "system:admin_api" {
			t.Fatalf("open: %v", doc)
		}
		dl, _ := doc["sic_deadline"].(map[string]any)
		if dl["required"] != true || dl["business_days_left"] != float64(15) {
			t.Fatalf("deadline: %v", dl)
		}
		base := "/v1/admin/incidents/" + id

		doc = a.want("GET", base, "", 200, "")
		if tl, _ := doc["timeline"].([]any); tl == nil || len(tl) != 0 {
			t.Fatalf("timeline: %v", doc["timeline"])
		}
		doc = a.want("POST", base+"/notes", `{"text":"Link revoked."}`, 201, "")
		if doc["text"] != "Link revoked." || doc["incident_id"] != id {
			t.Fatalf("note: %v", doc)
		}
		a.want("POST", base+"/close", "", 409, "illegal_transition")
		doc = a.want("POST", base+"/contained", "", 200, "")
		if doc["status"] != "contained" || doc["contained_at"] == nil {
			t.Fatalf("contained: %v", doc)
		}
		a.want("POST", base+"/contained", "", 409, "illegal_transition")
		a.want("POST", base+"/close", "", 409, "sic_report_required")
		doc = a.want("POST", base+"/titulares-notified", "", 200, "")
		if doc["titulares_notified_at"] != "2025-04-14T15:00:00Z" {
			t.Fatalf("titulares: %v", doc)
		}
		a.want("POST", base+"/titulares-notified", `{}`, 409, "already_notified")
		doc = a.want("POST", base+"/sic-report", `{"reference":"RNBD-2025-1",`+
			`"reported_at":"2025-04-14T10:00:00-05:00"}`, 200, "")
		if doc["sic_reference"] != "RNBD-2025-1" ||
			doc["sic_reported_at"] != "2025-04-14T15:00:00Z" {
			t.Fatalf("sic: %v", doc)
		}
		a.want("POST", base+"/sic-report", `{"reference":"again"}`, 409, "already_reported")
		doc = a.want("POST", base+"/close", `{"note":"Done."}`, 200, "")
		if doc["status"] != "closed" || len(doc["timeline"].([]any)) != 2 {
			t.Fatalf("close: %v", doc)
		}
		a.want("POST", base+"/close", `{"reason":"no_personal_data"}`, 409, "incident_closed")

		// A second incident, closed with a reason.
		_, doc = a.do("POST", "/v1/admin/incidents", `{"title":"Port scan","category":`+
			`"availability","affected_subjects":0,"detected_at":"2025-04-12T10:00:00-05:00"}`)
		id2, _ := doc["id"].(string)
		if doc["sic_due"] != "2025-05-08" {
			t.Fatalf("saturday detection: %v", doc)
		}
		a.want("POST", "/v1/admin/incidents/"+id2+"/contained", "", 200, "")
		doc = a.want("POST", "/v1/admin/incidents/"+id2+"/close",
			`{"reason":"false_positive"}`, 200, "")
		if doc["close_reason"] != "false_positive" {
			t.Fatalf("close with reason: %v", doc)
		}

		doc = a.want("GET", "/v1/admin/incidents", "", 200, "")
		if list, _ := doc["incidents"].([]any); len(list) != 2 {
			t.Fatalf("list: %v", doc)
		}
		doc = a.want("GET", "/v1/admin/incidents?status=open", "", 200, "")
		if list, _ := doc["incidents"].([]any); list == nil || len(list) != 0 {
			t.Fatalf("list open: %v", doc)
		}
		doc = a.want("GET", "/v1/admin/incidents?status=bogus", "", 400, "validation_failed")
		if fieldOf(doc) != "/status" {
			t.Fatalf("status field: %v", doc)
		}

		recs := a.f.actions(t, id)
		if len(recs) != 6 || recs[0].Actor.ID != "admin_api" {
			t.Fatalf("audit: %d records", len(recs))
		}
	})
}

func TestHTTPErrors(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		a := newAPI(t, db)
		const p = "/v1/admin/incidents"
		cases := []struct {
			body, code, field string
			status            int
		}{
			{`{"title":`, "invalid_json", "", 400},
			{`not json`, "invalid_json", "", 400},
			{`[]`, "wrong_type", "", 400},
			{`{"title":"x","category":"integrity","affected_subjects":1,"owner":"me"}`,
				"unknown_field", "", 400},
			{`{"title":"x","title":"y","category":"integrity","affected_subjects":1}`,
				"duplicate_field", "", 400},
			{`{"title":"x","category":"integrity","affected_subjects":"many"}`,
				"wrong_type", "", 400},
			{`{"category":"integrity","affected_subjects":1}`, "validation_failed", "/title", 400},
			{`{"title":"x","affected_subjects":1}`, "validation_failed", "/category", 400},
			{`{"title":"x","category":"integrity"}`, "validation_failed", "/affected_subjects",
				400},
			{`{"title":"x","category":"secrecy","affected_subjects":1}`, "validation_failed",
				"/category", 400},
			{`{"title":"x","category":"integrity","affected_subjects":-3}`, "validation_failed",
				"/affected_subjects", 400},
			{`{"title":"x","category":"integrity","affected_subjects":1,` +
				`"detected_at":"2025-04-14T10:00:01-05:00"}`, "validation_failed", "/detected_at",
				400},
			{`{"title":"x","category":"integrity","affected_subjects":1,` +
				`"detected_at":"yesterday"}`, "validation_failed", "/detected_at", 400},
			{`{"title":"x","category":"integrity","affected_subjects":1,` +
				`"detected_at":"2025-04-14T08:00:00-05:00",` +
				`"notified_to_area_at":"2025-04-14T07:00:00-05:00"}`, "validation_failed",
				"/notified_to_area_at", 400},
		}
		for _, c := range cases {
			doc := a.want("POST", p, c.body, c.status, c.code)
			if c.field != "" && fieldOf(doc) != c.field {
				t.Errorf("%s: field %q, want %q", c.body, fieldOf(doc), c.field)
			}
		}
		// No body, and a body that is not JSON.
		a.want("POST", p, "", 415, "unsupported_media_type")
		req := httptest.NewRequest("POST", p, strings.NewReader(validOpen))
		req.Header.Set("Content-Type", "text/plain")
		rec := httptest.NewRecorder()
		a.router.ServeHTTP(rec, req)
		if rec.Code != 415 {
			t.Fatalf("text/plain: %d", rec.Code)
		}
		if list, _ := a.f.svc.List(t.Context(), ""); len(list) != 0 {
			t.Fatalf("refused requests stored incidents: %d", len(list))
		}

		// Unknown ids: 404 on every route.
		const u = "/v1/admin/incidents/inc_unknown"
		a.want("GET", u, "", 404, "incident_not_found")
		a.want("POST", u+"/notes", `{"text":"x"}`, 404, "incident_not_found")
		a.want("POST", u+"/contained", "", 404, "incident_not_found")
		a.want("POST", u+"/sic-report", `{"reference":"R"}`, 404, "incident_not_found")
		a.want("POST", u+"/titulares-notified", "", 404, "incident_not_found")
		a.want("POST", u+"/close", `{"reason":"false_positive"}`, 404, "incident_not_found")

		// Bad bodies on the other routes.
		_, doc := a.do("POST", p, validOpen)
		id := doc["id"].(string)
		base := p + "/" + id
		doc = a.want("POST", base+"/notes", `{}`, 400, "validation_failed")
		if fieldOf(doc) != "/text" {
			t.Fatalf("note field: %v", doc)
		}
		a.want("POST", base+"/notes", `{"text":"  "}`, 400, "validation_failed")
		a.want("POST", base+"/notes", `{"text":"x","author":"y"}`, 400, "unknown_field")
		doc = a.want("POST", base+"/sic-report", `{}`, 400, "validation_failed")
		if fieldOf(doc) != "/reference" {
			t.Fatalf("sic field: %v", doc)
		}
		a.want("POST", base+"/sic-report",
			`{"reference":"R","reported_at":"2030-01-01T00:00:00Z"}`, 400, "validation_failed")
		a.want("POST", base+"/sic-report", `{"reference":"R","filed":true}`, 400, "unknown_field")
		a.want("POST", base+"/titulares-notified", `{"notified_at":"2030-01-01T00:00:00Z"}`,
			400, "validation_failed")
		a.want("POST", base+"/titulares-notified", `{"notified_at":5}`, 400, "wrong_type")
		a.want("POST", base+"/contained", "", 200, "")
		doc = a.want("POST", base+"/close", `{"reason":"bored"}`, 400, "validation_failed")
		if fieldOf(doc) != "/reason" {
			t.Fatalf("reason field: %v", doc)
		}
		a.want("POST", base+"/close", `{"reason":"false_positive","x":1}`, 400, "unknown_field")
		a.want("POST", base+"/close", `{"reason":`, 400, "invalid_json")

		got, err := a.f.svc.Get(t.Context(), id)
		if err != nil || got.Status != StatusContained || len(got.Timeline) != 0 ||
			!got.SICReportedAt.IsZero() || !got.TitularesNotifiedAt.IsZero() {
			t.Fatalf("after refused requests: %+v, %v", got, err)
		}
	})
}

// FuzzOpenRequest feeds arbitrary bodies to the create route's decoding and
// checks that it never panics, and that what it accepts and Validate then
// accepts is within the rules.
func FuzzOpenRequest(f *testing.F) {
	f.Add([]byte(validOpen))
	f.Add([]byte(`{"title":"x","category":"integrity","affected_subjects":0,` +
		`"detected_at":"2025-04-12T10:00:00-05:00","notified_to_area_at":"2025-04-13T00:00:00Z"}`))
	f.Add([]byte(`{"title":"x","category":"integrity","affected_subjects":-1}`))
	f.Add([]byte(`{"title":null,"databases":[null,""],"affected_subjects":1e3}`))
	f.Add([]byte(`{"detected_at":"0000-01-01T00:00:00Z","title":"\u0000"}`))
	f.Add([]byte(`[[[[[[{}]]]]]]`))
	now := monday1014
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := parseOpenRequest(body)
		if err != nil {
			if p := problem(err); p == nil {
				t.Fatal("an error became nil")
			}
			return
		}
		in, due, err := in.Validate(now)
		if err != nil {
			return
		}
		if in.Title == "" || len(in.Title) > MaxTitleLen || !in.Category.valid() ||
			in.AffectedSubjects < 0 || in.DetectedAt.After(now) ||
			in.NotifiedToAreaAt.After(now) || in.NotifiedToAreaAt.Before(in.DetectedAt) ||
			len(in.Databases) > MaxListItems || len(in.DataCategories) > MaxListItems {
			t.Fatalf("accepted %+v", in)
		}
		if due.IsZero() || !due.Time().After(in.NotifiedToAreaAt.Add(-24*time.Hour)) {
			t.Fatalf("due %s for %s", due, in.NotifiedToAreaAt)
		}
	})
}
