package sdk

import (
	"context"
	"sync"
)

// Revocations is the extension point for the revocation list: when a
// Verifier has one, every token that passes all other checks is refused if
// Revoked says so. An error makes Verify fail closed with
// ErrRevocationUnavailable, because a list that cannot be read cannot
// prove a session still stands.
//
// RemoteRevocations is the implementation that follows cerrojo's list of
// ended sessions; MemoryRevocations suits tests. Any implementation must
// answer from memory: Revoked runs on every request.
type Revocations interface {
	// Revoked reports whether the token with these claims must be refused:
	// its session (sid) or the token itself (jti) was revoked.
	Revoked(ctx context.Context, c *Claims) (bool, error)
}

// MemoryRevocations is an in-memory Revocations for tests and for a single
// process. It is safe for concurrent use.
//
// Entries are never removed: it grows with every revocation. A long-lived
// implementation must forget a jti once the token it names has expired and
// a sid once every token of the session has; this one does not.
type MemoryRevocations struct {
	mu       sync.RWMutex
	sessions map[string]struct{}
	tokens   map[string]struct{}
}

// NewMemoryRevocations returns an empty list.
func NewMemoryRevocations() *MemoryRevocations {
	return &MemoryRevocations{sessions: map[string]struct{}{}, tokens: map[string]struct{}{}}
}

// RevokeSession refuses every token whose sid is sid.
func (m *MemoryRevocations) RevokeSession(sid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[sid] = struct{}{}
}

// RevokeToken refuses the token whose jti is jti.
func (m *MemoryRevocations) RevokeToken(jti string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[jti] = struct{}{}
}

// Revoked reports whether c's session or c itself was revoked.
func (m *MemoryRevocations) Revoked(_ context.Context, c *Claims) (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.tokens[c.ID]; ok {
		return true, nil
	}
	if c.SessionID == "" {
		return false, nil
	}
	_, ok := m.sessions[c.SessionID]
	return ok, nil
}
