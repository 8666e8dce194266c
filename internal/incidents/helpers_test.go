package incidents

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// monday1014 is Monday 2025-04-14 at 10:00 in Bogotá, the Monday of Semana
// Santa 2025.
var monday1014 = time.Date(2025, 4, 14, 15, 0, 0, 0, time.UTC)

var admin = audit.Actor{Type: audit.ActorPerson, ID: "usr_admin1"}

type fixture struct {
	svc   *Service
	clock *clock.Fake
	log   *audit.Log
	db    *storage.DB
	fail  *failingRecorder
}

// failingRecorder passes events to the real log, except that it fails on
// the action named in failOn, to show that nothing is half-written.
type failingRecorder struct {
	log    *audit.Log
	failOn string
}

func (f *failingRecorder) Append(ctx context.Context, tx *sql.Tx, e audit.Event) (*audit.Record,
	error) {
	if e.Action == f.failOn {
		return nil, errors.New("audit unavailable")
	}
	return f.log.Append(ctx, tx, e)
}

func (f *failingRecorder) Record(ctx context.Context, e audit.Event) (*audit.Record, error) {
	return f.log.Record(ctx, e)
}

func newFixture(t *testing.T, db *storage.DB) *fixture {
	t.Helper()
	fake := clock.NewFake(monday1014)
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
	fail := &failingRecorder{log: log}
	svc := New(Options{DB: db, Audit: fail, Clock: fake})
	return &fixture{svc: svc, clock: fake, log: log, db: db, fail: fail}
}

func (f *fixture) open(t *testing.T, in OpenInput) Incident {
	t.Helper()
	if in.Title == "" {
		in.Title = "Backup bucket readable by anyone"
	}
	if in.Category == "" {
		in.Category = Confidentiality
	}
	inc, err := f.svc.Open(context.Background(), in, admin, Meta{RequestID: "req-1"})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return inc
}

// actions returns the audit actions recorded about incident id, oldest
// first.
func (f *fixture) actions(t *testing.T, id string) []audit.Record {
	t.Helper()
	page, err := f.log.Search(context.Background(), audit.Query{TargetID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]audit.Record, 0, len(page.Records))
	for i := len(page.Records) - 1; i >= 0; i-- {
		out = append(out, *page.Records[i])
	}
	return out
}

func date(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantConflict(t *testing.T, err error, code string) {
	t.Helper()
	var c *ConflictError
	if !errors.As(err, &c) || c.Code != code || !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want conflict %s", err, code)
	}
}

func wantInvalid(t *testing.T, err error, field, code string) {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want validation error on %s", err, field)
	}
	for _, f := range v.Fields {
		if f.Field == field && f.Code == code {
			return
		}
	}
	t.Fatalf("fields = %+v, want %s %s", v.Fields, field, code)
}
