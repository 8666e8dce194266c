package authz

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const attrPolicy = `
version: "t"
resources:
  thing:
    attributes:
      name: string
      count: int
      ratio: double
      live: bool
      at: timestamp
      ttl: duration
      tags: list(string)
      sizes: list(int)
    actions: [read]
roles:
  reader: {}
rules:
  - id: r
    roles: [reader]
    permissions: ["thing:read"]
`

// decode parses JSON the way the check API does.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAttributesFromJSON(t *testing.T) {
	p := mustParse(t, attrPolicy)
	_, err := p.AttributesFromJSON("thing", decode(t, `{"name":"a","count":9007199254740993,
		"ratio":0.5,"live":true,"at":"2026-12-01T10:00:00Z","ttl":"90s","tags":["x","y"],
		"sizes":[1,2],"missing":null}`))
	if err == nil {
		t.Fatal("an undeclared attribute was accepted, even with a null value")
	}
	got, err := p.AttributesFromJSON("thing", decode(t, `{"name":"a","count":9007199254740993,
		"ratio":0.5,"live":true,"at":"2026-12-01T10:00:00Z","ttl":"90s","tags":["x","y"],
		"sizes":[1,2],"ratio":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "a", "count": int64(9007199254740993), "live": true,
		"at": time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), "ttl": 90 * time.Second}
	for k, v := range want {
		if g := got[k]; g != v {
			if gt, ok := g.(time.Time); !ok || !gt.Equal(v.(time.Time)) {
				t.Errorf("%s: got %#v, want %#v", k, g, v)
			}
		}
	}
	if _, ok := got["ratio"]; ok {
		t.Error("a null attribute is present")
	}
	if tags := got["tags"].([]string); len(tags) != 2 || tags[1] != "y" {
		t.Errorf("tags: %#v", got["tags"])
	}
	if sizes := got["sizes"].([]int64); len(sizes) != 2 || sizes[1] != 2 {
		t.Errorf("sizes: %#v", got["sizes"])
	}

	for _, c := range []struct{ in, attr string }{
		{`{"count":1.5}`, "count"},
		{`{"count":"1"}`, "count"},
		{`{"count":1e30}`, "count"},
		{`{"name":3}`, "name"},
		{`{"live":"true"}`, "live"},
		{`{"at":"yesterday"}`, "at"},
		{`{"ttl":90}`, "ttl"},
		{`{"tags":["x",1]}`, "tags"},
		{`{"sizes":[1,"2"]}`, "sizes"},
		{`{"vendor_id":"v1"}`, "vendor_id"},
	} {
		_, err := p.AttributesFromJSON("thing", decode(t, c.in))
		var ae *attributeError
		if !errors.Is(err, ErrInvalidAttribute) || !errors.As(err, &ae) || ae.Attribute() != c.attr {
			t.Errorf("%s: got %v, want an invalid attribute %q", c.in, err, c.attr)
		}
	}
	if _, err := p.AttributesFromJSON("nothing", nil); !errors.Is(err, ErrUnknownResourceType) {
		t.Errorf("unknown type: got %v", err)
	}
	if !p.HasPermission("thing:read") || p.HasPermission("thing:write") || p.HasPermission("read") {
		t.Error("HasPermission disagrees with the policy")
	}
	names, ok := p.AttributeNames("thing")
	if !ok || len(names) != 8 || names[0] != "at" {
		t.Errorf("AttributeNames: %v %v", names, ok)
	}
}

func TestLevelFromAMR(t *testing.T) {
	for _, c := range []struct {
		amr  []string
		want int
	}{
		{nil, 0},
		{[]string{""}, 0},
		{[]string{"pwd"}, 1},
		{[]string{"pwd", "pwd"}, 1},
		{[]string{"pwd", "otp"}, 2},
		{[]string{"hwk", "user"}, 2},
		{[]string{"mfa"}, 2},
	} {
		if got := LevelFromAMR(c.amr); got != c.want {
			t.Errorf("LevelFromAMR(%q) = %d, want %d", c.amr, got, c.want)
		}
	}
}
