package keyring

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cerrojo/cerrojo/internal/config"
)

func TestMasterKeyInDataDir(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")

	first, src, err := LoadMasterKey(cfg, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !src.Created || src.Kind != "data_dir" {
		t.Fatalf("first load: got %+v, want a created data_dir key", src)
	}
	info, err := os.Stat(src.Path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode is %v, want 0600", perm)
	}
	dirInfo, _ := os.Stat(cfg.DataDir)
	if perm := dirInfo.Mode().Perm(); perm != 0o700 {
		t.Errorf("data directory mode is %v, want 0700", perm)
	}

	second, src2, err := LoadMasterKey(cfg, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if src2.Created || !bytes.Equal(first, second) {
		t.Fatal("second load did not reuse the key")
	}
	leftovers, _ := filepath.Glob(filepath.Join(cfg.DataDir, ".master.key-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestConcurrentFirstStartsAgreeOnOneKey(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()

	const n = 8
	keys := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, _, err := LoadMasterKey(cfg, rand.Reader)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(keys[0], keys[i]) {
			t.Fatalf("start %d got a different key", i)
		}
	}
}

func TestMasterKeyFromEnvironmentAndFile(t *testing.T) {
	raw := bytes.Repeat([]byte{9}, 32)
	encoded := base64.StdEncoding.EncodeToString(raw)

	t.Run("from the value", func(t *testing.T) {
		cfg := config.Default()
		cfg.DataDir = t.TempDir()
		cfg.MasterKey.Value = config.Secret(encoded)
		k, src, err := LoadMasterKey(cfg, rand.Reader)
		if err != nil || !bytes.Equal(k, raw) || src.Kind != "env" {
			t.Fatalf("got %x %+v %v", k, src, err)
		}
		if _, err := os.Stat(filepath.Join(cfg.DataDir, MasterKeyFileName)); err == nil {
			t.Error("a key file was created although the key was configured")
		}
	})
	t.Run("from a file, trailing newline allowed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		os.WriteFile(path, []byte(encoded+"\n"), 0o600)
		cfg := config.Default()
		cfg.MasterKey.File = path
		k, src, err := LoadMasterKey(cfg, rand.Reader)
		if err != nil || !bytes.Equal(k, raw) || src.Kind != "file" || src.LooseMode != 0 {
			t.Fatalf("got %x %+v %v", k, src, err)
		}
	})
	t.Run("a file readable by others is reported", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		os.WriteFile(path, []byte(encoded), 0o644)
		os.Chmod(path, 0o644)
		cfg := config.Default()
		cfg.MasterKey.File = path
		_, src, err := LoadMasterKey(cfg, rand.Reader)
		if err != nil || src.LooseMode != 0o644 {
			t.Fatalf("got mode %v, %v; want 0644 reported", src.LooseMode, err)
		}
	})
	t.Run("a file with a bad key names the file and not the key", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		short := base64.StdEncoding.EncodeToString(raw[:20])
		os.WriteFile(path, []byte(short), 0o600)
		cfg := config.Default()
		cfg.MasterKey.File = path
		_, _, err := LoadMasterKey(cfg, rand.Reader)
		if err == nil || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), short) {
			t.Fatalf("got %v, want an error naming %s without the key", err, path)
		}
	})
	t.Run("a missing file is an error, not a new key", func(t *testing.T) {
		cfg := config.Default()
		cfg.MasterKey.File = filepath.Join(t.TempDir(), "absent")
		if _, _, err := LoadMasterKey(cfg, rand.Reader); err == nil {
			t.Fatal("got no error")
		}
	})
}
