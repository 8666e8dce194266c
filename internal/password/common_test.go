package password

import (
	"strings"
	"testing"
)

// TestCommonListFormat checks what searchLines relies on and what
// data/README.md promises: printable ASCII, lower case, one entry per line,
// strictly increasing byte order, a final newline, at least 10,000 entries.
func TestCommonListFormat(t *testing.T) {
	if !strings.HasSuffix(commonPasswords, "\n") {
		t.Fatal("list: want a final newline")
	}
	lines := strings.Split(strings.TrimSuffix(commonPasswords, "\n"), "\n")
	if len(lines) < 10000 {
		t.Fatalf("list: got %d entries, want at least 10000", len(lines))
	}
	for i, line := range lines {
		if line == "" {
			t.Fatalf("line %d: got an empty entry", i+1)
		}
		for j := 0; j < len(line); j++ {
			if c := line[j]; c < 0x21 || c > 0x7e || ('A' <= c && c <= 'Z') {
				t.Fatalf("line %d: got byte %#x, want printable lower-case ASCII", i+1, c)
			}
		}
		if i > 0 && lines[i-1] >= line {
			t.Fatalf("line %d: got %q after %q, want strictly increasing", i+1, line, lines[i-1])
		}
	}
}

// TestCommonListEveryEntryIsFound runs the binary search on every entry
// and on a neighbour of each that is not in the list.
func TestCommonListEveryEntryIsFound(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(commonPasswords, "\n"), "\n")
	set := make(map[string]bool, len(lines))
	for _, l := range lines {
		set[l] = true
	}
	for _, l := range lines {
		if !searchLines(commonPasswords, l) {
			t.Fatalf("searchLines(%q): got false, want true", l)
		}
		if miss := l + "\x7f"; searchLines(commonPasswords, miss) != set[miss] {
			t.Fatalf("searchLines(%q): got true, want false", miss)
		}
	}
}

func TestIsCommon(t *testing.T) {
	cases := []struct {
		name string
		pw   string
		want bool
	}{
		{"the most common password", "123456", true},
		{"ignores case", "QwErTy", true},
		{"spanish entry", "teamo", true},
		{"spanish entry with its accent", "Contraseña", true},
		{"spanish entry with spaces is not the same", "te amo", false},
		{"full-width form of an entry", "ｐａｓｓｗｏｒｄ", true},
		{"a random passphrase", "cafetal neblina tucán 42", false},
		{"one character repeated", "zzzzzzzzzzzz", true},
		{"a unit of three repeated", "xyzxyzxyzx", true},
		{"a unit of four repeated is left to the list", "wxyzwxyzwxyz", false},
		{"an ascending run", "abcdefghijk", true},
		{"a descending run of digits", "9876543210", true},
		{"a run broken once", "abcdefgi", false},
		{"a single character", "q", false},
		{"empty", "", false},
		{"a newline cannot join two entries", "123456\npassword", false},
		{"before the first entry", "\x01", false},
		{"after the last entry", "\x7e\x7e}", false},
		{"over the byte cap", strings.Repeat("a", MaxPasswordBytes+1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsCommon(tc.pw); got != tc.want {
				t.Fatalf("IsCommon(%q): got %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
}

func TestSearchLines(t *testing.T) {
	data := "b\nd\nf\n"
	cases := []struct {
		key  string
		want bool
	}{{"a", false}, {"b", true}, {"c", false}, {"d", true}, {"e", false}, {"f", true},
		{"g", false}, {"", false}, {"bd", false}}
	for _, tc := range cases {
		if got := searchLines(data, tc.key); got != tc.want {
			t.Errorf("searchLines(%q): got %v, want %v", tc.key, got, tc.want)
		}
	}
	if searchLines("", "a") || searchLines("a", "a") {
		t.Error("searchLines on empty or unterminated data: got true, want false")
	}
}

// BenchmarkIsCommon measures one lookup of a password that is not in the
// list, the usual case at sign-up, including NFKC and folding.
func BenchmarkIsCommon(b *testing.B) {
	for b.Loop() {
		IsCommon("Cafetal neblina tucán 42")
	}
}

// BenchmarkIsCommonHit measures a lookup that finds its entry.
func BenchmarkIsCommonHit(b *testing.B) {
	for b.Loop() {
		IsCommon("Password1")
	}
}
