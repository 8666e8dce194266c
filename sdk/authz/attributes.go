package authz

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// ErrInvalidAttribute is returned by AttributesFromJSON for an attribute
// the resource type does not declare, or a value of another kind than the
// declared one.
var ErrInvalidAttribute = errors.New("authz: invalid attribute")

// AttributesFromJSON converts resource attributes decoded from JSON into
// the Go values Check expects for resource type typ. Values are what
// encoding/json produces with Decoder.UseNumber (string, json.Number,
// bool, []any, nil); float64 numbers are accepted too. By declared kind:
// string and bool as themselves; int from an integral number; double from
// any number; timestamp from an RFC 3339 string; duration from a Go
// duration string ("90s", "5m"); list(string) and list(int) from arrays.
// null means the attribute is absent.
//
// An attribute the type does not declare is an error rather than ignored:
// a misspelt "vendor_id" for "vendor" would otherwise make every
// vendor-scoped binding silently fail to apply. Errors name the attribute
// and match ErrInvalidAttribute, or ErrUnknownResourceType for typ.
func (p *Policy) AttributesFromJSON(typ string, in map[string]any) (map[string]any, error) {
	ti, ok := p.typeIndex[typ]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownResourceType, typ)
	}
	rt := &p.types[ti]
	out := make(map[string]any, len(in))
	// Sorted, so the error names the same attribute every time.
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		kind, ok := rt.attrs[name]
		if !ok {
			return nil, &attributeError{name: name, typ: typ, why: "is not declared"}
		}
		v := in[name]
		if v == nil {
			continue
		}
		conv, ok := kind.fromJSON(v)
		if !ok {
			return nil, &attributeError{name: name, typ: typ, why: "must be " + kind.jsonShape()}
		}
		out[name] = conv
	}
	return out, nil
}

// AttributeNames returns the attributes that resource type typ declares,
// sorted, and false for an undeclared type.
func (p *Policy) AttributeNames(typ string) ([]string, bool) {
	ti, ok := p.typeIndex[typ]
	if !ok {
		return nil, false
	}
	names := make([]string, 0, len(p.types[ti].attrs))
	for name := range p.types[ti].attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, true
}

type attributeError struct{ name, typ, why string }

func (e *attributeError) Error() string {
	return fmt.Sprintf("authz: attribute %q of resource type %q %s", e.name, e.typ, e.why)
}

func (e *attributeError) Is(target error) bool { return target == ErrInvalidAttribute }

// Attribute returns the attribute's name, for pointing at it in an answer.
func (e *attributeError) Attribute() string { return e.name }

func (k attrKind) jsonShape() string {
	switch k {
	case kindString:
		return "a string"
	case kindInt:
		return "an integer"
	case kindDouble:
		return "a number"
	case kindBool:
		return "true or false"
	case kindTimestamp:
		return "an RFC 3339 time"
	case kindDuration:
		return `a duration such as "90s"`
	case kindStringList:
		return "an array of strings"
	case kindIntList:
		return "an array of integers"
	}
	return "valid"
}

func (k attrKind) fromJSON(v any) (any, bool) {
	switch k {
	case kindString, kindBool:
		return k.conform(v)
	case kindInt:
		return jsonInt(v)
	case kindDouble:
		switch n := v.(type) {
		case json.Number:
			f, err := n.Float64()
			return f, err == nil && !math.IsInf(f, 0)
		case float64:
			return n, true
		}
	case kindTimestamp:
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	case kindDuration:
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		d, err := time.ParseDuration(s)
		return d, err == nil
	case kindStringList:
		arr, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]string, len(arr))
		for i, e := range arr {
			if out[i], ok = e.(string); !ok {
				return nil, false
			}
		}
		return out, true
	case kindIntList:
		arr, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]int64, len(arr))
		for i, e := range arr {
			n, ok := jsonInt(e)
			if !ok {
				return nil, false
			}
			out[i] = n.(int64)
		}
		return out, true
	}
	return nil, false
}

// jsonInt accepts an integral json.Number or float64 within int64.
func jsonInt(v any) (any, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n != math.Trunc(n) || n < math.MinInt64 || n >= math.MaxInt64 {
			return nil, false
		}
		return int64(n), true
	}
	return nil, false
}

// HasPermission reports whether the policy declares permission
// ("type:action"), so that a caller can tell a mistaken request from a
// denial before asking.
func (p *Policy) HasPermission(permission string) bool {
	_, ok := p.permIndex[permission]
	return ok
}
