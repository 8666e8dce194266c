package filestore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cerrojo/cerrojo/internal/keyring"
)

func testRing(t *testing.T) *keyring.Ring {
	t.Helper()
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	r, err := keyring.New(rand.Reader, master)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testFS(t *testing.T) *FS {
	t.Helper()
	s, err := NewFS(filepath.Join(t.TempDir(), "docs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var _ Sealer = (*keyring.Ring)(nil)
var _ Store = (*FS)(nil)
var _ Store = (*Memory)(nil)

func TestFSKeys(t *testing.T) {
	ctx := context.Background()
	s := testFS(t)
	bad := []string{"../x", "a/b", "", "Upper", "..", ".", ".tmp-x", "-a", "_a", "a\\b",
		"a b", "a\x00b", "/etc/passwd", "rut.pdf", "ñ", strings.Repeat("a", 129)}
	for _, k := range bad {
		if err := s.Put(ctx, k, []byte("x")); !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", k, err)
		}
		if _, err := s.Get(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Get(%q) = %v, want ErrBadKey", k, err)
		}
		if err := s.Delete(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Dir), "x")); err == nil {
		t.Error("a file escaped the store directory")
	}
	for _, k := range []string{"a", "0", "vendor-123_rut", strings.Repeat("z", 128)} {
		if err := s.Put(ctx, k, []byte("blob")); err != nil {
			t.Errorf("Put(%q) = %v", k, err)
		}
	}
}

func TestFSRoundTripAndModes(t *testing.T) {
	ctx := context.Background()
	s := testFS(t)
	fi, err := os.Stat(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", fi.Mode().Perm())
	}
	if _, err := s.Get(ctx, "k1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing = %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, "k1", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k1", []byte("second")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "k1")
	if err != nil || string(got) != "second" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	fi, err = os.Stat(filepath.Join(s.Dir, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "k1" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %q, want only k1 (no temporary files)", names)
	}
	if err := s.Delete(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "k1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get deleted = %v, want ErrNotFound", err)
	}
}

func TestFSUmaskAndExistingDir(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	s := testFS(t)
	if err := s.Put(context.Background(), "k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	modes := map[string]os.FileMode{s.Dir: 0o700, filepath.Join(s.Dir, "k"): 0o600}
	for path, want := range modes {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v with umask 0, want %v", path, fi.Mode().Perm(), want)
		}
	}
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFS(open); err == nil {
		t.Error("NewFS accepted a directory readable by others")
	}
	if _, err := NewFS(s.Dir); err != nil {
		t.Errorf("NewFS on its own existing dir: %v", err)
	}
}

func TestFSFailedWriteLeavesNoTemp(t *testing.T) {
	s := testFS(t)
	// A directory in the way of the rename makes Put fail after the temp write.
	if err := os.Mkdir(filepath.Join(s.Dir, "busy"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "busy", "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "busy", []byte("x")); err == nil {
		t.Fatal("Put over a non-empty directory succeeded")
	}
	entries, _ := os.ReadDir(s.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if _, err := s.Get(context.Background(), "busy"); err == nil {
		t.Error("Get returned a directory")
	}
}

func TestFSSymlinkNotFollowedOut(t *testing.T) {
	s := testFS(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(s.Dir, "link")); err != nil {
		t.Skip(err)
	}
	if b, err := s.Get(context.Background(), "link"); err == nil {
		t.Errorf("Get through a symlink out of the store = %q", b)
	}
}

func testVault(t *testing.T, s Store) *Vault {
	return &Vault{Store: s, Sealer: testRing(t), MaxBytes: 1 << 16}
}

func TestVaultRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		content  []byte
		declared string
		kind     Kind
	}{
		{"pdf", []byte(tinyPDF), "application/pdf", PDF},
		{"png", tinyPNG(t), "image/png", PNG},
		{"jpeg", tinyJPEG(t), "", JPEG},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs := testFS(t)
			v := testVault(t, fs)
			doc, err := v.Put(ctx, "vendor-1-"+tt.name, bytes.NewReader(tt.content), tt.declared)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tt.content)
			want := Document{Key: "vendor-1-" + tt.name, Kind: tt.kind,
				Size: int64(len(tt.content)), SHA256: hex.EncodeToString(sum[:])}
			if doc != want {
				t.Fatalf("Put = %+v, want %+v", doc, want)
			}
			blob, err := fs.Get(ctx, doc.Key)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(blob, tt.content[:min(len(tt.content), 32)]) {
				t.Error("stored blob contains plaintext")
			}
			got, err := v.Get(ctx, doc.Key, strings.ToUpper(doc.SHA256), doc.Kind)
			if err != nil || !bytes.Equal(got, tt.content) {
				t.Fatalf("Get = %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestVaultRefusals(t *testing.T) {
	ctx := context.Background()
	pdf := []byte(tinyPDF)
	sum := sha256.Sum256(pdf)
	goodSHA := hex.EncodeToString(sum[:])

	t.Run("size limit", func(t *testing.T) {
		v := testVault(t, NewMemory())
		v.MaxBytes = int64(len(pdf))
		if _, err := v.Put(ctx, "exact", bytes.NewReader(pdf), ""); err != nil {
			t.Fatalf("file of exactly MaxBytes: %v", err)
		}
		v.MaxBytes = int64(len(pdf)) - 1 // the file is MaxBytes+1
		if _, err := v.Put(ctx, "big", bytes.NewReader(pdf), ""); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("MaxBytes+1: %v, want ErrTooLarge", err)
		}
		// An endless reader is not read past the limit.
		lr := &countingReader{r: zeroReader{}}
		if _, err := v.Put(ctx, "endless", lr, ""); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("endless: %v", err)
		}
		if lr.n > v.MaxBytes+1 {
			t.Errorf("read %d bytes, limit %d", lr.n, v.MaxBytes+1)
		}
		if _, err := v.Store.Get(ctx, "big"); !errors.Is(err, ErrNotFound) {
			t.Errorf("too large file was stored: %v", err)
		}
	})

	t.Run("detect errors pass through", func(t *testing.T) {
		v := testVault(t, NewMemory())
		for _, c := range []struct {
			content  string
			declared string
			err      error
		}{
			{"<html><script>alert(1)</script></html>", "application/pdf", ErrUnsupported},
			{tinyPDF, "image/png", ErrMismatch},
			{tinyPDF[:len(tinyPDF)-8], "", ErrMalformed},
			{"", "", ErrUnsupported},
		} {
			_, err := v.Put(ctx, "k", strings.NewReader(c.content), c.declared)
			if !errors.Is(err, c.err) {
				t.Errorf("Put(%.20q) = %v, want %v", c.content, err, c.err)
			}
		}
		if _, err := v.Store.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
			t.Errorf("refused file was stored: %v", err)
		}
	})

	t.Run("blob moved to another key does not open", func(t *testing.T) {
		fs := testFS(t)
		v := testVault(t, fs)
		if _, err := v.Put(ctx, "vendor-1-rut", bytes.NewReader(pdf), ""); err != nil {
			t.Fatal(err)
		}
		blob, _ := fs.Get(ctx, "vendor-1-rut")
		if err := fs.Put(ctx, "vendor-2-rut", blob); err != nil {
			t.Fatal(err)
		}
		_, err := v.Get(ctx, "vendor-2-rut", goodSHA, PDF)
		if !errors.Is(err, ErrIntegrity) || !errors.Is(err, keyring.ErrDecrypt) {
			t.Fatalf("Get of a copied blob = %v, want ErrIntegrity", err)
		}
	})

	t.Run("tampered blob", func(t *testing.T) {
		fs := testFS(t)
		v := testVault(t, fs)
		if _, err := v.Put(ctx, "k", bytes.NewReader(pdf), ""); err != nil {
			t.Fatal(err)
		}
		blob, _ := fs.Get(ctx, "k")
		for _, i := range []int{0, 5, 30, len(blob) - 1} {
			bad := bytes.Clone(blob)
			bad[i] ^= 0x01
			if err := fs.Put(ctx, "k", bad); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Get(ctx, "k", goodSHA, PDF); !errors.Is(err, ErrIntegrity) {
				t.Errorf("byte %d flipped: %v, want ErrIntegrity", i, err)
			}
		}
		_ = fs.Put(ctx, "k", blob[:len(blob)-1])
		if _, err := v.Get(ctx, "k", goodSHA, PDF); !errors.Is(err, ErrIntegrity) {
			t.Errorf("truncated blob: %v", err)
		}
	})

	t.Run("wrong sha and kind", func(t *testing.T) {
		v := testVault(t, NewMemory())
		if _, err := v.Put(ctx, "k", bytes.NewReader(pdf), ""); err != nil {
			t.Fatal(err)
		}
		other := sha256.Sum256([]byte("other"))
		_, err := v.Get(ctx, "k", hex.EncodeToString(other[:]), PDF)
		if !errors.Is(err, ErrIntegrity) {
			t.Errorf("wrong SHA-256: %v, want ErrIntegrity", err)
		}
		if _, err := v.Get(ctx, "k", goodSHA, PNG); !errors.Is(err, ErrIntegrity) {
			t.Errorf("wrong kind: %v, want ErrIntegrity", err)
		}
		for _, s := range []string{"", "zz", goodSHA[:62]} {
			if _, err := v.Get(ctx, "k", s, PDF); err == nil {
				t.Errorf("Get with SHA %q succeeded", s)
			}
		}
		if _, err := v.Get(ctx, "k", goodSHA, "gif"); err == nil {
			t.Error("Get with unknown kind succeeded")
		}
		if _, err := v.Get(ctx, "missing", goodSHA, PDF); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing: %v, want ErrNotFound", err)
		}
	})

	t.Run("other master key", func(t *testing.T) {
		s := NewMemory()
		v := testVault(t, s)
		if _, err := v.Put(ctx, "k", bytes.NewReader(pdf), ""); err != nil {
			t.Fatal(err)
		}
		v2 := testVault(t, s)
		if _, err := v2.Get(ctx, "k", goodSHA, PDF); !errors.Is(err, ErrIntegrity) {
			t.Errorf("other master key: %v", err)
		}
	})

	t.Run("misconfigured vault", func(t *testing.T) {
		for _, v := range []*Vault{nil, {}, {Store: NewMemory(), Sealer: testRing(t)}} {
			if _, err := v.Put(ctx, "k", bytes.NewReader(pdf), ""); err == nil {
				t.Errorf("Put on %+v succeeded", v)
			}
			if _, err := v.Get(ctx, "k", goodSHA, PDF); err == nil {
				t.Errorf("Get on %+v succeeded", v)
			}
		}
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
