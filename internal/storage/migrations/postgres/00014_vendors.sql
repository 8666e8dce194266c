-- +goose Up
-- Vendors (sellers) of the marketplace and their onboarding. A vendor is
-- created as a draft by its owner, submitted for review with its documents,
-- and approved or rejected by operators; an approved vendor can be
-- suspended and reinstated. The identity number and the bank account number
-- are sealed with the key ring; the associated data names the table, the
-- column and this row's id, so a sealed value copied to another row does
-- not open.
CREATE TABLE vendors (
    id                  TEXT PRIMARY KEY,
    owner_user_id       TEXT NOT NULL REFERENCES users (id),
    legal_name          TEXT NOT NULL,
    trade_name          TEXT NOT NULL,
    person_type         TEXT NOT NULL CHECK (person_type IN ('natural', 'juridica')),
    -- DIAN document type: 31 (NIT) or 13 (cédula de ciudadanía).
    id_type             INTEGER NOT NULL CHECK (id_type IN (13, 31)),
    id_number_sealed    BYTEA NOT NULL,
    -- Keyed blind index: hex HMAC of "type:number" under the key ring's MAC
    -- key, so uniqueness and search work without decrypting.
    id_index            TEXT NOT NULL UNIQUE,
    -- What listings show: "***1153".
    id_hint             TEXT NOT NULL,
    -- RUT responsibilities, comma-separated ("O-13,O-48").
    tax_responsibilities TEXT NOT NULL,
    contact_email       TEXT NOT NULL,
    contact_phone       TEXT NOT NULL,
    address_line        TEXT NOT NULL,
    -- DANE codes: departamento (2 digits) and municipio (5 digits).
    departamento        TEXT NOT NULL,
    municipio           TEXT NOT NULL,
    bank_name           TEXT NOT NULL,
    bank_account_type   TEXT NOT NULL CHECK (bank_account_type IN ('ahorros', 'corriente')),
    bank_account_sealed BYTEA NOT NULL,
    bank_account_last4  TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'in_review',
                            'approved', 'rejected', 'suspended')),
    -- JSON array of the reasons the vendor can read (rejection, suspension).
    status_reasons      TEXT NOT NULL DEFAULT '[]',
    -- The review round: incremented by every submission.
    review_round        INTEGER NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    submitted_at        TIMESTAMPTZ
);
CREATE INDEX vendors_owner ON vendors (owner_user_id);
-- The review queue: status, oldest submission first.
CREATE INDEX vendors_status ON vendors (status, submitted_at);

-- The documents of a vendor, one per kind; the content lives in the file
-- store under storage_key and is checked against sha256 when read.
CREATE TABLE vendor_documents (
    vendor_id   TEXT NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    doc_kind    TEXT NOT NULL CHECK (doc_kind IN ('rut', 'camara_comercio',
                    'identity_document', 'bank_certificate')),
    file_kind   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vendor_id, doc_kind)
);

-- Approvals of a review round. With four eyes, two different reviewers
-- must approve the same round; the primary key refuses the same reviewer
-- twice.
CREATE TABLE vendor_approvals (
    vendor_id    TEXT NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    review_round INTEGER NOT NULL,
    reviewer     TEXT NOT NULL,
    approved_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vendor_id, review_round, reviewer)
);

-- Staff members of a vendor and their vendor-scoped role; the role binding
-- itself is in role_bindings.
CREATE TABLE vendor_staff (
    vendor_id  TEXT NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('vendor_staff', 'vendor_manager')),
    invited_by TEXT NOT NULL,
    joined_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vendor_id, user_id)
);
CREATE INDEX vendor_staff_user ON vendor_staff (user_id);

-- Invitations to join a vendor's staff. The token is never stored:
-- token_mac is an HMAC under the key ring's MAC key. accepted_at is set
-- once, by a conditional update, when the invitation is used.
CREATE TABLE vendor_invitations (
    id          TEXT PRIMARY KEY,
    vendor_id   TEXT NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('vendor_staff', 'vendor_manager')),
    token_mac   BYTEA NOT NULL UNIQUE,
    invited_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    accepted_by TEXT
);
CREATE INDEX vendor_invitations_vendor ON vendor_invitations (vendor_id);

-- +goose Down
DROP TABLE vendor_invitations;
DROP TABLE vendor_staff;
DROP TABLE vendor_approvals;
DROP TABLE vendor_documents;
DROP TABLE vendors;
