package keyring

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealOpen(t *testing.T) {
	r, err := New(rand.Reader, key(1))
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("totp_seeds.seed:user-1")
	sealed, err := r.Seal([]byte("JBSWY3DPEHPK3PXP"), aad)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("opens in the same context", func(t *testing.T) {
		got, err := r.Open(sealed, aad)
		if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
			t.Fatalf("got %q, %v; want the plaintext", got, err)
		}
	})
	t.Run("does not open in another context", func(t *testing.T) {
		if _, err := r.Open(sealed, []byte("totp_seeds.seed:user-2")); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("got %v, want ErrDecrypt", err)
		}
	})
	t.Run("does not open after any byte changes", func(t *testing.T) {
		for i := range sealed {
			tampered := bytes.Clone(sealed)
			tampered[i] ^= 0x01
			if _, err := r.Open(tampered, aad); err == nil {
				t.Fatalf("flipping byte %d: got no error", i)
			}
		}
	})
	t.Run("does not open when truncated", func(t *testing.T) {
		for _, n := range []int{0, 1, headerSize, len(sealed) - 1} {
			if _, err := r.Open(sealed[:n], aad); err == nil {
				t.Fatalf("truncated to %d bytes: got no error", n)
			}
		}
	})
	t.Run("two seals of one value differ", func(t *testing.T) {
		again, _ := r.Seal([]byte("JBSWY3DPEHPK3PXP"), aad)
		if bytes.Equal(again, sealed) {
			t.Fatal("got identical ciphertexts, want fresh nonces")
		}
	})
	t.Run("ciphertext names its key", func(t *testing.T) {
		id, ok := SealedKeyID(sealed)
		if !ok || id != r.PrimaryID() {
			t.Fatalf("got %v %v, want %v", id, ok, r.PrimaryID())
		}
	})
}

func TestRingWithOlderKeys(t *testing.T) {
	oldRing, _ := New(rand.Reader, key(1))
	sealedOld, _ := oldRing.Seal([]byte("old secret"), nil)

	rotated, err := New(rand.Reader, key(2), key(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealedOld, nil); err != nil || string(got) != "old secret" {
		t.Fatalf("rotated ring opening old value: got %q, %v", got, err)
	}
	sealedNew, _ := rotated.Seal([]byte("new secret"), nil)
	if id, _ := SealedKeyID(sealedNew); id == oldRing.PrimaryID() {
		t.Fatal("rotated ring seals with the old key")
	}
	if _, err := oldRing.Open(sealedNew, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ring opening new value: got %v, want ErrUnknownKey", err)
	}
}

func TestKeyIDsDifferAndRevealNothing(t *testing.T) {
	a, _ := New(rand.Reader, key(1))
	b, _ := New(rand.Reader, key(2))
	if a.PrimaryID() == b.PrimaryID() {
		t.Fatal("two keys have the same id")
	}
	if id := a.PrimaryID(); bytes.Contains(key(1), id[:]) {
		t.Fatal("key id is a slice of the key")
	}
}

func TestNewRejectsShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := New(rand.Reader, make([]byte, n)); err == nil {
			t.Errorf("%d-byte master key: got no error", n)
		}
	}
}

func FuzzOpen(f *testing.F) {
	r, _ := New(rand.Reader, key(7))
	good, _ := r.Seal([]byte("value"), []byte("ctx"))
	f.Add(good, []byte("ctx"))
	f.Add([]byte{formatV1}, []byte(""))
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		plain, err := r.Open(sealed, aad)
		if err != nil {
			if plain != nil {
				t.Fatal("returned plaintext with an error")
			}
			return
		}
		// Anything that opens must be what we sealed, in its context.
		if !bytes.Equal(sealed, good) || string(aad) != "ctx" || string(plain) != "value" {
			t.Fatalf("opened a value we did not seal: %x", sealed)
		}
	})
}

func TestMAC(t *testing.T) {
	a, _ := New(rand.Reader, key(1))
	b, _ := New(rand.Reader, key(2))
	m := a.MAC("email_verification", []byte("123456"))
	if len(m) != 32 {
		t.Fatalf("got %d bytes, want 32", len(m))
	}
	if !bytes.Equal(m, a.MAC("email_verification", []byte("123456"))) {
		t.Error("MAC is not deterministic")
	}
	if bytes.Equal(m, a.MAC("password_reset", []byte("123456"))) {
		t.Error("different purposes give the same MAC")
	}
	if bytes.Equal(m, b.MAC("email_verification", []byte("123456"))) {
		t.Error("different master keys give the same MAC")
	}
	// The purpose and data are separated: moving a byte between them
	// changes the MAC.
	if bytes.Equal(a.MAC("ab", []byte("c")), a.MAC("a", []byte("bc"))) {
		t.Error("purpose and data run together")
	}
}
