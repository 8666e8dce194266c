package authz

import (
	"errors"
	"testing"
	"time"
)

// t0 is the time of every request in the tests unless a case says
// otherwise.
var t0 = time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

// ctx is a request at t0 by a subject who authenticated age ago at level.
func ctx(level int, age time.Duration) *Context {
	return &Context{Time: t0, IP: "192.0.2.10", AuthLevel: level, AuthTime: t0.Add(-age), AMR: []string{"pwd"}}
}

// res builds a resource from alternating attribute names and values.
func res(typ, id string, kv ...any) *Resource {
	attrs := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		attrs[kv[i].(string)] = kv[i+1]
	}
	return &Resource{Type: typ, ID: id, Attributes: attrs}
}

func subject(id string, bs ...Binding) *Subject { return &Subject{ID: id, Bindings: bs} }

func global(role string) Binding { return Binding{Role: role} }

func scoped(role, vendor string) Binding { return Binding{Role: role, Vendor: vendor} }

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

// mustCheck runs Check and fails the test on an error.
func mustCheck(t testing.TB, p *Policy, s *Subject, perm string, r *Resource, c *Context) Decision {
	t.Helper()
	d, err := p.Check(s, perm, r, c)
	if err != nil {
		t.Fatalf("Check(%s): got error %v, want a decision", perm, err)
	}
	return d
}

// problemsOf returns the problems of a Parse error, failing when there is
// none.
func problemsOf(t testing.TB, err error) []Problem {
	t.Helper()
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("got error %v, want a *PolicyError", err)
	}
	return pe.Problems
}
