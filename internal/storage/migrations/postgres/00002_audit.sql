-- +goose Up
-- The audit log: docs/audit.md explains every table and column.

-- One row per record. idx is the record's leaf index in the Merkle tree:
-- dense from 0, assigned under the lock on audit_head. The public columns
-- (idx to commitment) are what the leaf hash covers directly; the personal
-- columns (actor_id to details) are covered through commitment, a salted
-- hash, so that they can be erased (redaction, retention) while the tree
-- still verifies.
CREATE TABLE audit_records (
    idx         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    time_us     BIGINT NOT NULL,
    actor_type  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    commitment  BYTEA NOT NULL,
    actor_id    TEXT,
    target_id   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    details     TEXT,
    salt        BYTEA,
    redaction   TEXT,
    redacted_at BIGINT,
    redacted_by BIGINT
);
CREATE INDEX audit_records_actor ON audit_records (actor_id, idx);
CREATE INDEX audit_records_target ON audit_records (target_id, idx);
CREATE INDEX audit_records_action ON audit_records (action, idx);
CREATE INDEX audit_records_time ON audit_records (time_us);

-- The Merkle tree's stored hashes, in golang.org/x/mod/sumdb/tlog's
-- StoredHashIndex order: the leaf hash of record n and the subtree hashes it
-- completes, written in the same transaction as the record.
CREATE TABLE audit_hashes (
    idx  BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);

-- The tree size. Every append locks and increments this one row, which
-- serialises appends and makes leaf indexes dense.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL
);
INSERT INTO audit_head (id, size) VALUES (1, 0);

-- Signed tree heads (checkpoints), one per tree size.
CREATE TABLE audit_checkpoints (
    size       BIGINT PRIMARY KEY,
    root_hash  BYTEA NOT NULL,
    key_name   TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_us BIGINT NOT NULL
);

-- Checkpoint signing keys: the verifier key is public; the signer key is
-- sealed with the keyring under "audit_signing_keys.private:" + name.
CREATE TABLE audit_signing_keys (
    name           TEXT PRIMARY KEY,
    verifier_key   TEXT NOT NULL,
    private_sealed BYTEA NOT NULL,
    created_us     BIGINT NOT NULL
);

-- How far each forwarding sink has got, and which node holds its lease.
CREATE TABLE audit_forwarding (
    sink           TEXT PRIMARY KEY,
    next_index     BIGINT NOT NULL,
    lease_owner    TEXT NOT NULL,
    lease_until_us BIGINT NOT NULL
);

-- Guards. They bind every role, the table owner included, until someone
-- with the right to drop or disable them does so; docs/audit.md says how to
-- keep that right away from the application's role.

-- The one update allowed on a record: erasing the personal columns and the
-- salt of a record not yet redacted, naming the redact or prune record that
-- did it. Deletes are refused.
-- +goose StatementBegin
CREATE FUNCTION audit_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'cerrojo audit: records are never deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.redaction IS NULL
        AND NEW.idx = OLD.idx AND NEW.id = OLD.id AND NEW.time_us = OLD.time_us
        AND NEW.actor_type = OLD.actor_type AND NEW.action = OLD.action
        AND NEW.target_type = OLD.target_type AND NEW.outcome = OLD.outcome
        AND NEW.request_id = OLD.request_id AND NEW.commitment = OLD.commitment
        AND NEW.actor_id IS NULL AND NEW.target_id IS NULL AND NEW.ip IS NULL
        AND NEW.user_agent IS NULL AND NEW.details IS NULL AND NEW.salt IS NULL
        AND NEW.redaction IN ('subject', 'retention') AND NEW.redacted_at IS NOT NULL
        AND NEW.redacted_by > OLD.idx
        AND EXISTS (SELECT 1 FROM audit_records e WHERE e.idx = NEW.redacted_by
                    AND e.action IN ('audit.redact', 'audit.prune'))
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cerrojo audit: records change only by redaction'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_records_guard BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_guard();

-- Tables that only ever receive inserts.
-- +goose StatementBegin
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cerrojo audit: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_hashes_append_only BEFORE UPDATE OR DELETE ON audit_hashes
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_signing_keys_append_only BEFORE UPDATE OR DELETE ON audit_signing_keys
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_hashes_no_truncate BEFORE TRUNCATE ON audit_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_signing_keys_no_truncate BEFORE TRUNCATE ON audit_signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- The head only grows and is never deleted.
-- +goose StatementBegin
CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.size > OLD.size THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cerrojo audit: the tree only grows (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_guard();

-- +goose Down
DROP TABLE audit_forwarding;
DROP TABLE audit_signing_keys;
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_hashes;
DROP TABLE audit_records;
DROP FUNCTION audit_head_guard();
DROP FUNCTION audit_append_only();
DROP FUNCTION audit_records_guard();
