package habeasdata

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// withAccountEraser deletes the users row, as the app's eraser does.
func (f *fixture) withAccountEraser() {
	f.svc.Erasers = []Eraser{{Name: "cuenta", Erase: func(ctx context.Context, tx *sql.Tx,
		id string) error {
		_, err := tx.ExecContext(ctx, f.db.Rebind(`DELETE FROM users WHERE id = ?`), id)
		return err
	}}}
}

func TestSuppression(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2026, time.March, 2, 10, 0))
		f.withAccountEraser()
		storagetest.AddUser(t, db, "usr_1", "customer", "active")
		storagetest.AddUser(t, db, "usr_2", "customer", "active")
		f.publish(t, "1", v1Purposes, time.Time{})
		for _, u := range []string{"usr_1", "usr_2"} {
			if err := f.decide(t, u, "1", grant("purchases"),
				grant("marketing_whatsapp")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.log.Record(ctx, audit.Event{Actor: titular, Action: "user.login",
			Outcome: audit.OutcomeSuccess, IP: "198.51.100.7"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddHold(ctx, NewHold{SubjectID: "usr_1",
			Category: "commercial_records", Basis: "Código de Comercio art. 60",
			Description: "Facturas de sus compras.", Until: "2036-03-02"}, operator,
			meta); err != nil {
			t.Fatal(err)
		}
		access := f.file(t, "access")
		if _, err := f.svc.Suppress(ctx, access.ID, operator,
			meta); !errors.Is(err, ErrNotSuppression) {
			t.Fatalf("suppressing through a consulta: %v", err)
		}
		req := f.file(t, "suppression")

		rep, err := f.svc.Suppress(ctx, req.ID, operator, meta)
		if err != nil {
			t.Fatal(err)
		}
		pseudo := f.svc.Pseudonym("usr_1")
		if rep.Pseudonym != pseudo || rep.AuditRecords == 0 {
			t.Fatalf("report %+v", rep)
		}
		var kept []string
		for _, k := range rep.Kept {
			kept = append(kept, k.Category)
		}
		if strings.Join(kept, ",") !=
			"commercial_records,consent_ledger,habeas_data_requests,audit_log" {
			t.Fatalf("kept %v", kept)
		}

		// The account is gone; the other titular's is not.
		var n int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d accounts left, want 1", n)
		}
		// Nothing in the Habeas Data tables names the titular any more.
		for _, q := range []string{
			`SELECT COUNT(*) FROM habeas_consents WHERE subject_id = ? OR recorded_by = ?`,
			`SELECT COUNT(*) FROM habeas_requests WHERE subject_id = ? OR filed_by = ?`,
			`SELECT COUNT(*) FROM habeas_legal_holds WHERE subject_id = ? OR subject_id = ?`,
			`SELECT COUNT(*) FROM habeas_request_messages WHERE author_id = ? OR author_id = ?`,
		} {
			if err := db.QueryRowContext(ctx, db.Rebind(q), "usr_1", "usr_1").Scan(&n); err != nil ||
				n != 0 {
				t.Errorf("%s: %d rows, %v", q, n, err)
			}
		}
		// The proof of consent stays, without the evidence that names them.
		history, _ := f.svc.History(ctx, pseudo)
		if len(history) != 2 || history[0].IP != "" || history[0].UserAgent != "" ||
			history[0].Decision != Granted {
			t.Fatalf("kept ledger %+v", history)
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "marketing_whatsapp", ""); a.Allowed ||
			a.Reason != ReasonSuppressed {
			t.Fatalf("check after suppression: %+v", a)
		}
		if a, _ := f.svc.Check(ctx, "usr_2", "marketing_whatsapp", ""); !a.Allowed {
			t.Fatalf("another titular was touched: %+v", a)
		}

		// Audit records are pseudonymised, never deleted, and the log verifies.
		page, err := f.log.Search(ctx, audit.Query{ActorID: "usr_1"})
		if err != nil || len(page.Records) != 0 {
			t.Fatalf("records still name the titular: %d %v", len(page.Records), err)
		}
		report, err := audit.Verify(ctx, db, audit.VerifyOptions{})
		if err != nil || !report.OK() || report.Redacted != rep.AuditRecords {
			t.Fatalf("verify: %+v %v", report, err)
		}

		got, err := f.svc.Get(ctx, req.ID)
		if err != nil || got.Status != StatusAnswered ||
			!strings.Contains(got.Answer, "Código de Comercio art. 60") ||
			!strings.Contains(got.Answer, "2036-03-02") || got.Description != "" {
			t.Fatalf("answer %+v %v", got, err)
		}
		if _, err := f.svc.Suppress(ctx, req.ID, operator,
			meta); !errors.Is(err, ErrNotSuppression) {
			t.Fatalf("suppressing twice: %v", err)
		}
	})
}

func TestSuppressionIsAllOrNothing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2026, time.March, 2, 10, 0))
		storagetest.AddUser(t, db, "usr_1", "customer", "active")
		f.publish(t, "1", v1Purposes, time.Time{})
		if err := f.decide(t, "usr_1", "1", grant("purchases")); err != nil {
			t.Fatal(err)
		}
		req := f.file(t, "suppression")
		boom := errors.New("the vendor service is down")
		f.svc.Erasers = []Eraser{{Name: "cuenta", Erase: func(ctx context.Context,
			tx *sql.Tx, id string) error {
			if _, err := tx.ExecContext(ctx, f.db.Rebind(`DELETE FROM users WHERE id = ?`),
				id); err != nil {
				return err
			}
			return boom
		}}}
		if _, err := f.svc.Suppress(ctx, req.ID, operator, meta); !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		var n int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
		if h, _ := f.svc.History(ctx, "usr_1"); n != 1 || len(h) != 1 || h[0].IP == "" {
			t.Fatalf("a failed suppression changed data: users %d, ledger %+v", n, h)
		}
		if r, _ := f.svc.Get(ctx, req.ID); r.Status != StatusOpen {
			t.Fatalf("status %s", r.Status)
		}
	})
}

func TestExport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2026, time.March, 2, 10, 0))
		f.svc.Sources = []Source{{Name: "profile", Load: func(ctx context.Context,
			id string) (any, error) {
			return map[string]string{"id": id, "name": "Luz"}, nil
		}}}
		f.publish(t, "1", v1Purposes, time.Time{})
		if err := f.decide(t, "usr_1", "1", grant("purchases")); err != nil {
			t.Fatal(err)
		}
		req := f.file(t, "access")
		e, err := f.svc.Export(ctx, "usr_1")
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := e.Sections["profile"].(map[string]string); p["name"] != "Luz" {
			t.Fatalf("profile section %v", e.Sections["profile"])
		}
		if c, _ := e.Sections["consents"].([]Consent); len(c) != 1 {
			t.Fatalf("consents section %v", e.Sections["consents"])
		}
		rs, _ := e.Sections["habeas_data_requests"].([]Request)
		if len(rs) != 1 || rs[0].ID != req.ID || rs[0].Messages == nil {
			t.Fatalf("requests section %+v", rs)
		}
	})
}

func TestAddHoldChecksInput(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), cot(2026, time.March, 2, 10, 0))
	for _, n := range []NewHold{
		{SubjectID: "u", Category: "Invoices", Basis: "b", Description: "d", Until: "2030-01-01"},
		{SubjectID: "u", Category: "invoices", Basis: "", Description: "d", Until: "2030-01-01"},
		{SubjectID: "u", Category: "invoices", Basis: "b", Description: "d", Until: "2026-03-01"},
		{SubjectID: "u", Category: "invoices", Basis: "b", Description: "d", Until: "2030-02-30"},
	} {
		var inv *InvalidError
		if _, err := f.svc.AddHold(ctx, n, operator, meta); !errors.As(err, &inv) {
			t.Errorf("%+v: got %v", n, err)
		}
	}
}
