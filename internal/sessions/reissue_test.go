package sessions

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// TestReissue: a live session gets a fresh access token with its own
// claims and no refresh token; an ended or idle session gets none.
func TestReissue(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		addUser(t, db, "usr_reissue")
		first := f.login(t, "usr_reissue")

		f.clock.Advance(2 * time.Minute)
		is, err := f.svc.Reissue(ctx, first.Session.ID)
		if err != nil {
			t.Fatalf("reissue: %v", err)
		}
		if is.AccessToken == "" || is.RefreshToken != "" {
			t.Errorf("reissue: access %q refresh %q; want an access token only",
				is.AccessToken, is.RefreshToken)
		}
		last := f.minter.claims[len(f.minter.claims)-1]
		if last.SessionID != first.Session.ID || last.Subject != "usr_reissue" ||
			last.ACR != "pwd" {
			t.Errorf("reissued claims: %+v", last)
		}

		if err := f.svc.End(ctx, "usr_reissue", first.Session.ID, "logout", meta); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Reissue(ctx, first.Session.ID); !errors.Is(err, ErrSessionEnded) {
			t.Errorf("reissue of an ended session: %v, want ErrSessionEnded", err)
		}

		idle := f.login(t, "usr_reissue")
		f.clock.Advance(DefaultConfig().Default.Idle + time.Minute)
		if _, err := f.svc.Reissue(ctx, idle.Session.ID); !errors.Is(err, ErrSessionEnded) {
			t.Errorf("reissue of an idle session: %v, want ErrSessionEnded", err)
		}
		if _, err := f.svc.Reissue(ctx, "ses_unknown"); !errors.Is(err, ErrSessionEnded) {
			t.Errorf("reissue of an unknown session: %v, want ErrSessionEnded", err)
		}
	})
}
