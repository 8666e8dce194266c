package sessions

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// growthSizes are the numbers of sessions the operations are measured at.
var growthSizes = []int{1_000, 10_000, 100_000}

// BenchmarkSessionGrowth measures, with 1k, 10k and 100k sessions in the
// table (five per user, each with one refresh token):
//
//   - refresh: Service.Refresh, a rotation (refresh token by hash, session
//     by id, spend, insert the successor, touch), chained on one session;
//   - check: Service.Check, the load of an active session that cerrojo's
//     endpoints do on every request (by primary key, no touch).
//
// One database per dialect grows from size to size, so the sizes are
// measured in the same run and compare as ratios:
//
//	go test -run '^$' -bench SessionGrowth -benchtime 2000x ./internal/sessions/
func BenchmarkSessionGrowth(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds up to 100k sessions")
	}
	dbs := []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}}
	for _, d := range dbs {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			svc := growthService(b, db)
			ctx := context.Background()
			storagetest.AddUser(b, db, "usr_subject", "customer", "active")
			is, err := svc.Create(ctx, CreateInput{UserID: "usr_subject", ACR: "pwd",
				AMR: []string{"pwd"}}, meta)
			if err != nil {
				b.Fatal(err)
			}
			token, sesID := is.RefreshToken, is.Session.ID
			refresh := func(b *testing.B) {
				is, err := svc.Refresh(ctx, token, "", meta)
				if err != nil {
					b.Fatal(err)
				}
				token = is.RefreshToken
			}
			check := func(b *testing.B) {
				if _, err := svc.Check(ctx, sesID); err != nil {
					b.Fatal(err)
				}
			}
			seeded := 0
			for _, n := range growthSizes {
				if seeded < n {
					seedSessions(b, db, seeded, n)
					seeded = n
				}
				for _, op := range []struct {
					name string
					fn   func(*testing.B)
				}{{"refresh", refresh}, {"check", check}} {
					b.Run(fmt.Sprintf("sessions=%d/%s", n, op.name), func(b *testing.B) {
						for range 100 { // warm the connections and statement caches
							op.fn(b)
						}
						for b.Loop() {
							op.fn(b)
						}
					})
				}
			}
		})
	}
}

// nopMinter signs nothing: the access token's signature is not what grows.
type nopMinter struct{ clock clock.Clock }

func (m nopMinter) Mint(context.Context, tokens.Claims) (string, time.Time, error) {
	return "access", m.clock.Now().Add(10 * time.Minute), nil
}

// growthService is newFixture's service, for a benchmark: a real audit log
// and the default configuration.
func growthService(b *testing.B, db *storage.DB) *Service {
	b.Helper()
	fake := clock.NewFake(time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC))
	master := make([]byte, 32)
	rand.Read(master)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		b.Fatal(err)
	}
	log, err := audit.New(audit.Options{DB: db, Ring: ring, Clock: fake})
	if err != nil {
		b.Fatal(err)
	}
	return New(Options{DB: db, Minter: nopMinter{clock: fake}, AccessTTL: 10 * time.Minute,
		Audit: log, Clock: fake, Config: DefaultConfig()})
}

// seedSessions adds sessions from..to-1, five per user (users are added
// with them), each with one unused refresh token, in one transaction per
// table.
func seedSessions(b *testing.B, db *storage.DB, from, to int) {
	b.Helper()
	now := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	storagetest.BulkInsert(b, db, "users", []string{"id", "email", "email_normalized", "name", "kind",
		"state", "created_at", "updated_at"}, from/5, (to+4)/5, func(u int) []any {
		id := fmt.Sprintf("usr_g%07d", u)
		return []any{id, id + "@ejemplo.co", id + "@ejemplo.co", "Ana Test", "customer",
			"active", now, now}
	})
	storagetest.BulkInsert(b, db, "sessions", []string{"id", "user_id", "client_id", "device", "ip",
		"acr", "amr", "auth_time", "created_at", "last_seen_at", "idle_timeout_s",
		"absolute_expires_at", "end_reason"}, from, to, func(i int) []any {
		return []any{fmt.Sprintf("ses_g%07d", i), fmt.Sprintf("usr_g%07d", i/5), "cerrojo",
			"Chrome on Android", "203.0.113.9", "pwd", "pwd", now, now, now, int64(86400),
			now.Add(30 * 24 * time.Hour), ""}
	})
	storagetest.BulkInsert(b, db, "refresh_tokens", []string{"id", "family_id", "session_id",
		"client_id", "token_hash", "created_at", "expires_at"}, from, to, func(i int) []any {
		id := fmt.Sprintf("ses_g%07d", i)
		return []any{"rt_g" + id, id, id, "cerrojo", hashToken(randomToken(b)), now,
			now.Add(14 * 24 * time.Hour)}
	})
	storagetest.Analyze(b, db)
}

func randomToken(b *testing.B) string {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		b.Fatal(err)
	}
	return fmt.Sprintf("%x", buf)
}
