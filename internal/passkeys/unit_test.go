package passkeys

import (
	"errors"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/audit/audittest"
	"github.com/cerrojo/cerrojo/internal/storage"
)

func TestOptionsValidate(t *testing.T) {
	db := &storage.DB{}
	rec := &audittest.Recorder{}
	good := Options{DB: db, Audit: rec, RPID: testRPID, RPDisplayName: "Ejemplo",
		Origins: []string{testOrigin, "https://tienda.cuenta.ejemplo.co:8443"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	local := Options{DB: db, Audit: rec, RPID: "localhost", RPDisplayName: "Dev",
		Origins: []string{"http://localhost:8080"}}
	if err := local.Validate(); err != nil {
		t.Errorf("localhost options: %v", err)
	}

	origins := func(o ...string) func(*Options) { return func(opt *Options) { opt.Origins = o } }
	for _, tc := range []struct {
		name  string
		edit  func(*Options)
		field string
	}{
		{"requires a database", func(o *Options) { o.DB = nil }, "DB"},
		{"requires an audit log", func(o *Options) { o.Audit = nil }, "Audit"},
		{"requires a display name", func(o *Options) { o.RPDisplayName = "" }, "RPDisplayName"},
		{"requires an RP ID", func(o *Options) { o.RPID = "" }, "RPID"},
		{"refuses an RP ID with a scheme", func(o *Options) { o.RPID = testOrigin }, "RPID"},
		{"refuses an upper-case RP ID", func(o *Options) { o.RPID = "Cuenta.Ejemplo.co" }, "RPID"},
		{"requires origins", origins(), "Origins"},
		{"refuses http off localhost", origins("http://cuenta.ejemplo.co"), "Origins"},
		{"refuses an origin with a path", origins(testOrigin + "/"), "Origins"},
		{"refuses an origin on another domain", origins("https://evil.example"), "Origins"},
		{"refuses an origin that only ends like the RP ID",
			origins("https://xcuenta.ejemplo.co"), "Origins"},
		{"refuses an origin on the parent domain", origins("https://ejemplo.co"), "Origins"},
		{"refuses an origin with credentials",
			origins("https://u:p@cuenta.ejemplo.co"), "Origins"},
		{"refuses one bad origin among good ones",
			origins(testOrigin, "https://evil.example"), "Origins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.edit(&o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("got %v, want an error naming %s", err, tc.field)
			}
			if _, err := New(o); err == nil {
				t.Errorf("New accepted options that Validate refuses")
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	str := func(n int) string { return `"` + strings.Repeat("a", n) + `"` }
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"accepts an object", `{"a":1,"b":[true,null,"x"],"c":{"a":2}}`, true},
		{"accepts the same name in different objects", `{"a":{"a":1},"b":{"a":2}}`, true},
		{"accepts the deepest nesting allowed", nest(maxJSONDepth), true},
		{"refuses one level deeper", nest(maxJSONDepth + 1), false},
		{"accepts the largest response allowed", str(MaxResponseBytes - 2), true},
		{"refuses one byte more", str(MaxResponseBytes - 1), false},
		{"refuses empty input", ``, false},
		{"refuses a duplicate name", `{"a":1,"a":1}`, false},
		{"refuses a duplicate name spelled with an escape", `{"a":1,"\u0061":1}`, false},
		{"refuses names equal but for case", `{"rawId":1,"RAWID":1}`, false},
		{"refuses names equal under Unicode folding", `{"k":1,"\u212a":1}`, false},
		{"refuses trailing data", `{} {}`, false},
		{"refuses trailing garbage", `{}x`, false},
		{"refuses invalid UTF-8", "\"\xff\"", false},
		{"refuses a truncated object", `{"a":`, false},
		{"refuses an unclosed array", `[1,2`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkJSON([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	longest := strings.Repeat("ñ", MaxNameRunes)
	for _, tc := range []struct {
		name, in, want string
		err            error
	}{
		{"trims space", "  Llave  ", "Llave", nil},
		{"names an unnamed passkey", " ", defaultName, nil},
		{"accepts the longest name", longest, longest, nil},
		{"refuses one character more", longest + "n", "", ErrInvalidName},
		{"refuses control characters", "a\nb", "", ErrInvalidName},
		{"refuses bidirectional overrides", "a\u202eb", "", ErrInvalidName},
		{"refuses zero-width joiners", "a\u200db", "", ErrInvalidName},
		{"refuses invalid UTF-8", "a\xffb", "", ErrInvalidName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cleanName(tc.in)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestCleanTransports(t *testing.T) {
	many := make([]string, 0, maxTransports+1)
	for i := range maxTransports + 1 {
		many = append(many, "t"+strings.Repeat("x", i))
	}
	for _, tc := range []struct {
		name string
		in   []string
		want int
	}{
		{"keeps known hints", []string{"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}, 6},
		{"drops duplicates", []string{"usb", "usb"}, 1},
		{"drops odd characters", []string{"USB", "u b", "", "usb\n"}, 0},
		{"keeps the longest hint", []string{strings.Repeat("a", maxTransportBytes)}, 1},
		{"drops one byte longer", []string{strings.Repeat("a", maxTransportBytes+1)}, 0},
		{"keeps at most the cap", many, maxTransports},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cleanTransports(tc.in)
			if len(got) != tc.want || got == nil {
				t.Errorf("got %q, want %d hints", got, tc.want)
			}
		})
	}
}

func TestAuditText(t *testing.T) {
	got := auditText("Error for ana@ejemplo.co\n" + strings.Repeat("x", 200))
	if strings.ContainsAny(got, "@\n") || len(got) != 120 {
		t.Errorf("got %q", got)
	}
}
