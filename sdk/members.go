package sdk

import "errors"

// span locates a member name in the data it was found in: data[start:end].
// Offsets rather than slices keep the caller's buffer from escaping to the
// heap.
type span struct{ start, end int32 }

func (s span) of(data []byte) []byte { return data[s.start:s.end:s.end] }

// topLevelMembers records in names where the member names of the JSON
// object that data holds are, in order, and returns how many there are. It does not
// validate the values (the JSON decoder that runs afterwards does); it only
// walks them far enough to find the next name, and it refuses what cerrojo
// never writes in a name: escape sequences, bytes outside printable ASCII.
//
// Refusing escapes is what makes the duplicate check byte-exact: "iss" and
// "\u0069ss" are the same name to a JSON decoder but not to a comparison of
// raw bytes.
func topLevelMembers(data []byte, names *[maxMembers]span) (int, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return 0, errors.New("not a JSON object")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return 0, trailing(data, i+1)
	}

	n := 0
	for {
		// A member: "name" : value
		if i >= len(data) || data[i] != '"' {
			return 0, errors.New("member name expected")
		}
		start := i + 1
		end := start
		for end < len(data) && data[end] != '"' {
			c := data[end]
			if c == '\\' {
				return 0, errors.New("member name has an escape sequence")
			}
			if c < 0x20 || c > 0x7e {
				return 0, errors.New("member name is not printable ASCII")
			}
			end++
		}
		if end >= len(data) {
			return 0, errors.New("unterminated member name")
		}
		if n == maxMembers {
			return 0, errors.New("too many members")
		}
		// #nosec G115 -- every caller caps data far below 2 GiB: MaxTokenBytes,
		// MaxJWKSBytes or MaxRevocationListBytes (16 MiB), so offsets fit an int32.
		names[n] = span{int32(start), int32(end)}
		n++

		i = skipSpace(data, end+1)
		if i >= len(data) || data[i] != ':' {
			return 0, errors.New("colon expected")
		}
		var err error
		if i, err = skipValue(data, skipSpace(data, i+1)); err != nil {
			return 0, err
		}

		i = skipSpace(data, i)
		if i >= len(data) {
			return 0, errors.New("unterminated object")
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return n, trailing(data, i+1)
		default:
			return 0, errors.New("comma or end of object expected")
		}
	}
}

// skipValue returns the index just past the JSON value starting at i.
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, errors.New("value expected")
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			case '"':
				end, err := skipString(data, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			}
			i++
		}
		return 0, errors.New("unterminated value")
	default:
		// A number or a literal: it ends where a delimiter starts.
		start := i
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				if i == start {
					return 0, errors.New("value expected")
				}
				return i, nil
			}
			i++
		}
		return i, nil
	}
}

// skipString returns the index just past the string starting at data[i].
func skipString(data []byte, i int) (int, error) {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++ // the escaped byte cannot end the string
		case '"':
			return i + 1, nil
		}
	}
	return 0, errors.New("unterminated string")
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

func trailing(data []byte, i int) error {
	if skipSpace(data, i) != len(data) {
		return errors.New("data after the object")
	}
	return nil
}
