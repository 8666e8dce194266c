package password

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedHashes adds every vector of testdata/, and a few damaged copies of
// each, to f.
func seedHashes(f *testing.F, keep func(string) bool) {
	f.Helper()
	var all []string
	for _, v := range loadVectors(f) {
		all = append(all, v.encoded)
	}
	for _, v := range loadFirebaseVectors(f) {
		if s, err := FirebaseImport(v.hash, v.salt); err == nil {
			all = append(all, s)
		}
	}
	for _, s := range all {
		if !keep(s) {
			continue
		}
		f.Add(s)
		f.Add(s[:len(s)-1])
		f.Add(s + "$")
		f.Add(strings.Replace(s, "1", "01", 1))
		f.Add(strings.Replace(s, "A", "+", 1))
	}
	f.Add("")
	f.Add("$")
}

// checkParsed asserts the properties every parser keeps: on error nothing
// is returned and the error wraps a sentinel; on success the value writes
// back to a string that parses to an equal value and is a fixed point, and
// for strict formats that string is the input itself.
func checkParsed(t *testing.T, input string, h any, err error, strict bool,
	reparse func(string) (storedHash, error)) {
	t.Helper()
	if err != nil {
		if !reflect.ValueOf(h).IsNil() {
			t.Fatalf("got a value %v with error %v, want nil", h, err)
		}
		if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrParamsOutOfRange) &&
			!errors.Is(err, ErrUnknownScheme) && !errors.Is(err, ErrFirebaseNotConfigured) {
			t.Fatalf("got error %v, want one wrapping a sentinel", err)
		}
		return
	}
	sh := h.(storedHash)
	out := sh.String()
	if strict && out != input {
		t.Fatalf("String: got %q, want the input %q", out, input)
	}
	again, err := reparse(out)
	if err != nil || !reflect.DeepEqual(again, sh) || again.String() != out {
		t.Fatalf("reparse of %q: got %v, %v, want an equal value", out, again, err)
	}
	if len(input) > maxEncodedLen && strict {
		t.Fatalf("accepted %d bytes, want at most %d", len(input), maxEncodedLen)
	}
}

func hasPrefix(p ...string) func(string) bool {
	return func(s string) bool {
		for _, x := range p {
			if strings.HasPrefix(s, x) {
				return true
			}
		}
		return false
	}
}

func FuzzParseArgon2(f *testing.F) {
	seedHashes(f, hasPrefix("$argon2"))
	f.Add("$argon2id$v=19$m=64,p=1,t=3$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseArgon2(s)
		checkParsed(t, s, h, err, false, func(s string) (storedHash, error) {
			return parseEncoded(s, nil)
		})
		if err == nil {
			if uint64(h.memoryKiB) > maxMemoryKiB || h.memoryKiB < 8*uint32(h.parallelism) ||
				uint64(h.memoryKiB)*uint64(h.iterations) > maxWorkKiBPasses {
				t.Fatalf("accepted m=%d t=%d p=%d, want within the caps",
					h.memoryKiB, h.iterations, h.parallelism)
			}
		}
	})
}

func FuzzParseBcrypt(f *testing.F) {
	seedHashes(f, hasPrefix("$2"))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseBcrypt(s)
		checkParsed(t, s, h, err, true, func(s string) (storedHash, error) {
			return parseEncoded(s, nil)
		})
		if err == nil && (h.cost < bcryptMinCost || h.cost > bcryptMaxCost) {
			t.Fatalf("accepted cost %d, want %d to %d", h.cost, bcryptMinCost, bcryptMaxCost)
		}
	})
}

func FuzzParseScrypt(f *testing.F) {
	seedHashes(f, hasPrefix("$scrypt$"))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseScrypt(s)
		checkParsed(t, s, h, err, true, func(s string) (storedHash, error) {
			return parseEncoded(s, nil)
		})
		if err == nil && h.memKiB() > maxMemoryKiB {
			t.Fatalf("accepted %d KiB, want at most %d", h.memKiB(), maxMemoryKiB)
		}
	})
}

func FuzzParsePBKDF2(f *testing.F) {
	seedHashes(f, hasPrefix("$pbkdf2-"))
	f.Fuzz(func(t *testing.T, s string) {
		if !hasPrefix("$pbkdf2-sha256$", "$pbkdf2-sha512$")(s) {
			return // parseEncoded routes only these prefixes here
		}
		h, err := parsePBKDF2(s)
		checkParsed(t, s, h, err, true, func(s string) (storedHash, error) {
			return parseEncoded(s, nil)
		})
	})
}

func FuzzParseDjango(f *testing.F) {
	seedHashes(f, hasPrefix("pbkdf2_"))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseDjango(s)
		checkParsed(t, s, h, err, true, func(s string) (storedHash, error) {
			return parseEncoded(s, nil)
		})
	})
}

func FuzzParseFirebase(f *testing.F) {
	seedHashes(f, hasPrefix("$firebase-scrypt$"))
	project := testFirebaseProject()
	f.Add("$firebase-scrypt$AAAAAAAAAAAAAA==$" + zeros(b64Padded, 64))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseFirebase(s, project)
		checkParsed(t, s, h, err, true, func(s string) (storedHash, error) {
			return parseEncoded(s, project)
		})
		if err == nil && len(h.hash) != len(project.SignerKey) {
			t.Fatalf("accepted a %d-byte hash, want %d", len(h.hash), len(project.SignerKey))
		}
	})
}

func FuzzFirebaseImport(f *testing.F) {
	for _, v := range loadFirebaseVectors(f) {
		f.Add(v.hash, v.salt)
	}
	f.Add("-_-_", "")
	f.Fuzz(func(t *testing.T, hash, salt string) {
		out, err := FirebaseImport(hash, salt)
		if err != nil {
			if out != "" {
				t.Fatalf("got %q with error %v, want \"\"", out, err)
			}
			return
		}
		parsed, err := parseFirebase(out, nil)
		if !errors.Is(err, ErrFirebaseNotConfigured) || parsed != nil {
			t.Fatalf("parse of the import %q: got %v, want ErrFirebaseNotConfigured", out, err)
		}
	})
}

// FuzzParseEncoded drives the dispatcher with everything at once.
func FuzzParseEncoded(f *testing.F) {
	seedHashes(f, func(string) bool { return true })
	project := testFirebaseProject()
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseEncoded(s, project)
		if err != nil && h != nil {
			t.Fatalf("got a value %v with error %v, want nil", h, err)
		}
		if err == nil {
			checkParsed(t, s, h, nil, h.scheme() != SchemeArgon2id && h.scheme() != SchemeArgon2i,
				func(s string) (storedHash, error) { return parseEncoded(s, project) })
		}
	})
}

func FuzzParseRange(f *testing.F) {
	a := strings.Repeat("A", suffixLen)
	f.Add([]byte(a + ":10\r\n" + strings.Repeat("0", suffixLen) + ":0"))
	f.Add([]byte(a + ":1\n"))
	f.Add([]byte(a + ":01"))
	f.Add([]byte(""))
	f.Add([]byte("\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		entries, err := parseRange(body)
		if err != nil {
			if entries != nil {
				t.Fatalf("got %d entries with error %v, want nil", len(entries), err)
			}
			return
		}
		again, err := parseRange(formatRange(entries))
		if err != nil || !reflect.DeepEqual(again, entries) {
			t.Fatalf("round trip: got %v, %v, want %v", again, err, entries)
		}
		for _, e := range entries {
			if len(e.suffix) != suffixLen || e.count < 0 {
				t.Fatalf("got entry %+v, want a 35-digit suffix and a count >= 0", e)
			}
		}
	})
}

// FuzzPolicyCheck asserts that Check never panics, reports only known
// codes, and that a password it accepts meets the length rules.
func FuzzPolicyCheck(f *testing.F) {
	f.Add("contraseña", "juan.perez@x.co", "Juan Pérez")
	f.Add("ｐａｓｓｗｏｒｄ", "", "")
	f.Add("\xff", "@", "a b c")
	f.Fuzz(func(t *testing.T, pw, email, name string) {
		p := DefaultPolicy()
		got := p.Check(pw, Context{Email: email, Name: name})
		for _, v := range got {
			if _, ok := messages[v.Code]; !ok {
				t.Fatalf("got unknown code %q", v.Code)
			}
		}
		if len(got) == 0 {
			n := utf8.RuneCountInString(Normalize(pw))
			if n < p.MinLength || n > p.MaxLength || IsCommon(pw) {
				t.Fatalf("accepted %q (%d code points), want rejected", pw, n)
			}
		}
	})
}
