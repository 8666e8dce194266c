-- +goose Up
-- Habeas Data (Ley Estatutaria 1581 de 2012, Decreto 1377 de 2013 compiled
-- in Decreto 1074 de 2015): privacy-policy versions, the consent ledger,
-- data-subject requests and legal holds. Subjects are named by their account
-- id and carry no foreign key: these rows are the controller's proof and
-- outlive the account, pseudonymised, when its data is suppressed.

-- One version of the Política de Tratamiento de la Información. Versions
-- never change once published; purposes is a JSON array of
-- {code, description, sensitive, required} (the finalidades it declares).
CREATE TABLE habeas_policies (
    id           TEXT PRIMARY KEY,
    version      TEXT NOT NULL UNIQUE,
    text         TEXT NOT NULL,
    text_sha256  TEXT NOT NULL,
    purposes     TEXT NOT NULL,
    effective_at TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX habeas_policies_effective ON habeas_policies (effective_at);

-- The consent ledger: one row per decision, never updated or deleted except
-- by suppression, which replaces the subject by its pseudonym and erases the
-- evidence that identifies the person (IP, User-Agent, representative).
-- purpose_sha256 fixes the exact wording of the purpose the person decided
-- on: a consent counts under a later policy only while the purpose reads
-- the same.
CREATE TABLE habeas_consents (
    seq                     BIGSERIAL PRIMARY KEY,
    id                      TEXT NOT NULL UNIQUE,
    subject_id              TEXT NOT NULL,
    purpose                 TEXT NOT NULL,
    decision                TEXT NOT NULL CHECK (decision IN ('granted', 'refused', 'revoked')),
    policy_id               TEXT NOT NULL REFERENCES habeas_policies (id),
    purpose_sha256          TEXT NOT NULL,
    shown_text_sha256       TEXT NOT NULL,
    channel                 TEXT NOT NULL CHECK (channel IN ('web', 'app', 'phone', 'in_person')),
    ip                      TEXT NOT NULL DEFAULT '',
    user_agent              TEXT NOT NULL DEFAULT '',
    recorded_by_type        TEXT NOT NULL,
    recorded_by             TEXT NOT NULL,
    minor                   BOOLEAN NOT NULL DEFAULT FALSE,
    -- For a minor, the legal representative who authorised (Ley 1581 art. 7,
    -- Decreto 1377 art. 12): name, relationship and the document number
    -- sealed with the key ring (associated data: this row's id).
    representative_name     TEXT NOT NULL DEFAULT '',
    representative_relation TEXT NOT NULL DEFAULT '',
    representative_doc_sealed BYTEA,
    created_at              TIMESTAMPTZ NOT NULL,
    suppressed_at           TIMESTAMPTZ
);
CREATE INDEX habeas_consents_subject ON habeas_consents (subject_id, purpose, seq);

-- +goose StatementBegin
CREATE FUNCTION habeas_consents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER habeas_consents_guard BEFORE UPDATE OR DELETE ON habeas_consents
    FOR EACH ROW EXECUTE FUNCTION habeas_consents_guard();

-- Consultas (art. 14) and reclamos (art. 15). Dates are civil dates in
-- Colombia (YYYY-MM-DD) computed by package calendar.
CREATE TABLE habeas_requests (
    id               TEXT PRIMARY KEY,
    subject_id       TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('consulta', 'reclamo')),
    type             TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('open', 'incomplete', 'answered', 'withdrawn')),
    description      TEXT NOT NULL,
    channel          TEXT NOT NULL,
    filed_by_type    TEXT NOT NULL,
    filed_by         TEXT NOT NULL,
    assignee         TEXT NOT NULL DEFAULT '',
    received_at      TIMESTAMPTZ NOT NULL,
    received_date    TEXT NOT NULL,
    due_date         TEXT NOT NULL,
    extended_due_date TEXT NOT NULL DEFAULT '',
    extension_reason TEXT NOT NULL DEFAULT '',
    complete_by_date TEXT NOT NULL DEFAULT '',
    incomplete_at    TIMESTAMPTZ,
    withdrawal_date  TEXT NOT NULL DEFAULT '',
    answer           TEXT NOT NULL DEFAULT '',
    answered_at      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    suppressed_at    TIMESTAMPTZ
);
CREATE INDEX habeas_requests_subject ON habeas_requests (subject_id, created_at);
CREATE INDEX habeas_requests_status ON habeas_requests (status, due_date);

-- The conversation of a request, in order. Never edited; suppression
-- erases the text of the titular's messages.
CREATE TABLE habeas_request_messages (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    request_id  TEXT NOT NULL REFERENCES habeas_requests (id),
    author_type TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX habeas_request_messages_request ON habeas_request_messages (request_id, seq);

-- Legal duties to keep a subject's data that a suppression must respect
-- (for example Código de Comercio art. 60: commercial records for ten
-- years). Registered by the marketplace's services or by operators.
CREATE TABLE habeas_legal_holds (
    id          TEXT PRIMARY KEY,
    subject_id  TEXT NOT NULL,
    category    TEXT NOT NULL,
    basis       TEXT NOT NULL,
    description TEXT NOT NULL,
    until_date  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX habeas_legal_holds_subject ON habeas_legal_holds (subject_id);

-- Marketing contacts reported by the marketplace's services, for the
-- frequency rules of Ley 2300 de 2023 art. 3. Only the last weeks are kept.
CREATE TABLE habeas_contacts (
    subject_id   TEXT NOT NULL,
    channel      TEXT NOT NULL,
    contacted_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX habeas_contacts_subject ON habeas_contacts (subject_id, contacted_at);

-- +goose Down
DROP TABLE habeas_contacts;
DROP TABLE habeas_legal_holds;
DROP TABLE habeas_request_messages;
DROP TABLE habeas_requests;
DROP TRIGGER habeas_consents_guard ON habeas_consents;
DROP FUNCTION habeas_consents_guard();
DROP TABLE habeas_consents;
DROP TABLE habeas_policies;
