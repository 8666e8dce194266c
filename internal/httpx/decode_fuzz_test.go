package httpx

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeJSON checks the strict decoder's promises on any input: it never
// panics, every rejection is a 4xx problem with a code, and whatever it
// accepts is also valid to encoding/json, free of trailing data, and decodes
// to the same value.
func FuzzDecodeJSON(f *testing.F) {
	seeds := []string{
		`{"email":"a@b.co","age":3,"tags":["x"],"inner":{"name":"n"}}`,
		`{"age":1,"age":2}`, `{"a":1} {}`, `[[[]]]`, `{"inner":{"name":"a","name":"b"}}`,
		`{"email":"\ud800"}`, `"str"`, `123`, `null`, `{"age":1e400}`, "\xef\xbb\xbf{}",
		`{"tags":[1,2]}`, `{"":1,"":2}`, `{"a/b":{"~":1,"~":2}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst decodeTarget
		err := DecodeJSONBytes(body, &dst)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("got non-problem error %v", err)
			}
			if p.Status < 400 || p.Status > 499 || p.Code == "" {
				t.Fatalf("got problem %d %q, want a 4xx with a code", p.Status, p.Code)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var again decodeTarget
		if err := json.Unmarshal(body, &again); err != nil {
			t.Fatalf("accepted %q, which encoding/json rejects: %v", body, err)
		}
		a, _ := json.Marshal(dst)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("decoded %s, encoding/json decoded %s", a, b)
		}
	})
}
