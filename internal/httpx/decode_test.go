package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type decodeTarget struct {
	Email string   `json:"email"`
	Age   int      `json:"age"`
	Tags  []string `json:"tags"`
	Inner *struct {
		Name string `json:"name"`
	} `json:"inner"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
		wantDetail  string // a substring of the problem's detail
	}{
		{"accepts a valid object", "application/json", `{"email":"a@b.co","age":3}`, 0, "", ""},
		{"accepts a charset parameter", "application/json; charset=utf-8", `{"age":1}`, 0, "", ""},
		{"rejects a missing content type", "", `{}`, 415, CodeUnsupportedMediaType, "missing"},
		{"rejects form encoding", "application/x-www-form-urlencoded", `a=b`, 415,
			CodeUnsupportedMediaType, "not accepted"},
		{"rejects a non utf-8 charset", "application/json; charset=latin1", `{}`, 415,
			CodeUnsupportedMediaType, "charset"},
		{"rejects an empty body", "application/json", ``, 400, CodeInvalidJSON, "empty"},
		{"rejects malformed json and says where", "application/json", "{\n\"email\": }", 400,
			CodeInvalidJSON, "line 2"},
		{"rejects a truncated value", "application/json", `{"email":"a"`, 400, CodeInvalidJSON,
			"ends too early"},
		{"rejects an unknown field by name", "application/json", `{"emial":"x"}`, 400,
			CodeUnknownField, `"emial"`},
		{"rejects a duplicate key", "application/json", `{"age":1,"age":2}`, 400,
			CodeDuplicateField, `"/age"`},
		{"rejects a duplicate key in a nested object", "application/json",
			`{"inner":{"name":"a","name":"b"}}`, 400, CodeDuplicateField, `"/inner/name"`},
		{"rejects a duplicate key inside an array element", "application/json",
			`[{"a":1},{"b":1,"b":2}]`, 400, CodeDuplicateField, `"/1/b"`},
		{"allows the same key in sibling objects", "application/json",
			`{"inner":{"name":"a"},"email":"x"}`, 0, "", ""},
		{"rejects trailing data", "application/json", `{"age":1} {"age":2}`, 400,
			CodeTrailingData, "after the JSON value"},
		{"rejects trailing garbage", "application/json", `{"age":1}x`, 400, CodeTrailingData, ""},
		{"accepts trailing whitespace", "application/json", "{\"age\":1}\n\t ", 0, "", ""},
		{"rejects a wrong type and names the field", "application/json", `{"age":"three"}`, 400,
			CodeWrongType, `"/age" must be an integer`},
		{"rejects a wrong nested type", "application/json", `{"inner":{"name":5}}`, 400,
			CodeWrongType, `"/inner/name" must be a string`},
		{"rejects invalid utf-8", "application/json", "{\"email\":\"\xff\"}", 400, CodeInvalidJSON,
			"UTF-8"},
		{"rejects deep nesting", "application/json", strings.Repeat("[", MaxJSONDepth+1) +
			strings.Repeat("]", MaxJSONDepth+1), 400, CodeInvalidJSON, "nested"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var dst decodeTarget
			err := DecodeJSON(r, &dst)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("got error %v, want a *Problem", err)
			}
			if p.Status != tc.wantStatus || p.Code != tc.wantCode {
				t.Errorf("got %d %s, want %d %s", p.Status, p.Code, tc.wantStatus, tc.wantCode)
			}
			if !strings.Contains(p.Detail, tc.wantDetail) {
				t.Errorf("got detail %q, want it to contain %q", p.Detail, tc.wantDetail)
			}
		})
	}
}

func TestDecodeJSONNestingLimit(t *testing.T) {
	var v any
	atLimit := strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth)
	if err := DecodeJSONBytes([]byte(atLimit), &v); err != nil {
		t.Fatalf("nesting of exactly %d: got %v, want accepted", MaxJSONDepth, err)
	}
	past := "[" + atLimit + "]"
	if err := DecodeJSONBytes([]byte(past), &v); err == nil {
		t.Fatalf("nesting of %d: got accepted, want rejected", MaxJSONDepth+1)
	}
}

// Strings, arrays and objects are each bounded: exactly at the limit is
// accepted, one past it is a 400 that says which limit.
func TestDecodeJSONPartLimits(t *testing.T) {
	array := func(n int, elem string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + "]"
	}
	object := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":1`, i)
		}
		return b.String() + "}"
	}
	tests := []struct {
		name, at, past, says string
	}{
		{"string", `"` + strings.Repeat("a", MaxJSONStringBytes) + `"`,
			`"` + strings.Repeat("a", MaxJSONStringBytes+1) + `"`, "longer than"},
		{"escaped string", `"` + strings.Repeat(`\u00e9`, MaxJSONStringBytes/2) + `"`,
			`"` + strings.Repeat(`\u00e9`, MaxJSONStringBytes/2+1) + `"`, "longer than"},
		{"key", `{"` + strings.Repeat("k", MaxJSONStringBytes) + `":1}`,
			`{"` + strings.Repeat("k", MaxJSONStringBytes+1) + `":1}`, "longer than"},
		{"array of numbers", array(MaxJSONArrayLen, "1"), array(MaxJSONArrayLen+1, "1"),
			"elements"},
		{"array of objects", array(MaxJSONArrayLen, "{}"), array(MaxJSONArrayLen+1, "{}"),
			"elements"},
		{"nested array", `{"a":` + array(MaxJSONArrayLen+1, "[]") + `}`, "", "elements"},
		{"object", object(MaxJSONObjectKeys), object(MaxJSONObjectKeys + 1), "members"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if tc.past != "" {
				if err := DecodeJSONBytes([]byte(tc.at), &v); err != nil {
					t.Fatalf("at the limit: %v", err)
				}
			} else {
				tc.past = tc.at
			}
			err := DecodeJSONBytes([]byte(tc.past), &v)
			var p *Problem
			if !errors.As(err, &p) || p.Status != 400 || !strings.Contains(p.Detail, tc.says) {
				t.Fatalf("past the limit: %v", err)
			}
		})
	}
}

func TestDecodeJSONBodyTooLarge(t *testing.T) {
	h := LimitBody(1024)(HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		var v map[string]string
		if err := DecodeJSON(r, &v); err != nil {
			return err
		}
		return WriteJSON(w, http.StatusOK, v)
	}))

	t.Run("streamed body past the cap is 413", func(t *testing.T) {
		body := `{"a":"` + strings.Repeat("x", 2000) + `"}`
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.ContentLength = -1 // as with chunked encoding: the cap must hold anyway
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d, want 413", w.Code)
		}
		if !strings.Contains(w.Body.String(), `"code":"body_too_large"`) ||
			!strings.Contains(w.Body.String(), "1024 bytes") {
			t.Errorf("got body %s, want body_too_large naming the limit", w.Body)
		}
	})
	t.Run("declared length past the cap is refused before reading", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 2000)))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d, want 413", w.Code)
		}
	})
	t.Run("body at the cap is accepted", func(t *testing.T) {
		body := `{"a":"` + strings.Repeat("x", 1024-8) + `"}`
		if len(body) != 1024 {
			t.Fatalf("test body is %d bytes, want 1024", len(body))
		}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("got %d %s, want 200", w.Code, w.Body)
		}
	})
}

func TestPointerEscapes(t *testing.T) {
	if got, want := pointer("/a", "b/c~d"), "/a/b~1c~0d"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNotModified(t *testing.T) {
	etag := `"abc"`
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{`"abc"`}, true},
		{[]string{`W/"abc"`}, true},
		{[]string{`"x", "abc"`}, true},
		{[]string{`"x"`, `"abc"`}, true},
		{[]string{`*`}, true},
		{[]string{`"abcd"`}, false},
		{[]string{`abc`}, false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, h := range tc.header {
			r.Header.Add("If-None-Match", h)
		}
		if got := NotModified(r, etag); got != tc.want {
			t.Errorf("If-None-Match %q: got %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestClipKeepsCharactersWhole(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"añb", 2, "a"}, // ñ is two bytes: cutting inside it drops it
		{"añb", 3, "añ"},
		{"ñ", 0, ""},
	} {
		if got := Clip(c.in, c.n); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
