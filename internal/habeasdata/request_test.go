package habeasdata

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

var titular = audit.Actor{Type: audit.ActorPerson, ID: "usr_1"}

func (f *fixture) file(t testing.TB, typ string) Request {
	t.Helper()
	r, err := f.svc.File(ctx, NewRequest{SubjectID: "usr_1", Type: typ,
		Description: "Quiero saber qué datos tienen de mí."}, titular, meta)
	if err != nil {
		t.Fatalf("file %s: %v", typ, err)
	}
	return r
}

func TestRequestTerms(t *testing.T) {
	tests := []struct {
		name     string
		typ      string
		received time.Time
		due      string
		extended string
	}{
		// Jueves and Viernes Santo (17-18 April) and 1 May are skipped.
		{"consulta in Holy Week", "access", cot(2025, time.April, 14, 10, 0),
			"2025-04-30", "2025-05-08"},
		// Filed on a Saturday: received the next business day, Easter Monday.
		{"consulta on a Saturday", "access", cot(2025, time.April, 19, 8, 0),
			"2025-05-06", "2025-05-13"},
		// Navidad, Año Nuevo and Reyes (moved to Monday 12 January 2026).
		{"reclamo on Christmas Eve", "correction", cot(2025, time.December, 24, 16, 0),
			"2026-01-19", "2026-01-29"},
		// Filed on a holiday (Christmas Day) at night, in Bogotá.
		{"consulta on Christmas night", "access",
			time.Date(2025, time.December, 26, 3, 30, 0, 0, time.UTC), "2026-01-13",
			"2026-01-20"},
	}
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, db, tc.received)
				r := f.file(t, tc.typ)
				if r.DueDate != tc.due {
					t.Fatalf("due %s, want %s", r.DueDate, tc.due)
				}
				r, err := f.svc.Extend(ctx, r.ID, "Debemos consultar a un encargado.", operator,
					meta)
				if err != nil {
					t.Fatal(err)
				}
				if r.ExtendedDueDate != tc.extended || r.EffectiveDueDate != tc.extended {
					t.Fatalf("extended to %s, want %s", r.ExtendedDueDate, tc.extended)
				}
				// The law allows one extension.
				if _, err := f.svc.Extend(ctx, r.ID, "otra vez", operator,
					meta); !errors.Is(err, ErrConflict) {
					t.Fatalf("second extension: got %v, want ErrConflict", err)
				}
				// Notices go out in the background, in any order.
				got := map[string]string{}
				for _, n := range f.notices() {
					got[n.Event] = n.DueDate
				}
				if len(got) != 2 || got["received"] != tc.due || got["extended"] != tc.extended {
					t.Fatalf("notices %+v", got)
				}
			})
		}
	})
}

func TestExtensionMustComeBeforeTheTermEnds(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), cot(2025, time.April, 14, 10, 0))
	r := f.file(t, "access") // due 2025-04-30
	f.clock.Set(cot(2025, time.April, 30, 23, 59))
	if r2, err := f.svc.Get(ctx, r.ID); err != nil || r2.Overdue || *r2.BusinessDaysLeft != 0 {
		t.Fatalf("on the last day: %+v %v", r2, err)
	}
	f.clock.Set(cot(2025, time.May, 2, 8, 0))
	_, err := f.svc.Extend(ctx, r.ID, "tarde", operator, meta)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "2025-04-30") {
		t.Fatalf("extension after the term: got %v", err)
	}
	r2, _ := f.svc.Get(ctx, r.ID)
	if !r2.Overdue || r2.ExtendedDueDate != "" {
		t.Fatalf("after the term: %+v", r2)
	}
	// Answering late is still answering, and the audit record says so.
	if _, err := f.svc.AnswerRequest(ctx, r.ID, "Sus datos son: ...", operator, meta); err != nil {
		t.Fatal(err)
	}
	page, _ := f.log.Search(ctx, audit.Query{Action: "habeas_data.request_answered"})
	if len(page.Records) != 1 || page.Records[0].Details["late"] != "true" {
		t.Fatalf("answer audit: %+v", page.Records)
	}
}

func TestIncompleteReclamo(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2025, time.April, 14, 10, 0))
		r := f.file(t, "correction")
		if r.CompleteByDate != "2025-04-23" {
			t.Fatalf("complete by %s, want 2025-04-23 (5 business days over Holy Week)",
				r.CompleteByDate)
		}
		if _, err := f.svc.MarkIncomplete(ctx, f.file(t, "access").ID, "falta",
			operator, meta); !errors.Is(err, ErrConflict) {
			t.Fatalf("a consulta marked incomplete: %v", err)
		}

		f.clock.Set(cot(2025, time.April, 15, 11, 0))
		r, err := f.svc.MarkIncomplete(ctx, r.ID, "Indique qué dato debemos corregir.",
			operator, meta)
		if err != nil {
			t.Fatal(err)
		}
		// Two months from 15 April is Sunday 15 June: the next business day.
		if r.Status != StatusIncomplete || r.WithdrawalDate != "2025-06-16" {
			t.Fatalf("incomplete: status %s withdrawal %s", r.Status, r.WithdrawalDate)
		}
		if st, _ := f.svc.Status(ctx, "usr_1"); st.ReclamoEnTramite {
			t.Fatal("an incomplete reclamo shows the reclamo en trámite legend")
		}

		// The titular completes it on Friday 2 May: 15 business days from then.
		f.clock.Set(cot(2025, time.May, 2, 9, 0))
		r, err = f.svc.Reply(ctx, r.ID, "Mi segundo apellido es Gómez, no Gomes.", true,
			titular, meta)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != StatusOpen || r.DueDate != "2025-05-23" || r.WithdrawalDate != "" {
			t.Fatalf("completed: status %s due %s", r.Status, r.DueDate)
		}
		a, err := f.svc.Check(ctx, "usr_1", "anything", "")
		if !errors.Is(err, ErrNoPolicy) {
			t.Fatalf("check: %+v %v", a, err)
		}
		f.publish(t, "1", v1Purposes, time.Time{})
		if err := f.decide(t, "usr_1", "1", grant("purchases")); err != nil {
			t.Fatal(err)
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "purchases", ""); !a.ReclamoEnTramite {
			t.Fatal("a complete open reclamo does not show the legend")
		}
		r, err = f.svc.Get(ctx, r.ID)
		if err != nil || len(r.Messages) != 2 || r.Messages[0].Kind != MsgMissing ||
			r.Messages[1].AuthorID != "usr_1" {
			t.Fatalf("messages %+v %v", r.Messages, err)
		}

		// Past the five days, a reclamo can no longer be sent back.
		late := f.file(t, "update")
		f.clock.Set(cot(2025, time.May, 12, 9, 0))
		if _, err := f.svc.MarkIncomplete(ctx, late.ID, "falta", operator,
			meta); !errors.Is(err, ErrConflict) {
			t.Fatalf("incomplete after five business days: %v", err)
		}
	})
}

func TestIncompleteReclamoIsWithdrawnAfterTwoMonths(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2025, time.April, 14, 10, 0))
		r := f.file(t, "suppression")
		r, err := f.svc.MarkIncomplete(ctx, r.ID, "Adjunte su documento.", operator, meta)
		if err != nil {
			t.Fatal(err)
		}
		// Two months from 14 April is Saturday 14 June: the term runs to Monday.
		if r.WithdrawalDate != "2025-06-16" {
			t.Fatalf("withdrawal date %s, want 2025-06-16", r.WithdrawalDate)
		}
		f.clock.Set(cot(2025, time.June, 16, 23, 0))
		if n, err := f.svc.SweepWithdrawn(ctx); err != nil || n != 0 {
			t.Fatalf("on the last day: %d, %v", n, err)
		}
		f.clock.Set(cot(2025, time.June, 17, 8, 0))
		if n, err := f.svc.SweepWithdrawn(ctx); err != nil || n != 1 {
			t.Fatalf("after the last day: %d, %v", n, err)
		}
		r, _ = f.svc.Get(ctx, r.ID)
		if r.Status != StatusWithdrawn {
			t.Fatalf("status %s", r.Status)
		}
		if _, err := f.svc.Reply(ctx, r.ID, "aquí está", true, titular,
			meta); !errors.Is(err, ErrConflict) {
			t.Fatalf("reply to a withdrawn reclamo: %v", err)
		}
	})
}

func TestOverdueListingAndMetrics(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2026, time.February, 2, 9, 0))
		consulta := f.file(t, "access")    // due 2026-02-16
		reclamo := f.file(t, "correction") // due 2026-02-23
		answered := f.file(t, "access")
		if _, err := f.svc.AnswerRequest(ctx, answered.ID, "Respondido.", operator,
			meta); err != nil {
			t.Fatal(err)
		}
		if consulta.DueDate != "2026-02-16" || reclamo.DueDate != "2026-02-23" {
			t.Fatalf("due %s and %s", consulta.DueDate, reclamo.DueDate)
		}
		f.clock.Set(cot(2026, time.February, 18, 9, 0))
		over, err := f.svc.List(ctx, Filter{Overdue: true})
		if err != nil || len(over) != 1 || over[0].ID != consulta.ID {
			t.Fatalf("overdue: %+v %v", over, err)
		}
		soon, err := f.svc.List(ctx, Filter{DueWithin: 3})
		if err != nil || len(soon) != 2 {
			t.Fatalf("due within 3: %d %v", len(soon), err)
		}

		reg := prometheus.NewRegistry()
		reg.MustRegister(Metrics{Service: f.svc})
		got := gauges(t, reg)
		want := map[string]float64{
			"cerrojo_habeas_requests_open{consulta}":    1,
			"cerrojo_habeas_requests_open{reclamo}":     1,
			"cerrojo_habeas_requests_overdue{consulta}": 1,
			"cerrojo_habeas_requests_overdue{reclamo}":  0,
			"cerrojo_habeas_requests_due_soon{reclamo}": 0,
			"cerrojo_habeas_requests_incomplete{}":      0,
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		// Two business days before the reclamo's last day it is due soon.
		f.clock.Set(cot(2026, time.February, 19, 9, 0))
		if got := gauges(t, reg); got["cerrojo_habeas_requests_due_soon{reclamo}"] != 1 {
			t.Errorf("due soon on the 19th: %v", got)
		}
	})
}

func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			out[mf.GetName()+"{"+labels(m)+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.Label {
		parts = append(parts, l.GetValue())
	}
	return strings.Join(parts, ",")
}

func TestRequestInputIsChecked(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), cot(2026, time.February, 2, 9, 0))
	for _, n := range []NewRequest{
		{SubjectID: "usr_1", Type: "complaint", Description: "x"},
		{SubjectID: "usr_1", Type: "access", Description: " "},
		{SubjectID: "", Type: "access", Description: "x"},
		{SubjectID: "usr_1", Type: "access", Description: "x", Channel: "fax"},
		{SubjectID: "usr_1", Type: "access", Description: strings.Repeat("x", 17<<10)},
	} {
		var inv *InvalidError
		if _, err := f.svc.File(ctx, n, titular, meta); !errors.As(err, &inv) {
			t.Errorf("%+v: got %v, want invalid", n, err)
		}
	}
	if list, _ := f.svc.List(ctx, Filter{}); len(list) != 0 {
		t.Fatalf("refused requests were stored: %d", len(list))
	}
	if _, err := f.svc.Get(ctx, "hdr_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}
