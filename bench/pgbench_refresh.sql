-- pgbench_refresh.sql: one refresh-token rotation, as cerrojo's
-- sessions.Service.Refresh runs it on PostgreSQL, statement for statement
-- and with the same transaction boundaries. `go run ./bench refresh` runs it
-- against a schema seeded exactly like the one cerrojo rotates in.
--
-- What Refresh sends for a valid token (internal/sessions/refresh.go):
--   1. Store.RefreshTokenByHash   SELECT, autocommit
--   2. Store.Session              SELECT, autocommit
--   3. DB.InTx                    BEGIN
--   4. Store.MarkUsed             UPDATE refresh_tokens (spend the old token)
--   5. Store.CreateRefreshToken   INSERT refresh_tokens (its successor)
--   6. Store.Touch                UPDATE sessions (last use)
--   7. DB.InTx                    COMMIT
-- A successful rotation writes no audit record (only a replay does), loads
-- no roles (the node wires no RolesFunc), and mints its access token
-- without touching the database, so nothing else reaches PostgreSQL.
--
-- How it must be run:
--   pgbench -n -M prepared -D g=0 -c C -j C -T S -f pgbench_refresh.sql
-- -M prepared: pgx prepares each statement once per connection and then
--   sends only Bind/Execute, which is what -M prepared does. It is also
--   required: string variables below are bind parameters, which the simple
--   protocol would paste into the SQL unquoted.
-- -D g=0: g counts the rotations of this client's chain. pgbench keeps a
--   client's variables from one transaction to the next, so each client
--   presents the token its previous transaction issued, as cerrojo's
--   goroutines do.
--
-- Seeding (bench/refresh_seed.go) gives session i a live refresh token whose
-- secret is token(i, 0), where
--   token(c, g) = 'crj_rt_' || lpad(c || 'x' || g, 43, '0')
-- is 50 characters like a real token, and stores only its SHA-256, as
-- cerrojo does. pgbench client c rotates session c's chain: it presents
-- token(c, g) and issues token(c, g + 1), so every transaction spends a
-- distinct, live token. The harness checks afterwards that the number of
-- spent tokens equals the number of transactions pgbench reports.
--
-- Differences kept on purpose, each small next to a round trip:
--   - cerrojo hashes the token in Go and sends the 32-byte hash; here the
--     server hashes the 50-character string (sha256, built in since
--     PostgreSQL 11, so pgcrypto is not needed).
--   - cerrojo draws 128-bit random ids and 256-bit secrets; here ids and
--     secrets are derived from (client, generation), with the same lengths.
--   - cerrojo sends its clock as a parameter; here now() stands in.

\set next :g + 1

-- 1. Store.RefreshTokenByHash: SELECT ... FROM refresh_tokens WHERE
--    token_hash = ?, outside any transaction.
SELECT id, family_id, session_id, client_id, token_hash, created_at, expires_at, used_at,
       replaced_by, revoked_at
  FROM refresh_tokens
 WHERE token_hash = sha256(convert_to(
           'crj_rt_' || lpad(:client_id::text || 'x' || :g::text, 43, '0'), 'UTF8'))
\gset old_

-- 2. Store.Session: SELECT sessionColumns FROM sessions WHERE id = ?,
--    outside any transaction.
SELECT id, user_id, client_id, device, ip, acr, amr, auth_time, created_at, last_seen_at,
       idle_timeout_s, absolute_expires_at, ended_at, end_reason
  FROM sessions
 WHERE id = :old_session_id
\gset ses_

-- 3. storage.DB.InTx: BeginTx with default options (READ COMMITTED).
BEGIN;

-- 4. Store.MarkUsed: spend the presented token, naming its successor.
UPDATE refresh_tokens SET used_at = now(),
       replaced_by = 'rt_' || lpad(:client_id::text || 'x' || :next::text, 22, '0')
 WHERE id = :old_id AND used_at IS NULL AND revoked_at IS NULL;

-- 5. Store.CreateRefreshToken (from Service.continueFamily): the successor,
--    in the same family, session and client, expiring after RefreshIdle
--    (7 days by default).
INSERT INTO refresh_tokens (id, family_id, session_id, client_id, token_hash, created_at,
                            expires_at)
VALUES ('rt_' || lpad(:client_id::text || 'x' || :next::text, 22, '0'),
        :old_family_id, :old_session_id, :old_client_id,
        sha256(convert_to(
            'crj_rt_' || lpad(:client_id::text || 'x' || :next::text, 43, '0'), 'UTF8')),
        now(), now() + interval '7 days');

-- 6. Store.Touch (from Service.continueFamily): record the session's use.
UPDATE sessions SET last_seen_at = now() WHERE id = :ses_id AND ended_at IS NULL;

-- 7. storage.DB.InTx: Commit.
COMMIT;

\set g :next
