package vendors

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/filestore"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

var (
	ctx  = context.Background()
	meta = audit.Event{IP: "203.0.113.9", UserAgent: "test", RequestID: "r1"}
	ops  = audit.Actor{Type: audit.ActorSystem, ID: "admin"}
)

// tableRoles writes role bindings straight into role_bindings.
type tableRoles struct{ db *storage.DB }

func (r tableRoles) Grant(ctx context.Context, tx *sql.Tx, userID, role, vendorID string) error {
	_, err := tx.ExecContext(ctx, r.db.Rebind(`INSERT INTO role_bindings (user_id, role,
		vendor_id, granted_by, granted_at) VALUES (?, ?, ?, 'vendors', ?)`),
		userID, role, vendorID, time.Now().UTC())
	return err
}

func (r tableRoles) Revoke(ctx context.Context, tx *sql.Tx, userID, role, vendorID string) error {
	_, err := tx.ExecContext(ctx, r.db.Rebind(`DELETE FROM role_bindings
		WHERE user_id = ? AND role = ? AND vendor_id = ?`), userID, role, vendorID)
	return err
}

// enders records EndAllSessions calls.
type enders struct {
	mu    sync.Mutex
	calls []string
}

func (e *enders) EndAllSessions(_ context.Context, _ *sql.Tx, userID, except,
	reason string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, userID+"|"+except+"|"+reason)
	return nil
}

type notice struct {
	to, store, outcome, link string
	reasons                  []string
}

type notifier struct {
	mu   sync.Mutex
	list []notice
}

func (n *notifier) Reviewed(_ context.Context, owner, store, outcome string,
	reasons []string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, notice{to: owner, store: store, outcome: outcome, reasons: reasons})
	return nil
}

func (n *notifier) StaffInvited(_ context.Context, email, store, link string,
	_ time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, notice{to: email, store: store, outcome: "invited", link: link})
	return nil
}

type fixture struct {
	svc     *Service
	db      *storage.DB
	log     *audit.Log
	clock   *clock.Fake
	ring    *keyring.Ring
	ended   *enders
	notices *notifier
}

func newFixture(t testing.TB, db *storage.DB, approvals int) *fixture {
	t.Helper()
	fake := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	master := make([]byte, 32)
	rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, log: log, clock: fake, ring: ring, ended: &enders{},
		notices: &notifier{}}
	f.svc, err = New(Options{DB: db, Ring: ring, Audit: log, Clock: fake,
		Vault: &filestore.Vault{Store: filestore.NewMemory(), Sealer: ring, MaxBytes: 1 << 20},
		Roles: tableRoles{db}, Sessions: f.ended, Notifier: f.notices,
		RequiredApprovals: approvals, MaxDocumentBytes: 1 << 20,
		AcceptURL: "https://cerrojo.test/vendor-invitations/accept?token="})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"owner", "other", "staff1"} {
		storagetest.AddUser(t, db, u, "vendor", "active")
	}
	return f
}

// eachDB runs fn on SQLite and PostgreSQL with a fresh fixture.
func eachDB(t *testing.T, approvals int, fn func(t *testing.T, f *fixture)) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		fn(t, newFixture(t, db, approvals))
	})
}

func juridica() Input {
	return Input{
		LegalName: "Artesanías del Caribe S.A.S.", TradeName: "Caribe Hecho a Mano",
		PersonType:          Juridica,
		Identification:      Identification{Type: 31, Number: "900.373.115-3"},
		TaxResponsibilities: []string{"O-13", "O-48"},
		Contact:             Contact{Email: "ventas@caribe.co", Phone: "+57 300 123 4567"},
		Address: Address{Line: "Cra 45 # 34-12", Departamento: "08",
			Municipio: "08001"},
		Bank: BankAccount{BankName: "Bancolombia", Type: Ahorros, Number: "123-456789-01"},
	}
}

func natural() Input {
	in := juridica()
	in.LegalName, in.TradeName, in.PersonType = "Ana María Pérez", "Tienda de Ana", Natural
	in.Identification = Identification{Type: 13, Number: "1.020.304.050"}
	in.TaxResponsibilities = []string{"R-99-PN", "O-49"}
	return in
}

func (f *fixture) create(t testing.TB, in Input) *Vendor {
	t.Helper()
	v, err := f.svc.Create(ctx, "owner", in, meta)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return v
}

// A minimal PDF the file store accepts.
var pdf = []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\nstartxref\n0\n%%EOF\n")

func (f *fixture) uploadAll(t testing.TB, v *Vendor) {
	t.Helper()
	for _, k := range RequiredDocuments(v.PersonType) {
		if _, err := f.svc.Upload(ctx, "owner", v.ID, k, ctPDF,
			bytes.NewReader(pdf), meta); err != nil {
			t.Fatalf("upload %s: %v", k, err)
		}
	}
}

func (f *fixture) submitted(t testing.TB) *Vendor {
	t.Helper()
	v := f.create(t, juridica())
	f.uploadAll(t, v)
	v, err := f.svc.Submit(ctx, "owner", v.ID, meta)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return v
}

// actions returns the audit actions, oldest first.
func (f *fixture) actions(t testing.TB) []string {
	t.Helper()
	page, err := f.log.Search(ctx, audit.Query{Limit: audit.MaxSearchLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(page.Records))
	for _, r := range page.Records {
		out = append(out, r.Action)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (f *fixture) records(t testing.TB, action string) []*audit.Record {
	t.Helper()
	page, err := f.log.Search(ctx, audit.Query{Action: action, Limit: audit.MaxSearchLimit})
	if err != nil {
		t.Fatal(err)
	}
	return page.Records
}

func (f *fixture) wantAudit(t testing.TB, actions ...string) {
	t.Helper()
	have := f.actions(t)
	for _, a := range actions {
		if !slices.Contains(have, a) {
			t.Errorf("no audit record %s; have %v", a, have)
		}
	}
}

func (f *fixture) status(t testing.TB, id string) string {
	t.Helper()
	st, err := f.svc.Status(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) sent() []notice {
	f.svc.Wait()
	f.notices.mu.Lock()
	defer f.notices.mu.Unlock()
	return slices.Clone(f.notices.list)
}
