package habeasdata

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestPolicyValidation(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t), cot(2026, time.March, 2, 9, 0))
	ok := []Purpose{{Code: "purchases", Description: "Compras"}}
	tests := []struct {
		name  string
		in    NewPolicy
		field string
	}{
		{"no version", NewPolicy{Text: "x", Purposes: ok}, "/version"},
		{"version with spaces", NewPolicy{Version: "v 1", Text: "x", Purposes: ok}, "/version"},
		{"no text", NewPolicy{Version: "1", Text: "  ", Purposes: ok}, "/text"},
		{"no purposes", NewPolicy{Version: "1", Text: "x"}, "/purposes"},
		{"bad code", NewPolicy{Version: "1", Text: "x",
			Purposes: []Purpose{{Code: "Marketing", Description: "d"}}}, "/purposes/0/code"},
		{"twice", NewPolicy{Version: "1", Text: "x", Purposes: []Purpose{ok[0], ok[0]}},
			"/purposes/1/code"},
		{"no description", NewPolicy{Version: "1", Text: "x",
			Purposes: []Purpose{{Code: "a"}}}, "/purposes/0/description"},
		{"sensitive and required", NewPolicy{Version: "1", Text: "x",
			Purposes: []Purpose{{Code: "face", Description: "d", Sensitive: true,
				Required: true}}}, "/purposes/0/required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.PublishPolicy(ctx, tc.in, operator, meta)
			var inv *InvalidError
			if !errors.As(err, &inv) || inv.Field != tc.field {
				t.Fatalf("got %v, want an invalid %s", err, tc.field)
			}
		})
	}
	if list, _ := f.svc.Policies(ctx); len(list) != 0 {
		t.Fatalf("refused policies were stored: %v", list)
	}
	f.publish(t, "1", ok, time.Time{})
	_, err := f.svc.PublishPolicy(ctx, NewPolicy{Version: "1", Text: "y", Purposes: ok},
		operator, meta)
	var inv *InvalidError
	if !errors.As(err, &inv) || inv.Field != "/version" {
		t.Fatalf("a second version 1: got %v, want invalid /version", err)
	}
}

func TestConsentLifecycle(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		start := cot(2026, time.March, 2, 9, 0)
		f := newFixture(t, db, start)
		if _, err := f.svc.Check(ctx, "usr_1", "purchases", ""); !errors.Is(err, ErrNoPolicy) {
			t.Fatalf("check with no policy: got %v, want ErrNoPolicy", err)
		}
		f.publish(t, "2026-1", v1Purposes, time.Time{})

		st, err := f.svc.Status(ctx, "usr_1")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"purchases", "marketing_whatsapp", "biometric_login"}; !slices.Equal(
			st.Pending, want) {
			t.Fatalf("pending before any decision = %v, want %v", st.Pending, want)
		}
		a, _ := f.svc.Check(ctx, "usr_1", "marketing_whatsapp", "")
		if a.Allowed || a.Reason != StateNotAsked {
			t.Fatalf("never asked: got %+v, want not allowed, not_asked", a)
		}

		if err := f.decide(t, "usr_1", "2026-1", grant("purchases"),
			grant("marketing_whatsapp"), refuse("biometric_login")); err != nil {
			t.Fatal(err)
		}
		for purpose, want := range map[string]bool{"purchases": true,
			"marketing_whatsapp": true, "biometric_login": false} {
			a, err := f.svc.Check(ctx, "usr_1", purpose, "")
			if err != nil || a.Allowed != want {
				t.Fatalf("check %s = %+v, %v; want allowed=%v", purpose, a, err, want)
			}
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "sms_marketing", ""); a.Allowed ||
			a.Reason != ReasonUnknownPurpose {
			t.Fatalf("undeclared purpose: got %+v", a)
		}

		// Revocation at any time (Ley 1581 art. 8 lit. e).
		f.clock.Advance(time.Hour)
		if err := f.decide(t, "usr_1", "2026-1", revoke("marketing_whatsapp")); err != nil {
			t.Fatal(err)
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "marketing_whatsapp", ""); a.Allowed ||
			a.Reason != StateRevoked {
			t.Fatalf("after revocation: got %+v", a)
		}
		if err := f.decide(t, "usr_1", "2026-1",
			revoke("biometric_login")); !errors.Is(err, ErrNothingToRevoke) {
			t.Fatalf("revoking a refusal: got %v, want ErrNothingToRevoke", err)
		}

		// A new version rewords one purpose and adds another, effective
		// tomorrow: until then nothing changes.
		v2 := slices.Clone(v1Purposes)
		v2[1].Description = "Enviarle ofertas y encuestas por WhatsApp."
		v2 = append(v2, Purpose{Code: "profiling", Description: "Recomendarle productos."})
		f.publish(t, "2026-2", v2, start.Add(24*time.Hour))
		if st, _ := f.svc.Status(ctx, "usr_1"); st.PolicyVersion != "2026-1" ||
			len(st.Pending) != 0 {
			t.Fatalf("before the new version takes effect: %+v", st)
		}
		f.clock.Set(start.Add(25 * time.Hour))
		st, err = f.svc.Status(ctx, "usr_1")
		if err != nil {
			t.Fatal(err)
		}
		if st.PolicyVersion != "2026-2" || !slices.Equal(st.Pending,
			[]string{"marketing_whatsapp", "profiling"}) {
			t.Fatalf("under the new version: version %s pending %v", st.PolicyVersion,
				st.Pending)
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "purchases", ""); !a.Allowed {
			t.Fatalf("an unchanged purpose keeps its consent: %+v", a)
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "profiling", ""); a.Allowed ||
			a.Reason != StateNotAsked {
			t.Fatalf("continued use is not consent to a new purpose: %+v", a)
		}
		// A decision on the text that is no longer in force proves nothing.
		if err := f.decide(t, "usr_1", "2026-1",
			grant("profiling")); !errors.Is(err, ErrPolicyChanged) {
			t.Fatalf("deciding on the old version: got %v, want ErrPolicyChanged", err)
		}
		if err := f.decide(t, "usr_1", "2026-2", grant("marketing_whatsapp"),
			grant("profiling")); err != nil {
			t.Fatal(err)
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "marketing_whatsapp", ""); !a.Allowed ||
			a.PolicyVersion != "2026-2" {
			t.Fatalf("granted again under the new wording: %+v", a)
		}

		history, err := f.svc.History(ctx, "usr_1")
		if err != nil {
			t.Fatal(err)
		}
		if len(history) != 6 {
			t.Fatalf("history has %d rows, want 6", len(history))
		}
		c := history[0]
		if c.IP != "198.51.100.7" || c.UserAgent != "Mozilla/5.0" || c.Channel != "web" ||
			len(c.ShownTextSHA256) != 64 || c.RecordedBy != "usr_1" || c.PolicyVersion !=
			"2026-1" {
			t.Fatalf("evidence not kept: %+v", c)
		}
		n := 0
		for _, a := range f.actions(t) {
			if strings.HasPrefix(a, "habeas_data.consent_") {
				n++
			}
		}
		if n != 6 {
			t.Fatalf("%d consent audit records, want 6", n)
		}
	})
}

func TestConsentIsRefusedWhole(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2026, time.March, 2, 9, 0))
		f.publish(t, "1", v1Purposes, time.Time{})
		base := NewConsent{SubjectID: "usr_2", PolicyVersion: "1",
			Choices:  []Choice{grant("purchases")},
			Evidence: Evidence{Channel: "web", ShownText: "texto"}}
		tests := []struct {
			name  string
			edit  func(n *NewConsent)
			field string
		}{
			{"unknown purpose", func(n *NewConsent) {
				n.Choices = append(n.Choices, grant("nope"))
			}, "/decisions/1/purpose"},
			{"decided twice", func(n *NewConsent) {
				n.Choices = append(n.Choices, refuse("purchases"))
			}, "/decisions/1/purpose"},
			{"bad decision", func(n *NewConsent) {
				n.Choices[0].Decision = "maybe"
			}, "/decisions/0/decision"},
			{"no evidence of the text", func(n *NewConsent) {
				n.Evidence.ShownText = ""
			}, "/shown_text"},
			{"bad digest", func(n *NewConsent) {
				n.Evidence.ShownText, n.Evidence.ShownTextSHA256 = "", "ABC"
			}, "/shown_text_sha256"},
			{"unknown channel", func(n *NewConsent) { n.Evidence.Channel = "fax" }, "/channel"},
			{"minor without representative", func(n *NewConsent) { n.Minor = true },
				"/representative"},
			{"representative without name", func(n *NewConsent) {
				n.Minor, n.Representative = true, &Representative{Relationship: "madre"}
			}, "/representative"},
			{"no subject", func(n *NewConsent) { n.SubjectID = "" }, "/subject_id"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				n := base
				n.Choices = slices.Clone(base.Choices)
				tc.edit(&n)
				_, err := f.svc.RecordConsent(ctx, n, operator, meta)
				var inv *InvalidError
				if !errors.As(err, &inv) || inv.Field != tc.field {
					t.Fatalf("got %v, want invalid %s", err, tc.field)
				}
			})
		}
		if h, _ := f.svc.History(ctx, "usr_2"); len(h) != 0 {
			t.Fatalf("a refused call wrote %d rows", len(h))
		}

		// A minor's grant with the representative's authorization.
		n := base
		n.SubjectID, n.Minor = "usr_3", true
		n.Representative = &Representative{Name: "Ana Pérez", Relationship: "madre",
			DocumentNumber: "52123456"}
		if _, err := f.svc.RecordConsent(ctx, n, operator, meta); err != nil {
			t.Fatal(err)
		}
		st, _ := f.svc.Status(ctx, "usr_3")
		if !st.Minor {
			t.Fatal("the titular is not flagged as a minor")
		}
		var sealed []byte
		if err := db.QueryRowContext(ctx, db.Rebind(`SELECT representative_doc_sealed FROM
			habeas_consents WHERE subject_id = ?`), "usr_3").Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || strings.Contains(string(sealed), "52123456") {
			t.Fatal("the representative's document is not sealed")
		}
	})
}

func TestConsentLedgerIsAppendOnly(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2026, time.March, 2, 9, 0))
		f.publish(t, "1", v1Purposes, time.Time{})
		if err := f.decide(t, "usr_1", "1", grant("marketing_whatsapp")); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`UPDATE habeas_consents SET decision = 'refused'`,
			`UPDATE habeas_consents SET ip = '', user_agent = ''`,
			`DELETE FROM habeas_consents`,
		} {
			if _, err := db.ExecContext(ctx, q); err == nil {
				t.Errorf("%s: the database allowed it", q)
			}
		}
		if a, _ := f.svc.Check(ctx, "usr_1", "marketing_whatsapp", ""); !a.Allowed {
			t.Fatalf("the grant changed: %+v", a)
		}
	})
}
