package keyring

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
)

// macRootName is the keyring_state row that holds the MAC root.
const macRootName = "mac_root"

func stateAAD(name string) []byte { return []byte("keyring_state.sealed:" + name) }

// ErrRotatedOut means the configured master key was replaced by a rotation:
// the database's values are sealed under its successor.
var ErrRotatedOut = errors.New("this master key was rotated out")

// useMACRoot makes Ring.MAC use the MAC root stored in the database, and
// stores one on first use. A new root is the MAC key of setup, the key this
// database was set up with, so that every MAC computed before roots were
// stored still matches.
func (r *Ring) useMACRoot(ctx context.Context, s Store, setup ringKey, now time.Time) error {
	sealed, ok, err := s.State(ctx, macRootName)
	if err != nil {
		return err
	}
	if !ok {
		fresh, err := r.Seal(setup.macKey, stateAAD(macRootName))
		if err != nil {
			return err
		}
		if err := s.AddState(ctx, macRootName, fresh, now); err != nil {
			return err
		}
		// Another node may have stored its root first: use what is stored.
		if sealed, ok, err = s.State(ctx, macRootName); err != nil || !ok {
			return fmt.Errorf("read the MAC root back: %v", err)
		}
	}
	root, err := r.Open(sealed, stateAAD(macRootName))
	if err != nil {
		return fmt.Errorf("the MAC root does not open: %w", err)
	}
	if len(root) != 32 {
		return errors.New("the MAC root has the wrong length")
	}
	r.macRoot = root
	return nil
}

// verifyCheck reports whether c opens to the known value with r.
func (r *Ring) verifyCheck(c Check) bool {
	plain, err := r.Open(c.Sealed, checkAAD)
	return err == nil && subtle.ConstantTimeCompare(plain, checkPlaintext) == 1
}
