package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/cerrojo/cerrojo/internal/config"
)

// #nosec G101 -- the password of the throwaway users the benchmark creates, not a secret
const benchPassword = "guayabas maduras del huerto 9"

// loginScenario registers the account the login scenario signs in to.
func loginScenario(ctx context.Context, base string) (scenario, error) {
	body := `{"email":"bench.login@ejemplo.co","password":"` + benchPassword +
		`","name":"Bench Login","kind":"customer"}`
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/accounts",
		strings.NewReader(body))
	if err != nil {
		return scenario{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return scenario{}, err
	}
	_ = resp.Body.Close() // only the status is used; a close error cannot change it
	if resp.StatusCode != http.StatusAccepted {
		return scenario{}, fmt.Errorf("register: %d", resp.StatusCode)
	}
	return scenario{name: "login", method: "POST", path: "/v1/auth/login",
		body:     `{"email":"bench.login@ejemplo.co","password":"` + benchPassword + `"}`,
		basePath: "/argon2id"}, nil
}

// bareArgon2id is the baseline of a sign-in: one Argon2id derivation with
// the parameters cerrojo uses by default (OWASP: 19 MiB, 2 passes, 1 lane).
func bareArgon2id() {
	p := config.Default().Password
	salt := []byte("0123456789abcdef")
	// #nosec G115 -- config.Default's 2 passes, 19456 KiB and 1 lane fit the
	// argon2 types.
	argon2.IDKey([]byte(benchPassword), salt, uint32(p.Argon2Iterations),
		uint32(p.Argon2MemoryKiB), uint8(p.Argon2Parallelism), 32)
}

// registerScenario registers the login scenario's address again. An
// address that exists answers as a new one would (no enumeration), hashing
// the password all the same.
func registerScenario() scenario {
	return scenario{name: "register", method: "POST", path: "/v1/accounts",
		body: `{"email":"bench.login@ejemplo.co","password":"` + benchPassword +
			`","name":"Bench Login","kind":"customer"}`, basePath: "/argon2id",
		status: http.StatusAccepted}
}
