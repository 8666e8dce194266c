package colombia

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

func serve(t *testing.T, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	r := httpx.NewRouter()
	Routes(r)
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not JSON: %s", w.Body)
	}
	return w, m
}

func TestValidateNIT(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		want       map[string]any
	}{
		{"accepts a NIT written with dots and dash", `{"nit":"890.903.938-8"}`, 200,
			map[string]any{"valid": true, "nit": "890903938-8", "formatted": "890.903.938-8",
				"check_digit": float64(8)}},
		{"names the expected check digit", `{"nit":"890903938-3"}`, 400,
			map[string]any{"code": CodeInvalidNIT}},
		{"refuses a NIT without its check digit", `{"nit":"890903938"}`, 400,
			map[string]any{"code": CodeInvalidNIT}},
		{"refuses letters", `{"nit":"89O903938-8"}`, 400, map[string]any{"code": CodeInvalidNIT}},
		{"refuses an unknown field", `{"nit":"890903938-8","x":1}`, 400,
			map[string]any{"code": httpx.CodeUnknownField}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, m := serve(t, "POST", "/v1/colombia/nit/validate", tc.body)
			if w.Code != tc.wantStatus {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tc.wantStatus)
			}
			for k, v := range tc.want {
				if m[k] != v {
					t.Errorf("%s: got %v, want %v", k, m[k], v)
				}
			}
		})
	}

	t.Run("the wrong-digit answer says which digit was expected", func(t *testing.T) {
		w, m := serve(t, "POST", "/v1/colombia/nit/validate", `{"nit":"890903938-3"}`)
		detail, _ := m["detail"].(string)
		if !strings.Contains(detail, "is 3") || !strings.Contains(detail, "is 8") {
			t.Errorf("got detail %q, want it to name 3 and the expected 8", detail)
		}
		if strings.Contains(w.Body.String(), "890903938") {
			t.Errorf("the problem echoes the number: %s", w.Body)
		}
		errs, _ := m["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != "/nit" {
			t.Errorf("got errors %v, want one for /nit", m["errors"])
		}
	})
}

func TestValidateDocument(t *testing.T) {
	w, m := serve(t, "POST", "/v1/colombia/documents/validate", `{"type":13,"number":"1.020.304.050"}`)
	if w.Code != 200 || m["number"] != "1020304050" || m["type_name"] == "" {
		t.Errorf("cédula: got %d %v", w.Code, m)
	}
	w, m = serve(t, "POST", "/v1/colombia/documents/validate", `{"type":99,"number":"1"}`)
	if w.Code != 400 || m["code"] != CodeInvalidDocument {
		t.Errorf("unknown type: got %d %v", w.Code, m)
	}
	w, m = serve(t, "POST", "/v1/colombia/documents/validate", `{"type":13,"number":"0123"}`)
	if w.Code != 400 || m["code"] != CodeInvalidDocument {
		t.Errorf("leading zero: got %d %v", w.Code, m)
	}
	w, m = serve(t, "GET", "/v1/colombia/document-types", "")
	if types, _ := m["document_types"].([]any); w.Code != 200 || len(types) != 12 {
		t.Errorf("document types: got %d, %d types; want 12", w.Code, len(types))
	}
}

func TestHolidays(t *testing.T) {
	w, m := serve(t, "GET", "/v1/colombia/holidays/2026", "")
	list, _ := m["holidays"].([]any)
	if w.Code != 200 || len(list) != 18 {
		t.Fatalf("2026: got %d with %d holidays, want 18", w.Code, len(list))
	}
	reyes := list[1].(map[string]any)
	if reyes["date"] != "2026-01-12" || reyes["original_date"] != "2026-01-06" || reyes["moved"] != true {
		t.Errorf("Reyes 2026: got %v, want moved from 01-06 to 01-12", reyes)
	}
	for _, bad := range []string{"26", "year", "1800", "99999"} {
		if w, _ := serve(t, "GET", "/v1/colombia/holidays/"+bad, ""); w.Code != 400 {
			t.Errorf("year %q: got %d, want 400", bad, w.Code)
		}
	}
}

func TestHabeasDataTerms(t *testing.T) {
	// A consulta received on Wednesday 2025-04-16, the day before Jueves
	// Santo: the term skips both Semana Santa holidays.
	w, m := serve(t, "POST", "/v1/colombia/habeas-data/terms",
		`{"kind":"consulta","received_at":"2025-04-16T10:00:00-05:00"}`)
	if w.Code != 200 || m["received"] != "2025-04-16" || m["due"] != "2025-05-05" {
		t.Errorf("consulta: got %d %v, want due 2025-05-05 (Apr 17, 18 and May 1 are holidays)", w.Code, m)
	}
	if _, ok := m["complete_by"]; ok {
		t.Errorf("a consulta has no complete_by: %v", m)
	}
	w, m = serve(t, "POST", "/v1/colombia/habeas-data/terms",
		`{"kind":"reclamo","received_at":"2025-04-16T10:00:00-05:00"}`)
	if w.Code != 200 || m["complete_by"] == nil {
		t.Errorf("reclamo: got %d %v", w.Code, m)
	}
	for _, body := range []string{`{"kind":"queja","received_at":"2025-04-16T10:00:00-05:00"}`,
		`{"kind":"consulta"}`, `{"kind":"consulta","received_at":"yesterday"}`} {
		if w, _ := serve(t, "POST", "/v1/colombia/habeas-data/terms", body); w.Code != 400 {
			t.Errorf("%s: got %d, want 400", body, w.Code)
		}
	}
}
