package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// auditRun runs `cerrojo audit args...` with the given environment and
// returns its output and error.
func auditRun(vars map[string]string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	env := Env{
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errOut,
	}
	err := runAudit(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

func TestAuditCommand(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		testAuditCommand(t, map[string]string{"CERROJO_DATA_DIR": dir}, func() *storage.DB {
			db, err := storage.OpenSQLite(context.Background(), filepath.Join(dir, "cerrojo.db"))
			if err != nil {
				t.Fatal(err)
			}
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := storagetest.PostgresSchemaURL(t)
		vars := map[string]string{"CERROJO_DATA_DIR": t.TempDir(), "CERROJO_DATABASE_URL": url}
		testAuditCommand(t, vars, func() *storage.DB {
			db, err := storage.OpenPostgres(context.Background(), url, storage.PostgresOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return db
		})
	})
}

func testAuditCommand(t *testing.T, vars map[string]string, open func() *storage.DB) {
	ctx := context.Background()
	db := open()
	defer db.Close()

	if _, _, err := auditRun(vars, "verify"); err == nil ||
		!strings.Contains(err.Error(), "pending migrations") {
		t.Fatalf("verify before migrating: got %v, want a pending-migrations error", err)
	}
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}

	if _, _, err := auditRun(vars, "checkpoint"); err == nil ||
		!strings.Contains(err.Error(), "empty") {
		t.Fatalf("checkpoint of an empty log: got %v", err)
	}
	l, err := audit.New(audit.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*audit.Record
	for i := range 9 {
		r, err := l.Record(ctx, audit.Event{
			Actor:   audit.Actor{Type: audit.ActorPerson, ID: "admin-1"},
			Action:  "role.grant",
			Target:  audit.Target{Type: "user", ID: "user-" + string(rune('a'+i))},
			Outcome: audit.OutcomeSuccess,
		})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}

	out, _, err := auditRun(vars, "checkpoint", "--json")
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	var cp struct {
		Size         int64
		Note         string
		VerifierKeys []string `json:"verifier_keys"`
	}
	if err := json.Unmarshal([]byte(out), &cp); err != nil || cp.Size != 9 ||
		len(cp.VerifierKeys) != 1 {
		t.Fatalf("checkpoint --json: %v %s", err, out)
	}
	key := cp.VerifierKeys[0]

	out, errOut, err := auditRun(vars, "verify")
	if err != nil || !strings.Contains(out, "audit log verified: 9 records (0 redacted), "+
		"1 checkpoints") || !strings.Contains(errOut, "--key") {
		t.Fatalf("verify: %v\n%s\n%s", err, out, errOut)
	}
	_, errOut, err = auditRun(vars, "verify", "--key", key)
	if err != nil || errOut != "" {
		t.Fatalf("verify with a pinned key: %v %s", err, errOut)
	}

	// An export, verified offline, then tampered with.
	exportFile := filepath.Join(t.TempDir(), "audit.jsonl")
	f, _ := os.Create(exportFile)
	if err := l.Export(ctx, f, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, _, err = auditRun(vars, "verify", "--export", exportFile, "--key", key)
	if err != nil || !strings.Contains(out, "export verified: 9 records") {
		t.Fatalf("verify --export: %v %s", err, out)
	}
	data, _ := os.ReadFile(exportFile)
	os.WriteFile(exportFile, bytes.Replace(data, []byte(`"target_type":"user","target_id":"user-c"`),
		[]byte(`"target_type":"user","target_id":"user-z"`), 1), 0o600)
	out, _, err = auditRun(vars, "verify", "--export", exportFile, "--key", key)
	if !errors.Is(err, errAuditInconsistent) || !strings.Contains(out,
		"record 2 ("+recs[2].ID+") modified") {
		t.Fatalf("tampered export: %v %s", err, out)
	}

	// Tamper with the database itself.
	for _, q := range []string{
		"DROP TRIGGER audit_records_only_redaction",
		"ALTER TABLE audit_records DISABLE TRIGGER USER",
	} {
		db.ExecContext(ctx, q) // one of the two applies, per database
	}
	if _, err := db.ExecContext(ctx, "UPDATE audit_records SET action = 'role.revoke' "+
		"WHERE idx = 4"); err != nil {
		t.Fatal(err)
	}
	out, _, err = auditRun(vars, "verify")
	if !errors.Is(err, errAuditInconsistent) ||
		!strings.Contains(out, "record 4 ("+recs[4].ID+") modified") {
		t.Fatalf("verify after tampering: %v %s", err, out)
	}
	out, _, err = auditRun(vars, "verify", "--json")
	var rep audit.Report
	if !errors.Is(err, errAuditInconsistent) || json.Unmarshal([]byte(out), &rep) != nil ||
		rep.Problem == nil || rep.Problem.Index != 4 || rep.Problem.Kind != audit.Modified {
		t.Fatalf("verify --json after tampering: %v %s", err, out)
	}
}

func TestAuditCommandUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "say verify or checkpoint"},
		{[]string{"frob"}, `unknown subcommand "frob"`},
		{[]string{"verify", "extra"}, "verify takes no arguments"},
		{[]string{"checkpoint", "extra"}, "checkpoint takes no arguments"},
		{[]string{"verify", "--nope"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		_, _, err := auditRun(map[string]string{"CERROJO_DATA_DIR": t.TempDir()}, tc.args...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("audit %v: got %v, want a usage error saying %q", tc.args, err, tc.want)
		}
	}
	if _, errOut, err := auditRun(nil, "--help"); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(errOut, "cerrojo audit verify") {
		t.Errorf("--help: %v %s", err, errOut)
	}
}
