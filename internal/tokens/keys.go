package tokens

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/sdk"
)

// Errors of Keys.Set.
var (
	// ErrNotLoaded means the key set has not been loaded yet.
	ErrNotLoaded = errors.New("tokens: the signing keys are not loaded")
	// ErrStale means this node could not reload the key set for longer
	// than the rotation timings allow: it must neither sign nor publish
	// until it can.
	ErrStale = errors.New("tokens: the signing keys have not been reloaded recently enough")
)

// Keys manages the signing keys of one node: it loads the key set from the
// store, keeps it fresh, and changes it (first keys, rotation, deletion)
// through the store's lock, so that every node agrees on the current key.
// It is safe for concurrent use.
type Keys struct {
	cfg   Config
	store Store
	ring  *keyring.Ring
	clock clock.Clock

	set       atomic.Pointer[KeySet]
	checkedAt atomic.Int64 // Unix nanoseconds of the last successful refresh

	mu          sync.Mutex // serialises refreshes; guards lastUnknown
	lastUnknown time.Time
}

// NewKeys returns the keys of store. ring opens and seals private keys; it
// may be nil for a caller that only lists keys.
func NewKeys(cfg Config, store Store, ring *keyring.Ring, clk clock.Clock) *Keys {
	return &Keys{cfg: cfg.withDefaults(), store: store, ring: ring, clock: clk}
}

// Set returns the loaded key set, or ErrStale when it is too old to sign
// with or publish.
func (k *Keys) Set() (*KeySet, error) {
	s := k.set.Load()
	if s == nil {
		return nil, ErrNotLoaded
	}
	age := k.clock.Now().Sub(time.Unix(0, k.checkedAt.Load()))
	if age > staleAfter {
		return nil, fmt.Errorf("%w: last reloaded %s ago", ErrStale, age.Round(time.Second))
	}
	return s, nil
}

// Refresh reloads the key set if its generation changed, and records that
// it is fresh.
func (k *Keys) Refresh(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.refreshLocked(ctx)
}

func (k *Keys) refreshLocked(ctx context.Context) error {
	// The time is taken before reading: the set is at least this fresh.
	now := k.clock.Now()
	gen, err := k.store.Generation(ctx)
	if err != nil {
		return err
	}
	if cur := k.set.Load(); cur == nil || cur.generation != gen {
		gen, recs, err := k.store.Load(ctx)
		if err != nil {
			return err
		}
		s, err := buildKeySet(k.ring, gen, recs, now)
		if err != nil {
			return err
		}
		k.set.Store(s)
	}
	k.checkedAt.Store(now.UnixNano())
	return nil
}

// publicKey is the in-process sdk.KeySource: the published keys of the
// loaded set, reloaded (at most every 10 seconds) when a kid is unknown,
// since another node may have rotated since the last refresh.
func (k *Keys) publicKey(ctx context.Context, kid string) (*sdk.PublicKey, error) {
	if s := k.set.Load(); s != nil {
		if pk, ok := s.byID[kid]; ok {
			return pk, nil
		}
	}

	k.mu.Lock()
	now := k.clock.Now()
	var err error
	if k.lastUnknown.IsZero() || now.Sub(k.lastUnknown) >= unknownKeyRefreshInterval {
		k.lastUnknown = now
		err = k.refreshLocked(ctx)
	}
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}

	if s := k.set.Load(); s != nil {
		if pk, ok := s.byID[kid]; ok {
			return pk, nil
		}
	}
	return nil, sdk.ErrUnknownKey
}

type keySource struct{ k *Keys }

func (s keySource) PublicKey(ctx context.Context, kid string) (*sdk.PublicKey, error) {
	return s.k.publicKey(ctx, kid)
}

// List returns every stored key, oldest first; keys created together (the
// first two) in the order of their lives: retired, current, next.
func (k *Keys) List(ctx context.Context) ([]Key, error) {
	_, recs, err := k.store.Load(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Key, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	slices.SortStableFunc(out, func(a, b Key) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return lifeOrder(a.State) - lifeOrder(b.State)
	})
	return out, nil
}

func lifeOrder(s State) int {
	switch s {
	case StateRetired:
		return 0
	case StateCurrent:
		return 1
	}
	return 2
}

// Maintain brings the key set to where it should be now: it creates the
// current and next keys if they are missing, rotates when the current key
// has signed for the rotation interval, and deletes retired keys past
// their window. It decides on the loaded set first and takes the lock only
// when something is due, so that nodes calling it every minute cost one
// small read each. The decision is made again under the lock, so that of
// several nodes deciding at once exactly one rotates.
func (k *Keys) Maintain(ctx context.Context) error {
	if err := k.Refresh(ctx); err != nil {
		return err
	}
	p := planner{cfg: k.cfg, now: k.clock.Now()}
	ch, err := p.plan(k.set.Load().keys, modeScheduled)
	if err == nil && ch.empty() {
		return nil
	}
	_, err = k.change(ctx, modeScheduled)
	return err
}

// Rotate promotes the next key to current, retires the current key and
// publishes a new next key, provided the next key has been published long
// enough for every JWKS cache to know it; otherwise it fails with a
// *RotationTooSoonError. On a database without keys it creates them and
// reports that the new next key is too young.
func (k *Keys) Rotate(ctx context.Context) (*Rotation, error) {
	r, err := k.change(ctx, modeRotate)
	if err != nil || r != nil {
		return r, err
	}
	// Keys were created instead: report when the next may sign.
	s := k.set.Load()
	for _, key := range s.keys {
		if key.State == StateNext {
			return nil, &RotationTooSoonError{Next: key.ID,
				NotBefore: key.CreatedAt.Add(publishLead(k.cfg))}
		}
	}
	return nil, errors.New("tokens: rotation left no next key")
}

// ForceRotate rotates now, whether or not the next key has been published
// for long enough: for a key that may be compromised. Verifiers that have
// not seen the next key yet refetch the JWKS when they meet its kid (the
// SDK does, at most every 10 seconds; others may refuse tokens until their
// cache expires). The retired key stays published for its window like any
// other: removing a compromised key from the JWKS at once is not done yet.
func (k *Keys) ForceRotate(ctx context.Context) (*Rotation, error) {
	r, err := k.change(ctx, modeForce)
	if err != nil || r != nil {
		return r, err
	}
	// The first change created missing keys; now rotate them.
	return k.change(ctx, modeForce)
}

// change applies a plan through the store's lock, generating the fresh
// keys it asks for outside the transaction, then reloads the set.
func (k *Keys) change(ctx context.Context, m mode) (*Rotation, error) {
	if k.ring == nil {
		return nil, errors.New("tokens: changing the signing keys needs the keyring")
	}
	var fresh []Record
	for range maxGenerateRounds {
		p := &planner{cfg: k.cfg, now: k.clock.Now(), fresh: fresh}
		_, err := k.store.Update(ctx, func(keys []Key) (Changes, error) {
			return p.plan(keys, m)
		})
		var need errNeedKeys
		if errors.As(err, &need) {
			for len(fresh) < int(need) {
				r, err := newRecord(k.ring, k.cfg.Algorithm, p.now)
				if err != nil {
					return nil, err
				}
				fresh = append(fresh, r)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return p.rotated, k.Refresh(ctx)
	}
	return nil, errors.New("tokens: the signing keys kept changing under this node; try again")
}

// Run maintains the keys every RefreshInterval until ctx ends. Failures go
// to report and are retried at the next tick: until a node can reach the
// database again its key set grows stale, and past the bound it refuses to
// sign or publish rather than act on an old view.
func (k *Keys) Run(ctx context.Context, report func(error)) error {
	t := time.NewTicker(RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := k.Maintain(ctx); err != nil && ctx.Err() == nil && report != nil {
				report(err)
			}
		}
	}
}
