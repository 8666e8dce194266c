-- +goose Up
-- Master key rotation (cerrojo secrets rotate). A check whose key was
-- rotated out is retired: a node that still runs with that key is refused
-- at start-up, so it cannot seal new values that no configured key opens.
ALTER TABLE keyring_checks ADD COLUMN retired_at TIMESTAMP;

-- Values the key ring itself keeps, sealed like any other secret. mac_root
-- is the key of Ring.MAC: it is created once and kept across master key
-- rotations, so that values found by their MAC (pseudonyms, blind indexes,
-- client secrets) are still found after a rotation.
CREATE TABLE keyring_state (
    name       TEXT PRIMARY KEY,
    sealed     BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Re-encryption replaces a sealed value by the same plaintext sealed under
-- the new key. Append-only tables that hold sealed values allow exactly that
-- change and nothing else.
DROP TRIGGER audit_signing_keys_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_signing_keys_only_reseal BEFORE UPDATE ON audit_signing_keys
WHEN NOT (NEW.name IS OLD.name AND NEW.verifier_key IS OLD.verifier_key
          AND NEW.created_us IS OLD.created_us)
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: signing keys never change');
END;
-- +goose StatementEnd

DROP TRIGGER habeas_consents_only_suppression;
-- +goose StatementBegin
CREATE TRIGGER habeas_consents_only_suppression BEFORE UPDATE ON habeas_consents
WHEN NOT ((
    OLD.suppressed_at IS NULL AND NEW.suppressed_at IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.purpose IS OLD.purpose
    AND NEW.decision IS OLD.decision AND NEW.policy_id IS OLD.policy_id
    AND NEW.purpose_sha256 IS OLD.purpose_sha256
    AND NEW.shown_text_sha256 IS OLD.shown_text_sha256
    AND NEW.channel IS OLD.channel AND NEW.created_at IS OLD.created_at
    AND NEW.minor IS OLD.minor
    AND NEW.ip = '' AND NEW.user_agent = '' AND NEW.representative_name = ''
    AND NEW.representative_doc_sealed IS NULL
) OR (
    -- Re-encryption: only the sealed document changes, and stays present.
    OLD.representative_doc_sealed IS NOT NULL AND NEW.representative_doc_sealed IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.subject_id IS OLD.subject_id
    AND NEW.purpose IS OLD.purpose AND NEW.decision IS OLD.decision
    AND NEW.policy_id IS OLD.policy_id AND NEW.purpose_sha256 IS OLD.purpose_sha256
    AND NEW.shown_text_sha256 IS OLD.shown_text_sha256 AND NEW.channel IS OLD.channel
    AND NEW.ip IS OLD.ip AND NEW.user_agent IS OLD.user_agent
    AND NEW.recorded_by_type IS OLD.recorded_by_type AND NEW.recorded_by IS OLD.recorded_by
    AND NEW.minor IS OLD.minor AND NEW.representative_name IS OLD.representative_name
    AND NEW.representative_relation IS OLD.representative_relation
    AND NEW.created_at IS OLD.created_at AND NEW.suppressed_at IS OLD.suppressed_at
))
BEGIN
    SELECT RAISE(ABORT, 'cerrojo habeas data: the consent ledger is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER habeas_consents_only_suppression;
-- +goose StatementBegin
CREATE TRIGGER habeas_consents_only_suppression BEFORE UPDATE ON habeas_consents
WHEN NOT (
    OLD.suppressed_at IS NULL AND NEW.suppressed_at IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.purpose IS OLD.purpose
    AND NEW.decision IS OLD.decision AND NEW.policy_id IS OLD.policy_id
    AND NEW.purpose_sha256 IS OLD.purpose_sha256
    AND NEW.shown_text_sha256 IS OLD.shown_text_sha256
    AND NEW.channel IS OLD.channel AND NEW.created_at IS OLD.created_at
    AND NEW.minor IS OLD.minor
    AND NEW.ip = '' AND NEW.user_agent = '' AND NEW.representative_name = ''
    AND NEW.representative_doc_sealed IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'cerrojo habeas data: the consent ledger is append-only');
END;
-- +goose StatementEnd
DROP TRIGGER audit_signing_keys_only_reseal;
-- +goose StatementBegin
CREATE TRIGGER audit_signing_keys_no_update BEFORE UPDATE ON audit_signing_keys
BEGIN
    SELECT RAISE(ABORT, 'cerrojo audit: signing keys never change');
END;
-- +goose StatementEnd
DROP TABLE keyring_state;
ALTER TABLE keyring_checks DROP COLUMN retired_at;
