package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/storage"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlags("migrate", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo migrate [flags] up|status")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"say up or status"}
	}
	verb := fs.Arg(0)
	if verb != "up" && verb != "status" {
		return usageError{fmt.Sprintf("unknown subcommand %q; say up or status", verb)}
	}

	cfg, _, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	switch verb {
	case "up":
		applied, err := db.MigrateUp(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env, applied)
		}
		if len(applied) == 0 {
			fmt.Fprintln(env.Stdout, "the database is up to date")
		}
		for _, m := range applied {
			fmt.Fprintf(env.Stdout, "applied %05d %s\n", m.Version, m.Name)
		}
		return nil

	default:
		status, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env, status)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
		for _, m := range status {
			state, at := "pending", "-"
			if m.Applied {
				state, at = "applied", m.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%05d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
		}
		return tw.Flush()
	}
}

// openDatabase opens the configured database without starting a node.
func openDatabase(ctx context.Context, cfg config.Config) (*storage.DB, error) {
	if cfg.Embedded() {
		return storage.OpenSQLite(ctx, filepath.Join(cfg.DataDir, app.SQLiteFileName))
	}
	return storage.OpenPostgres(ctx, cfg.Database.URL.Reveal(),
		storage.PostgresOptions{MaxOpenConns: 2})
}

func writeJSON(env Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
