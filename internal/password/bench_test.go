package password

import (
	"context"
	"crypto/subtle"
	"testing"

	"golang.org/x/crypto/argon2"
)

// BenchmarkHasherVerify and BenchmarkBareArgon2id run the same Argon2id
// derivation at DefaultParams, once through Hasher.Verify (parse, normalise,
// limiter, compare) and once bare, so their ratio is the Hasher's overhead.
func BenchmarkHasherVerify(b *testing.B) {
	h := newTestHasher(b, Config{})
	encoded, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ok, _, err := h.Verify(ctx, "correct horse battery staple", encoded)
		if err != nil || !ok {
			b.Fatalf("Verify: got %v, %v, want true, nil", ok, err)
		}
	}
}

func BenchmarkBareArgon2id(b *testing.B) {
	p := DefaultParams()
	pw := []byte("correct horse battery staple")
	salt := make([]byte, p.SaltLen)
	want := argon2.IDKey(pw, salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
	b.ReportAllocs()
	for b.Loop() {
		got := argon2.IDKey(pw, salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
		if subtle.ConstantTimeCompare(got, want) != 1 {
			b.Fatal("derived key differs")
		}
	}
}

// BenchmarkHasherVerifyParallel runs Verify from many goroutines, where the
// limiter queues the excess.
func BenchmarkHasherVerifyParallel(b *testing.B) {
	h := newTestHasher(b, Config{})
	encoded, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(context.Background(), "correct horse battery staple",
				encoded); err != nil || !ok {
				b.Errorf("Verify: got %v, %v, want true, nil", ok, err)
				return
			}
		}
	})
}

// BenchmarkParseEncoded measures parsing alone, the cost of Identify.
func BenchmarkParseEncoded(b *testing.B) {
	const s = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$" +
		"CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	for b.Loop() {
		if _, err := parseEncoded(s, nil); err != nil {
			b.Fatal(err)
		}
	}
}
