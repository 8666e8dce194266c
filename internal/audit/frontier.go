package audit

import (
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// frontier keeps the hashes of the complete subtrees on the right edge of
// a tree as it grows leaf by leaf: at most one per bit of the size, so that
// a log of any length is recomputed in constant memory. It is a
// tlog.HashReader for exactly the hashes tlog.StoredHashesForRecordHash
// (for the next leaf) and tlog.TreeHash (for the current size) ask for.
type frontier struct {
	size   int64
	hashes map[int64]tlog.Hash
}

func newFrontier() *frontier { return &frontier{hashes: make(map[int64]tlog.Hash)} }

// ReadHashes implements tlog.HashReader.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, ix := range indexes {
		h, ok := f.hashes[ix]
		if !ok {
			return nil, fmt.Errorf("frontier: hash %d is not on the right edge", ix)
		}
		out[i] = h
	}
	return out, nil
}

// push adds leaf hash h as leaf f.size and returns the stored hashes that
// leaf n = f.size contributes (tlog.StoredHashesForRecordHash).
func (f *frontier) push(h tlog.Hash) ([]tlog.Hash, error) {
	n := f.size
	hashes, err := tlog.StoredHashesForRecordHash(n, h, f)
	if err != nil {
		return nil, err
	}
	first := tlog.StoredHashIndex(0, n)
	for i, x := range hashes {
		f.hashes[first+int64(i)] = x
	}
	f.size++

	keep := edge(f.size)
	for ix := range f.hashes {
		if !keep[ix] {
			delete(f.hashes, ix)
		}
	}
	return hashes, nil
}

// root is the tree hash at the current size.
func (f *frontier) root() (tlog.Hash, error) { return tlog.TreeHash(f.size, f) }

// edge returns the stored-hash indexes of the complete subtrees that make up
// a tree of the given size: for each set bit of size, from the highest, the
// subtree of that many leaves that starts where the previous one ended
// (RFC 6962 section 2.1's decomposition).
func edge(size int64) map[int64]bool {
	keep := make(map[int64]bool, 64)
	var lo int64
	for lo < size {
		level := 63 - bits.LeadingZeros64(uint64(size-lo)) // #nosec G115 -- lo < size
		keep[tlog.StoredHashIndex(level, lo>>uint(level))] = true
		lo += 1 << uint(level)
	}
	return keep
}
