package sdk

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

func TestTopLevelMembers(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		want  []string
		error bool
	}{
		{"empty object", `{}`, nil, false},
		{"flat", `{"a":1,"b":"x","c":true}`, []string{"a", "b", "c"}, false},
		{"nested values are skipped", `{"a":{"b":[1,{"c":"}"}]},"d":"\"}"}`, []string{"a", "d"},
			false},
		{"whitespace", " {\n \"a\" : [ ] ,\t\"b\":null } \n", []string{"a", "b"}, false},
		{"duplicates are reported as found", `{"a":1,"a":2}`, []string{"a", "a"}, false},
		{"not an object", `[1]`, nil, true},
		{"empty input", ``, nil, true},
		{"trailing data", `{"a":1}x`, nil, true},
		{"escaped name", `{"\u0061":1}`, nil, true},
		{"non-ASCII name", `{"é":1}`, nil, true},
		{"control byte in name", "{\"a\x01\":1}", nil, true},
		{"unterminated", `{"a":1`, nil, true},
		{"unterminated string value", `{"a":"x}`, nil, true},
		{"missing colon", `{"a" 1}`, nil, true},
		{"missing value", `{"a":}`, nil, true},
		{"trailing comma", `{"a":1,}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var names [maxMembers]span
			n, err := topLevelMembers([]byte(tc.in), &names)
			if (err != nil) != tc.error {
				t.Fatalf("got error %v, want error=%v", err, tc.error)
			}
			if err != nil {
				return
			}
			var got []string
			for _, b := range names[:n] {
				got = append(got, string(b.of([]byte(tc.in))))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTopLevelMembersBound(t *testing.T) {
	var names [maxMembers]span
	build := func(n int) []byte {
		var b bytes.Buffer
		b.WriteByte('{')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"k`)
			b.WriteString(string(rune('a'+i%26)) + string(rune('a'+i/26)))
			b.WriteString(`":0`)
		}
		b.WriteByte('}')
		return b.Bytes()
	}
	if _, err := topLevelMembers(build(maxMembers), &names); err != nil {
		t.Fatalf("%d members: %v", maxMembers, err)
	}
	if _, err := topLevelMembers(build(maxMembers+1), &names); err == nil {
		t.Fatalf("%d members: got no error", maxMembers+1)
	}
}

// FuzzTopLevelMembers holds the scanner to encoding/json: on any input that
// encoding/json reads as an object, the scanner either refuses it (it
// refuses more: escapes, non-ASCII names) or finds exactly the member names
// that encoding/json's tokenizer finds, in order.
func FuzzTopLevelMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,"]"]},"c":"\\\""}`,
		`{"iss":"x","exp":1700000000,"aud":["a","b"]}`, ` { "a" : null } `, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var names [maxMembers]span
		n, err := topLevelMembers(data, &names)
		if err != nil {
			return
		}
		want, ok := jsonMembers(data)
		if !ok {
			// Not valid JSON; the decoder after the scanner refuses it.
			return
		}
		if n != len(want) {
			t.Fatalf("got %d names, encoding/json finds %d (%q)", n, len(want), want)
		}
		for i := range n {
			if string(names[i].of(data)) != want[i] {
				t.Fatalf("name %d: got %q, want %q", i, names[i].of(data), want[i])
			}
		}
	})
}

// jsonMembers lists the top-level member names with encoding/json.
func jsonMembers(data []byte) ([]string, bool) {
	if !json.Valid(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		names = append(names, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, false
		}
	}
	return names, true
}
