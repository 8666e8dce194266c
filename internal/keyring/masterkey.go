package keyring

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cerrojo/cerrojo/internal/config"
)

// MasterKeyFileName is the name of the key file cerrojo creates in its data
// directory when no other source of the master key is configured.
const MasterKeyFileName = "master.key"

// maxKeyFileBytes caps reading a key file: base64 of 32 bytes and a newline
// is 45 bytes, and a wrong path must not be read whole.
const maxKeyFileBytes = 4 << 10

// Source says where the master key came from.
type Source struct {
	// Kind is "env" (CERROJO_MASTER_KEY or master_key.value), "file"
	// (CERROJO_MASTER_KEY_FILE or master_key.file) or "data_dir".
	Kind string
	// Path is the key file, for "file" and "data_dir".
	Path string
	// Created is true when this call generated the key.
	Created bool
	// LooseMode is set when the key file can be read by other users.
	LooseMode fs.FileMode
}

// LoadMasterKeyIfExists is LoadMasterKey without creating the key file:
// with no key configured and none in DataDir, the error is fs.ErrNotExist
// and the Source names where the key would be. `cerrojo doctor` uses it to
// look without changing anything.
func LoadMasterKeyIfExists(cfg config.Config) ([]byte, Source, error) {
	switch {
	case cfg.MasterKey.Value != "":
		key, err := config.DecodeMasterKey(cfg.MasterKey.Value.Reveal())
		if err != nil {
			return nil, Source{}, fmt.Errorf("master key from CERROJO_MASTER_KEY: %w", err)
		}
		return key, Source{Kind: "env"}, nil

	case cfg.MasterKey.File != "":
		key, mode, err := readKeyFile(cfg.MasterKey.File)
		if err != nil {
			return nil, Source{}, err
		}
		return key, Source{Kind: "file", Path: cfg.MasterKey.File, LooseMode: mode}, nil
	}
	path := filepath.Join(cfg.DataDir, MasterKeyFileName)
	key, mode, err := readKeyFile(path)
	if err != nil {
		return nil, Source{Kind: "data_dir", Path: path}, err
	}
	return key, Source{Kind: "data_dir", Path: path, LooseMode: mode}, nil
}

// LoadMasterKey returns the master key the configuration points to. With no
// key configured it reads DataDir/master.key, creating it (mode 0600, random
// from rand) on first start.
func LoadMasterKey(cfg config.Config, rand io.Reader) ([]byte, Source, error) {
	key, src, err := LoadMasterKeyIfExists(cfg)
	if err == nil || src.Kind != "data_dir" || !errors.Is(err, fs.ErrNotExist) {
		return key, src, err
	}
	key, err = createKeyFile(src.Path, rand)
	if err != nil {
		return nil, Source{}, err
	}
	return key, Source{Kind: "data_dir", Path: src.Path, Created: true}, nil
}

func readKeyFile(path string) ([]byte, fs.FileMode, error) {
	// #nosec G304 -- the path is the operator's master_key.file or the data
	// directory's key file: reading it is the point.
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read master key file: %w", err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("read master key file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read master key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileBytes {
		return nil, 0, fmt.Errorf("master key file %s is too large to be a key", path)
	}

	key, err := config.DecodeMasterKey(string(bytes.TrimRight(data, "\r\n")))
	if err != nil {
		return nil, 0, fmt.Errorf("master key file %s: %w", path, err)
	}
	var loose fs.FileMode
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		loose = perm
	}
	return key, loose, nil
}

// createKeyFile writes a new random key to path without ever exposing a
// partly written file, and without overwriting a key that another process
// created at the same moment: the key is written to a temporary file and
// then hard-linked into place, which fails if path already exists.
func createKeyFile(path string, rand io.Reader) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}

	key := make([]byte, config.MasterKeySize)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, fmt.Errorf("generate master key: %w", err)
	}

	tmp, err := os.CreateTemp(dir, ".master.key-*")
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)

	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close() // the Chmod error is the one to report
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	encoded := base64.StdEncoding.EncodeToString(key) + "\n"
	if _, err := tmp.WriteString(encoded); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return nil, fmt.Errorf("write master key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close() // the sync error is the one to report
		return nil, fmt.Errorf("sync master key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("close master key file: %w", err)
	}

	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process won the race; use its key.
			existing, _, readErr := readKeyFile(path)
			return existing, readErr
		}
		return nil, fmt.Errorf("install master key file: %w", err)
	}
	// #nosec G304 -- dir is the key file's own directory, opened to sync it.
	if d, err := os.Open(dir); err == nil {
		// Make the new directory entry durable; best effort: the key is
		// already written and linked, and a crash would only lose the link.
		_ = d.Sync()
		_ = d.Close()
	}
	return key, nil
}

// NewMasterKey returns a fresh random master key in the encoding that
// CERROJO_MASTER_KEY and key files use.
func NewMasterKey() (string, error) {
	key := make([]byte, config.MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(key), nil
}
