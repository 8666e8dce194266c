package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestEnrollSMSAndActivate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")

		e, err := f.svc.EnrollSMS(ctx, "usr_a", "300 123 4567", meta)
		if err != nil {
			t.Fatalf("enroll: %v", err)
		}
		if e.Hint != "+57 300 ••• ••67" || !e.ExpiresAt.Equal(start.Add(10*time.Minute)) {
			t.Errorf("got %+v, want hint +57 300 ••• ••67 and expiry in 10m", e)
		}
		msg, code := f.lastText(t)
		if msg.To != "+573001234567" || !strings.HasPrefix(msg.Body, "Cerrojo: su código es") ||
			!strings.Contains(msg.Body, "10 min") {
			t.Errorf("sent %q to %s", msg.Body, msg.To)
		}

		// Pending: listed, but not a factor to challenge for.
		fs, err := f.svc.Factors(ctx, "usr_a")
		if err != nil || len(fs) != 1 || fs[0].Kind != KindSMS || fs[0].Hint != e.Hint ||
			fs[0].Active() {
			t.Fatalf("pending: got (%+v, %v)", fs, err)
		}
		if ok, err := f.svc.HasActiveFactor(ctx, "usr_a"); ok || err != nil {
			t.Errorf("pending: HasActiveFactor = (%v, %v), want false", ok, err)
		}

		if err := f.svc.ActivateOOB(ctx, "usr_a", e.FactorID, code, meta); err != nil {
			t.Fatalf("activate: %v", err)
		}
		fs, _ = f.svc.Factors(ctx, "usr_a")
		if len(fs) != 1 || !fs[0].Active() || !fs[0].ActivatedAt.Equal(start) {
			t.Errorf("active: got %+v", fs)
		}
		if ok, err := f.svc.HasActiveFactor(ctx, "usr_a"); !ok || err != nil {
			t.Errorf("active: HasActiveFactor = (%v, %v), want true", ok, err)
		}
		if err := f.svc.ActivateOOB(ctx, "usr_a", e.FactorID, code, meta); !errors.Is(err,
			ErrNotPending) {
			t.Errorf("activate again: got %v, want ErrNotPending", err)
		}

		// Sign in with it.
		f.clock.Advance(sendCooldown)
		code = f.sendText(t, "usr_a", e.FactorID)
		kind, err := f.svc.VerifyOOB(ctx, "usr_a", e.FactorID, code, meta)
		if err != nil || kind != KindSMS {
			t.Errorf("verify: got (%q, %v), want (sms, nil)", kind, err)
		}

		f.svc.Wait()
		if n := fmt.Sprint(f.notices.list()); n != "[usr_a sms_added]" {
			t.Errorf("notices %s, want [usr_a sms_added]", n)
		}
		var actions []string
		for _, ev := range f.events(t, "usr_a") {
			actions = append(actions, ev.Action+":"+string(ev.Outcome))
			for k, v := range ev.Details {
				if strings.Contains(v, code) || strings.Contains(v, "3001234567") {
					t.Errorf("event %s detail %s=%q holds the code or the number", ev.Action, k, v)
				}
			}
		}
		want := "[mfa.sms.enroll:success mfa.oob.activate:success mfa.oob.send:success " +
			"mfa.oob.verify:success]"
		if fmt.Sprint(actions) != want {
			t.Errorf("events %v, want %s", actions, want)
		}
	})
}

func TestEnrollEmailAndActivate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")

		if _, err := f.svc.EnrollEmail(ctx, "usr_a", meta); !errors.Is(err,
			ErrEmailNotVerified) {
			t.Fatalf("unverified: got %v, want ErrEmailNotVerified", err)
		}
		verifyEmail(t, db, "usr_a")
		e, err := f.svc.EnrollEmail(ctx, "usr_a", meta)
		if err != nil {
			t.Fatalf("enroll: %v", err)
		}
		got := f.lastMail(t)
		if e.Hint != "u•••@ejemplo.co" || got.address != "usr_a@ejemplo.co" ||
			got.userID != "usr_a" || !got.expires.Equal(e.ExpiresAt) || len(got.code) != 6 {
			t.Errorf("enrolment %+v sent %+v", e, got)
		}
		if err := f.svc.ActivateOOB(ctx, "usr_a", e.FactorID, got.code, meta); err != nil {
			t.Fatalf("activate: %v", err)
		}
		if _, err := f.svc.EnrollEmail(ctx, "usr_a", meta); !errors.Is(err,
			ErrAlreadyEnrolled) {
			t.Errorf("enrol again: got %v, want ErrAlreadyEnrolled", err)
		}

		f.clock.Advance(sendCooldown)
		if _, err := f.svc.SendCode(ctx, "usr_a", e.FactorID, meta); err != nil {
			t.Fatalf("send: %v", err)
		}
		kind, err := f.svc.VerifyOOB(ctx, "usr_a", e.FactorID, f.lastMail(t).code, meta)
		if err != nil || kind != KindEmail {
			t.Errorf("verify: got (%q, %v), want (email, nil)", kind, err)
		}
		f.svc.Wait()
		if n := fmt.Sprint(f.notices.list()); n != "[usr_a email_added]" {
			t.Errorf("notices %s, want [usr_a email_added]", n)
		}
	})
}

func TestEmailFactorStopsWhenTheAddressChanges(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")
		verifyEmail(t, db, "usr_a")
		e, err := f.svc.EnrollEmail(ctx, "usr_a", meta)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ActivateOOB(ctx, "usr_a", e.FactorID, f.lastMail(t).code,
			meta); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(sendCooldown)

		// A change of case is the same mailbox.
		if _, err := db.ExecContext(ctx, db.Rebind(`UPDATE users SET email = ? WHERE id = ?`),
			"USR_A@Ejemplo.co", "usr_a"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendCode(ctx, "usr_a", e.FactorID, meta); err != nil {
			t.Errorf("same address in other case: %v", err)
		}

		f.clock.Advance(sendCooldown)
		if _, err := db.ExecContext(ctx, db.Rebind(`UPDATE users SET email = ? WHERE id = ?`),
			"otra@ejemplo.co", "usr_a"); err != nil {
			t.Fatal(err)
		}
		sent := len(f.mails.all())
		if _, err := f.svc.SendCode(ctx, "usr_a", e.FactorID, meta); !errors.Is(err,
			ErrAddressChanged) {
			t.Errorf("new address: got %v, want ErrAddressChanged", err)
		}
		if n := len(f.mails.all()); n != sent {
			t.Errorf("%d emails sent after the change, want none", n-sent)
		}
	})
}

func TestVerifyOOBRefuses(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{MaxFailures: 20}))
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")
		id := f.smsFactor(t, "usr_a", "+573001234567")
		other := f.smsFactor(t, "usr_b", "+573001234568")
		// Each case starts an hour later, so the cases do not run into the
		// limit on sends.

		t.Run("wrong code, then the right one", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			code := f.sendText(t, "usr_a", id)
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, wrongCode(code),
				meta); !errors.Is(err, ErrInvalidCode) {
				t.Errorf("wrong: got %v, want ErrInvalidCode", err)
			}
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); err != nil {
				t.Errorf("right: %v", err)
			}
			f.clock.Advance(sendCooldown)
		})
		t.Run("reused", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			code := f.sendText(t, "usr_a", id)
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta)
			if !errors.Is(err, ErrCodeReused) || !errors.Is(err, ErrInvalidCode) {
				t.Errorf("got %v, want ErrCodeReused", err)
			}
			f.clock.Advance(sendCooldown)
		})
		t.Run("expired", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			code := f.sendText(t, "usr_a", id)
			f.clock.Advance(10 * time.Minute)
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); !errors.Is(err,
				ErrInvalidCode) {
				t.Errorf("got %v, want ErrInvalidCode", err)
			}
		})
		t.Run("one second before expiry", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			code := f.sendText(t, "usr_a", id)
			f.clock.Advance(10*time.Minute - time.Second)
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
		t.Run("replaced by a newer code", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			old := f.sendText(t, "usr_a", id)
			f.clock.Advance(sendCooldown)
			code := f.sendText(t, "usr_a", id)
			if old != code {
				if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, old, meta); !errors.Is(err,
					ErrInvalidCode) {
					t.Errorf("old code: got %v, want ErrInvalidCode", err)
				}
			}
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); err != nil {
				t.Errorf("new code: %v", err)
			}
			f.clock.Advance(sendCooldown)
		})
		t.Run("tries per code", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			code := f.sendText(t, "usr_a", id)
			for range maxCodeTries {
				f.svc.VerifyOOB(ctx, "usr_a", id, wrongCode(code), meta)
			}
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); !errors.Is(err,
				ErrInvalidCode) {
				t.Errorf("right code after %d tries: got %v, want ErrInvalidCode",
					maxCodeTries, err)
			}
			f.clock.Advance(sendCooldown)
		})
		t.Run("malformed", func(t *testing.T) {
			for _, c := range []string{"", "12345", "1234567", "12a456", "１２３４５６"} {
				if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, c, meta); !errors.Is(err,
					ErrInvalidCode) {
					t.Errorf("%q: got %v, want ErrInvalidCode", c, err)
				}
			}
		})
		t.Run("another person's factor", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			code := f.sendText(t, "usr_b", other)
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", other, code, meta); !errors.Is(err,
				ErrNoSuchFactor) {
				t.Errorf("got %v, want ErrNoSuchFactor", err)
			}
		})
		t.Run("unknown factor", func(t *testing.T) {
			for _, id := range []string{"", "mfa_x", "mfa_aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
				if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, "123456", meta); !errors.Is(err,
					ErrNoSuchFactor) {
					t.Errorf("%q: got %v, want ErrNoSuchFactor", id, err)
				}
			}
		})
		t.Run("pending factor", func(t *testing.T) {
			f.clock.Advance(sendWindow)
			e, err := f.svc.EnrollSMS(ctx, "usr_a", "+573009999999", meta)
			if err != nil {
				t.Fatal(err)
			}
			_, code := f.lastText(t)
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", e.FactorID, code, meta); !errors.Is(err,
				ErrNoFactor) {
				t.Errorf("got %v, want ErrNoFactor", err)
			}
		})

		reasons := fmt.Sprint(f.failures(t, "usr_a", "mfa.oob.verify"))
		for _, want := range []string{"wrong_code", "reused", "expired", "no_tries_left",
			"malformed", "no_such_factor", "not_active"} {
			if !strings.Contains(reasons, want) {
				t.Errorf("audited failures %s lack %s", reasons, want)
			}
		}
	})
}

func TestActivateOOBRefuses(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{MaxFailures: 20, EnrollmentTTL: time.Minute}))
		addUser(t, db, "usr_a", "active")

		e, err := f.svc.EnrollSMS(ctx, "usr_a", "+573001234567", meta)
		if err != nil {
			t.Fatal(err)
		}
		// The code ends with the enrolment when that comes first.
		if !e.ExpiresAt.Equal(start.Add(time.Minute)) {
			t.Errorf("expires at %s, want the enrolment's end %s", e.ExpiresAt,
				start.Add(time.Minute))
		}
		_, code := f.lastText(t)
		if err := f.svc.ActivateOOB(ctx, "usr_a", e.FactorID, wrongCode(code),
			meta); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("wrong code: got %v, want ErrInvalidCode", err)
		}
		if err := f.svc.ActivateOOB(ctx, "usr_b", e.FactorID, code, meta); !errors.Is(err,
			ErrNoSuchFactor) {
			t.Errorf("another person: got %v, want ErrNoSuchFactor", err)
		}
		f.clock.Advance(time.Minute)
		if err := f.svc.ActivateOOB(ctx, "usr_a", e.FactorID, code, meta); !errors.Is(err,
			ErrEnrollmentExpired) {
			t.Errorf("late: got %v, want ErrEnrollmentExpired", err)
		}
		if _, err := f.svc.SendCode(ctx, "usr_a", e.FactorID, meta); !errors.Is(err,
			ErrEnrollmentExpired) {
			t.Errorf("send late: got %v, want ErrEnrollmentExpired", err)
		}
		if fs, _ := f.svc.Factors(ctx, "usr_a"); len(fs) != 0 {
			t.Errorf("expired enrolment still listed: %+v", fs)
		}
	})
}

func TestConcurrentVerifyOOBHasOneWinner(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newOOBFixture(t, db, oobConfig(Config{MaxFailures: 20}))
		addUser(t, db, "usr_a", "active")
		id := f.smsFactor(t, "usr_a", "+573001234567")
		code := f.sendText(t, "usr_a", id)

		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := f.svc.VerifyOOB(context.Background(), "usr_a", id, code, meta)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		wins := 0
		for err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrInvalidCode):
				t.Errorf("got %v, want nil or ErrInvalidCode", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d verifications passed, want 1", wins)
		}
	})
}

func TestConcurrentActivateOOBHasOneWinner(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newOOBFixture(t, db, oobConfig(Config{MaxFailures: 20}))
		addUser(t, db, "usr_a", "active")
		e, err := f.svc.EnrollSMS(context.Background(), "usr_a", "+573001234567", meta)
		if err != nil {
			t.Fatal(err)
		}
		_, code := f.lastText(t)

		const n = 6
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				errs <- f.svc.ActivateOOB(context.Background(), "usr_a", e.FactorID, code, meta)
			})
		}
		wg.Wait()
		close(errs)
		wins := 0
		for err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrInvalidCode) && !errors.Is(err, ErrNotPending):
				t.Errorf("got %v, want nil, ErrInvalidCode or ErrNotPending", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d activations passed, want 1", wins)
		}
		f.svc.Wait()
		if n := fmt.Sprint(f.notices.list()); n != "[usr_a sms_added]" {
			t.Errorf("notices %s, want one sms_added", n)
		}
	})
}

func TestSendCodeIsThrottled(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")
		verifyEmail(t, db, "usr_a")

		// Send 1 of the hour: the enrolment.
		e, err := f.svc.EnrollSMS(ctx, "usr_a", "+573001234567", meta)
		if err != nil {
			t.Fatal(err)
		}
		_, code := f.lastText(t)
		if err := f.svc.ActivateOOB(ctx, "usr_a", e.FactorID, code, meta); err != nil {
			t.Fatal(err)
		}

		// The factor's cooldown.
		f.clock.Advance(10 * time.Second)
		_, err = f.svc.SendCode(ctx, "usr_a", e.FactorID, meta)
		var te *ThrottledError
		if !errors.Is(err, ErrThrottled) || !errors.As(err, &te) ||
			te.RetryAfter != 20*time.Second {
			t.Fatalf("within the cooldown: got %v, want a 20s ThrottledError", err)
		}
		f.clock.Advance(20 * time.Second)
		if _, err := f.svc.SendCode(ctx, "usr_a", e.FactorID, meta); err != nil {
			t.Fatalf("after the cooldown: %v", err) // send 2, at +30s
		}

		// Sends 3 to 5, each a cooldown apart: an email enrolment and two
		// more texts.
		f.clock.Advance(sendCooldown)
		if _, err := f.svc.EnrollEmail(ctx, "usr_a", meta); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			f.clock.Advance(sendCooldown)
			if _, err := f.svc.SendCode(ctx, "usr_a", e.FactorID, meta); err != nil {
				t.Fatal(err)
			}
		}

		// The person's hourly limit, on every factor and on enrolments.
		f.clock.Advance(sendCooldown)
		texts := len(f.texts.all())
		_, err = f.svc.SendCode(ctx, "usr_a", e.FactorID, meta)
		wantWait := sendWindow - 5*sendCooldown // until the enrolment's send leaves the hour
		if !errors.As(err, &te) || te.RetryAfter != wantWait {
			t.Fatalf("sixth send: got %v, want a %s ThrottledError", err, wantWait)
		}
		if _, err := f.svc.EnrollSMS(ctx, "usr_a", "+573009999999", meta); !errors.Is(err,
			ErrThrottled) {
			t.Errorf("enrolment past the limit: got %v, want ErrThrottled", err)
		}
		if n := len(f.texts.all()); n != texts {
			t.Errorf("%d texts sent past the limit", n-texts)
		}

		f.clock.Advance(wantWait)
		if _, err := f.svc.SendCode(ctx, "usr_a", e.FactorID, meta); err != nil {
			t.Errorf("once the first send left the window: %v", err)
		}
		if r := f.failures(t, "usr_a", "mfa.oob.send"); len(r) != 2 || r[0] != "throttled" {
			t.Errorf("audited send failures %v, want [throttled throttled]", r)
		}
	})
}

func TestOOBSharesTheLimiterWithTOTP(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{MaxFailures: 5}))
		addUser(t, db, "usr_a", "active")
		totp := f.activeFactor(t, "usr_a")
		id := f.smsFactor(t, "usr_a", "+573001234567")

		// The activation of the text factor counted one try, and a right
		// activation code does not clear the count.
		if n, err := f.svc.counters.Get(ctx, f.svc.counterKey("usr_a")); n != 1 || err != nil {
			t.Fatalf("after activation the count is (%d, %v), want 1", n, err)
		}

		// A right text code clears what TOTP counted.
		for range 3 {
			f.svc.VerifyTOTP(ctx, "usr_a", "000000", meta)
		}
		code := f.sendText(t, "usr_a", id)
		if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); err != nil {
			t.Fatalf("right code after 4 counted tries: %v", err)
		}

		// Wrong codes of both kinds add up to the limit.
		f.clock.Advance(sendCooldown)
		code = f.sendText(t, "usr_a", id)
		for range 3 {
			f.svc.VerifyTOTP(ctx, "usr_a", "000000", meta)
		}
		for range 2 {
			if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, wrongCode(code),
				meta); !errors.Is(err, ErrInvalidCode) {
				t.Fatalf("wrong text code: got %v, want ErrInvalidCode", err)
			}
		}
		if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); !errors.Is(err,
			ErrTooManyAttempts) {
			t.Errorf("right text code past the limit: got %v, want ErrTooManyAttempts", err)
		}
		_, err := f.svc.VerifyTOTP(ctx, "usr_a", codeAt(t, totp.Secret, f.clock.Now()), meta)
		if !errors.Is(err, ErrTooManyAttempts) {
			t.Errorf("right TOTP code past the limit: got %v, want ErrTooManyAttempts", err)
		}
	})
}

func TestSMSDisabled(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")
		verifyEmail(t, db, "usr_a")
		id := f.smsFactor(t, "usr_a", "+573001234567")
		code := f.sendText(t, "usr_a", id)

		// The same database after sms codes are switched off.
		off := f.service(t, Config{EmailCodes: true})
		if _, err := off.EnrollSMS(ctx, "usr_a", "+573009999999", meta); !errors.Is(err,
			ErrSMSDisabled) {
			t.Errorf("enrol: got %v, want ErrSMSDisabled", err)
		}
		f.clock.Advance(sendCooldown)
		if _, err := off.SendCode(ctx, "usr_a", id, meta); !errors.Is(err, ErrSMSDisabled) {
			t.Errorf("send: got %v, want ErrSMSDisabled", err)
		}
		if _, err := off.VerifyOOB(ctx, "usr_a", id, code, meta); !errors.Is(err,
			ErrSMSDisabled) {
			t.Errorf("verify: got %v, want ErrSMSDisabled", err)
		}
		if ok, err := off.HasActiveFactor(ctx, "usr_a"); ok || err != nil {
			t.Errorf("HasActiveFactor = (%v, %v), want false", ok, err)
		}
		// Still listed, so the person can remove it.
		if fs, _ := off.Factors(ctx, "usr_a"); len(fs) != 1 {
			t.Errorf("listing: got %+v, want the text factor", fs)
		}

		noMail := f.service(t, Config{SMSCodes: true})
		if _, err := noMail.EnrollEmail(ctx, "usr_a", meta); !errors.Is(err,
			ErrEmailCodesDisabled) {
			t.Errorf("enrol email: got %v, want ErrEmailCodesDisabled", err)
		}
		if r := f.failures(t, "usr_a", "mfa.sms.enroll"); len(r) != 1 || r[0] != "sms_disabled" {
			t.Errorf("audited enrolment failures %v, want [sms_disabled]", r)
		}
	})
}

func TestNewNeedsSendersForEnabledChannels(t *testing.T) {
	db := storagetest.SQLite(t)
	f := newFixture(t, db, Config{})
	base := Options{DB: db, Ring: f.ring, Audit: f.log, Issuer: "Cerrojo"}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		ok   bool
	}{
		{"both off", func(*Options) {}, true},
		{"sms without sender", func(o *Options) { o.Config.SMSCodes = true }, false},
		{"email without sender", func(o *Options) { o.Config.EmailCodes = true }, false},
		{"sms with sender", func(o *Options) {
			o.Config.SMSCodes, o.SMS = true, &textBox{}
		}, true},
		{"email with sender", func(o *Options) {
			o.Config.EmailCodes, o.EmailCode = true, (&mailBox{}).send
		}, true},
	} {
		o := base
		tc.edit(&o)
		if _, err := New(o); (err == nil) != tc.ok {
			t.Errorf("%s: got %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestSMSRequiresStrongFactor(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		cfg := oobConfig(Config{SMSRequiresStrongFactor: true})
		f := newOOBFixture(t, db, cfg)
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")

		if _, err := f.svc.EnrollSMS(ctx, "usr_a", "+573001234567", meta); !errors.Is(err,
			ErrStrongFactorRequired) {
			t.Errorf("no strong factor: got %v, want ErrStrongFactorRequired", err)
		}
		if n := len(f.texts.all()); n != 0 {
			t.Errorf("%d texts sent", n)
		}

		// A TOTP factor is strong.
		f.activeFactor(t, "usr_b")
		f.smsFactor(t, "usr_b", "+573001234568")

		// So is a passkey, as StrongFactor reports it.
		f.passkey.Store(true)
		id := f.smsFactor(t, "usr_a", "+573001234567")
		code := f.sendText(t, "usr_a", id)

		// Without it, the text factor stops working.
		f.passkey.Store(false)
		if _, err := f.svc.VerifyOOB(ctx, "usr_a", id, code, meta); !errors.Is(err,
			ErrStrongFactorRequired) {
			t.Errorf("verify: got %v, want ErrStrongFactorRequired", err)
		}
		f.clock.Advance(sendCooldown)
		if _, err := f.svc.SendCode(ctx, "usr_a", id, meta); !errors.Is(err,
			ErrStrongFactorRequired) {
			t.Errorf("send: got %v, want ErrStrongFactorRequired", err)
		}
		if ok, err := f.svc.HasActiveFactor(ctx, "usr_a"); ok || err != nil {
			t.Errorf("HasActiveFactor = (%v, %v), want false", ok, err)
		}
		f.passkey.Store(true)
		if ok, err := f.svc.HasActiveFactor(ctx, "usr_a"); !ok || err != nil {
			t.Errorf("with a passkey: HasActiveFactor = (%v, %v), want true", ok, err)
		}
	})
}

func TestStrongFactorErrorsAreReturned(t *testing.T) {
	db := storagetest.SQLite(t)
	f := newOOBFixture(t, db, Config{})
	addUser(t, db, "usr_a", "active")
	boom := errors.New("passkeys unavailable")
	svc, err := New(Options{DB: db, Ring: f.ring, Audit: f.log, Issuer: "Cerrojo",
		Clock: f.clock, SMS: f.texts, Config: Config{SMSCodes: true,
			SMSRequiresStrongFactor: true},
		StrongFactor: func(context.Context, string) (bool, error) { return false, boom }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnrollSMS(context.Background(), "usr_a", "+573001234567",
		meta); !errors.Is(err, boom) || errors.Is(err, ErrStrongFactorRequired) {
		t.Errorf("got %v, want the lookup's error", err)
	}
}

func TestEnrollSMSRefuses(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")

		for _, phone := range []string{"", "123", "601 234 5678", "300 123 4567 ext. 9",
			strings.Repeat("3", 40)} {
			_, err := f.svc.EnrollSMS(ctx, "usr_a", phone, meta)
			if !errors.Is(err, ErrInvalidPhone) || !errors.Is(err, ErrInvalidInput) {
				t.Errorf("%q: got %v, want ErrInvalidPhone", phone, err)
			}
		}
		if _, err := f.svc.EnrollSMS(ctx, "usr_nobody", "+573001234567", meta); !errors.Is(err,
			ErrUnknownUser) {
			t.Errorf("unknown user: got %v, want ErrUnknownUser", err)
		}

		for _, n := range []string{"+573001234561", "+573001234562", "+573001234563"} {
			f.smsFactor(t, "usr_a", n)
		}
		if _, err := f.svc.EnrollSMS(ctx, "usr_a", "300 123 4562", meta); !errors.Is(err,
			ErrAlreadyEnrolled) {
			t.Errorf("same number: got %v, want ErrAlreadyEnrolled", err)
		}
		if _, err := f.svc.EnrollSMS(ctx, "usr_a", "+573001234564", meta); !errors.Is(err,
			ErrTooManyFactors) {
			t.Errorf("past the cap: got %v, want ErrTooManyFactors", err)
		}
		if n := len(f.texts.all()); n != 3 {
			t.Errorf("%d texts sent, want 3", n)
		}
	})
}

func TestDeliveryFailure(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")
		boom := errors.New("gateway down")
		f.texts.fail(boom)

		_, err := f.svc.EnrollSMS(ctx, "usr_a", "+573001234567", meta)
		if !errors.Is(err, ErrDelivery) || !errors.Is(err, boom) {
			t.Fatalf("got %v, want ErrDelivery wrapping the sender's error", err)
		}
		if r := f.failures(t, "usr_a", "mfa.oob.deliver"); len(r) != 1 ||
			r[0] != "delivery_failed" {
			t.Errorf("audited delivery failures %v, want [delivery_failed]", r)
		}

		// The pending factor stays; a new code can be asked for once the
		// cooldown passes.
		fs, _ := f.svc.Factors(ctx, "usr_a")
		if len(fs) != 1 {
			t.Fatalf("factors %+v, want the pending one", fs)
		}
		f.texts.fail(nil)
		f.clock.Advance(sendCooldown)
		if _, err := f.svc.SendCode(ctx, "usr_a", fs[0].ID, meta); err != nil {
			t.Fatalf("send again: %v", err)
		}
		_, code := f.lastText(t)
		if err := f.svc.ActivateOOB(ctx, "usr_a", fs[0].ID, code, meta); err != nil {
			t.Errorf("activate: %v", err)
		}
	})
}

func TestDestinationIsSealedAtRest(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")
		addUser(t, db, "usr_b", "active")
		verifyEmail(t, db, "usr_a")
		if _, err := f.svc.EnrollSMS(ctx, "usr_a", "+573001234567", meta); err != nil {
			t.Fatal(err)
		}
		_, code := f.lastText(t)
		f.clock.Advance(sendCooldown)
		if _, err := f.svc.EnrollEmail(ctx, "usr_a", meta); err != nil {
			t.Fatal(err)
		}

		// Nothing stored holds the number, the address or a code.
		var dump bytes.Buffer
		for _, table := range []string{"mfa_oob_factors", "mfa_oob_codes"} {
			rows, err := db.QueryContext(ctx, "SELECT * FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					fmt.Fprintf(&dump, "%s|", v)
				}
			}
			rows.Close()
		}
		for _, secret := range []string{"3001234567", "usr_a@", code,
			f.lastMail(t).code} {
			if bytes.Contains(dump.Bytes(), []byte(secret)) {
				t.Errorf("the database holds %q", secret)
			}
		}

		// A sealed destination moved to another person's row does not open.
		var sealed []byte
		var id string
		if err := db.QueryRowContext(ctx, `SELECT id, destination_sealed FROM mfa_oob_factors
			WHERE channel = 'sms'`).Scan(&id, &sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ring.Open(sealed, destinationAAD(id, "usr_b")); err == nil {
			t.Error("the destination opened for another person")
		}
		if got, err := f.ring.Open(sealed, destinationAAD(id, "usr_a")); err != nil ||
			string(got) != "+573001234567" {
			t.Errorf("own row: got (%q, %v)", got, err)
		}
	})
}

func TestRemoveAndRenameOOBFactors(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")
		verifyEmail(t, db, "usr_a")
		id := f.smsFactor(t, "usr_a", "+573001234567")
		f.sendText(t, "usr_a", id)

		if err := f.svc.RenameFactor(ctx, "usr_a", id, "  Celular  ", meta); err != nil {
			t.Fatalf("rename: %v", err)
		}
		fs, _ := f.svc.Factors(ctx, "usr_a")
		if len(fs) != 1 || fs[0].Name != "Celular" {
			t.Errorf("after rename: %+v", fs)
		}
		if err := f.svc.RemoveFactor(ctx, "usr_a", id, meta); err != nil {
			t.Fatalf("remove: %v", err)
		}
		if err := f.svc.RemoveFactor(ctx, "usr_a", id, meta); !errors.Is(err, ErrNoSuchFactor) {
			t.Errorf("remove again: got %v, want ErrNoSuchFactor", err)
		}
		var codes int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mfa_oob_codes`).Scan(
			&codes); err != nil || codes != 0 {
			t.Errorf("codes left: (%d, %v), want 0", codes, err)
		}

		// A pending factor goes without a notice.
		e, err := f.svc.EnrollEmail(ctx, "usr_a", meta)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RemoveFactor(ctx, "usr_a", e.FactorID, meta); err != nil {
			t.Fatal(err)
		}
		f.svc.Wait()
		if n := fmt.Sprint(f.notices.list()); n != "[usr_a sms_added usr_a sms_removed]" {
			t.Errorf("notices %s", n)
		}
		var removed []string
		for _, ev := range f.events(t, "usr_a") {
			if ev.Action == "mfa.factor.remove" {
				removed = append(removed, ev.Details["kind"]+" "+ev.Details["was_active"])
			}
		}
		if fmt.Sprint(removed) != "[sms true email false]" {
			t.Errorf("audited removals %v", removed)
		}
	})
}

func TestFactorsListsEveryKindOldestFirst(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newOOBFixture(t, db, oobConfig(Config{}))
		addUser(t, db, "usr_a", "active")
		verifyEmail(t, db, "usr_a")
		f.smsFactor(t, "usr_a", "+573001234567")
		f.activeFactor(t, "usr_a")
		if _, err := f.svc.EnrollEmail(ctx, "usr_a", meta); err != nil {
			t.Fatal(err)
		}
		fs, err := f.svc.Factors(ctx, "usr_a")
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, x := range fs {
			kinds = append(kinds, x.Kind+":"+x.Hint)
		}
		if want := "[sms:+57 300 ••• ••67 totp: email:u•••@ejemplo.co]"; fmt.Sprint(kinds) !=
			want {
			t.Errorf("got %v, want %s", kinds, want)
		}
	})
}

func TestAdoptionCountsOOBFactors(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newOOBFixture(t, db, oobConfig(Config{}))
		for _, u := range []string{"usr_sms", "usr_both", "usr_totp", "usr_none"} {
			addUser(t, db, u, "active")
		}
		f.smsFactor(t, "usr_sms", "+573001234561")
		f.smsFactor(t, "usr_both", "+573001234562")
		f.activeFactor(t, "usr_both")
		f.activeFactor(t, "usr_totp")
		with, active, err := f.svc.Adoption(context.Background())
		if err != nil || with != 3 || active != 4 {
			t.Errorf("got (%d, %d, %v), want (3, 4, nil)", with, active, err)
		}
	})
}

func TestSMSBodyFollowsTheLocale(t *testing.T) {
	db := storagetest.SQLite(t)
	f := newOOBFixture(t, db, oobConfig(Config{CodeTTL: 5 * time.Minute}))
	addUser(t, db, "usr_a", "active")
	if _, err := db.ExecContext(context.Background(),
		`UPDATE users SET locale = 'en-US' WHERE id = 'usr_a'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EnrollSMS(context.Background(), "usr_a", "+573001234567",
		meta); err != nil {
		t.Fatal(err)
	}
	m, code := f.lastText(t)
	want := "Cerrojo: your code is " + code + ". It expires in 5 min. Do not share it."
	if m.Body != want {
		t.Errorf("got %q, want %q", m.Body, want)
	}
}

func TestCodeTTLBounds(t *testing.T) {
	for _, tc := range []struct {
		ttl time.Duration
		ok  bool
	}{{0, true}, {minCodeTTL, true}, {maxCodeTTL, true}, {minCodeTTL - time.Second, false},
		{maxCodeTTL + time.Second, false}, {-time.Minute, false}} {
		if err := (Config{CodeTTL: tc.ttl}).Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: got %v, want ok=%v", tc.ttl, err, tc.ok)
		}
	}
}

func TestNewOOBCodeIsUniform(t *testing.T) {
	// 0xFFFFFFFF lies past the last whole block of a million and is drawn
	// again; 0x000F423F is 999999.
	s := &Service{rand: bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x0f, 0x42,
		0x3f, 0, 0, 0, 7})}
	for _, want := range []string{"999999", "000007"} {
		got, err := s.newOOBCode()
		if err != nil || got != want {
			t.Errorf("got (%q, %v), want %q", got, err, want)
		}
	}
}

func TestThrottledRoundsUp(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{
		{20 * time.Second, 20 * time.Second}, {19*time.Second + 1, 20 * time.Second},
		{0, time.Second}, {-time.Second, time.Second}} {
		if got := throttled(tc.in).RetryAfter; got != tc.want {
			t.Errorf("throttled(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestMaskAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ana@example.com", "a•••@example.com"},
		{"a@example.com", "a•••@example.com"},
		{"ñandú@ejemplo.co", "ñ•••@ejemplo.co"},
		{"we\"ird@x@example.com", "w•••@example.com"},
		{"@example.com", "•••"},
		{"nobody", "•••"},
	} {
		if got := maskAddress(tc.in); got != tc.want {
			t.Errorf("maskAddress(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
