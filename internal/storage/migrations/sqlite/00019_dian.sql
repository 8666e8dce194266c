-- +goose Up
-- The marketplace's certificate for the DIAN's web services (package dian):
-- the PKCS#12 file and its password, each sealed with the key ring; the
-- associated data names the table, the column and the row's name, so a
-- sealed value copied elsewhere does not open. What operators may see
-- (subject, fingerprint, validity) is kept in clear beside it. There is at
-- most one certificate per name; importing again replaces it.
CREATE TABLE dian_certificates (
    name            TEXT PRIMARY KEY CHECK (name = 'default'),
    p12_sealed      BLOB NOT NULL,
    password_sealed BLOB NOT NULL,
    subject         TEXT NOT NULL,
    issuer          TEXT NOT NULL,
    serial          TEXT NOT NULL,
    -- Hex SHA-256 of the certificate's DER.
    fingerprint     TEXT NOT NULL,
    not_before      TIMESTAMP NOT NULL,
    not_after       TIMESTAMP NOT NULL,
    imported_at     TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE dian_certificates;
