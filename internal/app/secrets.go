package app

import (
	"context"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/habeasdata"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/tokens"
	"github.com/cerrojo/cerrojo/internal/vendors"
)

// SealedColumns are every database column that holds values sealed with
// the key ring, for master key rotation. TestEverySealedColumnIsRotated
// fails when a migration adds one that is not listed here.
func SealedColumns() []keyring.Column {
	var cols []keyring.Column
	for _, c := range [][]keyring.Column{keyring.Columns(), audit.SealedColumns(),
		tokens.SealedColumns(), mfa.SealedColumns(), habeasdata.SealedColumns(),
		vendors.SealedColumns(), dian.SealedColumns()} {
		cols = append(cols, c...)
	}
	return cols
}

// Rotation is what RotateSecrets did.
type Rotation struct {
	// Resealed counts, per column, the values sealed again.
	Resealed []keyring.ColumnCount `json:"resealed"`
	// Remaining counts, per column and key, the values after the run; only
	// the primary key should appear.
	Remaining []keyring.ColumnCount `json:"remaining"`
	// Documents counts the vendor documents, kept outside the database:
	// how many were resealed and how many were already under the primary.
	Documents struct {
		Resealed int64 `json:"resealed"`
		Current  int64 `json:"current"`
	} `json:"documents"`
	// Retired are the key ids whose checks were retired.
	Retired []string `json:"retired"`
	// Primary is the id of the key everything is sealed under now.
	Primary string `json:"primary"`
}

// RotateSecrets re-encrypts every sealed value under the primary master key
// and retires the checks of the previous keys that no value is sealed under
// any more (keyring.Reencrypt, keyring.RetireRotated). A key still in use
// (for example by a node that was not given the new key, and sealed
// something while the rotation ran) is not retired: the census after the
// run shows it, and running again after that node is fixed finishes the
// job.
func (a *App) RotateSecrets(ctx context.Context) (Rotation, error) {
	cols := SealedColumns()
	rot := Rotation{Primary: a.Ring.PrimaryID().String()}
	var err error
	if rot.Resealed, err = keyring.Reencrypt(ctx, a.DB, a.Ring, cols); err != nil {
		return rot, err
	}
	if rot.Documents.Resealed, rot.Documents.Current, err =
		a.Vendors.ResealDocuments(ctx); err != nil {
		return rot, err
	}
	if rot.Remaining, err = keyring.Census(ctx, a.DB, cols); err != nil {
		return rot, err
	}
	rot.Retired, err = keyring.RetireRotated(ctx, keyring.NewSQLStore(a.DB), a.Ring,
		rot.Remaining, a.Clock.Now())
	return rot, err
}
