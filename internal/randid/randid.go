// Package randid makes the ids of stored records: a prefix naming the kind
// of record and 128 random bits in lower-case base32, such as
// "hdr_k5v3…". 128 bits make ids unguessable, so that one cannot be found
// by trying.
package randid

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"strings"
	"sync"
)

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Source makes ids from a random reader. It is safe for concurrent use
// even when the reader is not (a deterministic one in tests).
type Source struct {
	mu sync.Mutex
	r  io.Reader
}

// NewSource returns a source reading r, or crypto/rand when r is nil.
func NewSource(r io.Reader) *Source {
	if r == nil {
		r = rand.Reader
	}
	return &Source{r: r}
}

// ID returns prefix followed by 128 random bits.
func (s *Source) ID(prefix string) (string, error) {
	b := make([]byte, 16)
	s.mu.Lock()
	_, err := io.ReadFull(s.r, b)
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return prefix + strings.ToLower(encoding.EncodeToString(b)), nil
}
