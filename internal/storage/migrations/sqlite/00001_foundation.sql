-- +goose Up
-- One row for each master key that has opened this database: the key's id
-- and a known value sealed with it. At start-up cerrojo opens the row of its
-- key, so a wrong master key is refused before it writes anything.
CREATE TABLE keyring_checks (
    key_id     TEXT PRIMARY KEY,
    sealed     BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE keyring_checks;
