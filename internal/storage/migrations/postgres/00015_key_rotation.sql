-- +goose Up
-- Master key rotation (cerrojo secrets rotate). A check whose key was
-- rotated out is retired: a node that still runs with that key is refused
-- at start-up, so it cannot seal new values that no configured key opens.
ALTER TABLE keyring_checks ADD COLUMN retired_at TIMESTAMPTZ;

-- Values the key ring itself keeps, sealed like any other secret. mac_root
-- is the key of Ring.MAC: it is created once and kept across master key
-- rotations, so that values found by their MAC (pseudonyms, blind indexes,
-- client secrets) are still found after a rotation.
CREATE TABLE keyring_state (
    name       TEXT PRIMARY KEY,
    sealed     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Re-encryption replaces a sealed value by the same plaintext sealed under
-- the new key. Append-only tables that hold sealed values allow exactly that
-- change and nothing else.
DROP TRIGGER audit_signing_keys_append_only ON audit_signing_keys;
-- +goose StatementBegin
CREATE FUNCTION audit_signing_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.name = OLD.name AND NEW.verifier_key = OLD.verifier_key
        AND NEW.created_us = OLD.created_us THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cerrojo audit: signing keys never change (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_signing_keys_guard BEFORE UPDATE OR DELETE ON audit_signing_keys
    FOR EACH ROW EXECUTE FUNCTION audit_signing_keys_guard();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION habeas_consents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.suppressed_at IS NULL AND NEW.suppressed_at IS NOT NULL
        AND NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.purpose = OLD.purpose
        AND NEW.decision = OLD.decision AND NEW.policy_id = OLD.policy_id
        AND NEW.purpose_sha256 = OLD.purpose_sha256
        AND NEW.shown_text_sha256 = OLD.shown_text_sha256
        AND NEW.channel = OLD.channel AND NEW.created_at = OLD.created_at
        AND NEW.minor = OLD.minor
        AND NEW.ip = '' AND NEW.user_agent = '' AND NEW.representative_name = ''
        AND NEW.representative_doc_sealed IS NULL THEN
        RETURN NEW;
    END IF;
    -- Re-encryption: only the sealed document changes, and stays present.
    IF TG_OP = 'UPDATE' AND OLD.representative_doc_sealed IS NOT NULL
        AND NEW.representative_doc_sealed IS NOT NULL
        AND ROW(NEW.seq, NEW.id, NEW.subject_id, NEW.purpose, NEW.decision, NEW.policy_id,
            NEW.purpose_sha256, NEW.shown_text_sha256, NEW.channel, NEW.ip, NEW.user_agent,
            NEW.recorded_by_type, NEW.recorded_by, NEW.minor, NEW.representative_name,
            NEW.representative_relation, NEW.created_at, NEW.suppressed_at)
        IS NOT DISTINCT FROM
        ROW(OLD.seq, OLD.id, OLD.subject_id, OLD.purpose, OLD.decision, OLD.policy_id,
            OLD.purpose_sha256, OLD.shown_text_sha256, OLD.channel, OLD.ip, OLD.user_agent,
            OLD.recorded_by_type, OLD.recorded_by, OLD.minor, OLD.representative_name,
            OLD.representative_relation, OLD.created_at, OLD.suppressed_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cerrojo habeas data: the consent ledger is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION habeas_consents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.suppressed_at IS NULL AND NEW.suppressed_at IS NOT NULL
        AND NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.purpose = OLD.purpose
        AND NEW.decision = OLD.decision AND NEW.policy_id = OLD.policy_id
        AND NEW.purpose_sha256 = OLD.purpose_sha256
        AND NEW.shown_text_sha256 = OLD.shown_text_sha256
        AND NEW.channel = OLD.channel AND NEW.created_at = OLD.created_at
        AND NEW.minor = OLD.minor
        AND NEW.ip = '' AND NEW.user_agent = '' AND NEW.representative_name = ''
        AND NEW.representative_doc_sealed IS NULL THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cerrojo habeas data: the consent ledger is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd
DROP TRIGGER audit_signing_keys_guard ON audit_signing_keys;
DROP FUNCTION audit_signing_keys_guard();
CREATE TRIGGER audit_signing_keys_append_only BEFORE UPDATE OR DELETE ON audit_signing_keys
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
DROP TABLE keyring_state;
ALTER TABLE keyring_checks DROP COLUMN retired_at;
