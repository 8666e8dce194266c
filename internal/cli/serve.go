package cli

import (
	"context"

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
	bi := buildinfo.Get()
	logger.Info("starting cerrojo", "version", bi.Version, "commit", bi.Commit,
		"go_version", bi.GoVersion)

	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Run(ctx)
}
