package accounts

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestImport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		bc, _ := bcrypt.GenerateFromPassword([]byte("clave vieja de bcrypt"), 10)
		file := strings.Join([]string{
			`{"email":"uno@ejemplo.co","name":"Uno","password_hash":"` + string(bc) + `","email_verified":true}`,
			``,
			`{"email":"no es correo","name":"Dos","password_hash":"` + string(bc) + `"}`,
			`{"email":"tres@ejemplo.co","name":"Tres","password_hash":"$md5$nope"}`,
			`{"email":"cuatro@ejemplo.co","name":"Cuatro","password_hash":"x","extra":1}`,
			`not json`,
			`{"email":"UNO@ejemplo.co","name":"Uno otra vez","password_hash":"` + string(bc) + `"}`,
			`{"email":"cinco@ejemplo.co","name":"Cinco","kind":"vendor","phone":"3001234567",` +
				`"password_hash":"` + string(bc) + `"}`,
		}, "\n")
		rep, err := f.svc.Import(ctx, strings.NewReader(file), meta)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 2 {
			t.Errorf("imported %d, want 2", rep.Imported)
		}
		wantLines := []int{3, 4, 5, 6, 7}
		if len(rep.Failed) != len(wantLines) {
			t.Fatalf("failed lines %v, want %v", rep.Failed, wantLines)
		}
		for i, le := range rep.Failed {
			if le.Line != wantLines[i] {
				t.Errorf("failure %d is line %d, want %d (%v)", i, le.Line, wantLines[i], le.Err)
			}
		}
		if !strings.Contains(rep.Failed[3].Error(), "line 6") {
			t.Errorf("got %q", rep.Failed[3].Error())
		}

		l, err := f.svc.Authenticate(ctx, "uno@ejemplo.co", "clave vieja de bcrypt", meta)
		if err != nil || !l.User.EmailVerified {
			t.Fatalf("imported user login: %+v, %v", l.User, err)
		}
		u, _ := f.svc.Store.UserByID(ctx, l.User.ID)
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Errorf("imported hash not replaced at login: %q", u.PasswordHash)
		}
	})
}

// FuzzParseImport checks the import line parser: no panic on any line, and
// a line it accepts yields an account with a normalised email and a known
// kind.
func FuzzParseImport(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@ejemplo.co","name":"A","password_hash":"$2y$10$` + strings.Repeat("a", 53) + `"}`,
		`{"email":"a@ejemplo.co","name":"A","firebase_hash":"AAAA","firebase_salt":"AAAA"}`,
		`{"email":1}`, `{}`, `[]`, `{"email":"a@b.co","email":"c@d.co"}`,
	} {
		f.Add([]byte(s))
	}
	fx := newFixture(f, storagetest.SQLite(f))
	f.Fuzz(func(t *testing.T, line []byte) {
		var rec ImportRecord
		if err := decodeImport(line, &rec); err != nil {
			return
		}
		u, err := fx.svc.ParseImport(rec)
		if err != nil {
			return
		}
		if u.Email.Normalized == "" || (u.Kind != KindCustomer && u.Kind != KindVendor) ||
			u.PasswordHash == "" {
			t.Fatalf("accepted %q as %+v", line, u)
		}
	})
}
