package filestore

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Sealer is what encrypts: *keyring.Ring from internal/keyring satisfies it.
// Open must fail for a sealed value that was altered or sealed with other
// associated data.
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// ErrIntegrity means a stored document does not open, or no longer matches
// the hash or kind recorded when it was stored: it was altered, moved to
// another key, or the record is wrong. Treat it as a security event.
var ErrIntegrity = errors.New("filestore: stored document failed its integrity check")

// aadPrefix binds a sealed document to its key. Changing it makes every
// stored document unreadable: never do.
const aadPrefix = "cerrojo document v1:"

// AAD returns the associated data a document under key is sealed with.
func AAD(key string) []byte { return []byte(aadPrefix + key) }

// Vault verifies, seals and stores documents.
type Vault struct {
	Store    Store
	Sealer   Sealer
	MaxBytes int64 // must be > 0
}

// Document describes a stored document; keep it beside the key (for
// example in the vendor's row) and pass SHA256 and Kind back to Get.
type Document struct {
	Key    string
	Kind   Kind
	Size   int64
	SHA256 string // hex of the plaintext
}

func (v *Vault) check() error {
	if v == nil || v.Store == nil || v.Sealer == nil || v.MaxBytes <= 0 {
		return errors.New("filestore: vault needs a Store, a Sealer and MaxBytes > 0")
	}
	return nil
}

// Put reads at most MaxBytes+1 from r (ErrTooLarge beyond MaxBytes),
// Detects the kind (declared as in Detect), seals the content with the
// associated data "cerrojo document v1:"+key so a blob moved under another
// key does not open, stores it under key (replacing any document there)
// and returns the metadata. The plaintext is never written anywhere.
func (v *Vault) Put(
	ctx context.Context, key string, r io.Reader, declared string,
) (Document, error) {
	if err := v.check(); err != nil {
		return Document{}, err
	}
	limit := v.MaxBytes
	if limit < math.MaxInt64 {
		limit++
	}
	content, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return Document{}, fmt.Errorf("filestore: read upload: %w", err)
	}
	defer clear(content)
	if int64(len(content)) > v.MaxBytes {
		return Document{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, v.MaxBytes)
	}
	kind, err := Detect(content, declared)
	if err != nil {
		return Document{}, err
	}
	sum := sha256.Sum256(content)
	sealed, err := v.Sealer.Seal(content, AAD(key))
	if err != nil {
		return Document{}, fmt.Errorf("filestore: seal: %w", err)
	}
	if err := v.Store.Put(ctx, key, sealed); err != nil {
		return Document{}, err
	}
	return Document{
		Key:    key,
		Kind:   kind,
		Size:   int64(len(content)),
		SHA256: hex.EncodeToString(sum[:]),
	}, nil
}

// Get returns the plaintext of the document under key after checking that
// it opens for that key, still hashes to wantSHA256 (hex, either case) and
// is still of the given kind. Failures of these checks wrap ErrIntegrity;
// a missing document wraps ErrNotFound.
func (v *Vault) Get(ctx context.Context, key, wantSHA256 string, kind Kind) ([]byte, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	want, err := hex.DecodeString(strings.ToLower(wantSHA256))
	if err != nil || len(want) != sha256.Size {
		return nil, errors.New("filestore: wantSHA256 is not a hex SHA-256")
	}
	if !kind.Valid() {
		return nil, fmt.Errorf("filestore: unknown kind %q", truncateForError(string(kind)))
	}
	sealed, err := v.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	plain, err := v.Sealer.Open(sealed, AAD(key))
	if err != nil {
		return nil, fmt.Errorf("%w: %s does not open: %w", ErrIntegrity, key, err)
	}
	sum := sha256.Sum256(plain)
	if subtle.ConstantTimeCompare(sum[:], want) != 1 {
		clear(plain)
		return nil, fmt.Errorf("%w: %s does not match its SHA-256", ErrIntegrity, key)
	}
	if _, err := Detect(plain, kind.MediaType()); err != nil {
		clear(plain)
		return nil, fmt.Errorf("%w: %s is no longer a valid %s: %w", ErrIntegrity, key, kind, err)
	}
	return plain, nil
}

// Delete removes the document under key.
func (v *Vault) Delete(ctx context.Context, key string) error {
	if err := v.check(); err != nil {
		return err
	}
	return v.Store.Delete(ctx, key)
}
