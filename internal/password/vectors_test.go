package password

import (
	"context"
	"encoding/hex"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// vector is one hash made by another tool, from testdata/vectors.txt.
type vector struct {
	madeBy   string
	password string
	encoded  string
}

// loadVectors reads testdata/vectors.txt and insists that each vector
// follows a "# made by:" line.
func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	raw, err := os.ReadFile("testdata/vectors.txt")
	if err != nil {
		tb.Fatalf("read vectors: %v", err)
	}

	var out []vector
	madeBy := ""
	for i, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "# made by: "):
			madeBy = strings.TrimPrefix(line, "# made by: ")
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			pwHex, encoded, ok := strings.Cut(line, "\t")
			pw, err := hex.DecodeString(pwHex)
			if !ok || err != nil || madeBy == "" {
				tb.Fatalf("line %d: want hex password, tab, hash, after a made-by line", i+1)
			}
			out = append(out, vector{madeBy, string(pw), encoded})
		}
	}
	if len(out) < 50 {
		tb.Fatalf("got %d vectors, want at least 50", len(out))
	}
	return out
}

// schemeOf names the scheme a vector's prefix announces, independently of
// the parser under test.
func schemeOf(encoded string) Scheme {
	for prefix, s := range map[string]Scheme{
		"$argon2id$": SchemeArgon2id, "$argon2i$": SchemeArgon2i,
		"$2a$": SchemeBcrypt, "$2b$": SchemeBcrypt, "$2y$": SchemeBcrypt,
		"$scrypt$": SchemeScrypt, "$pbkdf2-sha256$": SchemePBKDF2SHA256,
		"$pbkdf2-sha512$": SchemePBKDF2SHA512, "pbkdf2_sha256$": SchemeDjangoPBKDF2SHA256,
	} {
		if strings.HasPrefix(encoded, prefix) {
			return s
		}
	}
	return ""
}

// TestVerifyVectors checks every hash made by another tool: the right
// password verifies, a wrong one does not, and only Argon2id hashes with the
// current parameters skip the rehash.
func TestVerifyVectors(t *testing.T) {
	h := newTestHasher(t, Config{})
	ctx := context.Background()
	schemes := map[Scheme]int{}

	for i, v := range loadVectors(t) {
		name := strconv.Itoa(i) + " " + string(schemeOf(v.encoded)) + " by " + v.madeBy
		t.Run(name, func(t *testing.T) {
			want := schemeOf(v.encoded)
			got, err := h.Identify(v.encoded)
			if err != nil || got != want {
				t.Fatalf("Identify: got %q, %v, want %q, nil", got, err, want)
			}
			schemes[got]++

			ok, rehash, err := h.Verify(ctx, v.password, v.encoded)
			if err != nil || !ok {
				t.Fatalf("Verify right password: got ok=%v, err %v, want ok", ok, err)
			}
			stored, _ := parseEncoded(v.encoded, nil)
			a, isArgon2 := stored.(*argon2Hash)
			current := isArgon2 && a.matches(h.Params()) && Normalize(v.password) == v.password
			if rehash == current {
				t.Errorf("Verify: got needsRehash %v, want %v", rehash, !current)
			}

			ok, rehash, err = h.Verify(ctx, v.password+"x", v.encoded)
			if err != nil || ok || rehash {
				t.Errorf("Verify wrong password: got %v, %v, %v, want false, false, nil",
					ok, rehash, err)
			}

			checkCanonical(t, v.encoded, stored)
		})
	}

	for _, s := range []Scheme{SchemeArgon2id, SchemeArgon2i, SchemeBcrypt, SchemeScrypt,
		SchemePBKDF2SHA256, SchemePBKDF2SHA512, SchemeDjangoPBKDF2SHA256} {
		if schemes[s] == 0 {
			t.Errorf("got no vector for %s, want at least one", s)
		}
	}
}

// checkCanonical asserts that a parsed hash writes back the text it was
// parsed from; for Argon2 written with another parameter order, that the
// rewrite parses to the same value.
func checkCanonical(t *testing.T, encoded string, h storedHash) {
	t.Helper()
	if h.String() == encoded {
		return
	}
	if _, isArgon2 := h.(*argon2Hash); !isArgon2 {
		t.Fatalf("String: got %q, want %q", h.String(), encoded)
	}
	again, err := parseEncoded(h.String(), nil)
	if err != nil || !reflect.DeepEqual(again, h) {
		t.Fatalf("reparse of %q: got %v, %v, want the same hash", h.String(), again, err)
	}
}

// firebaseVector is one user of testdata/firebase.txt with its project.
type firebaseVector struct {
	project  *FirebaseProject
	password string
	salt     string
	hash     string
}

// loadFirebaseVectors reads testdata/firebase.txt.
func loadFirebaseVectors(tb testing.TB) []firebaseVector {
	tb.Helper()
	raw, err := os.ReadFile("testdata/firebase.txt")
	if err != nil {
		tb.Fatalf("read firebase vectors: %v", err)
	}

	var (
		out     []firebaseVector
		project *FirebaseProject
	)
	for i, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 5 && f[0] == "project":
			rounds, err1 := strconv.Atoi(f[3])
			memCost, err2 := strconv.Atoi(f[4])
			project, err = NewFirebaseProject(f[1], f[2], rounds, memCost)
			if err1 != nil || err2 != nil || err != nil {
				tb.Fatalf("line %d: bad project: %v", i+1, err)
			}
		case len(f) == 3 && project != nil:
			pw, err := hex.DecodeString(f[0])
			if err != nil {
				tb.Fatalf("line %d: bad hex password", i+1)
			}
			out = append(out, firebaseVector{project, string(pw), f[1], f[2]})
		default:
			tb.Fatalf("line %d: want a project line or a vector after one", i+1)
		}
	}
	if len(out) < 3 {
		tb.Fatalf("got %d firebase vectors, want at least 3", len(out))
	}
	return out
}

// firebaseREADMEHash is the expected output printed in the README of
// Firebase's scrypt fork (github.com/firebase/scrypt) for "user1password"
// with its sample project; the first vector must reproduce it.
const firebaseREADMEHash = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz" +
	"+VHjoZilo78198JAdRuid5lQ=="

func TestVerifyFirebaseVectors(t *testing.T) {
	vectors := loadFirebaseVectors(t)
	if vectors[0].password != "user1password" || vectors[0].hash != firebaseREADMEHash {
		t.Fatalf("first firebase vector: got %q, want the README's sample", vectors[0].hash)
	}
	ctx := context.Background()

	for i, v := range vectors {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			h := newTestHasher(t, Config{Firebase: v.project})
			stored, err := FirebaseImport(v.hash, v.salt)
			if err != nil {
				t.Fatalf("FirebaseImport: got error %v, want nil", err)
			}

			ok, rehash, err := h.Verify(ctx, v.password, stored)
			if err != nil || !ok || !rehash {
				t.Fatalf("Verify right password: got %v, %v, %v, want true, true, nil",
					ok, rehash, err)
			}
			ok, _, err = h.Verify(ctx, v.password+"x", stored)
			if err != nil || ok {
				t.Fatalf("Verify wrong password: got %v, %v, want false, nil", ok, err)
			}

			other := *v.project
			other.SignerKey = append([]byte{}, v.project.SignerKey...)
			other.SignerKey[0] ^= 1
			h2 := newTestHasher(t, Config{Firebase: &other})
			ok, _, err = h2.Verify(ctx, v.password, stored)
			if err != nil || ok {
				t.Fatalf("Verify with another signer key: got %v, %v, want false, nil", ok, err)
			}
		})
	}
}
