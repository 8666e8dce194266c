package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/counters"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/password"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// mailbox records what the service asked to send.
type mailbox struct {
	mu   sync.Mutex
	sent []sent
}

type sent struct {
	kind, to, code, link string
}

func (m *mailbox) add(kind string, u User, code, link string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, sent{kind, u.Email.Address, code, link})
	return nil
}

func (m *mailbox) VerifyEmail(_ context.Context, u User, code, link string) error {
	return m.add("verify", u, code, link)
}
func (m *mailbox) EmailAlreadyRegistered(_ context.Context, u User) error {
	return m.add("already_registered", u, "", "")
}
func (m *mailbox) PasswordReset(_ context.Context, u User, link string) error {
	return m.add("reset", u, "", link)
}
func (m *mailbox) PasswordChanged(_ context.Context, u User) error {
	return m.add("password_changed", u, "", "")
}
func (m *mailbox) AccountLocked(_ context.Context, u User, _ time.Time) error {
	return m.add("locked", u, "", "")
}

func (m *mailbox) EmailChangeRequested(_ context.Context, u User, newAddress string) error {
	return m.add("email_change_requested", u, "", newAddress)
}
func (m *mailbox) EmailChanged(_ context.Context, u User, newAddress string) error {
	return m.add("email_changed", u, "", newAddress)
}

func (m *mailbox) last(t *testing.T, kind string) sent {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].kind == kind {
			return m.sent[i]
		}
	}
	t.Fatalf("no %s message was sent; sent: %v", kind, m.sent)
	return sent{}
}

func (m *mailbox) count(kind string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.sent {
		if s.kind == kind {
			n++
		}
	}
	return n
}

type fixture struct {
	svc   *Service
	mail  *mailbox
	clock *clock.Fake
	db    *storage.DB
	log   *audit.Log
}

var (
	hasherOnce sync.Once
	hasher     *password.Hasher
)

// testHasher uses the OWASP minimum parameters, the production default.
func testHasher(t testing.TB) *password.Hasher {
	hasherOnce.Do(func() {
		var err error
		hasher, err = password.NewHasher(password.Config{})
		if err != nil {
			t.Fatal(err)
		}
	})
	return hasher
}

func newFixture(t testing.TB, db *storage.DB) *fixture {
	t.Helper()
	fake := clock.NewFake(time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC))
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
	mail := &mailbox{}
	svc := New(Options{
		Store: NewStore(db), Hasher: testHasher(t), Policy: password.DefaultPolicy(),
		Counters: counters.NewSQL(db, fake), Ring: ring, Audit: log, Notifier: mail,
		Clock: fake, Config: DefaultConfig(),
	})
	svc.sleep = func(context.Context, time.Duration) {} // delays are tested on their own
	return &fixture{svc: svc, mail: mail, clock: fake, db: db, log: log}
}

var meta = Meta{IP: "203.0.113.7", UserAgent: "test", RequestID: "req-1"}

const goodPassword = "una frase larga y rara 7"

func (f *fixture) register(t *testing.T, email string) User {
	t.Helper()
	err := f.svc.Register(context.Background(), RegisterInput{Email: email,
		Password: goodPassword, Name: "Ana María Pérez", Kind: KindCustomer}, meta)
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	f.svc.Wait()
	e, _ := ParseEmail(email)
	u, err := f.svc.Store.UserByEmail(context.Background(), e.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRegistration(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.register(t, "Ana.Perez@Ejemplo.CO")

		if u.Email.Address != "Ana.Perez@Ejemplo.CO" || u.Email.Normalized != "ana.perez@ejemplo.co" {
			t.Errorf("got email %+v, want the typed form kept and a lower-case key", u.Email)
		}
		if u.EmailVerified || u.State != StateActive || u.Locale != "es-CO" {
			t.Errorf("got %+v, want unverified, active, es-CO", u)
		}
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("got hash %q, want Argon2id with the OWASP minimum", u.PasswordHash)
		}
		msg := f.mail.last(t, "verify")
		if len(msg.code) != 6 || !strings.Contains(msg.link, "/verify-email?token=") {
			t.Errorf("verification message %+v lacks a code or link", msg)
		}

		t.Run("a second registration of the same address changes nothing and tells the owner",
			func(t *testing.T) {
				err := f.svc.Register(ctx, RegisterInput{Email: "ana.perez@ejemplo.co",
					Password: "otra frase distinta 99", Name: "Impostor", Kind: KindVendor}, meta)
				if err != nil {
					t.Fatalf("got %v, want nil (same answer as a new registration)", err)
				}
				f.svc.Wait()
				if f.mail.count("already_registered") != 1 {
					t.Errorf("the owner was not told")
				}
				again, _ := f.svc.Store.UserByID(ctx, u.ID)
				if again.Name != u.Name || again.PasswordHash != u.PasswordHash {
					t.Errorf("the existing account changed")
				}
			})
	})
}

func TestRegistrationValidation(t *testing.T) {
	f := newFixture(t, storagetest.SQLite(t))
	tests := []struct {
		name  string
		in    RegisterInput
		field string
		code  string
	}{
		{"bad email", RegisterInput{Email: "ana@", Password: goodPassword, Name: "Ana",
			Kind: KindCustomer}, "/email", "invalid"},
		{"short password", RegisterInput{Email: "a@ejemplo.co", Password: "corta1",
			Name: "Ana", Kind: KindCustomer}, "/password", "too_short"},
		{"common password", RegisterInput{Email: "a@ejemplo.co", Password: "password123",
			Name: "Ana", Kind: KindCustomer}, "/password", "common"},
		{"password with the email", RegisterInput{Email: "camilo.rojas@ejemplo.co",
			Password: "xx camilo.rojas 2026", Name: "C", Kind: KindCustomer}, "/password",
			"contains_email"},
		{"bad phone", RegisterInput{Email: "a@ejemplo.co", Password: goodPassword, Name: "Ana",
			Phone: "12", Kind: KindCustomer}, "/phone", "invalid"},
		{"unknown kind", RegisterInput{Email: "a@ejemplo.co", Password: goodPassword, Name: "Ana",
			Kind: "admin"}, "/kind", "invalid"},
		{"empty name", RegisterInput{Email: "a@ejemplo.co", Password: goodPassword, Name: " ",
			Kind: KindCustomer}, "/name", "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.svc.Register(context.Background(), tc.in, meta)
			var v *ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("got %v, want a ValidationError", err)
			}
			found := false
			for _, fp := range v.Fields {
				if fp.Field == tc.field && fp.Code == tc.code && fp.Message != "" && fp.English != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("got %+v, want %s %s with messages", v.Fields, tc.field, tc.code)
			}
		})
	}
}

func TestEmailVerification(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()

		t.Run("by code", func(t *testing.T) {
			f := newFixture(t, db)
			u := f.register(t, "code@ejemplo.co")
			code := f.mail.last(t, "verify").code
			if err := f.svc.VerifyEmailCode(ctx, "CODE@ejemplo.co", code, meta); err != nil {
				t.Fatalf("right code: %v", err)
			}
			u, _ = f.svc.Store.UserByID(ctx, u.ID)
			if !u.EmailVerified {
				t.Fatal("email not marked verified")
			}
			if err := f.svc.VerifyEmailCode(ctx, "code@ejemplo.co", code, meta); err != ErrInvalidCode {
				t.Fatalf("reused code: got %v, want ErrInvalidCode", err)
			}
		})

		t.Run("wrong codes spend the code", func(t *testing.T) {
			f := newFixture(t, db)
			f.register(t, "guess@ejemplo.co")
			code := f.mail.last(t, "verify").code
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			for i := range maxCodeAttempts {
				if err := f.svc.VerifyEmailCode(ctx, "guess@ejemplo.co", wrong, meta); err != ErrInvalidCode {
					t.Fatalf("attempt %d: got %v", i, err)
				}
			}
			if err := f.svc.VerifyEmailCode(ctx, "guess@ejemplo.co", code, meta); err != ErrInvalidCode {
				t.Fatalf("right code after %d wrong ones: got %v, want ErrInvalidCode",
					maxCodeAttempts, err)
			}
		})

		t.Run("by link, once, before it expires", func(t *testing.T) {
			f := newFixture(t, db)
			f.register(t, "link@ejemplo.co")
			secret := tokenOf(t, f.mail.last(t, "verify").link)
			if err := f.svc.VerifyEmailLink(ctx, secret, meta); err != nil {
				t.Fatalf("link: %v", err)
			}
			if err := f.svc.VerifyEmailLink(ctx, secret, meta); err != ErrInvalidCode {
				t.Fatalf("reused link: got %v", err)
			}

			f.register(t, "late@ejemplo.co")
			late := tokenOf(t, f.mail.last(t, "verify").link)
			f.clock.Advance(verificationCodeTTL + time.Second)
			if err := f.svc.VerifyEmailLink(ctx, late, meta); err != ErrInvalidCode {
				t.Fatalf("expired link: got %v", err)
			}
		})

		t.Run("resend is throttled and replaces the old code", func(t *testing.T) {
			f := newFixture(t, db)
			f.register(t, "resend@ejemplo.co")
			first := f.mail.last(t, "verify").code
			f.svc.ResendVerification(ctx, "resend@ejemplo.co", meta)
			f.svc.Wait()
			if n := f.mail.count("verify"); n != 1 {
				t.Fatalf("resend within a minute sent a message (%d in all)", n)
			}
			f.clock.Advance(resendInterval)
			f.svc.ResendVerification(ctx, "resend@ejemplo.co", meta)
			f.svc.Wait()
			second := f.mail.last(t, "verify").code
			if f.mail.count("verify") != 2 {
				t.Fatal("resend after a minute sent nothing")
			}
			if first != second {
				if err := f.svc.VerifyEmailCode(ctx, "resend@ejemplo.co", first, meta); err != ErrInvalidCode {
					t.Fatalf("replaced code: got %v, want ErrInvalidCode", err)
				}
			}
			if err := f.svc.VerifyEmailCode(ctx, "resend@ejemplo.co", second, meta); err != nil {
				t.Fatalf("new code: %v", err)
			}
			if err := f.svc.ResendVerification(ctx, "nobody@ejemplo.co", meta); err != nil {
				t.Fatalf("unknown email: got %v, want nil", err)
			}
		})
	})
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func TestLogin(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.register(t, "login@ejemplo.co")

		t.Run("right password", func(t *testing.T) {
			l, err := f.svc.Authenticate(ctx, "Login@Ejemplo.co", goodPassword, meta)
			if err != nil || l.User.ID != u.ID || l.MustChangePassword {
				t.Fatalf("got %+v, %v", l, err)
			}
		})
		t.Run("every failure is the same error", func(t *testing.T) {
			for _, tc := range []struct{ email, pw string }{
				{"login@ejemplo.co", "wrong password here"},
				{"nobody@ejemplo.co", goodPassword},
				{"not an email", goodPassword},
			} {
				if _, err := f.svc.Authenticate(ctx, tc.email, tc.pw, meta); err != ErrInvalidCredentials {
					t.Errorf("%s: got %v, want ErrInvalidCredentials", tc.email, err)
				}
			}
		})
	})
}

func TestLockout(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.register(t, "victim@ejemplo.co")
		threshold := f.svc.Config.LockoutThreshold

		for i := range threshold {
			if _, err := f.svc.Authenticate(ctx, "victim@ejemplo.co", "wrong guess 123", meta); err != ErrInvalidCredentials {
				t.Fatalf("failure %d: got %v", i+1, err)
			}
		}
		f.svc.Wait()
		got, _ := f.svc.Store.UserByID(ctx, u.ID)
		if got.State != StateLocked || !got.LockedUntil.Equal(f.clock.Now().Add(30*time.Minute)) {
			t.Fatalf("after %d failures: state %s until %v, want locked for 30 minutes",
				threshold, got.State, got.LockedUntil)
		}
		if f.mail.count("locked") != 1 {
			t.Errorf("the person was not told of the lock")
		}

		if _, err := f.svc.Authenticate(ctx, "victim@ejemplo.co", goodPassword, meta); err != ErrInvalidCredentials {
			t.Fatalf("right password while locked: got %v, want the same failure", err)
		}

		f.clock.Advance(31 * time.Minute)
		l, err := f.svc.Authenticate(ctx, "victim@ejemplo.co", goodPassword, meta)
		if err != nil || l.User.State != StateActive {
			t.Fatalf("after the lock ran out: got %+v, %v", l.User.State, err)
		}

		t.Run("unknown emails are locked out alike", func(t *testing.T) {
			for range threshold {
				f.svc.Authenticate(ctx, "ghost@ejemplo.co", "guess guess 1", meta)
			}
			if n, _ := f.svc.Counters.Get(ctx, f.svc.counterKey("account", "ghost@ejemplo.co")); n != int64(threshold) {
				t.Errorf("got %d failures counted, want %d", n, threshold)
			}
		})
		t.Run("an admin unlock ends the lock", func(t *testing.T) {
			for range threshold {
				f.svc.Authenticate(ctx, "victim@ejemplo.co", "wrong guess 123", meta)
			}
			if err := f.svc.Unlock(ctx, "usr_admin", u.ID, meta); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Authenticate(ctx, "victim@ejemplo.co", goodPassword, meta); err != nil {
				t.Fatalf("after unlock: %v", err)
			}
		})
	})
}

func TestGrowingDelays(t *testing.T) {
	want := []time.Duration{0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	c := DefaultConfig()
	for n, w := range want {
		if got := c.failureDelay(int64(n)); got != w {
			t.Errorf("after %d failures: got %v, want %v", n, got, w)
		}
	}
	if got := c.failureDelay(1 << 40); got != c.FailureDelayMax {
		t.Errorf("huge count: got %v, want the cap", got)
	}
	c.FailureDelay = 0
	if got := c.failureDelay(9); got != 0 {
		t.Errorf("delays off: got %v", got)
	}
}

func TestImportedHashIsRehashedAtLogin(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.register(t, "imported@ejemplo.co")
		old, _ := bcrypt.GenerateFromPassword([]byte(goodPassword), 10)
		f.svc.Store.SetPassword(ctx, u.ID, string(old), false, f.clock.Now())

		if _, err := f.svc.Authenticate(ctx, "imported@ejemplo.co", goodPassword, meta); err != nil {
			t.Fatalf("login with a bcrypt hash: %v", err)
		}
		got, _ := f.svc.Store.UserByID(ctx, u.ID)
		if !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
			t.Fatalf("got %q, want the hash replaced by Argon2id", got.PasswordHash)
		}
		if _, err := f.svc.Authenticate(ctx, "imported@ejemplo.co", goodPassword, meta); err != nil {
			t.Fatalf("login after rehash: %v", err)
		}
	})
}

type endedSessions struct{ users []string }

func (e *endedSessions) EndAllSessions(_ context.Context, _ *sql.Tx, userID, _, _ string) error {
	e.users = append(e.users, userID)
	return nil
}

func TestPasswordReset(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.register(t, "reset@ejemplo.co")

		if err := f.svc.RequestPasswordReset(ctx, "nobody@ejemplo.co", meta); err != nil {
			t.Fatalf("unknown email: got %v, want nil", err)
		}
		f.svc.Wait()
		if f.mail.count("reset") != 0 {
			t.Fatal("a reset link went to an unknown email")
		}

		// Lock the account first: the reset must also unlock it.
		for range f.svc.Config.LockoutThreshold {
			f.svc.Authenticate(ctx, "reset@ejemplo.co", "wrong guess 123", meta)
		}
		f.svc.RequestPasswordReset(ctx, "reset@ejemplo.co", meta)
		f.svc.Wait()
		first := tokenOf(t, f.mail.last(t, "reset").link)
		f.svc.RequestPasswordReset(ctx, "reset@ejemplo.co", meta)
		f.svc.Wait()
		second := tokenOf(t, f.mail.last(t, "reset").link)

		ended := &endedSessions{}
		if err := f.svc.ResetPassword(ctx, ResetInput{Token: first, Password: "nueva frase segura 42"},
			ended, meta); err != ErrInvalidCode {
			t.Fatalf("older link: got %v, want ErrInvalidCode (a newer one replaced it)", err)
		}
		var v *ValidationError
		if err := f.svc.ResetPassword(ctx, ResetInput{Token: second, Password: "short"}, ended,
			meta); !errors.As(err, &v) {
			t.Fatalf("weak password: got %v, want a ValidationError", err)
		}
		err := f.svc.ResetPassword(ctx, ResetInput{Token: second, Password: "nueva frase segura 42",
			EndOtherSessions: true}, ended, meta)
		if err != nil {
			t.Fatalf("reset: %v", err)
		}
		if len(ended.users) != 1 || ended.users[0] != u.ID {
			t.Errorf("sessions ended for %v, want %s", ended.users, u.ID)
		}
		if err := f.svc.ResetPassword(ctx, ResetInput{Token: second, Password: "otra frase segura 43"},
			ended, meta); err != ErrInvalidCode {
			t.Fatalf("reused link: got %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, "reset@ejemplo.co", "nueva frase segura 42", meta); err != nil {
			t.Fatalf("login with the new password (account must be unlocked): %v", err)
		}
		f.svc.Wait()
		if f.mail.count("password_changed") != 1 {
			t.Error("no notice of the change")
		}

		f.svc.RequestPasswordReset(ctx, "reset@ejemplo.co", meta)
		f.svc.Wait()
		late := tokenOf(t, f.mail.last(t, "reset").link)
		f.clock.Advance(resetTokenTTL + time.Second)
		if err := f.svc.ResetPassword(ctx, ResetInput{Token: late, Password: "otra frase segura 43"},
			ended, meta); err != ErrInvalidCode {
			t.Fatalf("link after 15 minutes: got %v, want ErrInvalidCode", err)
		}
	})
}

func TestChangePasswordAndDisable(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.register(t, "change@ejemplo.co")
		ended := &endedSessions{}

		err := f.svc.ChangePassword(ctx, u.ID, "not my password", "nueva frase segura 42", "ses_1",
			true, ended, meta)
		if !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("wrong current password: got %v", err)
		}
		if err := f.svc.ChangePassword(ctx, u.ID, goodPassword, "nueva frase segura 42", "ses_1",
			true, ended, meta); err != nil {
			t.Fatalf("change: %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, "change@ejemplo.co", goodPassword, meta); err != ErrInvalidCredentials {
			t.Fatalf("old password still works: %v", err)
		}

		if err := f.svc.Disable(ctx, "usr_admin", u.ID, ended, meta); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, "change@ejemplo.co", "nueva frase segura 42", meta); err != ErrInvalidCredentials {
			t.Fatalf("disabled account: got %v, want the same failure as a wrong password", err)
		}
		if len(ended.users) != 2 {
			t.Errorf("disabling did not end sessions: %v", ended.users)
		}
	})
}

func TestEmailChange(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.register(t, "old@ejemplo.co")
		other := f.register(t, "taken@ejemplo.co")
		_ = other

		stale := f.clock.Now().Add(-RecentAuthWindow - time.Minute)
		if err := f.svc.RequestEmailChange(ctx, u.ID, "new@ejemplo.co", stale, meta); err != ErrReauthenticate {
			t.Fatalf("stale login: got %v, want ErrReauthenticate", err)
		}
		fresh := f.clock.Now().Add(-time.Minute)
		if err := f.svc.RequestEmailChange(ctx, u.ID, "OLD@ejemplo.co", fresh, meta); err != ErrSameEmail {
			t.Fatalf("same address: got %v", err)
		}
		if err := f.svc.RequestEmailChange(ctx, u.ID, "new@ejemplo.co", fresh, meta); err != nil {
			t.Fatal(err)
		}
		f.svc.Wait()
		toNew := f.mail.last(t, "verify")
		if toNew.to != "new@ejemplo.co" {
			t.Fatalf("the code went to %s, want the new address", toNew.to)
		}
		if n := f.mail.last(t, "email_change_requested"); n.to != "old@ejemplo.co" {
			t.Fatalf("the notice went to %s, want the old address", n.to)
		}
		got, _ := f.svc.Store.UserByID(ctx, u.ID)
		if got.Email.Address != "old@ejemplo.co" {
			t.Fatal("the address changed before confirmation")
		}

		if err := f.svc.ConfirmEmailChange(ctx, other.ID, toNew.code, "", meta); err != ErrInvalidCode {
			t.Fatalf("another person's confirmation: got %v", err)
		}
		if err := f.svc.ConfirmEmailChange(ctx, u.ID, toNew.code, "", meta); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		got, _ = f.svc.Store.UserByID(ctx, u.ID)
		if got.Email.Normalized != "new@ejemplo.co" || !got.EmailVerified {
			t.Fatalf("got %+v, want the new, verified address", got.Email)
		}
		f.svc.Wait()
		if n := f.mail.last(t, "email_changed"); n.to != "old@ejemplo.co" {
			t.Errorf("the change notice went to %s, want the old address", n.to)
		}

		t.Run("a taken address cannot be confirmed", func(t *testing.T) {
			if err := f.svc.RequestEmailChange(ctx, u.ID, "taken@ejemplo.co", f.clock.Now(), meta); err != nil {
				t.Fatal(err)
			}
			f.svc.Wait()
			code := f.mail.last(t, "verify").code
			if err := f.svc.ConfirmEmailChange(ctx, u.ID, code, "", meta); err != ErrInvalidCode {
				t.Fatalf("got %v, want ErrInvalidCode", err)
			}
		})
	})
}

// TestCredentialStuffingBlocksTheSource sends wrong passwords for many
// accounts from one address: at accounts.ip_threshold the address is
// blocked for the window, even with a right password, an abuse event is
// recorded once for operators to alert on, and other addresses go on.
func TestCredentialStuffingBlocksTheSource(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.svc.Config.IPThreshold = 10
		f.register(t, "real@ejemplo.co")
		for i := range 12 {
			email := "lista" + strconv.Itoa(i) + "@ejemplo.co"
			if _, err := f.svc.Authenticate(ctx, email, "Password123!", meta); err == nil {
				t.Fatal("a wrong password passed")
			}
		}
		if _, err := f.svc.Authenticate(ctx, "real@ejemplo.co", goodPassword, meta); err == nil {
			t.Error("a right password from a blocked address passed")
		}
		other := meta
		other.IP = "198.51.100.20"
		if _, err := f.svc.Authenticate(ctx, "real@ejemplo.co", goodPassword, other); err != nil {
			t.Errorf("a right password from another address: %v", err)
		}
		page, err := f.log.Search(ctx, audit.Query{Action: "abuse.source_blocked", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].Target.ID != meta.IP {
			t.Fatalf("abuse events: %+v", page.Records)
		}
		f.clock.Advance(f.svc.Config.LockoutWindow + time.Minute)
		if _, err := f.svc.Authenticate(ctx, "real@ejemplo.co", goodPassword, meta); err != nil {
			t.Errorf("after the window: %v", err)
		}
	})
}
