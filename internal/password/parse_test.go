package password

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// parseCase is one stored-hash string and the sentinel its parse must wrap
// (nil for success).
type parseCase struct {
	name    string
	encoded string
	want    error
}

// runParseCases parses each case with parseEncoded and checks the outcome:
// success gives a value that writes back canonically, failure gives nil.
func runParseCases(t *testing.T, fb *FirebaseProject, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseEncoded(tc.encoded, fb)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("parse: got error %v, want nil", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("parse: got error %v, want %v", err, tc.want)
			case err != nil && h != nil:
				t.Fatalf("parse: got a value %v with error %v, want nil", h, err)
			case err == nil:
				checkCanonical(t, tc.encoded, h)
			}
		})
	}
}

// zeros encodes n zero bytes with enc.
func zeros(enc interface{ EncodeToString([]byte) string }, n int) string {
	return enc.EncodeToString(make([]byte, n))
}

// a2 builds an Argon2 string with zero salt and tag of the given lengths.
func a2(variant, version, params string, salt, key int) string {
	return fmt.Sprintf("$%s$%s$%s$%s$%s", variant, version, params,
		zeros(b64Raw, salt), zeros(b64Raw, key))
}

func TestParseArgon2(t *testing.T) {
	id := func(params string) string { return a2("argon2id", "v=19", params, 16, 32) }
	runParseCases(t, nil, []parseCase{
		{"accepts the smallest memory per lane", id("m=8,t=1,p=1"), nil},
		{"accepts memory at the 1 GiB cap with the most passes", id("m=1048576,t=4,p=1"), nil},
		{"accepts iterations at the cap", id("m=65536,t=64,p=1"), nil},
		{"accepts lanes at the cap", id("m=128,t=1,p=16"), nil},
		{"accepts argon2i", a2("argon2i", "v=19", "m=64,t=3,p=1", 16, 32), nil},
		{"accepts node-argon2's m,p,t order", id("m=64,p=1,t=3"), nil},
		{"accepts salt and tag at their bounds", a2("argon2id", "v=19", "m=8,t=1,p=1", 8, 16), nil},
		{"accepts salt and tag at their caps", a2("argon2id", "v=19", "m=8,t=1,p=1", 64, 64), nil},

		{"rejects memory under 8 KiB per lane", id("m=15,t=1,p=2"), ErrParamsOutOfRange},
		{"rejects memory just over the cap", id("m=1048577,t=1,p=1"), ErrParamsOutOfRange},
		{"rejects memory times passes over the cap", id("m=1048576,t=5,p=1"),
			ErrParamsOutOfRange},
		{"rejects zero iterations", id("m=64,t=0,p=1"), ErrParamsOutOfRange},
		{"rejects iterations just over the cap", id("m=64,t=65,p=1"), ErrParamsOutOfRange},
		{"rejects zero lanes", id("m=64,t=1,p=0"), ErrParamsOutOfRange},
		{"rejects lanes just over the cap", id("m=256,t=1,p=17"), ErrParamsOutOfRange},
		{"rejects a salt under 8 bytes", a2("argon2id", "v=19", "m=8,t=1,p=1", 7, 32),
			ErrParamsOutOfRange},
		{"rejects a salt over 64 bytes", a2("argon2id", "v=19", "m=8,t=1,p=1", 65, 32),
			ErrParamsOutOfRange},
		{"rejects a tag under 16 bytes", a2("argon2id", "v=19", "m=8,t=1,p=1", 16, 15),
			ErrParamsOutOfRange},
		{"rejects a tag over 64 bytes", a2("argon2id", "v=19", "m=8,t=1,p=1", 16, 65),
			ErrParamsOutOfRange},
		{"rejects version 16", a2("argon2id", "v=16", "m=8,t=1,p=1", 16, 32),
			ErrParamsOutOfRange},
		{"rejects a version with a leading zero", a2("argon2id", "v=019", "m=8,t=1,p=1", 16, 32),
			ErrMalformedHash},
		{"rejects a missing version", "$argon2id$m=8,t=1,p=1$" + zeros(b64Raw, 16) + "$" +
			zeros(b64Raw, 32), ErrMalformedHash},
		{"rejects a parameter with a leading zero", id("m=08,t=1,p=1"), ErrMalformedHash},
		{"rejects a signed parameter", id("m=+8,t=1,p=1"), ErrMalformedHash},
		{"rejects a missing parameter", id("m=8,t=1"), ErrMalformedHash},
		{"rejects an extra parameter", id("m=8,t=1,p=1,keyid=AA"), ErrMalformedHash},
		{"rejects a parameter given twice", id("m=8,t=1,m=8"), ErrMalformedHash},
		{"rejects an unknown parameter", id("m=8,t=1,q=1"), ErrMalformedHash},
		{"rejects a parameter without a value", id("m=8,t=1,p"), ErrMalformedHash},
		{"rejects a space", id("m=8, t=1,p=1"), ErrMalformedHash},
		{"rejects padding", id("m=8,t=1,p=1") + "=", ErrMalformedHash},
		{"rejects a line break inside base64", strings.Replace(id("m=8,t=1,p=1"),
			"$AAAA", "$AA\nAA", 1), ErrMalformedHash},
		{"rejects non-zero padding bits", a2("argon2id", "v=19", "m=8,t=1,p=1", 16, 32)[:60] +
			"B", ErrMalformedHash},
		{"rejects a trailing empty field", id("m=8,t=1,p=1") + "$", ErrMalformedHash},
		{"rejects argon2d", a2("argon2d", "v=19", "m=8,t=1,p=1", 16, 32), ErrUnknownScheme},
	})
}

func TestParseBcrypt(t *testing.T) {
	salt, hash := strings.Repeat(".", 22), strings.Repeat(".", 31)
	bc := func(prefix string) string { return prefix + salt + hash }
	runParseCases(t, nil, []parseCase{
		{"accepts 2a", bc("$2a$04$"), nil},
		{"accepts 2b at the cost cap", bc("$2b$16$"), nil},
		{"accepts 2y", bc("$2y$10$"), nil},
		{"rejects cost under 4", bc("$2b$03$"), ErrParamsOutOfRange},
		{"rejects cost just over the cap", bc("$2b$17$"), ErrParamsOutOfRange},
		{"rejects cost 31", bc("$2b$31$"), ErrParamsOutOfRange},
		{"rejects a one-digit cost", bc("$2b$4$"), ErrMalformedHash},
		{"rejects a non-digit cost", bc("$2b$1a$"), ErrMalformedHash},
		{"rejects 2x", bc("$2x$10$"), ErrUnknownScheme},
		{"rejects 2c", bc("$2c$10$"), ErrUnknownScheme},
		{"rejects the original 2", "$2$10$" + salt + hash, ErrUnknownScheme},
		{"rejects one character short", bc("$2b$10$")[:59], ErrMalformedHash},
		{"rejects one character long", bc("$2b$10$") + ".", ErrMalformedHash},
		{"rejects a missing separator", "$2b$10." + salt + hash, ErrMalformedHash},
		{"rejects non-zero spare bits in the salt", "$2b$10$" + salt[:21] + "/" + hash,
			ErrMalformedHash},
		{"rejects non-zero spare bits in the hash", "$2b$10$" + salt + hash[:30] + "/",
			ErrMalformedHash},
		{"rejects a character outside the alphabet", "$2b$10$" + salt[:5] + "+" + salt[6:] +
			hash, ErrMalformedHash},
	})
}

func TestParseScrypt(t *testing.T) {
	sc := func(params string, salt, key int) string {
		return "$scrypt$" + params + "$" + zeros(b64Raw, salt) + "$" + zeros(b64Raw, key)
	}
	runParseCases(t, nil, []parseCase{
		{"accepts passlib's default", sc("ln=16,r=8,p=1", 16, 32), nil},
		{"accepts memory at the cap", sc("ln=20,r=8,p=1", 16, 32), nil},
		{"accepts work at the cap", sc("ln=20,r=8,p=4", 16, 32), nil},
		{"accepts the smallest N", sc("ln=1,r=1,p=1", 8, 16), nil},
		{"rejects ln 0", sc("ln=0,r=8,p=1", 16, 32), ErrParamsOutOfRange},
		{"rejects ln just over the cap", sc("ln=21,r=1,p=1", 16, 32), ErrParamsOutOfRange},
		{"rejects r 0", sc("ln=10,r=0,p=1", 16, 32), ErrParamsOutOfRange},
		{"rejects r just over the cap", sc("ln=10,r=33,p=1", 16, 32), ErrParamsOutOfRange},
		{"rejects p 0", sc("ln=10,r=8,p=0", 16, 32), ErrParamsOutOfRange},
		{"rejects p just over the cap", sc("ln=10,r=8,p=17", 16, 32), ErrParamsOutOfRange},
		{"rejects memory just over the cap", sc("ln=20,r=9,p=1", 16, 32), ErrParamsOutOfRange},
		{"rejects work just over the cap", sc("ln=20,r=8,p=5", 16, 32), ErrParamsOutOfRange},
		{"rejects another parameter order", sc("r=8,ln=10,p=1", 16, 32), ErrMalformedHash},
		{"rejects a missing parameter", sc("ln=10,r=8", 16, 32), ErrMalformedHash},
		{"rejects a short salt", sc("ln=10,r=8,p=1", 7, 32), ErrParamsOutOfRange},
		{"rejects a short hash", sc("ln=10,r=8,p=1", 16, 15), ErrParamsOutOfRange},
		{"rejects the $7$ form", "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9Y" +
			"xRrhvMkOGcEFRaE", ErrUnknownScheme},
	})
}

func TestParsePBKDF2(t *testing.T) {
	pb := func(prefix, rounds string, salt, key int) string {
		return prefix + rounds + "$" + zeros(ab64, salt) + "$" + zeros(ab64, key)
	}
	const s256, s512 = "$pbkdf2-sha256$", "$pbkdf2-sha512$"
	runParseCases(t, nil, []parseCase{
		{"accepts sha256", pb(s256, "29000", 16, 32), nil},
		{"accepts sha512", pb(s512, "25000", 16, 64), nil},
		{"accepts one round", pb(s256, "1", 8, 32), nil},
		{"accepts rounds at the cap", pb(s256, "10000000", 64, 32), nil},
		{"accepts a dot from ab64", s256 + "1000$" + "AAAAAAAAAAAAAAAAAAAA.A$" +
			zeros(ab64, 32), nil},
		{"rejects a plus, which passlib never writes", s256 + "1000$" +
			"AAAAAAAAAAAAAAAAAAAA+A$" + zeros(ab64, 32), ErrMalformedHash},
		{"rejects zero rounds", pb(s256, "0", 16, 32), ErrParamsOutOfRange},
		{"rejects rounds just over the cap", pb(s256, "10000001", 16, 32), ErrParamsOutOfRange},
		{"rejects rounds with a leading zero", pb(s256, "01000", 16, 32), ErrMalformedHash},
		{"rejects the PHC i= form", pb(s256, "i=1000", 16, 32), ErrMalformedHash},
		{"rejects a sha256 hash of 31 bytes", pb(s256, "1000", 16, 31), ErrParamsOutOfRange},
		{"rejects a sha256 hash of 33 bytes", pb(s256, "1000", 16, 33), ErrParamsOutOfRange},
		{"rejects a sha512 hash of 32 bytes", pb(s512, "1000", 16, 32), ErrParamsOutOfRange},
		{"rejects a short salt", pb(s256, "1000", 7, 32), ErrParamsOutOfRange},
		{"rejects a long salt", pb(s256, "1000", 65, 32), ErrParamsOutOfRange},
		{"rejects padding", pb(s256, "1000", 16, 32) + "=", ErrMalformedHash},
		{"rejects passlib's sha1 form", pb("$pbkdf2$", "1000", 16, 20), ErrUnknownScheme},
	})
}

func TestParseDjango(t *testing.T) {
	dj := func(iter, salt string, key int) string {
		return "pbkdf2_sha256$" + iter + "$" + salt + "$" + zeros(b64Padded, key)
	}
	runParseCases(t, nil, []parseCase{
		{"accepts django's form", dj("260000", "P7nbvT3DbulJL7fJafIsXj", 32), nil},
		{"accepts a salt at the cap", dj("1", strings.Repeat("a", djangoMaxSalt), 32), nil},
		{"rejects a salt under 8 characters", dj("1000", "abcdefg", 32), ErrParamsOutOfRange},
		{"rejects a salt over the cap", dj("1000", strings.Repeat("a", djangoMaxSalt+1), 32),
			ErrParamsOutOfRange},
		{"rejects a salt with a dash", dj("1000", "abcd-efgh", 32), ErrMalformedHash},
		{"rejects a salt with non-ascii letters", dj("1000", "contraseña", 32),
			ErrMalformedHash},
		{"rejects an unpadded hash", "pbkdf2_sha256$1000$abcdefgh$" + zeros(b64Raw, 32),
			ErrMalformedHash},
		{"rejects a 31-byte hash", dj("1000", "abcdefgh", 31), ErrParamsOutOfRange},
		{"rejects zero iterations", dj("0", "abcdefgh", 32), ErrParamsOutOfRange},
		{"rejects an extra field", dj("1000", "abcdefgh", 32) + "$x", ErrMalformedHash},
		{"rejects django's sha1 form", "pbkdf2_sha1$1000$abcdefgh$" + zeros(b64Padded, 20),
			ErrUnknownScheme},
	})
}

// testFirebaseProject is a valid project with a 64-byte signer key.
func testFirebaseProject() *FirebaseProject {
	return &FirebaseProject{SignerKey: make([]byte, 64), SaltSeparator: []byte{7},
		Rounds: 8, MemCost: 14}
}

func TestParseFirebase(t *testing.T) {
	fb := func(salt, hash string) string { return "$firebase-scrypt$" + salt + "$" + hash }
	salt10, hash64 := zeros(b64Padded, 10), zeros(b64Padded, 64)
	project := testFirebaseProject()
	runParseCases(t, project, []parseCase{
		{"accepts an imported hash", fb(salt10, hash64), nil},
		{"rejects a hash not as long as the signer key", fb(salt10, zeros(b64Padded, 63)),
			ErrParamsOutOfRange},
		{"rejects a short salt", fb(zeros(b64Padded, 7), hash64), ErrParamsOutOfRange},
		{"rejects unpadded base64", fb(zeros(b64Raw, 10), hash64), ErrMalformedHash},
		{"rejects url-safe base64", fb("-_-_-_-_-_-_-w==", hash64), ErrMalformedHash},
		{"rejects a missing hash", "$firebase-scrypt$" + salt10, ErrMalformedHash},
	})
	runParseCases(t, nil, []parseCase{
		{"rejects without a project", fb(salt10, hash64), ErrFirebaseNotConfigured},
		{"checks the format before the project", fb("!", hash64), ErrMalformedHash},
	})
}

func TestFirebaseImport(t *testing.T) {
	raw := []byte{0xfb, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7}
	std := b64Padded.EncodeToString(raw)
	hash := make([]byte, 64)
	hash[0] = 0xfb
	want := "$firebase-scrypt$" + std + "$" + b64Padded.EncodeToString(hash)

	cases := []struct {
		name, hash, salt string
		wantErr          error
	}{
		{"reads the CLI's standard base64", b64Padded.EncodeToString(hash), std, nil},
		{"reads the admin SDK's url-safe base64", strings.NewReplacer("+", "-", "/", "_").
			Replace(b64Padded.EncodeToString(hash)), "-__-AQIDBAUGBw==", nil},
		{"reads unpadded base64", b64Raw.EncodeToString(hash), b64Raw.EncodeToString(raw), nil},
		{"rejects a hash that is not base64", "not base64!", std, ErrMalformedHash},
		{"rejects a salt that is not base64", b64Padded.EncodeToString(hash), "@@", ErrMalformedHash},
		{"rejects a short hash", zeros(b64Padded, 15), std, ErrParamsOutOfRange},
		{"rejects a short salt", b64Padded.EncodeToString(hash), zeros(b64Padded, 7),
			ErrParamsOutOfRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FirebaseImport(tc.hash, tc.salt)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || got != "" {
					t.Fatalf("FirebaseImport: got %q, %v, want \"\", %v", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != want {
				t.Fatalf("FirebaseImport: got %q, %v, want %q, nil", got, err, want)
			}
		})
	}
}
