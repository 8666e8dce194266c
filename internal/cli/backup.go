package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cerrojo/cerrojo/internal/app"
)

// runBackup copies the embedded database while the server runs. SQLite's
// VACUUM INTO writes a consistent snapshot (one read transaction) to a new
// file without stopping writers, compacted; the copy opens like the
// original. PostgreSQL deployments back up with their own tools
// (docs/operations.md).
func runBackup(ctx context.Context, env Env, args []string) error {
	fset := newFlags("backup", env)
	configPath := configFlag(fset)
	out := fset.String("out", "", "the `file` to write; it must not exist (default "+
		"cerrojo-backup-<UTC time>.db in the current directory)")
	fset.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo backup [--config FILE] [--out FILE]")
		fmt.Fprintln(env.Stderr, "Copies the embedded SQLite database while cerrojo runs. "+
			"The copy holds secrets sealed with the master key: keep the key, and store the "+
			"two apart.")
		fset.PrintDefaults()
	}
	if err := parse(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return usageError{"backup takes no arguments"}
	}
	cfg, _, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	if !cfg.Embedded() {
		return errors.New("the database is PostgreSQL: back it up with pg_dump or your " +
			"provider's snapshots (docs/operations.md)")
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, app.SQLiteFileName)); err != nil {
		return fmt.Errorf("no embedded database to back up: %w", err)
	}
	path := *out
	if path == "" {
		path = "cerrojo-backup-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s already exists; choose another --out", path)
	}

	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		// The partial copy may hold personal data: say so when it stays behind.
		if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			return fmt.Errorf("backup: %w (the partial copy %s was not removed: %v)",
				err, path, rmErr)
		}
		return fmt.Errorf("backup: %w", err)
	}
	// The copy holds sealed secrets and personal data: owner only.
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%d bytes)\n", path, fi.Size())
	return nil
}
