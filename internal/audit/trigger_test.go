package audit

import (
	"context"
	"testing"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// TestGuardsRefuseChanges checks the database triggers: on PostgreSQL they
// bind the application's role (the connection here is the tables' owner,
// and superuser, which they bind too); on SQLite they stop mistakes.
func TestGuardsRefuseChanges(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		env := newTestLog(t, db)
		ctx := context.Background()
		env.appendN(t, 5)
		if _, err := env.log.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		env.appendN(t, 1) // record 5, used as a fake redaction record below

		refused := []struct{ name, sql string }{
			{"delete a record", "DELETE FROM audit_records WHERE idx = 1"},
			{"delete every record", "DELETE FROM audit_records"},
			{"change a public field", "UPDATE audit_records SET action = 'x.y' WHERE idx = 1"},
			{"change a personal field", "UPDATE audit_records SET ip = '10.0.0.1' WHERE idx = 1"},
			{"change the index", "UPDATE audit_records SET idx = 99 WHERE idx = 1"},
			{"change the commitment", "UPDATE audit_records SET commitment = salt WHERE idx = 1"},
			{"erase without a redaction record",
				"UPDATE audit_records SET actor_id = NULL, target_id = NULL, ip = NULL, " +
					"user_agent = NULL, details = NULL, salt = NULL, redaction = 'subject', " +
					"redacted_at = 1, redacted_by = 5 WHERE idx = 1"},
			{"erase naming an earlier record",
				"UPDATE audit_records SET actor_id = NULL, target_id = NULL, ip = NULL, " +
					"user_agent = NULL, details = NULL, salt = NULL, redaction = 'subject', " +
					"redacted_at = 1, redacted_by = 0 WHERE idx = 1"},
			{"erase only part", "UPDATE audit_records SET ip = NULL, salt = NULL, " +
				"redaction = 'subject', redacted_at = 1, redacted_by = 5 WHERE idx = 1"},
			{"change a tree hash", "UPDATE audit_hashes SET hash = hash WHERE idx = 0"},
			{"delete a tree hash", "DELETE FROM audit_hashes WHERE idx = 0"},
			{"shrink the head", "UPDATE audit_head SET size = 2"},
			{"delete the head", "DELETE FROM audit_head"},
			{"change a checkpoint", "UPDATE audit_checkpoints SET note = 'x'"},
			{"delete a checkpoint", "DELETE FROM audit_checkpoints"},
			{"replace a signing key", "UPDATE audit_signing_keys SET verifier_key = 'x'"},
			{"delete a signing key", "DELETE FROM audit_signing_keys"},
		}
		if db.Dialect() == storage.Postgres {
			refused = append(refused,
				struct{ name, sql string }{"truncate the records", "TRUNCATE audit_records"},
				struct{ name, sql string }{"truncate the hashes", "TRUNCATE audit_hashes"},
				struct{ name, sql string }{"truncate the checkpoints",
					"TRUNCATE audit_checkpoints"})
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := db.ExecContext(ctx, tc.sql); err == nil {
					t.Fatalf("%s: allowed", tc.sql)
				}
			})
		}
		if rep := env.verify(t); !rep.OK() {
			t.Fatalf("a refused change left a trace: %v", rep.Problem)
		}

		// What redaction needs is allowed.
		if _, err := env.log.Redact(ctx, nil, "user-1", officer); err != nil {
			t.Fatalf("redaction refused: %v", err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE audit_records SET ip = NULL "+
			"WHERE redaction IS NOT NULL"); err == nil {
			t.Fatal("a redacted record was changed again")
		}
	})
}

// TestAppRoleCannotDisableTheGuards sets up PostgreSQL as docs/audit.md
// recommends: the tables belong to the migrating role, and the application
// connects as a role with only SELECT, INSERT and UPDATE. That role can
// append, and can neither change a record nor switch the triggers off.
func TestAppRoleCannotDisableTheGuards(t *testing.T) {
	db := storagetest.Postgres(t)
	env := newTestLog(t, db)
	ctx := context.Background()
	env.appendN(t, 3)

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	role := schema + "_app"
	run := func(q string) error { _, err := conn.ExecContext(ctx, q); return err }
	for _, q := range []string{
		"CREATE ROLE " + role + " NOLOGIN",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
	} {
		if err := run(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		db.ExecContext(ctx, "DROP OWNED BY "+role)
		db.ExecContext(ctx, "DROP ROLE "+role)
	})
	if err := run("SET ROLE " + role); err != nil {
		t.Fatal(err)
	}
	defer run("RESET ROLE")

	for _, q := range []string{
		"UPDATE audit_records SET action = 'x.y' WHERE idx = 1",
		"DELETE FROM audit_records WHERE idx = 1",
		"TRUNCATE audit_records",
		"ALTER TABLE audit_records DISABLE TRIGGER USER",
		"DROP TRIGGER audit_records_guard ON audit_records",
	} {
		if err := run(q); err == nil {
			t.Errorf("the application role may: %s", q)
		}
	}
	if err := run("UPDATE audit_head SET size = size WHERE id = 1"); err == nil {
		t.Error("the head can be rewritten without growing")
	}

	// Appending works under that role.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.log.Append(ctx, tx, sampleEvent(9)); err != nil {
		t.Fatalf("append as the application role: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	run("RESET ROLE")
	if rep := env.verify(t); !rep.OK() || rep.Records != 4 {
		t.Fatalf("got %+v, %v", rep, rep.Problem)
	}
}
