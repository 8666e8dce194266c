package password

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// newTestHasher builds a Hasher or fails the test.
func newTestHasher(tb testing.TB, cfg Config) *Hasher {
	tb.Helper()
	h, err := NewHasher(cfg)
	if err != nil {
		tb.Fatalf("NewHasher: got error %v, want nil", err)
	}
	return h
}

// cheapParams pass Validate at OWASP's lowest-memory row, to keep tests
// that hash many times quick.
var cheapParams = Params{MemoryKiB: 7168, Iterations: 5, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestHashWritesPHCWithCurrentParams(t *testing.T) {
	salt := bytes.Repeat([]byte{0xa5}, 16)
	h := newTestHasher(t, Config{Params: cheapParams, Rand: bytes.NewReader(
		append(make([]byte, 48), salt...))}) // the dummy hash reads 48 bytes first

	got, err := h.Hash(context.Background(), "contraseña segura")
	if err != nil {
		t.Fatalf("Hash: got error %v, want nil", err)
	}

	key := argon2.IDKey([]byte("contraseña segura"), salt, 5, 7168, 1, 32)
	want := "$argon2id$v=19$m=7168,t=5,p=1$paWlpaWlpaWlpaWlpaWlpQ$" +
		b64Raw.EncodeToString(key)
	if got != want {
		t.Fatalf("Hash: got %q, want %q", got, want)
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	ctx := context.Background()
	cases := []struct {
		name, hashed, tried string
		wantOK              bool
	}{
		{"same ascii password verifies", "correct horse", "correct horse", true},
		{"same spanish password verifies", "contraseña ñandú", "contraseña ñandú", true},
		{"decomposed n tilde verifies against composed", "año", "an\u0303o", true},
		{"full-width letters verify against ascii", "ｐａｓｓｗｏｒｄ", "password", true},
		{"case differs and does not verify", "Password", "password", false},
		{"trailing space is significant", "password ", "password", false},
		{"empty password hashes and verifies", "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			encoded, err := h.Hash(ctx, tc.hashed)
			if err != nil {
				t.Fatalf("Hash: got error %v, want nil", err)
			}
			ok, rehash, err := h.Verify(ctx, tc.tried, encoded)
			if err != nil || ok != tc.wantOK || rehash {
				t.Fatalf("Verify: got %v, %v, %v, want %v, false, nil", ok, rehash, err, tc.wantOK)
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	a, err1 := h.Hash(context.Background(), "password")
	b, err2 := h.Hash(context.Background(), "password")
	if err1 != nil || err2 != nil || a == b {
		t.Fatalf("two hashes of one password: got %q and %q (%v, %v), want different",
			a, b, err1, err2)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, Config{Params: cheapParams})
	salt := bytes.Repeat([]byte{7}, 16)
	phc := func(variant string, m, t, p uint32, salt []byte, keyLen uint32) string {
		k := argon2.IDKey([]byte("password"), salt, t, m, uint8(p), keyLen)
		if variant == "argon2i" {
			k = argon2.Key([]byte("password"), salt, t, m, uint8(p), keyLen)
		}
		return fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, m, t, p,
			b64Raw.EncodeToString(salt), b64Raw.EncodeToString(k))
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	current, err := h.Hash(ctx, "password")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, pw, encoded string
		want              bool
	}{
		{"current argon2id needs none", "password", current, false},
		{"same params written by hand need none", "password",
			phc("argon2id", 7168, 5, 1, salt, 32), false},
		{"other memory needs one", "password", phc("argon2id", 8192, 5, 1, salt, 32), true},
		{"other iterations need one", "password", phc("argon2id", 7168, 4, 1, salt, 32), true},
		{"other lanes need one", "password", phc("argon2id", 7168, 5, 2, salt, 32), true},
		{"other salt length needs one", "password",
			phc("argon2id", 7168, 5, 1, salt[:12], 32), true},
		{"other key length needs one", "password", phc("argon2id", 7168, 5, 1, salt, 16), true},
		{"argon2i needs one", "password", phc("argon2i", 7168, 5, 1, salt, 32), true},
		{"bcrypt needs one", "password", string(bc), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tc.pw, tc.encoded)
			if err != nil || !ok || rehash != tc.want {
				t.Fatalf("Verify: got %v, %v, %v, want true, %v, nil", ok, rehash, err, tc.want)
			}
		})
	}
}

// TestVerifyRawFallbackAsksForRehash covers a hash made elsewhere over
// bytes that NFKC changes: it verifies only as typed, and asks to be
// replaced by a hash of the normalised form.
func TestVerifyRawFallbackAsksForRehash(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	raw := "ｐａｓｓ"
	salt := bytes.Repeat([]byte{3}, 16)
	key := argon2.IDKey([]byte(raw), salt, 5, 7168, 1, 32)
	encoded := "$argon2id$v=19$m=7168,t=5,p=1$" + b64Raw.EncodeToString(salt) + "$" +
		b64Raw.EncodeToString(key)

	ok, rehash, err := h.Verify(context.Background(), raw, encoded)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify as typed: got %v, %v, %v, want true, true, nil", ok, rehash, err)
	}
	ok, _, err = h.Verify(context.Background(), "pass", encoded)
	if err != nil || ok {
		t.Fatalf("Verify of the NFKC form: got %v, %v, want false, nil", ok, err)
	}
}

func TestVerifyRejects(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	good, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(good, "$") // "", argon2id, v=19, params, salt, tag

	cases := []struct {
		name, pw, encoded string
		want              error
	}{
		{"tag truncated to 6 bytes", "password", strings.Join(fields[:5], "$") + "$" +
			fields[5][:8], ErrParamsOutOfRange},
		{"tag truncated mid-character", "password", good[:len(good)-2], ErrMalformedHash},
		{"tag cut to nothing", "password", strings.Join(fields[:5], "$") + "$",
			ErrMalformedHash},
		{"missing tag field", "password", strings.Join(fields[:5], "$"), ErrMalformedHash},
		{"extra field", "password", good + "$AAAA", ErrMalformedHash},
		{"bad base64 in salt", "password",
			strings.Replace(good, fields[4], "!!"+fields[4][2:], 1), ErrMalformedHash},
		{"padded base64", "password", good + "==", ErrMalformedHash},
		{"memory over the cap", "password",
			strings.Replace(good, "m=7168", "m=1048577", 1), ErrParamsOutOfRange},
		{"4 TiB asked for", "password",
			strings.Replace(good, "m=7168", "m=4294967295", 1), ErrParamsOutOfRange},
		{"unknown algorithm", "password", "$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$AAAA",
			ErrUnknownScheme},
		{"md5 crypt", "password", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", ErrUnknownScheme},
		{"plain text", "password", "password", ErrUnknownScheme},
		{"empty hash", "password", "", ErrUnknownScheme},
		{"hash over the length cap", "password", good + strings.Repeat("A", maxEncodedLen),
			ErrMalformedHash},
		{"firebase without a project", "password",
			"$firebase-scrypt$QUFBQUFBQUFBQQ==$" + b64Padded.EncodeToString(make([]byte, 64)),
			ErrFirebaseNotConfigured},
		{"password over the cap", strings.Repeat("a", MaxPasswordBytes+1), good,
			ErrPasswordTooLong},
		{"password over the cap after NFKC", strings.Repeat("\ufdfa", MaxPasswordBytes/3),
			good, ErrPasswordTooLong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tc.pw, tc.encoded)
			if !errors.Is(err, tc.want) || ok || rehash {
				t.Fatalf("Verify: got %v, %v, %v, want false, false, %v", ok, rehash, err, tc.want)
			}
		})
	}
}

func TestVerifyWrongPasswordIsNotAnError(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	encoded, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := h.Verify(context.Background(), "passwore", encoded)
	if ok || rehash || err != nil {
		t.Fatalf("Verify: got %v, %v, %v, want false, false, nil", ok, rehash, err)
	}
}

func TestHashRejectsLongPassword(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	_, err := h.Hash(context.Background(), strings.Repeat("a", MaxPasswordBytes+1))
	if !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("Hash: got error %v, want ErrPasswordTooLong", err)
	}
	if _, err := h.Hash(context.Background(), strings.Repeat("a", MaxPasswordBytes)); err != nil {
		t.Fatalf("Hash at the cap: got error %v, want nil", err)
	}
}

func TestHashFailsWhenRandomFails(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams, Rand: bytes.NewReader(make([]byte, 48))})
	if _, err := h.Hash(context.Background(), "password"); err == nil {
		t.Fatal("Hash with an exhausted random source: got nil error, want one")
	}
}

func TestDummyVerify(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	if err := h.DummyVerify(context.Background(), "anything"); err != nil {
		t.Fatalf("DummyVerify: got error %v, want nil", err)
	}
	if !h.dummy.matches(h.Params()) {
		t.Fatalf("dummy hash %v: want Argon2id with the current params", h.dummy)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.DummyVerify(ctx, "anything"); !errors.Is(err, context.Canceled) {
		t.Fatalf("DummyVerify with a cancelled context: got %v, want context.Canceled", err)
	}
}

func TestIdentify(t *testing.T) {
	h := newTestHasher(t, Config{})
	if _, err := h.Identify("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ"); err == nil {
		t.Fatal("Identify of a hash without tag: got nil error, want one")
	}
	s, err := h.Identify("$2b$04$aX5EH4iUeFE8/SgWMEFO5OBfYz7eeQ5Waj1aueEG7KeSiVOr3eLgC")
	if err != nil || s != SchemeBcrypt {
		t.Fatalf("Identify: got %q, %v, want bcrypt, nil", s, err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []struct {
		name string
		cfg  Config
	}{
		{"negative concurrency", Config{MaxConcurrent: -1}},
		{"concurrency over the cap", Config{MaxConcurrent: maxConcurrentKDF + 1}},
		{"params below OWASP", Config{Params: Params{MemoryKiB: 4096, Iterations: 3,
			Parallelism: 1, SaltLen: 16, KeyLen: 32}}},
		{"invalid firebase project", Config{Firebase: &FirebaseProject{Rounds: 8, MemCost: 14}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate: got %v, want ErrInvalidConfig", err)
			}
			if _, err := NewHasher(tc.cfg); err == nil {
				t.Fatal("NewHasher: got nil error, want one")
			}
		})
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: got %v, want nil", err)
	}
	if err := (Config{MaxConcurrent: maxConcurrentKDF}).Validate(); err != nil {
		t.Fatalf("concurrency at the cap: got %v, want nil", err)
	}
}

func TestHashWithDoneContextHashesNothing(t *testing.T) {
	h := newTestHasher(t, Config{Params: cheapParams})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := h.Hash(ctx, "password")
	if !errors.Is(err, context.Canceled) || got != "" {
		t.Fatalf("Hash: got %q, %v, want \"\", context.Canceled", got, err)
	}
}
