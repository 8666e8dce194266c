package audit

import "errors"

var (
	// ErrNotFound means no record has the index or id asked for.
	ErrNotFound = errors.New("audit record not found")
	// ErrNoSigner means the log was built without a keyring and cannot sign
	// checkpoints.
	ErrNoSigner = errors.New("audit: no keyring to open the checkpoint signing key")
	// ErrNoCheckpoint means no checkpoint has been signed yet.
	ErrNoCheckpoint = errors.New("audit: no checkpoint has been signed")
	// ErrTreeSize means a proof was asked for a tree size the log has not
	// reached, or for indexes outside it.
	ErrTreeSize = errors.New("audit: tree size out of range")
	// ErrInconsistent means the stored tree no longer extends the last
	// signed checkpoint: the log was altered. The checkpointer refuses to
	// sign over it; run `cerrojo audit verify`.
	ErrInconsistent = errors.New("audit: the stored tree does not extend the last checkpoint")
)

// ErrEmptyLog means there is nothing to checkpoint or prove yet.
var ErrEmptyLog = errors.New("audit: the log is empty")
