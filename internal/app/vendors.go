package app

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/filestore"
	"github.com/cerrojo/cerrojo/internal/vendors"
)

// openVendors starts vendor onboarding: documents are sealed with the key
// ring and kept in vendors.documents_dir.
func (a *App) openVendors() error {
	cfg := a.Config.Vendors
	dir := cfg.DocumentsDir
	if dir == "" {
		dir = filepath.Join(a.Config.DataDir, "documents")
	}
	fs, err := filestore.NewFS(dir)
	if err != nil {
		return fmt.Errorf("vendors.documents_dir: %w", err)
	}
	a.Vendors, err = vendors.New(vendors.Options{DB: a.DB, Ring: a.Ring, Audit: a.Audit,
		Vault: &filestore.Vault{Store: fs, Sealer: a.Ring,
			MaxBytes: int64(cfg.MaxDocumentBytes)},
		Roles: vendorRoles{store: a.Authz.Store(), clock: a}, Sessions: a.Sessions,
		Notifier: a.mailer, Clock: a.Clock, Logger: a.Logger,
		RequiredApprovals: cfg.RequiredApprovals, InvitationTTL: cfg.InvitationTTL.D(),
		MaxDocumentBytes: int64(cfg.MaxDocumentBytes),
		AcceptURL:        linkBase(a.Config) + "/vendor-invitations/accept?token="})
	if err != nil {
		return fmt.Errorf("vendors: %w", err)
	}
	return nil
}

// vendorRoles writes the vendor-scoped bindings that onboarding grants and
// revokes, in onboarding's transaction, straight to the authorization
// store: the owner binding at creation, staff bindings at acceptance.
type vendorRoles struct {
	store *authz.Store
	clock *App
}

func (r vendorRoles) Grant(ctx context.Context, tx *sql.Tx, userID, role, vendorID string) error {
	_, err := r.store.Tx(tx).Put(ctx, authz.Grant{UserID: userID, Role: role, Vendor: vendorID,
		GrantedBy: "system:vendors", GrantedAt: r.clock.Clock.Now().UTC()})
	return err
}

func (r vendorRoles) Revoke(ctx context.Context, tx *sql.Tx, userID, role,
	vendorID string) error {
	_, err := r.store.Tx(tx).Delete(ctx, userID, role, vendorID)
	return err
}

// approvedVendors answers authz's question for the policy's selling rules:
// which of these vendors may sell now. It reads the vendors' onboarding
// status: only approved ones (not draft, in review, rejected or
// suspended).
func (a *App) approvedVendors(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return []string{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT id FROM vendors WHERE status = 'approved' AND id IN (?` +
		strings.Repeat(", ?", len(ids)-1) + `) ORDER BY id`
	rows, err := a.DB.QueryContext(ctx, a.DB.Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // rows.Err reports read failures
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
