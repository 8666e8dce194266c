package filestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sync"
)

// Store keeps opaque sealed blobs under keys.
type Store interface {
	// Put stores blob under key, replacing any blob already there.
	Put(ctx context.Context, key string, blob []byte) error
	// Get returns the blob under key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes the blob under key, or returns an error wrapping
	// ErrNotFound if there is none.
	Delete(ctx context.Context, key string) error
}

// ErrNotFound means no blob is stored under the key.
var ErrNotFound = errors.New("filestore: not found")

// ErrBadKey means a key does not match KeyPattern.
var ErrBadKey = errors.New("filestore: invalid key")

// KeyPattern is what keys must match: lower-case ASCII letters, digits, '_'
// and '-', starting with a letter or digit, at most 128 bytes. No '/', '.',
// or '\\' can appear, so a key never names another directory or a hidden
// (temporary) file.
const KeyPattern = `^[a-z0-9][a-z0-9_-]{0,127}$`

var keyRE = regexp.MustCompile(KeyPattern)

// ValidKey reports whether key matches KeyPattern.
func ValidKey(key string) bool { return keyRE.MatchString(key) }

func checkKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("%w: %q", ErrBadKey, truncateForError(key))
	}
	return nil
}

// FS stores blobs as files directly under Dir. Files are opened through an
// os.Root, so even a key that slipped past validation could not reach
// outside Dir (nor follow a symbolic link out of it).
type FS struct {
	Dir string
}

// NewFS returns a store under dir, creating it with mode 0700 if needed.
// An existing dir that group or others can access is refused: documents
// must be readable by the service account alone.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("filestore: empty directory")
	}
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		// Mkdir applies the umask, which can only remove bits; make it exact.
		// #nosec G302 -- a directory needs the search bit; 0700 is owner only.
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("filestore: %w", err)
		}
	case errors.Is(err, fs.ErrExist):
	default:
		return nil, fmt.Errorf("filestore: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("filestore: %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("filestore: %s has mode %v, want 0700 (run chmod 700)",
			dir, fi.Mode().Perm())
	}
	return &FS{Dir: dir}, nil
}

// Put writes blob to a temporary file (mode 0600, name starting with '.'
// so it is never a valid key), syncs it, renames it over key and syncs the
// directory: a crash leaves the old blob or the new one, never a mix.
func (f *FS) Put(ctx context.Context, key string, blob []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	defer root.Close()
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	tmp := ".tmp-" + key + "-" + hex.EncodeToString(rnd[:])
	file, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := writeAndClose(file, blob); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("filestore: write %s: %w", key, err)
	}
	if err := root.Rename(tmp, key); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("filestore: rename %s: %w", key, err)
	}
	return syncDir(root)
}

// writeAndClose writes blob to file, syncs it to stable storage and closes
// it; the file is closed whatever happens.
func writeAndClose(file *os.File, blob []byte) error {
	_, err := file.Write(blob)
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get reads the blob under key.
func (f *FS) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	defer root.Close()
	fi, err := root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("filestore: %s is not a regular file", key)
	}
	b, err := root.ReadFile(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	return b, nil
}

// Delete removes the blob under key.
func (f *FS) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	defer root.Close()
	if err := root.Remove(key); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return fmt.Errorf("filestore: %w", err)
	}
	return syncDir(root)
}

// syncDir makes a rename or removal durable.
func syncDir(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("filestore: sync directory: %w", err)
	}
	return nil
}

// Memory is a Store in memory, for tests and development. It applies the
// same key rules as FS.
type Memory struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{blobs: make(map[string][]byte)} }

// Put stores a copy of blob.
func (m *Memory) Put(_ context.Context, key string, blob []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[key] = append([]byte(nil), blob...)
	return nil
}

// Get returns a copy of the blob under key.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return append([]byte(nil), b...), nil
}

// Delete removes the blob under key.
func (m *Memory) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[key]; !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	delete(m.blobs, key)
	return nil
}
