package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/internal/tokens"
	"github.com/cerrojo/cerrojo/sdk"
)

// recordingMinter stands in for package tokens, which has its own tests;
// here only the claims handed to it matter.
type recordingMinter struct {
	mu     sync.Mutex
	claims []tokens.Claims
	clock  clock.Clock
}

func (m *recordingMinter) Mint(_ context.Context, c tokens.Claims) (string, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims = append(m.claims, c)
	return "access-for-" + c.SessionID, m.clock.Now().Add(10 * time.Minute), nil
}

type reuseNotices struct{ n atomic.Int32 }

func (r *reuseNotices) RefreshTokenReuse(context.Context, string, string) error {
	r.n.Add(1)
	return nil
}

type fixture struct {
	svc     *Service
	clock   *clock.Fake
	minter  *recordingMinter
	notices *reuseNotices
	db      *storage.DB
	log     *audit.Log
}

func newFixture(t *testing.T, db *storage.DB, mutate func(*Config)) *fixture {
	t.Helper()
	fake := clock.NewFake(time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC))
	master := make([]byte, 32)
	rand.Read(master)
	ring, _ := keyring.New(rand.Reader, master)
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	minter := &recordingMinter{clock: fake}
	notices := &reuseNotices{}
	svc := New(Options{DB: db, Minter: minter, AccessTTL: 10 * time.Minute, Audit: log,
		Notifier: notices, Clock: fake, Config: cfg})
	return &fixture{svc: svc, clock: fake, minter: minter, notices: notices, db: db, log: log}
}

// addUser inserts a bare user row for sessions to belong to.
func addUser(t *testing.T, db *storage.DB, id string) {
	storagetest.AddUser(t, db, id, "customer", "active")
}

var meta = Meta{IP: "203.0.113.9", UserAgent: "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36", RequestID: "r1"}

func (f *fixture) login(t *testing.T, user string) Issued {
	t.Helper()
	is, err := f.svc.Create(context.Background(), CreateInput{UserID: user, ACR: "pwd",
		AMR: []string{"pwd"}}, meta)
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	return is
}

func TestCreate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, nil)
		addUser(t, db, "usr_a")
		is := f.login(t, "usr_a")

		if !strings.HasPrefix(is.RefreshToken, refreshPrefix) || len(is.RefreshToken) != len(refreshPrefix)+43 {
			t.Errorf("refresh token %q is not 256 bits with the prefix", is.RefreshToken)
		}
		if is.Session.Device != "Chrome on Android" {
			t.Errorf("got device %q", is.Session.Device)
		}
		c := f.minter.claims[0]
		if c.Subject != "usr_a" || c.SessionID != is.Session.ID || c.ACR != "pwd" ||
			c.ClientID != "cerrojo" || c.AuthTime.IsZero() {
			t.Errorf("got claims %+v", c)
		}

		var stored int
		db.QueryRowContext(context.Background(), db.Rebind(
			`SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = ?`),
			[]byte(is.RefreshToken)).Scan(&stored)
		if stored != 0 {
			t.Error("the refresh token is stored in clear")
		}
	})
}

func TestRefreshRotates(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		addUser(t, db, "usr_a")
		first := f.login(t, "usr_a")

		f.clock.Advance(time.Minute)
		second, err := f.svc.Refresh(ctx, first.RefreshToken, "cerrojo", meta)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if second.RefreshToken == first.RefreshToken || second.Session.ID != first.Session.ID {
			t.Fatalf("refresh did not rotate within the session")
		}
		third, err := f.svc.Refresh(ctx, second.RefreshToken, "", meta)
		if err != nil {
			t.Fatalf("refresh of the successor: %v", err)
		}

		t.Run("another client may not use it", func(t *testing.T) {
			if _, err := f.svc.Refresh(ctx, third.RefreshToken, "other-app", meta); err != ErrInvalidGrant {
				t.Fatalf("got %v, want ErrInvalidGrant", err)
			}
		})
		t.Run("garbage is refused", func(t *testing.T) {
			for _, tok := range []string{"", "crj_rt_short", strings.Repeat("x", 50),
				refreshPrefix + strings.Repeat("A", 43)} {
				if _, err := f.svc.Refresh(ctx, tok, "", meta); err != ErrInvalidGrant {
					t.Errorf("%q: got %v", tok, err)
				}
			}
		})
	})
}

func TestRefreshReuseRevokesFamilyAndSession(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		addUser(t, db, "usr_a")
		first := f.login(t, "usr_a")
		second, err := f.svc.Refresh(ctx, first.RefreshToken, "", meta)
		if err != nil {
			t.Fatal(err)
		}

		// An attacker replays the first token.
		if _, err := f.svc.Refresh(ctx, first.RefreshToken, "", meta); err != ErrInvalidGrant {
			t.Fatalf("replay: got %v, want ErrInvalidGrant", err)
		}
		if _, err := f.svc.Refresh(ctx, second.RefreshToken, "", meta); err != ErrInvalidGrant {
			t.Fatalf("the legitimate successor after a replay: got %v, want it revoked too", err)
		}
		if _, err := f.svc.Check(ctx, first.Session.ID); err != ErrSessionEnded {
			t.Fatalf("session after replay: got %v, want ErrSessionEnded", err)
		}
		f.svc.Wait()
		if f.notices.n.Load() != 1 {
			t.Errorf("got %d notices, want the person told once", f.notices.n.Load())
		}
		revs, _ := f.svc.Store().Revocations(ctx, f.clock.Now())
		if len(revs) != 1 || revs[0].SessionID != first.Session.ID {
			t.Errorf("revocation list %v does not name the session", revs)
		}
		var n int
		db.QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM refresh_tokens
			WHERE family_id = ? AND revoked_at IS NULL`), first.Session.ID).Scan(&n)
		if n != 0 {
			t.Errorf("%d tokens of the family are still unrevoked", n)
		}
	})
}

func TestConcurrentRefreshHasOneWinner(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		addUser(t, db, "usr_a")
		first := f.login(t, "usr_a")

		const n = 16
		var wins, refusals atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				_, err := f.svc.Refresh(ctx, first.RefreshToken, "", meta)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, ErrInvalidGrant):
					refusals.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 || refusals.Load() != n-1 {
			t.Fatalf("got %d successes and %d refusals, want exactly 1 and %d", wins.Load(),
				refusals.Load(), n-1)
		}
		// The others were replays of a spent token: the session is over.
		if _, err := f.svc.Check(ctx, first.Session.ID); err != ErrSessionEnded {
			t.Fatalf("session after concurrent replays: got %v, want ErrSessionEnded", err)
		}
	})
}

func TestReuseGraceWindow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, func(c *Config) { c.ReuseGrace = 5 * time.Second })
		addUser(t, db, "usr_a")
		first := f.login(t, "usr_a")
		lost, err := f.svc.Refresh(ctx, first.RefreshToken, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		// The client never saw `lost` and retries within the window.
		f.clock.Advance(2 * time.Second)
		retry, err := f.svc.Refresh(ctx, first.RefreshToken, "", meta)
		if err != nil {
			t.Fatalf("retry within grace: %v", err)
		}
		if _, err := f.svc.Refresh(ctx, lost.RefreshToken, "", meta); err != ErrInvalidGrant {
			t.Fatalf("the lost successor: got %v, want it voided", err)
		}
		if _, err := f.svc.Refresh(ctx, retry.RefreshToken, "", meta); err != nil {
			t.Fatalf("the retry's token: %v", err)
		}
		// Outside the window a replay is a replay.
		f.clock.Advance(10 * time.Second)
		if _, err := f.svc.Refresh(ctx, first.RefreshToken, "", meta); err != ErrInvalidGrant {
			t.Fatalf("replay after grace: got %v", err)
		}
		if _, err := f.svc.Check(ctx, first.Session.ID); err != ErrSessionEnded {
			t.Fatalf("session: got %v, want ended", err)
		}
	})
}

func TestTimeouts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, func(c *Config) {
			c.Default = Timeouts{Idle: time.Hour, Absolute: 4 * time.Hour}
			c.RefreshIdle = time.Hour
			c.ByRole = map[string]Timeouts{"admin": {Idle: 15 * time.Minute, Absolute: 4 * time.Hour}}
		})
		addUser(t, db, "usr_a")
		addUser(t, db, "usr_admin")
		f.svc.Roles = func(_ context.Context, id string) ([]string, error) {
			if id == "usr_admin" {
				return []string{"admin"}, nil
			}
			return nil, nil
		}

		a := f.login(t, "usr_a")
		adm := f.login(t, "usr_admin")
		if adm.Session.IdleTimeout != 15*time.Minute || a.Session.IdleTimeout != time.Hour {
			t.Fatalf("idle timeouts: admin %s, customer %s", adm.Session.IdleTimeout,
				a.Session.IdleTimeout)
		}
		f.clock.Advance(16 * time.Minute)
		if _, err := f.svc.Check(ctx, adm.Session.ID); err != ErrSessionEnded {
			t.Errorf("admin session after 16 idle minutes: got %v", err)
		}
		if _, err := f.svc.Refresh(ctx, adm.RefreshToken, "", meta); err != ErrInvalidGrant {
			t.Errorf("admin refresh after idle timeout: got %v", err)
		}
		// Regular use keeps the customer's session alive until the absolute end.
		tok := a.RefreshToken
		for range 7 {
			is, err := f.svc.Refresh(ctx, tok, "", meta)
			if err != nil {
				t.Fatalf("refresh at %v: %v", f.clock.Now(), err)
			}
			tok = is.RefreshToken
			f.clock.Advance(30 * time.Minute)
		}
		f.clock.Advance(30 * time.Minute) // past 4 hours since login
		if _, err := f.svc.Refresh(ctx, tok, "", meta); err != ErrInvalidGrant {
			t.Errorf("refresh after the absolute timeout: got %v", err)
		}
	})
}

func TestSessionLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		t.Run("end the oldest", func(t *testing.T) {
			f := newFixture(t, db, func(c *Config) { c.MaxPerUser = 2; c.AtLimit = EndOldest })
			addUser(t, db, "usr_oldest")
			s1 := f.login(t, "usr_oldest")
			f.clock.Advance(time.Minute)
			s2 := f.login(t, "usr_oldest")
			f.clock.Advance(time.Minute)
			s3 := f.login(t, "usr_oldest")
			if _, err := f.svc.Check(ctx, s1.Session.ID); err != ErrSessionEnded {
				t.Errorf("oldest session: got %v, want ended", err)
			}
			for _, s := range []Issued{s2, s3} {
				if _, err := f.svc.Check(ctx, s.Session.ID); err != nil {
					t.Errorf("newer session %s: %v", s.Session.ID, err)
				}
			}
		})
		t.Run("refuse the new one", func(t *testing.T) {
			f := newFixture(t, db, func(c *Config) { c.MaxPerUser = 1; c.AtLimit = RefuseNew })
			addUser(t, db, "usr_refuse")
			f.login(t, "usr_refuse")
			_, err := f.svc.Create(ctx, CreateInput{UserID: "usr_refuse", ACR: "pwd"}, meta)
			if err != ErrSessionLimit {
				t.Fatalf("got %v, want ErrSessionLimit", err)
			}
		})
	})
}

func TestEnd(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		addUser(t, db, "usr_a")
		addUser(t, db, "usr_b")
		s1 := f.login(t, "usr_a")
		s2 := f.login(t, "usr_a")
		s3 := f.login(t, "usr_a")
		other := f.login(t, "usr_b")

		if err := f.svc.End(ctx, "usr_b", s1.Session.ID, "logout", meta); err != ErrNotFound {
			t.Fatalf("ending someone else's session: got %v, want ErrNotFound", err)
		}
		if err := f.svc.End(ctx, "usr_a", s1.Session.ID, "logout", meta); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refresh(ctx, s1.RefreshToken, "", meta); err != ErrInvalidGrant {
			t.Fatalf("refresh after logout: got %v", err)
		}
		if err := f.svc.EndAll(ctx, "usr_a", s2.Session.ID, "end_others"); err != nil {
			t.Fatal(err)
		}
		list, _ := f.svc.List(ctx, "usr_a")
		if len(list) != 1 || list[0].ID != s2.Session.ID {
			t.Fatalf("after ending the others: %v, want only %s", list, s2.Session.ID)
		}
		if _, err := f.svc.Check(ctx, s3.Session.ID); err != ErrSessionEnded {
			t.Errorf("ended session still active")
		}
		if _, err := f.svc.Check(ctx, other.Session.ID); err != nil {
			t.Errorf("another person's session was ended: %v", err)
		}

		// Revocations stay listed while the access tokens live and for the
		// longest leeway a verifier may grant past their expiry, then go.
		revs, _ := f.svc.Store().Revocations(ctx, f.clock.Now())
		if len(revs) != 2 {
			t.Fatalf("got %d revocations, want 2", len(revs))
		}
		f.clock.Advance(11 * time.Minute)
		revs, _ = f.svc.Store().Revocations(ctx, f.clock.Now())
		if len(revs) != 2 {
			t.Fatalf("got %d revocations within the verifiers' leeway, want 2", len(revs))
		}
		f.clock.Advance(sdk.MaxLeeway)
		revs, _ = f.svc.Store().Revocations(ctx, f.clock.Now())
		if len(revs) != 0 {
			t.Fatalf("got %d revocations after the leeway passed, want 0", len(revs))
		}
	})
}
