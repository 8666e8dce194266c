package accounts

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/password"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// rangeServer speaks the Pwned Passwords range API (GET /range/{5 hex},
// lines SUFFIX:COUNT) for a set of breached passwords.
func rangeServer(t *testing.T, breached ...string) *httptest.Server {
	t.Helper()
	hashes := map[string]bool{}
	for _, pw := range breached {
		sum := sha1.Sum([]byte(pw))
		hashes[strings.ToUpper(hex.EncodeToString(sum[:]))] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		if len(prefix) != 5 {
			http.NotFound(w, r)
			return
		}
		for h := range hashes {
			if strings.HasPrefix(h, prefix) {
				fmt.Fprintf(w, "%s:42\r\n", h[5:])
			}
		}
		fmt.Fprintf(w, "%s:0\r\n", strings.Repeat("0", 35)) // padding entry
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBreachedPasswords(t *testing.T) {
	const leaked = "frase filtrada en una brecha 2024"
	srv := rangeServer(t, leaked, goodPassword)
	bc, err := password.NewPwnedClient(password.PwnedConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := newFixture(t, storagetest.SQLite(t))

	// An account made before the check was turned on, with a password that
	// has since appeared in a breach.
	u := f.register(t, "antes@ejemplo.co")
	f.svc.Breach = bc

	t.Run("registration refuses a breached password", func(t *testing.T) {
		err := f.svc.Register(ctx, RegisterInput{Email: "nueva@ejemplo.co", Password: leaked,
			Name: "Nueva", Kind: KindCustomer}, meta)
		var v *ValidationError
		if !errors.As(err, &v) || v.Fields[0].Code != "breached" {
			t.Fatalf("got %v, want a breached violation", err)
		}
	})
	t.Run("login with a breached password forces a change", func(t *testing.T) {
		l, err := f.svc.Authenticate(ctx, "antes@ejemplo.co", goodPassword, meta)
		if err != nil || !l.MustChangePassword {
			t.Fatalf("got %+v, %v; want a login that must change its password", l, err)
		}
		got, _ := f.svc.Store.UserByID(ctx, u.ID)
		if !got.MustChangePassword {
			t.Error("the forced change is not stored")
		}
	})
	t.Run("a password change refuses a breached password", func(t *testing.T) {
		err := f.svc.ChangePassword(ctx, u.ID, goodPassword, leaked, "", false, nil, meta)
		var v *ValidationError
		if !errors.As(err, &v) {
			t.Fatalf("got %v, want a ValidationError", err)
		}
		if err := f.svc.ChangePassword(ctx, u.ID, goodPassword, "una clave nueva y limpia",
			"", false, nil, meta); err != nil {
			t.Fatalf("clean password: %v", err)
		}
		got, _ := f.svc.Store.UserByID(ctx, u.ID)
		if got.MustChangePassword {
			t.Error("the forced change is still flagged after changing the password")
		}
	})
	t.Run("an unreachable service does not block registration", func(t *testing.T) {
		srv.Close()
		if err := f.svc.Register(ctx, RegisterInput{Email: "otra@ejemplo.co",
			Password: "una clave cualquiera larga", Name: "Otra", Kind: KindCustomer}, meta); err != nil {
			t.Fatalf("got %v, want the check to fail open", err)
		}
	})
}
