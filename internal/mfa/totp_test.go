package mfa

import (
	"bufio"
	"crypto/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// rfcSeed is the seed of the RFC 4226 and RFC 6238 test vectors.
var rfcSeed = []byte("12345678901234567890")

// readVectors reads a whitespace-separated vector file from testdata,
// skipping comments.
func readVectors(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Fields(line))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no vectors in %s", name)
	}
	return out
}

func TestHOTPVectors(t *testing.T) {
	for _, v := range readVectors(t, "rfc4226_hotp.txt") {
		counter, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := hotp(rfcSeed, counter, 6); got != v[1] {
			t.Errorf("counter %d: got %s, want %s", counter, got, v[1])
		}
	}
}

func TestTOTPVectors(t *testing.T) {
	for _, v := range readVectors(t, "rfc6238_sha1.txt") {
		unix, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		wantStep, err := strconv.ParseUint(v[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		step := timeStep(time.Unix(unix, 0))
		if step != wantStep {
			t.Errorf("time %d: got step %X, want %X", unix, step, wantStep)
		}
		if got := totpAt(rfcSeed, step, 8); got != v[2] {
			t.Errorf("time %d: got %s, want %s", unix, got, v[2])
		}
	}
}

func TestTimeStepBeforeEpoch(t *testing.T) {
	if got := timeStep(time.Unix(-100, 0)); got != 0 {
		t.Errorf("got step %d, want 0", got)
	}
}

// TestInteropGenerate checks our codes against an independent
// implementation, github.com/pquerna/otp, for random seeds and times.
func TestInteropGenerate(t *testing.T) {
	times := []time.Time{
		time.Unix(0, 0), time.Unix(29, 0), time.Unix(30, 0),
		time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 3, 15, 0, 29, 999, time.UTC),
		time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC),
		time.Date(2100, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	for range 20 {
		seed := make([]byte, seedBytes)
		rand.Read(seed)
		secret := seedEncoding.EncodeToString(seed)
		for _, at := range times {
			want, err := totp.GenerateCode(secret, at)
			if err != nil {
				t.Fatal(err)
			}
			if got := totpAt(seed, timeStep(at), TOTPDigits); got != want {
				t.Errorf("seed %s at %s: got %s, want %s", secret, at, got, want)
			}
		}
	}
}

func TestMatchStep(t *testing.T) {
	const now = 1000
	code := func(step uint64) string { return totpAt(rfcSeed, step, TOTPDigits) }
	wrong := "000000"
	for n := 0; wrong == code(now-1) || wrong == code(now) || wrong == code(now+1); n++ {
		wrong = strconv.Itoa(100000 + n)
	}
	tests := []struct {
		name             string
		code             string
		lastUsed         uint64
		wantStep         uint64
		wantOK, wantRepl bool
	}{
		{"accepts the current step", code(now), 0, now, true, false},
		{"accepts one step behind", code(now - 1), 0, now - 1, true, false},
		{"accepts one step ahead", code(now + 1), 0, now + 1, true, false},
		{"refuses two steps behind", code(now - 2), 0, 0, false, false},
		{"refuses two steps ahead", code(now + 2), 0, 0, false, false},
		{"refuses the last used step", code(now), now, 0, false, true},
		{"refuses a step before the last used", code(now - 1), now, 0, false, true},
		{"accepts a step after the last used", code(now + 1), now, now + 1, true, false},
		{"refuses a wrong code", wrong, 0, 0, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, ok, replay := matchStep(rfcSeed, tc.code, now, tc.lastUsed)
			if ok != tc.wantOK || replay != tc.wantRepl || ok && step != tc.wantStep {
				t.Errorf("got (%d, %v, %v), want (%d, %v, %v)", step, ok, replay,
					tc.wantStep, tc.wantOK, tc.wantRepl)
			}
		})
	}
}

func TestMatchStepAtZero(t *testing.T) {
	// Step 0 has no step before it; the window must not wrap around.
	if _, ok, _ := matchStep(rfcSeed, totpAt(rfcSeed, 0, TOTPDigits), 0, 0); ok {
		t.Error("accepted a code for step 0, which is never after the last used step 0")
	}
	if _, ok, _ := matchStep(rfcSeed, totpAt(rfcSeed, 1, TOTPDigits), 0, 0); !ok {
		t.Error("refused the code of step 1 at step 0")
	}
}

func TestKeyURI(t *testing.T) {
	seed := make([]byte, seedBytes)
	rand.Read(seed)
	secret := seedEncoding.EncodeToString(seed)
	tests := []struct{ issuer, account string }{
		{"Cerrojo", "ana@ejemplo.co"},
		{"Mercado Ejemplo", "ana+compras@ejemplo.co"},
		{"Tienda & Co", "José Pérez"},
		{"100% Café", "a/b?c=d#e"},
	}
	for _, tc := range tests {
		t.Run(tc.issuer, func(t *testing.T) {
			uri := keyURI(tc.issuer, tc.account, secret)
			if !strings.HasPrefix(uri, "otpauth://totp/") || strings.ContainsAny(uri, " #") {
				t.Errorf("got %q, want an otpauth URI without raw spaces or fragments", uri)
			}
			k, err := otp.NewKeyFromURL(uri)
			if err != nil {
				t.Fatalf("parse %q: %v", uri, err)
			}
			checks := []struct{ what, got, want string }{
				{"type", k.Type(), "totp"},
				{"issuer", k.Issuer(), tc.issuer},
				{"account", k.AccountName(), tc.account},
				{"secret", k.Secret(), secret},
				{"algorithm", k.Algorithm().String(), "SHA1"},
				{"digits", k.Digits().String(), "6"},
				{"period", strconv.FormatUint(k.Period(), 10), "30"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestCheckLabel(t *testing.T) {
	tests := []struct {
		name, label string
		ok          bool
	}{
		{"accepts an email", "ana@ejemplo.co", true},
		{"accepts accents and spaces inside", "José Pérez", true},
		{"accepts the longest label", strings.Repeat("a", maxAccountBytes), true},
		{"refuses a label past the bound", strings.Repeat("a", maxAccountBytes+1), false},
		{"refuses an empty label", "", false},
		{"refuses a colon", "a:b", false},
		{"refuses a newline", "a\nb", false},
		{"refuses invalid UTF-8", "a\xffb", false},
		{"refuses a leading space", " ana", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkLabel("account", tc.label, maxAccountBytes)
			if (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
