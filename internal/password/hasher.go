package password

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
)

// Config configures a Hasher. The zero value is valid: default parameters,
// one concurrent derivation per CPU, crypto/rand, no Firebase project.
type Config struct {
	// Params are the Argon2id parameters for new hashes; the zero value
	// means DefaultParams.
	Params Params

	// MaxConcurrent bounds the key derivations running at once (see
	// limiter.go); 0 means runtime.GOMAXPROCS(0).
	MaxConcurrent int

	// Firebase is the project whose users were imported with
	// FirebaseImport; nil if none were.
	Firebase *FirebaseProject

	// Rand supplies salts; nil means crypto/rand.Reader. Tests inject a
	// deterministic reader.
	Rand io.Reader
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Params == (Params{}) {
		c.Params = DefaultParams()
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	return c
}

// Validate checks the configuration after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Params.Validate(); err != nil {
		return err
	}
	if c.MaxConcurrent < 1 || c.MaxConcurrent > maxConcurrentKDF {
		return configError("max concurrent", c.MaxConcurrent,
			fmt.Sprintf("1 to %d", maxConcurrentKDF))
	}
	if c.Firebase != nil {
		if err := c.Firebase.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Hasher hashes new passwords with Argon2id and verifies stored hashes of
// every Scheme. Create one per process and share it: its limiter is what
// bounds concurrent derivations. It is safe for concurrent use.
type Hasher struct {
	params   Params
	firebase *FirebaseProject
	rand     io.Reader
	limit    *limiter

	// dummy is an Argon2id hash with the current parameters that no
	// password matches: a random tag nobody derived. DummyVerify runs
	// against it.
	dummy *argon2Hash
}

// NewHasher validates cfg and builds a Hasher.
func NewHasher(cfg Config) (*Hasher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()

	h := &Hasher{
		params:   cfg.Params,
		firebase: cfg.Firebase,
		rand:     cfg.Rand,
		limit:    newLimiter(cfg.MaxConcurrent, cfg.Params.MemoryKiB),
	}
	salt, err := h.random(cfg.Params.SaltLen)
	if err != nil {
		return nil, err
	}
	key, err := h.random(cfg.Params.KeyLen)
	if err != nil {
		return nil, err
	}
	h.dummy = h.newArgon2id(salt)
	h.dummy.key = key
	return h, nil
}

// Params returns the parameters new hashes get.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the Argon2id hash of Normalize(pw) in the PHC string format,
// with a fresh random salt. It waits for a derivation slot; if ctx ends
// first it returns ctx's error and nothing was hashed.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	norm, err := normalizeForHash(pw)
	if err != nil {
		return "", err
	}

	salt, err := h.random(h.params.SaltLen)
	if err != nil {
		return "", err
	}
	a := h.newArgon2id(salt)
	err = h.limit.do(ctx, a.memKiB(), func() error {
		a.key = a.derive([]byte(norm), h.params.KeyLen)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return a.String(), nil
}

// Verify reports whether pw matches the stored hash encoded, of any Scheme,
// and whether the caller should store a new hash from Hash: needsRehash is
// true when pw matched and the hash is not Argon2id with the current Params
// (or matched only without normalisation, see below). It is false whenever
// ok is false.
//
// The password is tried as Normalize(pw) and, when that differs, also
// exactly as given: hashes made elsewhere (and any made before
// normalisation) were computed over the bytes the user typed. A match on
// the second form asks for a rehash, so the stored hash moves to the
// normalised form.
//
// A wrong password is ok == false with a nil error. An error means no
// answer: a malformed or unknown hash, parameters over the caps, a password
// over MaxPasswordBytes, or ctx ending while waiting for a derivation
// slot. Treat every error as a failed login.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, needsRehash bool,
	err error) {
	stored, err := parseEncoded(encoded, h.firebase)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	return h.verify(ctx, pw, stored)
}

// DummyVerify spends the work of a Verify against an Argon2id hash with the
// current parameters, and reports nothing but ctx's or the length error.
// Call it when the account does not exist (or has no password), so the
// response takes as long as for an existing account and timing does not
// reveal which accounts exist (OWASP ASVS 5.0 requirement 6.3.8).
//
// NOTE: an account whose stored hash is still an imported scheme (bcrypt,
// PBKDF2, scrypt, Firebase) verifies at that scheme's cost, not at the
// dummy's, until its owner logs in and it is re-hashed. The difference can
// tell a patient observer that such an account exists. This is accepted on
// purpose: it only concerns imported accounts that have not logged in
// since the import, and it shrinks as they do.
func (h *Hasher) DummyVerify(ctx context.Context, pw string) error {
	_, _, err := h.verify(ctx, pw, h.dummy)
	return err
}

// Identify parses encoded strictly without running the KDF and returns its
// scheme; use it to check hashes when importing users.
func (h *Hasher) Identify(encoded string) (Scheme, error) {
	stored, err := parseEncoded(encoded, h.firebase)
	if err != nil {
		return "", err
	}
	return stored.scheme(), nil
}

// verify runs the candidates of pw against stored in one limiter slot.
func (h *Hasher) verify(ctx context.Context, pw string, stored storedHash) (ok,
	needsRehash bool, err error) {
	norm, err := normalizeForHash(pw)
	if err != nil {
		return false, false, err
	}
	candidates := []string{norm}
	if norm != pw {
		candidates = append(candidates, pw)
	}

	matched := -1
	err = h.limit.do(ctx, stored.memKiB(), func() error {
		for i, c := range candidates {
			ok, err := stored.verify([]byte(c))
			if err != nil {
				return err
			}
			if ok {
				matched = i
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	if matched < 0 {
		return false, false, nil
	}

	a, isArgon2 := stored.(*argon2Hash)
	current := isArgon2 && a.matches(h.params)
	return true, matched > 0 || !current, nil
}

// newArgon2id returns an Argon2id hash with the current parameters and
// salt, without a tag.
func (h *Hasher) newArgon2id(salt []byte) *argon2Hash {
	return &argon2Hash{
		variant:     SchemeArgon2id,
		memoryKiB:   h.params.MemoryKiB,
		iterations:  h.params.Iterations,
		parallelism: h.params.Parallelism,
		salt:        salt,
	}
}

// random reads n bytes from the configured source.
func (h *Hasher) random(n uint32) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(h.rand, b); err != nil {
		return nil, fmt.Errorf("read random salt: %w", err)
	}
	return b, nil
}

// normalizeForHash bounds the password before and after Normalize.
func normalizeForHash(pw string) (string, error) {
	if len(pw) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	norm := Normalize(pw)
	if len(norm) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	return norm, nil
}
