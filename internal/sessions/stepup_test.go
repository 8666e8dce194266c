package sessions

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestStepUpRaisesTheSessionsLevel(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, nil)
		ctx := context.Background()
		addUser(t, db, "usr_a")
		is := f.login(t, "usr_a")
		need := Recent{MaxAge: 5 * time.Minute, Level: 2}

		f.clock.Advance(10 * time.Minute)
		ses, err := f.svc.Check(ctx, is.Session.ID)
		if err != nil {
			t.Fatal(err)
		}
		var su *StepUpRequired
		if err := need.Check(ses, f.clock.Now()); !errors.As(err, &su) {
			t.Fatalf("password-only session met a level-2 requirement: %v", err)
		}

		up, err := f.svc.StepUp(ctx, ses, []string{"otp"}, meta)
		if err != nil {
			t.Fatal(err)
		}
		c := f.minter.claims[len(f.minter.claims)-1]
		if c.ACR != "mfa" || strings.Join(c.AMR, " ") != "pwd otp" || !c.AuthTime.Equal(f.clock.Now()) ||
			c.SessionID != ses.ID || up.RefreshToken != "" {
			t.Fatalf("stepped-up token: %+v (refresh %q)", c, up.RefreshToken)
		}
		ses, _ = f.svc.Check(ctx, ses.ID)
		if err := need.Check(ses, f.clock.Now()); err != nil {
			t.Fatalf("after step-up: %v", err)
		}
		// A refresh afterwards keeps the level the session reached.
		next, err := f.svc.Refresh(ctx, is.RefreshToken, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		if next.Session.ACR != "mfa" {
			t.Fatalf("refresh after step-up: acr %q", next.Session.ACR)
		}
		// And it fades: past MaxAge the requirement is not met again.
		f.clock.Advance(6 * time.Minute)
		if err := need.Check(ses, f.clock.Now()); !errors.As(err, &su) {
			t.Fatal("a step-up older than MaxAge still counts")
		}
		recs := f.records(t, "session.step_up")
		if len(recs) != 1 || recs[0].Details["amr"] != "pwd otp" {
			t.Fatalf("step-up audit records: %+v", recs)
		}

		// The password alone renews the password, not the second factor.
		if _, err := f.svc.StepUp(ctx, ses, []string{"pwd"}, meta); err != nil {
			t.Fatal(err)
		}
		c = f.minter.claims[len(f.minter.claims)-1]
		if c.ACR != "pwd" || strings.Join(c.AMR, " ") != "pwd" {
			t.Fatalf("password step-up of a level-2 session: acr %q amr %v", c.ACR, c.AMR)
		}
		ses, _ = f.svc.Check(ctx, ses.ID)
		if err := need.Check(ses, f.clock.Now()); !errors.As(err, &su) {
			t.Fatal("a password step-up met a level-2 requirement")
		}
		if err := (Recent{MaxAge: 5 * time.Minute, Level: 1}).Check(ses, f.clock.Now()); err != nil {
			t.Fatalf("a fresh password step-up does not meet level 1: %v", err)
		}

		// An ended session cannot step up.
		if err := f.svc.End(ctx, "usr_a", ses.ID, "logout", meta); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.StepUp(ctx, ses, []string{"otp"}, meta); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("step-up of an ended session: %v", err)
		}
	})
}

func (f *fixture) records(t *testing.T, action string) []*audit.Record {
	t.Helper()
	page, err := f.log.Search(context.Background(), audit.Query{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Records
}

func TestStepUpProblemFollowsRFC9470(t *testing.T) {
	w := httptest.NewRecorder()
	p := (&StepUpRequired{Need: Recent{MaxAge: 5 * time.Minute, Level: 2}}).Problem(w)
	h := w.Header().Get("WWW-Authenticate")
	if p.Status != 401 || p.Code != "step_up_required" ||
		!strings.Contains(h, `error="insufficient_user_authentication"`) ||
		!strings.Contains(h, `acr_values="mfa"`) || !strings.Contains(h, "max_age=300") {
		t.Fatalf("problem %+v, header %q", p, h)
	}
}
