-- +goose Up
-- The audit log: docs/audit.md explains every table and column.

-- One row per record. idx is the record's leaf index in the Merkle tree:
-- dense from 0, assigned under the lock on audit_head. The public columns
-- (idx to commitment) are what the leaf hash covers directly; the personal
-- columns (actor_id to details) are covered through commitment, a salted
-- hash, so that they can be erased (redaction, retention) while the tree
-- still verifies.
CREATE TABLE audit_records (
    idx         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    time_us     INTEGER NOT NULL,
    actor_type  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    commitment  BLOB NOT NULL,
    actor_id    TEXT,
    target_id   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    details     TEXT,
    salt        BLOB,
    redaction   TEXT,
    redacted_at INTEGER,
    redacted_by INTEGER
);
CREATE INDEX audit_records_actor ON audit_records (actor_id, idx);
CREATE INDEX audit_records_target ON audit_records (target_id, idx);
CREATE INDEX audit_records_action ON audit_records (action, idx);
CREATE INDEX audit_records_time ON audit_records (time_us);

-- The Merkle tree's stored hashes, in golang.org/x/mod/sumdb/tlog's
-- StoredHashIndex order: the leaf hash of record n and the subtree hashes it
-- completes, written in the same transaction as the record.
CREATE TABLE audit_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

-- The tree size. Every append locks and increments this one row, which
-- serialises appends and makes leaf indexes dense.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL
);
INSERT INTO audit_head (id, size) VALUES (1, 0);

-- Signed tree heads (checkpoints), one per tree size.
CREATE TABLE audit_checkpoints (
    size       INTEGER PRIMARY KEY,
    root_hash  BLOB NOT NULL,
    key_name   TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_us INTEGER NOT NULL
);

-- Checkpoint signing keys: the verifier key is public; the signer key is
-- sealed with the keyring under "audit_signing_keys.private:" + name.
CREATE TABLE audit_signing_keys (
    name           TEXT PRIMARY KEY,
    verifier_key   TEXT NOT NULL,
    private_sealed BLOB NOT NULL,
    created_us     INTEGER NOT NULL
);

-- How far each forwarding sink has got, and which node holds its lease.
CREATE TABLE audit_forwarding (
    sink           TEXT PRIMARY KEY,
    next_index     INTEGER NOT NULL,
    lease_owner    TEXT NOT NULL,
    lease_until_us INTEGER NOT NULL
);

-- Guards. They stop mistakes and the application's own connection; they do
-- not stop someone who can drop them (docs/audit.md, "Threat model").
-- +goose StatementBegin
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: records are never deleted');
END;
-- +goose StatementEnd

-- The one update allowed: erasing the personal columns and the salt of a
-- record not yet redacted, naming the redact or prune record that did it.
-- +goose StatementBegin
CREATE TRIGGER audit_records_only_redaction BEFORE UPDATE ON audit_records
WHEN NOT (
    OLD.redaction IS NULL
    AND NEW.idx IS OLD.idx AND NEW.id IS OLD.id AND NEW.time_us IS OLD.time_us
    AND NEW.actor_type IS OLD.actor_type AND NEW.action IS OLD.action
    AND NEW.target_type IS OLD.target_type AND NEW.outcome IS OLD.outcome
    AND NEW.request_id IS OLD.request_id AND NEW.commitment IS OLD.commitment
    AND NEW.actor_id IS NULL AND NEW.target_id IS NULL AND NEW.ip IS NULL
    AND NEW.user_agent IS NULL AND NEW.details IS NULL AND NEW.salt IS NULL
    AND NEW.redaction IN ('subject', 'retention') AND NEW.redacted_at IS NOT NULL
    AND NEW.redacted_by > OLD.idx
    AND EXISTS (SELECT 1 FROM audit_records e WHERE e.idx = NEW.redacted_by
                AND e.action IN ('audit.redact', 'audit.prune'))
)
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: records change only by redaction');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_hashes_no_update BEFORE UPDATE ON audit_hashes
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: tree hashes never change');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_hashes_no_delete BEFORE DELETE ON audit_hashes
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: tree hashes are never deleted');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_head_only_grows BEFORE UPDATE ON audit_head
WHEN NOT (NEW.id IS OLD.id AND NEW.size > OLD.size)
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: the tree only grows');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: the tree head is never deleted');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: checkpoints never change');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: checkpoints are never deleted');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_signing_keys_no_update BEFORE UPDATE ON audit_signing_keys
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: signing keys never change');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_signing_keys_no_delete BEFORE DELETE ON audit_signing_keys
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: signing keys are never deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_forwarding;
DROP TABLE audit_signing_keys;
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_hashes;
DROP TABLE audit_records;
