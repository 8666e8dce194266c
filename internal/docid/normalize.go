package docid

import (
	"fmt"
	"strings"
)

// precheck is the first step for every parser: it caps the length, rejects
// anything outside printable ASCII, and trims surrounding spaces. It returns
// the trimmed input and the offset of its first byte in s, so later errors
// can report positions in the caller's terms.
func precheck(s string) (string, int, error) {
	if len(s) > MaxInputBytes {
		return "", 0, fmt.Errorf("%w: %d bytes, max %d", ErrTooLong, len(s), MaxInputBytes)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return "", 0, invalidAt(i)
		}
	}

	t := strings.TrimLeft(s, " ")
	off := len(s) - len(t)
	t = strings.TrimRight(t, " ")
	if t == "" {
		return "", 0, ErrEmpty
	}
	return t, off, nil
}

// groupedDigits returns the digits of s, which may group them in thousands
// with a single kind of separator: "1.020.304.050", "1,020,304,050",
// "1 020 304 050" or "1020304050". When a separator is present the first
// group has 1 to 3 digits and every later group exactly 3, so a digit that
// was glued on or dropped shows up as a bad group instead of passing.
func groupedDigits(s string, off int) (string, error) {
	var buf [MaxInputBytes]byte
	n := 0
	var sep byte
	group, first := 0, true

	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			buf[n] = c
			n++
			group++
		case c == '.' || c == ',' || c == ' ':
			if sep != 0 && c != sep {
				return "", separatorError("mixed separators")
			}
			sep = c
			if err := checkGroup(group, first); err != nil {
				return "", err
			}
			group, first = 0, false
		default:
			return "", invalidAt(off + i)
		}
	}

	if sep != 0 {
		if err := checkGroup(group, false); err != nil {
			return "", err
		}
	}
	return string(buf[:n]), nil
}

// checkGroup validates the length of one thousands group.
func checkGroup(size int, first bool) error {
	switch {
	case size == 0:
		return separatorError("separator at an end or doubled")
	case first && size > 3:
		return separatorError("first group longer than 3 digits")
	case !first && size != 3:
		return separatorError("group not of 3 digits")
	}
	return nil
}

// alnum returns the letters and digits of s upper-cased, dropping single
// ' ', '-' or '.' separators between them.
func alnum(s string, off int) (string, error) {
	var buf [MaxInputBytes]byte
	n := 0
	afterSep := true // a separator may not open the number

	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
			buf[n] = c
		case c >= 'a' && c <= 'z':
			buf[n] = c - 'a' + 'A'
		case c == ' ' || c == '-' || c == '.':
			if afterSep {
				return "", separatorError("separator at an end or doubled")
			}
			afterSep = true
			continue
		default:
			return "", invalidAt(off + i)
		}
		n++
		afterSep = false
	}

	if afterSep {
		return "", separatorError("separator at an end or doubled")
	}
	return string(buf[:n]), nil
}

// checkLength applies a rule's length bounds and leading-zero ban.
func checkLength(v string, r rule) error {
	if len(v) < r.min || len(v) > r.max {
		return lengthError(len(v), r.min, r.max)
	}
	if r.noLeadingZero && v[0] == '0' {
		return ErrLeadingZero
	}
	return nil
}

// thousands writes digits grouped by dots: "1020304050" -> "1.020.304.050".
func thousands(b *strings.Builder, ds string) {
	if len(ds) <= 3 {
		b.WriteString(ds)
		return
	}
	head := len(ds) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(ds[:head])
	for i := head; i < len(ds); i += 3 {
		b.WriteByte('.')
		b.WriteString(ds[i : i+3])
	}
}
