-- +goose Up
-- Access-token signing keys; docs/tokens.md explains the life of a key.
--
-- A key is "next" (published in the JWKS, not yet signing), then "current"
-- (signing), then "retired" (published until every token it signed has
-- expired, then deleted). kid is the key's RFC 7638 thumbprint. The private
-- key is PKCS #8, sealed with the keyring under "signing_keys.private:" +
-- kid. Times are microseconds since the Unix epoch.
CREATE TABLE signing_keys (
    kid                TEXT PRIMARY KEY,
    alg                TEXT NOT NULL CHECK (alg IN ('EdDSA', 'ES256', 'RS256')),
    state              TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    public_jwk         TEXT NOT NULL,
    private_sealed     BYTEA NOT NULL,
    created_us         BIGINT NOT NULL,
    activated_us       BIGINT,
    retired_us         BIGINT,
    deletable_after_us BIGINT,
    CHECK (
        (state = 'next' AND activated_us IS NULL AND retired_us IS NULL
            AND deletable_after_us IS NULL)
        OR (state = 'current' AND activated_us IS NOT NULL AND retired_us IS NULL
            AND deletable_after_us IS NULL)
        OR (state = 'retired' AND activated_us IS NOT NULL AND retired_us IS NOT NULL
            AND deletable_after_us IS NOT NULL)
    )
);

-- At most one current and one next key, whatever the application does.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';

-- The key set's generation. Every change locks this row first, which
-- serialises rotations across nodes, and increments it, so that nodes learn
-- of a change by reading one number.
CREATE TABLE signing_keys_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO signing_keys_head (id, generation) VALUES (1, 0);

-- +goose Down
DROP TABLE signing_keys_head;
DROP TABLE signing_keys;
