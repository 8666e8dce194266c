-- +goose Up
-- Who holds which role, and where: a binding with vendor_id '' is global, any
-- other applies only to that vendor's resources. Removing a binding deletes
-- its row; the audit log keeps the history of grants and revocations.
CREATE TABLE role_bindings (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    vendor_id  TEXT NOT NULL DEFAULT '',
    granted_by TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, role, vendor_id)
);
-- "Who holds a role in this vendor" without a scan.
CREATE INDEX role_bindings_vendor ON role_bindings (vendor_id, role);

-- +goose Down
DROP TABLE role_bindings;
