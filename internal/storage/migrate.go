package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Each dialect has its own directory of migrations with the same version
// numbers, so `migrate status` reads alike on both.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrationsTable is where applied versions are recorded.
const migrationsTable = "cerrojo_schema_migrations"

// advisoryLockID identifies cerrojo's migration lock among PostgreSQL
// advisory locks ("cerrojo" in ASCII, as a number).
const advisoryLockID = 0x636572726f6a6f

// Migration is the state of one migration.
type Migration struct {
	Version   int64     `json:"version"`
	Name      string    `json:"name"`
	Applied   bool      `json:"applied"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
}

func (db *DB) migrator() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", db.dialect, err)
	}

	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{
		goose.WithTableName(migrationsTable),
		goose.WithDisableGlobalRegistry(true),
	}
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Wait up to 5 minutes (300 tries, 1 s apart) for another node
		// that is migrating.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(advisoryLockID),
			lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.DB, sub, opts...)
}

// MigrateUp applies every pending migration and returns those it applied.
func (db *DB) MigrateUp(ctx context.Context) ([]Migration, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate up: %w", err)
	}
	applied := make([]Migration, 0, len(results))
	for _, r := range results {
		applied = append(applied, Migration{Version: r.Source.Version, Name: r.Source.Path,
			Applied: true})
	}
	return applied, nil
}

// MigrationStatus lists every known migration and whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]Migration, 0, len(status))
	for _, s := range status {
		out = append(out, Migration{Version: s.Source.Version, Name: s.Source.Path,
			Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt})
	}
	return out, nil
}

// HasPendingMigrations reports whether any migration is not yet applied.
func (db *DB) HasPendingMigrations(ctx context.Context) (bool, error) {
	p, err := db.migrator()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}
