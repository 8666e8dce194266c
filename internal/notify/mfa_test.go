package notify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/mail"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

var now = time.Date(2026, 12, 3, 15, 0, 10, 0, time.UTC)

// outbox is a mail.Sender that keeps what it was given.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) all() []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.sent)
}

// newMailer returns a Mailer over a fresh database holding usr_es (es-CO)
// and usr_en (en), and what it sends.
func newMailer(t *testing.T) (*Mailer, *outbox) {
	t.Helper()
	db := storagetest.SQLite(t)
	storagetest.AddUser(t, db, "usr_es", "customer", "active")
	storagetest.AddUser(t, db, "usr_en", "customer", "active")
	if _, err := db.ExecContext(context.Background(),
		`UPDATE users SET locale = 'en' WHERE id = 'usr_en'`); err != nil {
		t.Fatal(err)
	}
	r, err := mail.NewRenderer(mail.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	box := &outbox{}
	return &Mailer{Renderer: r, Sender: box, Users: accounts.NewStore(db),
		Clock: clock.NewFake(now)}, box
}

func TestFactorsChangedSendsOneEmailPerChange(t *testing.T) {
	for _, tc := range []struct {
		change  mfa.Change
		subject string // part of the Spanish subject
		text    string // part of the Spanish text
	}{
		{mfa.ChangeTOTPAdded, "Se agregó", "Aplicación de autenticación (TOTP)"},
		{mfa.ChangeFactorRemoved, "Se quitó", "Aplicación de autenticación (TOTP)"},
		{mfa.ChangeSMSAdded, "Se agregó", "Código por SMS"},
		{mfa.ChangeSMSRemoved, "Se quitó", "Código por SMS"},
		{mfa.ChangeEmailAdded, "Se agregó", "Código por correo electrónico"},
		{mfa.ChangeEmailRemoved, "Se quitó", "Código por correo electrónico"},
		{mfa.ChangeRecoveryCodesGenerated, "Se agregó", "Códigos de recuperación"},
		{mfa.ChangeRecoveryCodesDeleted, "Se quitó", "Códigos de recuperación"},
	} {
		t.Run(string(tc.change), func(t *testing.T) {
			m, box := newMailer(t)
			if err := m.FactorsChanged(context.Background(), "usr_es", tc.change); err != nil {
				t.Fatal(err)
			}
			sent := box.all()
			if len(sent) != 1 || sent[0].To != "usr_es@ejemplo.co" ||
				!strings.Contains(sent[0].Subject, tc.subject) ||
				!strings.Contains(sent[0].Text, tc.text) {
				t.Errorf("sent %+v, want one email to usr_es@ejemplo.co saying %q and %q", sent,
					tc.subject, tc.text)
			}
		})
	}
}

func TestFactorsChangedRefuses(t *testing.T) {
	m, box := newMailer(t)
	ctx := context.Background()
	if err := m.FactorsChanged(ctx, "usr_es", "seed_leaked"); err == nil {
		t.Error("unknown change: got nil, want an error")
	}
	if err := m.FactorsChanged(ctx, "usr_nobody", mfa.ChangeSMSAdded); !errors.Is(err,
		accounts.ErrNotFound) {
		t.Errorf("unknown person: got %v, want accounts.ErrNotFound", err)
	}
	if n := len(box.all()); n != 0 {
		t.Errorf("%d emails sent, want none", n)
	}
}

func TestRecoveryCodeUsedSaysHowManyAreLeft(t *testing.T) {
	m, box := newMailer(t)
	if err := m.RecoveryCodeUsed(context.Background(), "usr_en", 2); err != nil {
		t.Fatal(err)
	}
	sent := box.all()
	if len(sent) != 1 || !strings.Contains(sent[0].Text, "2") ||
		!strings.Contains(strings.ToLower(sent[0].Subject), "recovery code") {
		t.Errorf("sent %+v", sent)
	}
}

func TestPasskeyChanged(t *testing.T) {
	m, box := newMailer(t)
	ctx := context.Background()
	if err := m.PasskeyChanged(ctx, "usr_es", true, "iPhone de Ana"); err != nil {
		t.Fatal(err)
	}
	if err := m.PasskeyChanged(ctx, "usr_en", false, ""); err != nil {
		t.Fatal(err)
	}
	sent := box.all()
	if len(sent) != 2 {
		t.Fatalf("sent %d emails, want 2", len(sent))
	}
	if !strings.Contains(sent[0].Subject, "Se agregó") ||
		!strings.Contains(sent[0].Text, "iPhone de Ana") ||
		!strings.Contains(sent[0].Text, "Llave de acceso") {
		t.Errorf("added: %+v", sent[0])
	}
	if sent[1].To != "usr_en@ejemplo.co" || !strings.Contains(sent[1].Text, "Passkey") {
		t.Errorf("removed: %+v", sent[1])
	}
	if err := m.PasskeyChanged(ctx, "usr_es", true, "a\nb"); err == nil {
		t.Error("label with a line break: got nil, want an error")
	}
}

func TestEmailCodeSendsTheCodeToTheAddress(t *testing.T) {
	m, box := newMailer(t)
	ctx := context.Background()
	var deliver mfa.EmailCodeFunc = m.EmailCode
	if err := deliver(ctx, "usr_es", "usr_es@ejemplo.co", "042917",
		now.Add(10*time.Minute-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	sent := box.all()
	if len(sent) != 1 || sent[0].To != "usr_es@ejemplo.co" ||
		!strings.Contains(sent[0].Text, "042917") ||
		!strings.Contains(sent[0].Text, "10 minutos") {
		t.Errorf("sent %+v", sent)
	}
	if !strings.Contains(sent[0].HTML, "042917") {
		t.Error("the HTML part lacks the code")
	}

	for _, tc := range []struct {
		name     string
		user, to string
		expires  time.Time
	}{
		{"expired", "usr_es", "usr_es@ejemplo.co", now},
		{"bad address", "usr_es", "not an address", now.Add(time.Minute)},
		{"unknown person", "usr_nobody", "a@ejemplo.co", now.Add(time.Minute)},
	} {
		err := m.EmailCode(ctx, tc.user, tc.to, "042917", tc.expires)
		if err == nil || strings.Contains(err.Error(), "042917") {
			t.Errorf("%s: got %v, want an error without the code", tc.name, err)
		}
	}
	if n := len(box.all()); n != 1 {
		t.Errorf("%d emails sent, want 1", n)
	}
}
