package tokens

import (
	"errors"
	"fmt"
	"time"
)

// ErrRotationTooSoon means the next key has not been published long enough
// to sign: verifiers that cached the JWKS before it appeared might not know
// it yet. The error is a *RotationTooSoonError, which says when.
var ErrRotationTooSoon = errors.New("tokens: the next key has not been published long enough")

// RotationTooSoonError says which key would have been promoted and from
// when it may be.
type RotationTooSoonError struct {
	Next      string
	NotBefore time.Time
}

func (e *RotationTooSoonError) Error() string {
	return fmt.Sprintf("tokens: the next key %s may sign from %s, once every JWKS cache knows it",
		e.Next, e.NotBefore.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrRotationTooSoon) true.
func (e *RotationTooSoonError) Is(target error) bool { return target == ErrRotationTooSoon }

// errNeedKeys asks the caller to generate this many fresh keys and plan
// again: generation happens outside the transaction, because a 3072-bit
// RSA key takes long enough to hold up other nodes.
type errNeedKeys int

func (n errNeedKeys) Error() string { return fmt.Sprintf("plan needs %d fresh keys", int(n)) }

// mode is what a plan is for.
type mode int

const (
	// modeEnsure: create the current and next keys when missing, delete
	// retired keys past their time. Never rotates.
	modeEnsure mode = iota
	// modeScheduled: modeEnsure, and rotate when the current key has
	// signed for RotationInterval and the next key is publishable.
	modeScheduled
	// modeRotate: rotate now if the next key is publishable, else fail
	// with RotationTooSoonError.
	modeRotate
	// modeForce: rotate now, even if some verifier may not know the next
	// key yet; such verifiers refetch the JWKS on the unknown kid.
	modeForce
)

// planner decides changes to the key set. It is pure: the same keys, time
// and fresh records give the same changes, so it can be tested alone and
// re-run under the lock on whatever the database holds then.
type planner struct {
	cfg   Config
	now   time.Time
	fresh []Record // generated keys, used in order
	used  int

	// rotated is set by a plan that rotates: the keys after the change.
	rotated *Rotation
}

// Rotation reports a rotation: the key that stopped signing, the one that
// started, and the new next key.
type Rotation struct {
	Retired Key `json:"retired"`
	Current Key `json:"current"`
	Next    Key `json:"next"`
}

func (p *planner) take() (Record, bool) {
	if p.used >= len(p.fresh) {
		return Record{}, false
	}
	r := p.fresh[p.used]
	p.used++
	// A key's publication starts when its row commits, not when it was
	// generated: the lead is counted from here.
	r.CreatedAt = p.now
	return r, true
}

// plan returns the changes that bring keys to the state mode asks for.
func (p *planner) plan(keys []Key, m mode) (Changes, error) {
	p.used, p.rotated = 0, nil
	var ch Changes
	var current, next *Key
	for i := range keys {
		k := &keys[i]
		switch k.State {
		case StateCurrent:
			current = k
		case StateNext:
			next = k
		case StateRetired:
			// Past the retire window no token the key signed can be
			// accepted: unpublish and delete it.
			if !p.now.Before(k.DeletableAfter) {
				ch.Delete = append(ch.Delete, k.ID)
			}
		}
	}

	// Bootstrap, and nothing else. With no current key nothing can sign,
	// so one is made current at once. On a fresh install that is safe: no
	// token exists, so no verifier can hold a JWKS copy that lacks the key,
	// and one that meets its kid first fetches the JWKS then. If a next key
	// exists it is the one promoted, having been published longest.
	if current == nil {
		if next != nil {
			promoted := p.activate(*next)
			ch.Update = append(ch.Update, promoted)
		} else {
			r, ok := p.take()
			if !ok {
				return Changes{}, errNeedKeys(2)
			}
			r.Key = p.activate(r.Key)
			ch.Insert = append(ch.Insert, r)
		}
		r, ok := p.take()
		if !ok {
			return Changes{}, errNeedKeys(p.used + 1)
		}
		ch.Insert = append(ch.Insert, r)
		return ch, nil
	}

	// A next key always exists, so that it is published long before it
	// is needed.
	if next == nil {
		r, ok := p.take()
		if !ok {
			return Changes{}, errNeedKeys(p.used + 1)
		}
		// The key is published from now on; it cannot sign yet, even
		// when forced: a forced rotation promotes the next key that was
		// there when it started.
		ch.Insert = append(ch.Insert, r)
		return ch, nil
	}

	if !p.shouldRotate(*current, *next, m) {
		if m == modeRotate {
			return Changes{}, &RotationTooSoonError{Next: next.ID,
				NotBefore: next.CreatedAt.Add(publishLead(p.cfg))}
		}
		return ch, nil
	}

	// Rotate: demote before promoting (one current at a time), then
	// publish a new next key.
	r, ok := p.take()
	if !ok {
		return Changes{}, errNeedKeys(p.used + 1)
	}
	retired := *current
	retired.State = StateRetired
	retired.RetiredAt = p.now
	retired.DeletableAfter = p.now.Add(retireWindow(p.cfg))
	promoted := p.activate(*next)
	ch.Update = append(ch.Update, retired, promoted)
	ch.Insert = append(ch.Insert, r)
	p.rotated = &Rotation{Retired: retired, Current: promoted, Next: r.Key}
	return ch, nil
}

func (p *planner) shouldRotate(current, next Key, m mode) bool {
	publishable := !p.now.Before(next.CreatedAt.Add(publishLead(p.cfg)))
	switch m {
	case modeForce:
		return true
	case modeRotate:
		return publishable
	case modeScheduled:
		due := !p.now.Before(current.ActivatedAt.Add(p.cfg.RotationInterval))
		return due && publishable
	}
	return false
}

func (p *planner) activate(k Key) Key {
	k.State = StateCurrent
	k.ActivatedAt = p.now
	return k
}
