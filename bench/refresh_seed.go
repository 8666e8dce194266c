package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// benchSchema is a PostgreSQL schema made for one side of one run: migrated
// and seeded, then dropped. Each side gets its own, so both start from the
// same rows and neither inherits the other's dead tuples.
type benchSchema struct {
	name string
	url  string // the server URL with search_path set to the schema
}

// newBenchSchema creates, migrates and seeds a schema. admin is a
// connection to the server, used only for CREATE and DROP.
func newBenchSchema(ctx context.Context, admin *storage.DB, serverURL string,
	sessions int) (*benchSchema, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s := &benchSchema{name: "cerrojo_bench_" + hex.EncodeToString(b)}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+s.name); err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}

	u, err := url.Parse(serverURL)
	if err != nil {
		_ = s.drop(admin) // best effort; the setup error below is what is reported
		return nil, fmt.Errorf("parse -postgres: %w", err)
	}
	q := u.Query()
	q.Set("search_path", s.name)
	u.RawQuery = q.Encode()
	s.url = u.String()

	db, err := storage.OpenPostgres(ctx, s.url, storage.PostgresOptions{MaxOpenConns: 2})
	if err != nil {
		_ = s.drop(admin) // best effort; the setup error below is what is reported
		return nil, err
	}
	defer db.Close()
	if _, err := db.MigrateUp(ctx); err != nil {
		_ = s.drop(admin) // best effort; the setup error below is what is reported
		return nil, err
	}
	if err := seed(ctx, db, sessions); err != nil {
		_ = s.drop(admin) // best effort; the setup error below is what is reported
		return nil, err
	}
	return s, nil
}

// drop removes the schema and everything in it.
func (s *benchSchema) drop(admin *storage.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+s.name+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", s.name, err)
	}
	return nil
}

// The seeded rows. Session i belongs to its own user, is active for the
// default 7 days idle and 30 days absolute, and holds one live refresh
// token whose secret is seedToken(i). Ids have the lengths of real ones
// ("ses_" and "rt_" followed by 22 characters), and the family id is the
// session id, as sessions.Service.Create makes it. The token expressions
// must match bench/pgbench_refresh.sql.
var seedStatements = []string{
	`INSERT INTO users (id, email, email_normalized, name, kind, state, created_at,
		updated_at)
	SELECT 'usr_' || lpad(i::text, 22, '0'), 'bench' || i || '@ejemplo.co',
		'bench' || i || '@ejemplo.co', 'Bench', 'customer', 'active', now(), now()
	FROM generate_series(0, $1::int - 1) AS i`,

	`INSERT INTO sessions (id, user_id, client_id, device, ip, acr, amr, auth_time,
		created_at, last_seen_at, idle_timeout_s, absolute_expires_at, ended_at, end_reason)
	SELECT 'ses_' || lpad(i::text, 22, '0'), 'usr_' || lpad(i::text, 22, '0'), 'cerrojo',
		'Chrome on Android', '203.0.113.9', 'pwd', 'pwd', now(), now(), now(), 604800,
		now() + interval '30 days', NULL, ''
	FROM generate_series(0, $1::int - 1) AS i`,

	`INSERT INTO refresh_tokens (id, family_id, session_id, client_id, token_hash,
		created_at, expires_at)
	SELECT 'rt_' || lpad(i || 'x0', 22, '0'), 'ses_' || lpad(i::text, 22, '0'),
		'ses_' || lpad(i::text, 22, '0'), 'cerrojo',
		sha256(convert_to('crj_rt_' || lpad(i || 'x0', 43, '0'), 'UTF8')),
		now(), now() + interval '7 days'
	FROM generate_series(0, $1::int - 1) AS i`,
}

func seed(ctx context.Context, db *storage.DB, sessions int) error {
	for _, stmt := range seedStatements {
		if _, err := db.ExecContext(ctx, stmt, sessions); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, "ANALYZE users, sessions, refresh_tokens"); err != nil {
		return fmt.Errorf("seed: analyze: %w", err)
	}
	return nil
}

// seedToken is the refresh token seeded for session i: the 50 characters of
// a real one, "crj_rt_" and 43 more, which the pgbench script computes as
// 'crj_rt_' || lpad(i || 'x0', 43, '0').
func seedToken(i int) string {
	s := strconv.Itoa(i) + "x0"
	return "crj_rt_" + strings.Repeat("0", 43-len(s)) + s
}

// spentTokens counts the refresh tokens rotated away in a schema: after a
// run it must equal the number of rotations the side reported, or the side
// did something other than rotate.
func spentTokens(ctx context.Context, s *benchSchema) (int64, error) {
	db, err := storage.OpenPostgres(ctx, s.url, storage.PostgresOptions{MaxOpenConns: 1})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx,
		`SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count spent tokens: %w", err)
	}
	return n, nil
}
