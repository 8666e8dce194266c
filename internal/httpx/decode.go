package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxJSONDepth caps nesting: no request of the API nests deeper than a few
// levels, and deep nesting is how recursive decoders are made to exhaust
// their stack or time.
const MaxJSONDepth = 32

// Bounds on the parts of a request's JSON, checked before anything is
// decoded, so that no handler is given more than any request of the API
// needs. Each capability still checks its own fields more tightly.
const (
	// MaxJSONStringBytes caps one string, decoded: the longest the API
	// takes is a privacy policy's full text or the text shown with a
	// consent, 256 KiB each (package habeasdata).
	MaxJSONStringBytes = 256 << 10
	// MaxJSONArrayLen caps the elements of one array: the longest list
	// the API takes is a batch of 100 checks or 64 consent decisions.
	MaxJSONArrayLen = 1000
	// MaxJSONObjectKeys caps the members of one object: the widest are a
	// resource's attributes, at most 64 (sdk/authz.MaxAttributes).
	MaxJSONObjectKeys = 256
)

// DecodeJSON reads the request body as one JSON value into dst, strictly:
// the media type must be JSON; the body must be valid UTF-8, within the size
// cap, one value with nothing after it, without duplicate keys, without
// fields dst does not have, and with every value of the right type. Any
// failure is a *Problem that names what was wrong, and dst must then be
// discarded.
func DecodeJSON(r *http.Request, dst any) error {
	if err := checkJSONMediaType(r.Header.Get("Content-Type")); err != nil {
		return err
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Problemf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
				"the request body is larger than the limit of %d bytes", tooLarge.Limit)
		}
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "the request body could not be read")
	}
	return DecodeJSONBytes(body, dst)
}

// DecodeJSONBytes applies DecodeJSON's rules, except the media type, to body.
func DecodeJSONBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "the request body is empty; "+
			"send a JSON object")
	}
	if !utf8.Valid(body) {
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "the request body is not valid UTF-8")
	}
	if err := scanJSON(body); err != nil {
		return err
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	return nil
}

func checkJSONMediaType(contentType string) error {
	if contentType == "" {
		return NewProblem(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the Content-Type header is missing; send application/json")
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return Problemf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the Content-Type %q is not accepted; send application/json",
			truncate(contentType, 100))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return Problemf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the charset %q is not accepted; JSON must be UTF-8", truncate(cs, 40))
	}
	return nil
}

// frame is one open object or array during scanJSON.
type frame struct {
	object  bool
	keys    map[string]struct{}
	path    string
	wantKey bool // in an object, the next string token is a key
	lastKey string
	index   int // in an array, the index of the next element
}

// scanJSON walks the tokens of body before it is decoded, to catch what
// encoding/json accepts silently: duplicate keys (the last one wins, which
// lets a proxy and cerrojo see different values), excessive depth, and data
// after the value.
func scanJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()

	var stack []*frame

	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return syntaxProblem(err, body)
		}

		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}

		if s, ok := tok.(string); ok && len(s) > MaxJSONStringBytes {
			return Problemf(http.StatusBadRequest, CodeInvalidJSON,
				"a string of the JSON is longer than %d bytes", MaxJSONStringBytes)
		}
		// A string in key position is a key: check it for duplicates.
		if s, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			if len(top.keys) >= MaxJSONObjectKeys {
				return Problemf(http.StatusBadRequest, CodeInvalidJSON,
					"an object of the JSON (at %q) has more than %d members", top.path,
					MaxJSONObjectKeys)
			}
			if _, dup := top.keys[s]; dup {
				return Problemf(http.StatusBadRequest, CodeDuplicateField,
					"the field %q appears more than once", pointer(top.path, s))
			}
			top.keys[s] = struct{}{}
			top.lastKey = s
			top.wantKey = false
			continue
		}

		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= MaxJSONDepth {
				return Problemf(http.StatusBadRequest, CodeInvalidJSON,
					"the JSON is nested more than %d levels deep", MaxJSONDepth)
			}
			path := ""
			if top != nil {
				path = childPath(top)
				top.wantKey = top.object
			}
			f := &frame{object: tok == json.Delim('{'), path: path}
			if f.object {
				f.keys = make(map[string]struct{})
				f.wantKey = true
			}
			stack = append(stack, f)
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].wantKey = true
			}
		default:
			if top != nil && top.object {
				top.wantKey = true
			}
			if top != nil && !top.object {
				top.index++
			}
		}
		if top != nil && !top.object && top.index > MaxJSONArrayLen {
			return Problemf(http.StatusBadRequest, CodeInvalidJSON,
				"an array of the JSON (at %q) has more than %d elements", top.path,
				MaxJSONArrayLen)
		}

		if len(stack) == 0 {
			// One complete value has been read: nothing may follow it.
			if _, err := dec.Token(); err != io.EOF {
				return NewProblem(http.StatusBadRequest, CodeTrailingData,
					"the request body has data after the JSON value")
			}
			return nil
		}
	}
	return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "the JSON value ends too early")
}

// childPath is the JSON Pointer of the container that opens inside f.
func childPath(f *frame) string {
	if f.object {
		return pointer(f.path, f.lastKey)
	}
	f.index++
	return f.path + "/" + strconv.Itoa(f.index-1)
}

// pointer appends key to a JSON Pointer, escaping as RFC 6901 section 3 says.
func pointer(parent, key string) string {
	key = strings.ReplaceAll(key, "~", "~0")
	key = strings.ReplaceAll(key, "/", "~1")
	return parent + "/" + key
}

func syntaxProblem(err error, body []byte) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := position(body, syn.Offset)
		return Problemf(http.StatusBadRequest, CodeInvalidJSON,
			"the request body is not valid JSON: %s (line %d, column %d)",
			strings.TrimPrefix(syn.Error(), "json: "), line, col)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "the JSON value ends too early")
	}
	return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "the request body is not valid JSON")
}

func position(body []byte, offset int64) (line, col int) {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	line = 1 + bytes.Count(body[:offset], []byte{'\n'})
	col = int(offset) - bytes.LastIndexByte(body[:offset], '\n')
	return line, col
}

// decodeProblem turns an encoding/json error from the second, typed pass
// into a problem. Syntax was already checked by scanJSON.
func decodeProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		p := Problemf(http.StatusBadRequest, CodeWrongType,
			"the field %q must be %s, not %s", field, jsonKind(typeErr), typeErr.Value)
		p.Errors = []FieldError{{Field: field, Code: CodeWrongType,
			Message: fmt.Sprintf("must be %s", jsonKind(typeErr))}}
		return p
	}

	// encoding/json reports unknown fields only as text.
	const unknownPrefix = "json: unknown field "
	if msg := err.Error(); strings.HasPrefix(msg, unknownPrefix) {
		name, uerr := strconv.Unquote(strings.TrimPrefix(msg, unknownPrefix))
		if uerr != nil {
			name = strings.TrimPrefix(msg, unknownPrefix)
		}
		p := Problemf(http.StatusBadRequest, CodeUnknownField,
			"the field %q is not part of this request", truncate(name, 100))
		p.Errors = []FieldError{{Field: pointer("", name), Code: CodeUnknownField,
			Message: "unknown field"}}
		return p
	}

	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "the request body is not valid JSON")
	}
	// A json.Unmarshaler of ours rejected a value: its message is written
	// for clients.
	return Problemf(http.StatusBadRequest, CodeInvalidJSON, "the request body is not acceptable: %s",
		truncate(strings.TrimPrefix(err.Error(), "json: "), 200))
}

// jsonKind describes the JSON a Go type expects, for error messages.
func jsonKind(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind().String() {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a " + e.Type.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Clip(s, n) + "…"
}

// Clip cuts s to at most n bytes on a character boundary, so that a value
// quoted back in a message or a log stays valid UTF-8.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
