package cli

import (
	"context"
	"fmt"
	"sort"
)

func runConfig(ctx context.Context, env Env, args []string) error {
	fs := newFlags("config", env)
	configPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo config [flags] check")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "check" {
		return usageError{"say check"}
	}

	cfg, src, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	out, err := cfg.YAML()
	if err != nil {
		return err
	}

	fmt.Fprintln(env.Stdout, "# cerrojo: effective configuration (secrets redacted)")
	if src.File != "" {
		fmt.Fprintf(env.Stdout, "# file: %s\n", src.File)
	}
	keys := make([]string, 0, len(src.Keys))
	for k := range src.Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(env.Stdout, "# %s from %s\n", k, src.Keys[k])
	}
	_, err = env.Stdout.Write(out)
	return err
}
