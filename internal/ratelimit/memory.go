package ratelimit

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
)

// DefaultMaxKeys is how many keys a Memory limiter tracks at most. A key
// costs at most about 300 bytes with its map and heap entries (the
// middleware bounds keys to some 100 bytes), so the table stays under
// 30 MB whatever the traffic.
const DefaultMaxKeys = 100_000

// Memory is a GCRA limiter held in this process: what each node does when
// Redis is not configured, or while it is unreachable. It makes the same
// decisions as Redis for the same sequence of requests.
//
// Memory stays bounded. A key whose theoretical arrival time has passed is
// at its full allowance, the same as a key never seen, so it is forgotten
// as soon as that happens: idle keys cost nothing. When DefaultMaxKeys
// keys are all busy and a new one arrives, the key nearest to its full
// allowance is forgotten to make room.
//
// Accepted risk: a flood of distinct keys past the cap lets the forgotten
// keys start again at their full burst a little early. Refusing new keys
// instead would let the same flood lock everyone out.
type Memory struct {
	clock   clock.Clock
	maxKeys int

	mu    sync.Mutex
	byKey map[string]*slot
	order slots // a min-heap on tat: the next key to become idle is first
}

// slot is one key's state: its theoretical arrival time (TAT), the moment
// at which the key is back at its full allowance if it makes no more
// requests.
type slot struct {
	key   string
	tat   time.Time
	index int // position in the heap
}

// NewMemory returns an empty in-process limiter that reads the time from c.
func NewMemory(c clock.Clock) *Memory {
	return &Memory{clock: c, maxKeys: DefaultMaxKeys, byKey: make(map[string]*slot)}
}

// Allow implements Limiter with the generic cell rate algorithm (GCRA).
// With the emission interval T = Period/Rate and the tolerance
// tau = T*Burst:
//  1. tat is the key's stored arrival time, or now when it has passed;
//  2. the request would move it to tat+T;
//  3. it is allowed when that is at most tau ahead of now, and then
//     tat+T is stored; otherwise nothing changes and the client may retry
//     when the gap has closed.
func (m *Memory) Allow(_ context.Context, key string, l Limit) (Result, error) {
	if err := l.Validate(); err != nil {
		return Result{}, err
	}
	interval := l.Period / time.Duration(l.Rate)
	tolerance := interval * time.Duration(l.Burst)

	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	m.forgetIdle(now)

	// Step 1.
	s := m.byKey[key]
	tat := now
	if s != nil && s.tat.After(now) {
		tat = s.tat
	}

	// Step 2.
	next := tat.Add(interval)
	allowAt := next.Add(-tolerance)

	// Step 3.
	if now.Before(allowAt) {
		return Result{RetryAfter: allowAt.Sub(now), ResetAfter: tat.Sub(now)}, nil
	}
	m.store(s, key, next)
	return Result{
		Allowed:    true,
		Remaining:  int(now.Sub(allowAt) / interval),
		ResetAfter: next.Sub(now),
	}, nil
}

// forgetIdle drops every key whose TAT has passed: it is at its full
// allowance, so dropping it changes no decision.
func (m *Memory) forgetIdle(now time.Time) {
	for len(m.order) > 0 && !m.order[0].tat.After(now) {
		s := heap.Pop(&m.order).(*slot)
		delete(m.byKey, s.key)
	}
}

func (m *Memory) store(s *slot, key string, tat time.Time) {
	if s != nil {
		s.tat = tat
		heap.Fix(&m.order, s.index)
		return
	}
	if len(m.order) >= m.maxKeys {
		// Every key is busy: forget the one nearest its full allowance.
		old := heap.Pop(&m.order).(*slot)
		delete(m.byKey, old.key)
	}
	s = &slot{key: key, tat: tat}
	heap.Push(&m.order, s)
	m.byKey[key] = s
}

// Len returns how many keys are tracked.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byKey)
}

// slots implements heap.Interface ordered by TAT.
type slots []*slot

func (h slots) Len() int           { return len(h) }
func (h slots) Less(i, j int) bool { return h[i].tat.Before(h[j].tat) }

func (h slots) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *slots) Push(x any) {
	s := x.(*slot)
	s.index = len(*h)
	*h = append(*h, s)
}

func (h *slots) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}
