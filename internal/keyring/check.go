package keyring

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
)

// checkPlaintext is the known value sealed in the database for each master
// key. It is not secret; it proves that a key opens this database.
var checkPlaintext = []byte("cerrojo master key check v1")

var checkAAD = []byte("keyring_checks.sealed")

// ErrWrongMasterKey means the configured master key is not the one that
// sealed this database's secrets.
var ErrWrongMasterKey = errors.New("the master key does not match this database")

// Check is a sealed known value for one master key.
type Check struct {
	KeyID     string
	Sealed    []byte
	CreatedAt time.Time
}

// Store keeps the checks.
type Store interface {
	// Checks returns every stored check.
	Checks(ctx context.Context) ([]Check, error)
	// AddCheck stores a check; adding one for a key id that already has one
	// is not an error and keeps the existing row.
	AddCheck(ctx context.Context, c Check) error
}

// VerifyDatabase makes sure the ring's primary key is the one this database
// was initialised with, so that a mistyped or swapped master key stops
// start-up instead of producing secrets no one can read later. On a new
// database it records a check for the primary key.
func VerifyDatabase(ctx context.Context, r *Ring, s Store, now time.Time) error {
	checks, err := s.Checks(ctx)
	if err != nil {
		return fmt.Errorf("verify master key: %w", err)
	}

	primary := r.PrimaryID().String()
	var others []string
	for _, c := range checks {
		if c.KeyID != primary {
			others = append(others, c.KeyID)
			continue
		}
		plain, err := r.Open(c.Sealed, checkAAD)
		if err != nil || subtle.ConstantTimeCompare(plain, checkPlaintext) != 1 {
			return fmt.Errorf("%w: the stored check for key %s does not open", ErrWrongMasterKey,
				primary)
		}
		return nil
	}
	if len(others) > 0 {
		return fmt.Errorf("%w: this database was set up with master key %v, and the configured "+
			"key is %s (check CERROJO_MASTER_KEY, CERROJO_MASTER_KEY_FILE or the data directory)",
			ErrWrongMasterKey, others, primary)
	}

	sealed, err := r.Seal(checkPlaintext, checkAAD)
	if err != nil {
		return fmt.Errorf("verify master key: %w", err)
	}
	if err := s.AddCheck(ctx, Check{KeyID: primary, Sealed: sealed, CreatedAt: now.UTC()}); err != nil {
		return fmt.Errorf("verify master key: %w", err)
	}
	return nil
}
