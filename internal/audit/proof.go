package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// InclusionProof shows that the record at Index is leaf Index of the tree
// of size TreeSize (RFC 6962 section 2.1.1, an audit path). Check it with
// tlog.CheckRecord(Proof, TreeSize, RootHash, Index, LeafHash), and check
// RootHash against a checkpoint of the same size.
type InclusionProof struct {
	Index    int64            `json:"index"`
	TreeSize int64            `json:"tree_size"`
	LeafHash tlog.Hash        `json:"leaf_hash"`
	RootHash tlog.Hash        `json:"root_hash"`
	Proof    tlog.RecordProof `json:"proof"`
}

// ConsistencyProof shows that the tree of size OldSize is a prefix of the
// tree of size NewSize (RFC 6962 section 2.1.2): nothing recorded before
// OldSize was changed, removed or reordered. Check it with
// tlog.CheckTree(Proof, NewSize, NewRoot, OldSize, OldRoot).
type ConsistencyProof struct {
	OldSize int64          `json:"old_size"`
	NewSize int64          `json:"new_size"`
	OldRoot tlog.Hash      `json:"old_root"`
	NewRoot tlog.Hash      `json:"new_root"`
	Proof   tlog.TreeProof `json:"proof"`
}

// defaultTreeSize is the size proofs are made against when the caller does
// not say: that of the newest checkpoint, so that the root can be checked
// against a signature.
func (l *Log) defaultTreeSize(ctx context.Context) (int64, error) {
	c, err := l.LatestCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	return c.Size, nil
}

// InclusionProof proves that record index is in the tree of size treeSize;
// treeSize 0 means the newest checkpoint's size.
func (l *Log) InclusionProof(ctx context.Context, index, treeSize int64) (*InclusionProof,
	error) {
	if treeSize == 0 {
		var err error
		if treeSize, err = l.defaultTreeSize(ctx); err != nil {
			return nil, err
		}
	}
	size, err := l.Size(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || treeSize <= index || treeSize > size {
		return nil, fmt.Errorf("%w: index %d, tree size %d, log size %d", ErrTreeSize, index,
			treeSize, size)
	}

	reader := hashReader(ctx, l.db, l.db)
	proof, err := tlog.ProveRecord(treeSize, index, reader)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	root, err := tlog.TreeHash(treeSize, reader)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	leaf, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	return &InclusionProof{Index: index, TreeSize: treeSize, LeafHash: leaf[0], RootHash: root,
		Proof: proof}, nil
}

// ConsistencyProof proves that the tree of size oldSize is a prefix of the
// tree of size newSize; newSize 0 means the newest checkpoint's size.
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (*ConsistencyProof,
	error) {
	if newSize == 0 {
		var err error
		if newSize, err = l.defaultTreeSize(ctx); err != nil {
			return nil, err
		}
	}
	size, err := l.Size(ctx)
	if err != nil {
		return nil, err
	}
	if oldSize < 1 || oldSize > newSize || newSize > size {
		return nil, fmt.Errorf("%w: old size %d, new size %d, log size %d", ErrTreeSize, oldSize,
			newSize, size)
	}

	reader := hashReader(ctx, l.db, l.db)
	proof, err := tlog.ProveTree(newSize, oldSize, reader)
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	oldRoot, err := tlog.TreeHash(oldSize, reader)
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	newRoot, err := tlog.TreeHash(newSize, reader)
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	return &ConsistencyProof{OldSize: oldSize, NewSize: newSize, OldRoot: oldRoot,
		NewRoot: newRoot, Proof: proof}, nil
}
