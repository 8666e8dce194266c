package keyring

import (
	"context"
	"encoding/hex"
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
	// RetiredAt is set when a rotation moved every value to another key.
	RetiredAt time.Time
}

// Store keeps the checks and the key ring's own sealed state.
type Store interface {
	// Checks returns every stored check, oldest first.
	Checks(ctx context.Context) ([]Check, error)
	// AddCheck stores a check; adding one for a key id that already has one
	// is not an error and keeps the existing row.
	AddCheck(ctx context.Context, c Check) error
	// RetireCheck marks a key's check as rotated out.
	RetireCheck(ctx context.Context, keyID string, at time.Time) error
	// State returns a sealed value of the ring's state by name.
	State(ctx context.Context, name string) ([]byte, bool, error)
	// AddState stores one unless the name exists.
	AddState(ctx context.Context, name string, sealed []byte, at time.Time) error
}

// VerifyDatabase makes sure the ring's primary key may seal for this
// database, so that a mistyped or swapped master key stops start-up instead
// of producing secrets no one can read later, and loads the MAC root.
//
// The primary key may seal when its check opens and is not retired; or, in
// the first step of a rotation, when the ring also holds a previous key
// whose check opens, in which case the primary's check is recorded. On a new
// database the primary's check is recorded.
func VerifyDatabase(ctx context.Context, r *Ring, s Store, now time.Time) error {
	checks, err := s.Checks(ctx)
	if err != nil {
		return fmt.Errorf("verify master key: %w", err)
	}

	primary := r.PrimaryID().String()
	var others []string
	setup := r.primary // the key this database was set up with, as far as r knows
	found, vouched := false, false
	for _, c := range checks {
		if c.KeyID == primary {
			if !r.verifyCheck(c) {
				return fmt.Errorf("%w: the stored check for key %s does not open",
					ErrWrongMasterKey, primary)
			}
			if !c.RetiredAt.IsZero() {
				return fmt.Errorf("%w on %s: configure its successor as the master key "+
					"(docs/security.md, key rotation)", ErrRotatedOut,
					c.RetiredAt.UTC().Format(time.DateOnly))
			}
			found = true
			continue
		}
		others = append(others, c.KeyID)
		var id KeyID
		k, held := r.byID[keyIDFrom(c.KeyID, &id)]
		if held && c.RetiredAt.IsZero() && r.verifyCheck(c) {
			if !vouched {
				setup = k // checks come oldest first
			}
			vouched = true
		}
	}
	if !found && len(others) > 0 && !vouched {
		return fmt.Errorf("%w: this database was set up with master key %v, and the configured "+
			"key is %s (check CERROJO_MASTER_KEY, CERROJO_MASTER_KEY_FILE or the data directory; "+
			"during a rotation the old key goes in master_key.previous)",
			ErrWrongMasterKey, others, primary)
	}
	if !found {
		sealed, err := r.Seal(checkPlaintext, checkAAD)
		if err != nil {
			return fmt.Errorf("verify master key: %w", err)
		}
		if err := s.AddCheck(ctx, Check{KeyID: primary, Sealed: sealed,
			CreatedAt: now.UTC()}); err != nil {
			return fmt.Errorf("verify master key: %w", err)
		}
	}
	if err := r.useMACRoot(ctx, s, setup, now); err != nil {
		return fmt.Errorf("verify master key: %w", err)
	}
	return nil
}

// keyIDFrom decodes a key id written by KeyID.String; a malformed one
// becomes the zero id, which no ring holds.
func keyIDFrom(s string, id *KeyID) KeyID {
	b, err := hex.DecodeString(s)
	if err == nil && len(b) == keyIDSize {
		copy(id[:], b)
	}
	return *id
}
