package incidents

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// The SIC term over Semana Santa 2025. Notified on Monday 14 April, the
// count starts on Tuesday 15: 15 (1), 16 (2), Jueves Santo 17 and Viernes
// Santo 18 are holidays, 21-25 (3-7), 28-30 (8-10), 1 May is a holiday,
// Friday 2 (11), 5-8 May (12-15). Due Thursday 8 May 2025.
func TestDeadlineOverSemanaSanta(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		inc := f.open(t, OpenInput{AffectedSubjects: 120,
			Databases:      []string{"clientes", "clientes", " vendedores "},
			DataCategories: []string{"identificación", "contacto"}})
		if got, want := inc.SICDue, date(t, "2025-05-08"); got != want {
			t.Fatalf("due = %s, want %s", got, want)
		}
		if !inc.DetectedAt.Equal(monday1014) || !inc.NotifiedToAreaAt.Equal(monday1014) {
			t.Fatalf("instants = %s %s, want the clock's", inc.DetectedAt, inc.NotifiedToAreaAt)
		}
		got, err := f.svc.Get(context.Background(), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SICDue != inc.SICDue || got.Status != StatusOpen || got.AffectedSubjects != 120 ||
			got.CreatedBy != "person:usr_admin1" || !got.DetectedAt.Equal(monday1014) ||
			!reflect.DeepEqual(got.Databases, []string{"clientes", "vendedores"}) ||
			!reflect.DeepEqual(got.DataCategories, []string{"identificación", "contacto"}) ||
			len(got.Timeline) != 0 || got.Version != 1 {
			t.Fatalf("stored = %+v", got)
		}
		// Cross-check with the calendar package directly.
		if d, _ := calendar.Deadline(monday1014, 15); d != inc.SICDue {
			t.Fatalf("calendar says %s", d)
		}
	})
}

func TestDeadlineFromNonBusinessDays(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		cases := []struct {
			name               string
			detected, notified time.Time
			want               string
		}{
			// Saturday 22 March 2025; Monday 24 is San José (moved), so the
			// notice counts as received Tuesday 25 and the count starts on 26.
			{"saturday", time.Date(2025, 3, 22, 15, 0, 0, 0, time.UTC), time.Time{},
				"2025-04-15"},
			// 03:00 UTC on Saturday is 22:00 on Friday 21 March in Bogotá.
			{"friday night in Bogotá", time.Date(2025, 3, 22, 3, 0, 0, 0, time.UTC),
				time.Time{}, "2025-04-14"},
			// The term runs from the notice to the area, not from detection.
			{"area told later", time.Date(2025, 4, 1, 15, 0, 0, 0, time.UTC), monday1014,
				"2025-05-08"},
		}
		for _, c := range cases {
			inc := f.open(t, OpenInput{DetectedAt: c.detected, NotifiedToAreaAt: c.notified})
			if got := inc.SICDue.String(); got != c.want {
				t.Errorf("%s: due %s, want %s", c.name, got, c.want)
			}
		}
	})
}

func TestOpenValidation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cases := []struct {
			in          OpenInput
			field, code string
		}{
			{OpenInput{Category: Integrity}, "/title", "required"},
			{OpenInput{Title: "x"}, "/category", "required"},
			{OpenInput{Title: "x", Category: "secrecy"}, "/category", "invalid_value"},
			{OpenInput{Title: "x", Category: Integrity, AffectedSubjects: -1},
				"/affected_subjects", "invalid_value"},
			{OpenInput{Title: "x", Category: Integrity, DetectedAt: monday1014.Add(time.Second)},
				"/detected_at", "in_future"},
			{OpenInput{Title: "x", Category: Integrity,
				NotifiedToAreaAt: monday1014.Add(time.Hour)}, "/notified_to_area_at", "in_future"},
			{OpenInput{Title: "x", Category: Integrity, DetectedAt: monday1014.Add(-time.Hour),
				NotifiedToAreaAt: monday1014.Add(-2 * time.Hour)}, "/notified_to_area_at",
				"before_detection"},
			{OpenInput{Title: strings.Repeat("a", MaxTitleLen+1), Category: Integrity},
				"/title", "too_long"},
			{OpenInput{Title: "a\x00b", Category: Integrity}, "/title", "invalid_value"},
			{OpenInput{Title: "x", Category: Integrity, Databases: []string{"ok", " "}},
				"/databases/1", "required"},
			{OpenInput{Title: "x", Category: Integrity,
				DetectedAt: time.Date(1970, 1, 1, 12, 0, 0, 0, time.UTC)}, "/detected_at",
				"out_of_range"},
		}
		for _, c := range cases {
			_, err := f.svc.Open(ctx, c.in, admin, Meta{})
			wantInvalid(t, err, c.field, c.code)
		}
		list, err := f.svc.List(ctx, "")
		if err != nil || len(list) != 0 {
			t.Fatalf("list = %v, %v; want nothing stored", list, err)
		}
	})
}

func TestLifecycleAndAudit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := Meta{IP: "203.0.113.7", RequestID: "req-2"}
		inc := f.open(t, OpenInput{Title: "Leaked export of Juan Pérez's orders",
			Description: "CSV with cédulas", AffectedSubjects: 3})

		f.clock.Advance(time.Hour)
		n, err := f.svc.AddNote(ctx, inc.ID, "Revoked the public link.\nChecked logs.", admin, m)
		if err != nil {
			t.Fatal(err)
		}
		if n.Author != "person:usr_admin1" || n.IncidentID != inc.ID {
			t.Fatalf("note = %+v", n)
		}
		got, err := f.svc.MarkContained(ctx, inc.ID, admin, m)
		if err != nil || got.Status != StatusContained || got.ContainedAt.IsZero() {
			t.Fatalf("contained = %+v, %v", got, err)
		}
		got, err = f.svc.RecordTitularesNotified(ctx, inc.ID, time.Time{}, admin, m)
		if err != nil || !got.TitularesNotifiedAt.Equal(f.clock.Now()) {
			t.Fatalf("titulares = %+v, %v", got, err)
		}
		at := f.clock.Now().Add(-10 * time.Minute)
		got, err = f.svc.RecordSICReport(ctx, inc.ID, SICReportInput{Reference: " 2025-RNBD-77 ",
			ReportedAt: at}, admin, m)
		if err != nil || got.SICReference != "2025-RNBD-77" || !got.SICReportedAt.Equal(at) {
			t.Fatalf("sic = %+v, %v", got, err)
		}
		got, err = f.svc.Close(ctx, inc.ID, CloseInput{Note: "Post-mortem filed."}, admin, m)
		if err != nil || got.Status != StatusClosed || got.ClosedAt.IsZero() {
			t.Fatalf("close = %+v, %v", got, err)
		}
		stored, err := f.svc.Get(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Version != 6 || len(stored.Timeline) != 2 ||
			stored.Timeline[0].Text != "Revoked the public link.\nChecked logs." ||
			stored.Timeline[1].Text != "Post-mortem filed." ||
			stored.SICReference != "2025-RNBD-77" ||
			!stored.SICReportedAt.Equal(at) {
			t.Fatalf("stored = %+v", stored)
		}
		st, err := f.svc.Deadline(stored)
		if err != nil || st.Required || st.Overdue || st.DueSoon {
			t.Fatalf("deadline = %+v, %v", st, err)
		}

		recs := f.actions(t, inc.ID)
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
			if r.Target.Type != "incident" || r.Actor != admin || r.Outcome != "success" {
				t.Errorf("record %s = %+v", r.Action, r.Event)
			}
			for k, v := range r.Details {
				if strings.Contains(v, "Juan") || strings.Contains(v, "CSV") ||
					strings.Contains(v, "Revoked") {
					t.Errorf("record %s detail %s holds free text: %q", r.Action, k, v)
				}
			}
		}
		want := []string{"incident.opened", "incident.note_added", "incident.contained",
			"incident.titulares_notified", "incident.reported_to_sic", "incident.closed"}
		if !reflect.DeepEqual(actions, want) {
			t.Fatalf("actions = %v, want %v", actions, want)
		}
		if d := recs[0].Details; d["sic_due"] != "2025-05-08" ||
			d["category"] != "confidentiality" {
			t.Errorf("opened details = %v", d)
		}
		if d := recs[4].Details; d["sic_reference"] != "2025-RNBD-77" || d["late"] != "false" {
			t.Errorf("reported details = %v", d)
		}
		if d := recs[5].Details; d["reported_to_sic"] != "true" || d["note_id"] == "" {
			t.Errorf("closed details = %v", d)
		}
		if recs[1].IP != "203.0.113.7" || recs[1].RequestID != "req-2" {
			t.Errorf("meta not recorded: %+v", recs[1].Event)
		}
	})
}

func TestIllegalTransitions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		inc := f.open(t, OpenInput{})

		// open → closed skips containment.
		_, err := f.svc.Close(ctx, inc.ID, CloseInput{Reason: "false_positive"}, admin, Meta{})
		wantConflict(t, err, "illegal_transition")

		if _, err := f.svc.MarkContained(ctx, inc.ID, admin, Meta{}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.MarkContained(ctx, inc.ID, admin, Meta{})
		wantConflict(t, err, "illegal_transition")

		// Not reported and no reason: refused.
		_, err = f.svc.Close(ctx, inc.ID, CloseInput{}, admin, Meta{})
		wantConflict(t, err, "sic_report_required")
		_, err = f.svc.Close(ctx, inc.ID, CloseInput{Reason: "felt_like_it"}, admin, Meta{})
		wantInvalid(t, err, "/reason", "invalid_value")

		if _, err := f.svc.RecordTitularesNotified(ctx, inc.ID, time.Time{}, admin,
			Meta{}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.RecordTitularesNotified(ctx, inc.ID, time.Time{}, admin, Meta{})
		wantConflict(t, err, "already_notified")

		_, err = f.svc.RecordSICReport(ctx, inc.ID, SICReportInput{}, admin, Meta{})
		wantInvalid(t, err, "/reference", "required")
		_, err = f.svc.RecordSICReport(ctx, inc.ID, SICReportInput{Reference: "R-1",
			ReportedAt: monday1014.Add(time.Minute)}, admin, Meta{})
		wantInvalid(t, err, "/reported_at", "in_future")
		_, err = f.svc.RecordSICReport(ctx, inc.ID, SICReportInput{Reference: "R-1",
			ReportedAt: monday1014.Add(-time.Minute)}, admin, Meta{})
		wantInvalid(t, err, "/reported_at", "before_detection")

		// Closing with a reason and no report is allowed.
		got, err := f.svc.Close(ctx, inc.ID, CloseInput{Reason: "no_personal_data"}, admin,
			Meta{})
		if err != nil || got.CloseReason != "no_personal_data" {
			t.Fatalf("close = %+v, %v", got, err)
		}
		st, _ := f.svc.Deadline(got)
		if st.Required {
			t.Fatal("a closed incident still requires a report")
		}

		// Nothing moves a closed incident.
		_, err = f.svc.MarkContained(ctx, inc.ID, admin, Meta{})
		wantConflict(t, err, "illegal_transition")
		_, err = f.svc.Close(ctx, inc.ID, CloseInput{Reason: "no_personal_data"}, admin, Meta{})
		wantConflict(t, err, "incident_closed")
		_, err = f.svc.RecordSICReport(ctx, inc.ID, SICReportInput{Reference: "R-1"}, admin,
			Meta{})
		wantConflict(t, err, "incident_closed")
		_, err = f.svc.RecordTitularesNotified(ctx, inc.ID, time.Time{}, admin, Meta{})
		wantConflict(t, err, "incident_closed")

		// A note is still welcome.
		if _, err := f.svc.AddNote(ctx, inc.ID, "Lessons learned.", admin, Meta{}); err != nil {
			t.Fatal(err)
		}

		// Reporting twice.
		other := f.open(t, OpenInput{})
		if _, err := f.svc.RecordSICReport(ctx, other.ID, SICReportInput{Reference: "R-2"},
			admin, Meta{}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.RecordSICReport(ctx, other.ID, SICReportInput{Reference: "R-3"}, admin,
			Meta{})
		wantConflict(t, err, "already_reported")

		// Unknown ids.
		_, errGet := f.svc.Get(ctx, "inc_nope")
		_, errContain := f.svc.MarkContained(ctx, "inc_nope", admin, Meta{})
		_, errNote := f.svc.AddNote(ctx, "inc_nope", "x", admin, Meta{})
		_, errClose := f.svc.Close(ctx, "inc_nope", CloseInput{Reason: "false_positive"}, admin,
			Meta{})
		for _, err := range []error{errGet, errContain, errNote, errClose} {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		}
	})
}

func TestNothingHalfWritten(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.fail.failOn = "incident.opened"
		if _, err := f.svc.Open(ctx, OpenInput{Title: "x", Category: Availability}, admin,
			Meta{}); err == nil {
			t.Fatal("open succeeded without its audit record")
		}
		if list, _ := f.svc.List(ctx, ""); len(list) != 0 {
			t.Fatalf("incident stored without its audit record: %+v", list)
		}
		f.fail.failOn = ""
		inc := f.open(t, OpenInput{})
		f.fail.failOn = "incident.note_added"
		if _, err := f.svc.AddNote(ctx, inc.ID, "x", admin, Meta{}); err == nil {
			t.Fatal("note added without its audit record")
		}
		f.fail.failOn = "incident.contained"
		if _, err := f.svc.MarkContained(ctx, inc.ID, admin, Meta{}); err == nil {
			t.Fatal("contained without its audit record")
		}
		got, err := f.svc.Get(ctx, inc.ID)
		if err != nil || got.Status != StatusOpen || len(got.Timeline) != 0 || got.Version != 1 {
			t.Fatalf("after failures = %+v, %v", got, err)
		}
	})
}

func TestConcurrentUpdateRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		inc := f.open(t, OpenInput{})
		stale := inc
		if _, err := f.svc.MarkContained(ctx, inc.ID, admin, Meta{}); err != nil {
			t.Fatal(err)
		}
		stale.Status = StatusClosed
		stale.CloseReason = "false_positive"
		wantConflict(t, f.svc.Store().Update(ctx, stale), "concurrent_update")
		stale.ID = "inc_nope"
		if err := f.svc.Store().Update(ctx, stale); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestListDeadlinesAndMetrics(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.open(t, OpenInput{Title: "a"}) // due 2025-05-08
		f.clock.Set(time.Date(2025, 4, 22, 15, 0, 0, 0, time.UTC))
		b := f.open(t, OpenInput{Title: "b"}) // due 2025-05-14
		c := f.open(t, OpenInput{Title: "c", DetectedAt: monday1014})
		if _, err := f.svc.RecordSICReport(ctx, c.ID, SICReportInput{Reference: "R-9"}, admin,
			Meta{}); err != nil {
			t.Fatal(err)
		}
		coll := NewCollector(db, f.clock, nil)

		check := func(now time.Time, wantLeft int, overdue, soon bool, metrics [3]float64) {
			t.Helper()
			f.clock.Set(now)
			items, err := f.svc.List(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]Item{}
			for _, it := range items {
				byID[it.ID] = it
			}
			st := byID[a.ID].Deadline
			if !st.Required || st.BusinessDaysLeft != wantLeft || st.Overdue != overdue ||
				st.DueSoon != soon {
				t.Errorf("%s: a = %+v", now, st)
			}
			if byID[b.ID].Deadline.Overdue || byID[c.ID].Deadline.Required ||
				byID[c.ID].Deadline.Overdue {
				t.Errorf("%s: b = %+v, c = %+v", now, byID[b.ID].Deadline, byID[c.ID].Deadline)
			}
			if got := gather(t, coll); got != metrics {
				t.Errorf("%s: metrics (open, overdue, due soon) = %v, want %v", now, got, metrics)
			}
		}
		// Friday 2 May: 5, 6, 7, 8 May are left.
		check(time.Date(2025, 5, 2, 15, 0, 0, 0, time.UTC), 4, false, false, [3]float64{3, 0, 0})
		// Monday 5 May: three left, due soon.
		check(time.Date(2025, 5, 5, 15, 0, 0, 0, time.UTC), 3, false, true, [3]float64{3, 0, 1})
		// Thursday 8 May, 23:59 in Bogotá: the last day, not yet overdue.
		check(time.Date(2025, 5, 9, 4, 59, 0, 0, time.UTC), 0, false, true, [3]float64{3, 0, 1})
		// Friday 9 May, 00:00 in Bogotá: a is overdue; b (notified Tuesday 22
		// April, due Wednesday 14 May) now has 12, 13 and 14 May left.
		check(time.Date(2025, 5, 9, 5, 0, 0, 0, time.UTC), -1, true, false, [3]float64{3, 1, 1})

		// Filter by status.
		if _, err := f.svc.MarkContained(ctx, b.ID, admin, Meta{}); err != nil {
			t.Fatal(err)
		}
		for status, want := range map[Status]int{StatusOpen: 2, StatusContained: 1,
			StatusClosed: 0, "": 3} {
			items, err := f.svc.List(ctx, status)
			if err != nil || len(items) != want {
				t.Errorf("list %q = %d items, %v; want %d", status, len(items), err, want)
			}
		}
		_, err := f.svc.List(ctx, "reported")
		wantInvalid(t, err, "/status", "invalid_value")
	})
}

// gather returns the collector's open, overdue and due-soon values.
func gather(t *testing.T, c prometheus.Collector) [3]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out [3]float64
	for _, mf := range mfs {
		v := mf.GetMetric()[0].GetGauge().GetValue()
		switch mf.GetName() {
		case "cerrojo_incidents_open":
			out[0] = v
		case "cerrojo_incidents_sic_overdue":
			out[1] = v
		case "cerrojo_incidents_sic_due_soon":
			out[2] = v
		default:
			t.Errorf("unexpected metric %s", mf.GetName())
		}
	}
	return out
}
