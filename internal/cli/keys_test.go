package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// keysRun runs `cerrojo keys args...` with the given environment.
func keysRun(vars map[string]string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	env := Env{Getenv: func(k string) string { return vars[k] }, Stdin: strings.NewReader(""),
		Stdout: &out, Stderr: &errOut}
	err := runKeys(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

func TestKeysCommand(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testKeysCommand(t, map[string]string{"CERROJO_DATA_DIR": t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		testKeysCommand(t, map[string]string{"CERROJO_DATA_DIR": t.TempDir(),
			"CERROJO_DATABASE_URL": storagetest.PostgresSchemaURL(t)})
	})
}

func testKeysCommand(t *testing.T, vars map[string]string) {
	list := func() []tokens.Key {
		t.Helper()
		out, _, err := keysRun(vars, "list", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var keys []tokens.Key
		if err := json.Unmarshal([]byte(out), &keys); err != nil {
			t.Fatalf("%v in %q", err, out)
		}
		return keys
	}
	states := func(keys []tokens.Key) string {
		var s []string
		for _, k := range keys {
			s = append(s, string(k.State))
		}
		return strings.Join(s, ",")
	}

	// Before migrations the command says what to do.
	if _, _, err := keysRun(vars, "list"); err == nil || !strings.Contains(err.Error(),
		"cerrojo migrate up") {
		t.Fatalf("unmigrated database: got %v", err)
	}
	var migrateOut bytes.Buffer
	if err := runMigrate(context.Background(), Env{Getenv: func(k string) string { return vars[k] },
		Stdout: &migrateOut, Stderr: &migrateOut}, []string{"up"}); err != nil {
		t.Fatalf("migrate: %v: %s", err, migrateOut.String())
	}

	if keys := list(); len(keys) != 0 {
		t.Fatalf("got %d keys on a new database", len(keys))
	}
	if out, _, err := keysRun(vars, "list"); err != nil || !strings.Contains(out, "no signing keys") {
		t.Fatalf("got %q, %v", out, err)
	}

	// The first rotate creates the keys, then declines to promote a next
	// key published a moment ago.
	_, _, err := keysRun(vars, "rotate")
	if err == nil || !strings.Contains(err.Error(), "not rotated") ||
		!strings.Contains(err.Error(), "--force") {
		t.Fatalf("got %v, want a too-soon refusal", err)
	}
	first := list()
	if states(first) != "current,next" {
		t.Fatalf("got states %s, want current,next", states(first))
	}

	out, _, err := keysRun(vars, "rotate", "--force", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r tokens.Rotation
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if r.Retired.ID != first[0].ID || r.Current.ID != first[1].ID || r.Next.ID == "" {
		t.Fatalf("rotation %+v after keys %+v", r, first)
	}
	after := list()
	if len(after) != 3 {
		t.Fatalf("got %d keys", len(after))
	}
	for _, k := range after {
		if k.ID == r.Retired.ID && (k.State != tokens.StateRetired || k.DeletableAfter.IsZero()) {
			t.Fatalf("retired key %+v", k)
		}
	}

	out, _, err = keysRun(vars, "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KID", "DELETABLE AFTER", r.Current.ID, "retired", "EdDSA"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	out, _, err = keysRun(vars, "rotate", "--force")
	if err != nil || !strings.Contains(out, "rotated: "+r.Next.ID) {
		t.Fatalf("got %q, %v", out, err)
	}

	// Another master key is refused before anything is sealed with it.
	wrong := map[string]string{}
	for k, v := range vars {
		wrong[k] = v
	}
	wrong["CERROJO_MASTER_KEY"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	if _, _, err := keysRun(wrong, "rotate", "--force"); !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Fatalf("got %v, want ErrWrongMasterKey", err)
	}
	if got := len(list()); got != 4 {
		t.Fatalf("got %d keys after the refused rotation, want 4", got)
	}
}

func TestKeysUsage(t *testing.T) {
	vars := map[string]string{"CERROJO_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{{}, {"frobnicate"}, {"list", "extra"}, {"rotate", "now"},
		{"list", "--bogus"}} {
		_, _, err := keysRun(vars, args...)
		if !errors.As(err, new(usageError)) {
			t.Errorf("keys %q: got %v, want a usage error", args, err)
		}
	}
	if _, errOut, err := keysRun(vars, "--help"); err == nil || !strings.Contains(errOut,
		"keys rotate") {
		t.Errorf("help: got %v, %q", err, errOut)
	}
}
