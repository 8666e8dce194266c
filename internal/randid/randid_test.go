package randid

import (
	"bytes"
	"errors"
	"regexp"
	"sync"
	"testing"
	"testing/iotest"
)

func TestID(t *testing.T) {
	s := NewSource(nil)
	shape := regexp.MustCompile(`^pre_[a-z2-7]{26}$`)
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				id, err := s.ID("pre_")
				if err != nil || !shape.MatchString(id) {
					t.Errorf("id %q, %v", id, err)
					return
				}
				mu.Lock()
				if seen[id] {
					t.Errorf("id %q made twice", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	fixed := NewSource(bytes.NewReader(make([]byte, 16)))
	if id, _ := fixed.ID("x_"); id != "x_aaaaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Errorf("from zero bytes: %q", id)
	}
	boom := errors.New("no entropy")
	if _, err := NewSource(iotest.ErrReader(boom)).ID("x_"); !errors.Is(err, boom) {
		t.Errorf("a failing reader: %v", err)
	}
}
