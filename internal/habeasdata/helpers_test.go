package habeasdata

import (
	"context"
	"crypto/rand"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

var (
	ctx  = context.Background()
	meta = audit.Event{IP: "203.0.113.9", UserAgent: "test", RequestID: "r1"}
)

// cot is an instant in Colombian time.
func cot(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

type fixture struct {
	svc   *Service
	clock *clock.Fake
	log   *audit.Log
	db    *storage.DB
	sent  *notices
}

// notices records what the service would have emailed; notices are sent
// from goroutines.
type notices struct {
	mu   sync.Mutex
	list []Notice
}

func (n *notices) RequestNotice(_ context.Context, _ string, x Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, x)
	return nil
}

func newFixture(t testing.TB, db *storage.DB, at time.Time) *fixture {
	t.Helper()
	fake := clock.NewFake(at)
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
	sent := &notices{}
	svc := New(Options{DB: db, Ring: ring, Audit: log, Clock: fake, Notifier: sent})
	return &fixture{svc: svc, clock: fake, log: log, db: db, sent: sent}
}

// notices waits for the background notices and returns them in the order
// they were sent.
func (f *fixture) notices() []Notice {
	f.svc.Wait()
	f.sent.mu.Lock()
	defer f.sent.mu.Unlock()
	return slices.Clone(f.sent.list)
}

var v1Purposes = []Purpose{
	{Code: "purchases", Description: "Gestionar sus compras, pagos y envíos.", Required: true},
	{Code: "marketing_whatsapp", Description: "Enviarle ofertas por WhatsApp."},
	{Code: "biometric_login", Description: "Verificar su identidad con su rostro.",
		Sensitive: true},
}

func (f *fixture) publish(t testing.TB, version string, purposes []Purpose,
	effective time.Time) Policy {
	t.Helper()
	p, err := f.svc.PublishPolicy(ctx, NewPolicy{Version: version,
		Text: "Política de tratamiento " + version, Purposes: purposes, EffectiveAt: effective},
		operator, meta)
	if err != nil {
		t.Fatalf("publish %s: %v", version, err)
	}
	return p
}

func (f *fixture) decide(t testing.TB, subject, version string, choices ...Choice) error {
	t.Helper()
	_, err := f.svc.RecordConsent(ctx, NewConsent{SubjectID: subject, PolicyVersion: version,
		Choices: choices, Evidence: Evidence{Channel: "web", IP: "198.51.100.7",
			UserAgent: "Mozilla/5.0", ShownText: "Acepto el tratamiento para " + version}},
		audit.Actor{Type: audit.ActorPerson, ID: subject}, meta)
	return err
}

func grant(purpose string) Choice  { return Choice{Purpose: purpose, Decision: Granted} }
func refuse(purpose string) Choice { return Choice{Purpose: purpose, Decision: Refused} }
func revoke(purpose string) Choice { return Choice{Purpose: purpose, Decision: Revoked} }

// actions returns the actions of the audit records, oldest first.
func (f *fixture) actions(t testing.TB) []string {
	t.Helper()
	page, err := f.log.Search(ctx, audit.Query{Limit: audit.MaxSearchLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(page.Records))
	for i := len(page.Records) - 1; i >= 0; i-- {
		out = append(out, page.Records[i].Action)
	}
	return out
}
