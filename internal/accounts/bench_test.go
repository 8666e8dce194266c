package accounts

import (
	"context"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/cerrojo/cerrojo/internal/password"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// BenchmarkLogin measures complete password logins (lookup, Argon2id
// verification, counter reset, audit record committed with the login) on
// the embedded database. Run it beside BenchmarkBareArgon2id on one core
// and divide: the target is logins/s ÷ hashes/s >= 0.8.
//
//	go test -run x -bench 'Login|BareArgon2id' -cpu 1 ./internal/accounts/
func BenchmarkLogin(b *testing.B) {
	f := newFixture(b, storagetest.SQLite(b))
	ctx := context.Background()
	if err := f.svc.Register(ctx, RegisterInput{Email: "bench@ejemplo.co",
		Password: goodPassword, Name: "Bench", Kind: KindCustomer}, meta); err != nil {
		b.Fatal(err)
	}
	f.svc.Wait()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.Authenticate(ctx, "bench@ejemplo.co", goodPassword, meta); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareArgon2id is the baseline: one Argon2id derivation at the
// default parameters, nothing else.
func BenchmarkBareArgon2id(b *testing.B) {
	p := password.DefaultParams()
	salt := make([]byte, p.SaltLen)
	for b.Loop() {
		argon2.IDKey([]byte(goodPassword), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
	}
}
