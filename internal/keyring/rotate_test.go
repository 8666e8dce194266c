package keyring

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// testColumn is a table of sealed values whose context is built from two
// key columns, one of them an integer, like mfa_recovery_codes.
var testColumn = Column{Table: "rotation_test", Column: "sealed", Keys: []string{"id", "n"},
	AAD: func(k []string) []byte { return []byte("rotation_test:" + k[0] + ":" + k[1]) }}

func TestRotation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		store := NewSQLStore(db)
		now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
		if _, err := db.ExecContext(ctx, `CREATE TABLE rotation_test (id TEXT NOT NULL,
			n INTEGER NOT NULL, sealed `+blob(db)+`, PRIMARY KEY (id, n))`); err != nil {
			t.Fatal(err)
		}
		old, _ := New(rand.Reader, key(1))
		if err := VerifyDatabase(ctx, old, store, now); err != nil {
			t.Fatal(err)
		}
		mac := old.MAC("purpose", []byte("x"))
		const rows = 1203 // more than two batches
		for i := range rows {
			id, n := fmt.Sprintf("r%04d", i/3), fmt.Sprint(i%3)
			sealed, _ := old.Seal([]byte("secret "+id+n), testColumn.AAD([]string{id, n}))
			if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO rotation_test
				VALUES (?, ?, ?)`), id, i%3, sealed); err != nil {
				t.Fatal(err)
			}
		}
		cols := append(Columns(), testColumn)

		// Step 1: the new key is the master key, the old one previous.
		both, _ := New(rand.Reader, key(2), key(1))
		if err := VerifyDatabase(ctx, both, store, now); err != nil {
			t.Fatalf("new key with the old one as previous: %v", err)
		}
		if !bytes.Equal(both.MAC("purpose", []byte("x")), mac) {
			t.Fatal("the MAC changed with the master key")
		}
		// Until the rotation, the old key alone still starts.
		if err := VerifyDatabase(ctx, old, store, now); err != nil {
			t.Fatalf("old key before the rotation: %v", err)
		}

		// Step 2: re-encrypt.
		counts, err := Reencrypt(ctx, db, both, cols)
		if err != nil {
			t.Fatal(err)
		}
		newID := both.PrimaryID().String()
		for _, c := range counts {
			if c.NotPrimary(newID) != 0 || c.ByKey[newID] == 0 {
				t.Fatalf("%s after re-encryption: %v", c.Column, c.ByKey)
			}
		}
		if counts[1].Resealed != rows || counts[0].Resealed != 1 {
			t.Fatalf("resealed %d and %d, want %d and 1 (the MAC root)", counts[1].Resealed,
				counts[0].Resealed, rows)
		}
		again, err := Reencrypt(ctx, db, both, cols)
		if err != nil || again[1].Resealed != 0 {
			t.Fatalf("a second run resealed %d (%v)", again[1].Resealed, err)
		}

		// Step 3: retire the old key; a node that starts with it is refused.
		retired, err := RetireRotated(ctx, store, both, counts, now)
		if err != nil || len(retired) != 1 || retired[0] != old.PrimaryID().String() {
			t.Fatalf("retired %v, %v", retired, err)
		}
		if err := VerifyDatabase(ctx, old, store, now); !errors.Is(err, ErrRotatedOut) {
			t.Fatalf("old key after the rotation: got %v, want ErrRotatedOut", err)
		}

		// Step 4: the new key alone opens everything, with the same MACs.
		only, _ := New(rand.Reader, key(2))
		if err := VerifyDatabase(ctx, only, store, now); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(only.MAC("purpose", []byte("x")), mac) {
			t.Fatal("the MAC changed after the rotation")
		}
		var sealed []byte
		if err := db.QueryRowContext(ctx, db.Rebind(`SELECT sealed FROM rotation_test
			WHERE id = ? AND n = ?`), "r0100", 2).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		plain, err := only.Open(sealed, testColumn.AAD([]string{"r0100", "2"}))
		if err != nil || string(plain) != "secret r01002" {
			t.Fatalf("open after rotation: %q %v", plain, err)
		}
		stranger, _ := New(rand.Reader, key(3))
		if err := VerifyDatabase(ctx, stranger, store, now); !errors.Is(err, ErrWrongMasterKey) {
			t.Fatalf("an unrelated key: %v", err)
		}
	})
}

func TestReencryptLeavesConcurrentChangesAndNamesBadValues(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE rotation_test (id TEXT NOT NULL,
			n INTEGER NOT NULL, sealed `+blob(db)+`, PRIMARY KEY (id, n))`); err != nil {
			t.Fatal(err)
		}
		old, _ := New(rand.Reader, key(1))
		both, _ := New(rand.Reader, key(2), key(1))
		insert := func(id string, sealed []byte) {
			if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO rotation_test
				VALUES (?, 0, ?)`), id, sealed); err != nil {
				t.Fatal(err)
			}
		}
		s, _ := old.Seal([]byte("a"), testColumn.AAD([]string{"a", "0"}))
		insert("a", s)

		// A node rewrites the row between the read and the write.
		racing := testColumn
		racing.AAD = func(k []string) []byte {
			fresh, _ := both.Seal([]byte("new"), testColumn.AAD(k))
			db.ExecContext(ctx, db.Rebind(`UPDATE rotation_test SET sealed = ? WHERE id = ?`),
				fresh, k[0])
			return testColumn.AAD(k)
		}
		counts, err := Reencrypt(ctx, db, both, []Column{racing})
		if err != nil || counts[0].Changed != 1 || counts[0].Resealed != 0 {
			t.Fatalf("concurrent change: %+v %v", counts, err)
		}
		var got []byte
		db.QueryRowContext(ctx, `SELECT sealed FROM rotation_test`).Scan(&got)
		if plain, _ := both.Open(got, testColumn.AAD([]string{"a", "0"})); string(plain) != "new" {
			t.Fatalf("the node's write was overwritten: %q", plain)
		}

		// A value sealed for another context does not open: the error names
		// the column.
		bad, _ := old.Seal([]byte("b"), []byte("elsewhere"))
		insert("b", bad)
		_, err = Reencrypt(ctx, db, both, []Column{testColumn})
		if err == nil || !strings.Contains(err.Error(), "rotation_test.sealed") {
			t.Fatalf("a value that does not open: %v", err)
		}
	})
}

func blob(db *storage.DB) string {
	if db.Dialect() == storage.Postgres {
		return "BYTEA"
	}
	return "BLOB"
}

// A previous key equal to the master key is a configuration mistake that
// would hide a rotation that never happened: it is refused.
func TestNewFromConfigRefusesRepeatedKey(t *testing.T) {
	cfg := config.Default()
	master := key(1)
	cfg.MasterKey.Previous = config.Secret(base64.StdEncoding.EncodeToString(master))
	if _, err := NewFromConfig(rand.Reader, master, cfg); err == nil ||
		!strings.Contains(err.Error(), "repeats") {
		t.Fatalf("previous == master: %v", err)
	}
	cfg.MasterKey.Previous = config.Secret(base64.StdEncoding.EncodeToString(key(2)))
	r, err := NewFromConfig(rand.Reader, master, cfg)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := New(rand.Reader, key(2))
	sealed, _ := old.Seal([]byte("x"), []byte("ctx"))
	if plain, err := r.Open(sealed, []byte("ctx")); err != nil || string(plain) != "x" {
		t.Fatalf("the previous key does not open: %v", err)
	}
}
