package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/buildinfo"
)

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlags("serve", env)
	configPath := configFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"serve takes no arguments"}
	}

	cfg, _, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Log, env.Stderr)
	// Libraries that log through the default logger (zitadel/oidc's
	// provider does, by design) write through the same scrubbed handler.
	slog.SetDefault(logger)
	bi := buildinfo.Get()
	logger.Info("starting cerrojo", "version", bi.Version, "commit", bi.Commit,
		"go_version", bi.GoVersion)

	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	// The first-run link carries a secret: it goes to the terminal, not to
	// the log, which may be shipped and kept elsewhere.
	link, err := a.SetupLink(ctx)
	if err != nil {
		return err
	}
	if link != "" {
		fmt.Fprintf(env.Stderr, "\nNo super admin exists yet. Open this link, from this machine, "+
			"to create the first one (it works once, until cerrojo restarts):\n\n  %s\n\n"+
			"Or run `cerrojo admin bootstrap`.\n\n", link)
	}
	return a.Run(ctx)
}
