package authorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// decodeStrict decodes data, which must be exactly one JSON value, into v,
// refusing what cerrojo never writes: invalid UTF-8 (which encoding/json
// would silently replace), a member name twice in one object, member names
// other than lowercase snake_case, members v has no field for, nesting
// deeper than maxJSONDepth, objects of more than maxJSONMembers members,
// and anything after the value.
//
// Two of these close gaps between what this decoder reads and what was
// meant. encoding/json keeps the last of two equal names, where another
// reader keeps the first; and it matches names without regard to case,
// Unicode folding included, so "ROLE" or "ſubject" would fill a field.
// With lowercase ASCII names only, each name matches exactly one field or
// none, and none is refused.
func decodeStrict(data []byte, v any) error {
	if !utf8.Valid(data) {
		return errors.New("not valid UTF-8")
	}
	if err := checkStructure(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}

// jsonFrame is one open object or array while walking a document.
type jsonFrame struct {
	object  bool
	wantKey bool // in an object: the next token is a name or '}'
	names   []string
}

// checkStructure walks the tokens of data and enforces the rules of
// decodeStrict on names, depth, size and trailing data. The decoder checks
// the syntax as it goes.
func checkStructure(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []jsonFrame
	done := false // one complete value has been read
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !done {
				return errors.New("no JSON value")
			}
			return nil
		}
		if err != nil {
			return err
		}
		if done {
			return errors.New("data after the JSON value")
		}

		if n := len(stack); n > 0 && stack[n-1].wantKey {
			top := &stack[n-1]
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				done = valueDone(stack)
				continue
			}
			name, _ := tok.(string) // the decoder allows nothing else here
			if err := checkName(top, name); err != nil {
				return err
			}
			top.wantKey = false
			continue
		}

		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxJSONDepth {
				return fmt.Errorf("nested deeper than %d", maxJSONDepth)
			}
			obj := tok == json.Delim('{')
			stack = append(stack, jsonFrame{object: obj, wantKey: obj})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			done = valueDone(stack)
		default:
			done = valueDone(stack)
		}
	}
}

// valueDone records that a value ended inside stack, and reports whether
// it was the top-level one.
func valueDone(stack []jsonFrame) bool {
	if n := len(stack); n > 0 {
		stack[n-1].wantKey = stack[n-1].object
		return false
	}
	return true
}

// checkName admits one member name into the object top.
func checkName(top *jsonFrame, name string) error {
	if !snakeCase(name) {
		// Quoted in part only: a name can be as long as the body.
		return fmt.Errorf("member name %q is not lowercase snake_case",
			name[:min(len(name), 40)])
	}
	if slices.Contains(top.names, name) {
		return fmt.Errorf("member %q appears twice", name)
	}
	if len(top.names) == maxJSONMembers {
		return fmt.Errorf("object has more than %d members", maxJSONMembers)
	}
	top.names = append(top.names, name)
	return nil
}

func snakeCase(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
