package cli

import (
	"context"
	"fmt"

	"github.com/cerrojo/cerrojo/internal/buildinfo"
)

func runVersion(ctx context.Context, env Env, args []string) error {
	fs := newFlags("version", env)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	bi := buildinfo.Get()
	if *asJSON {
		return writeJSON(env, bi)
	}
	fmt.Fprintln(env.Stdout, bi.String())
	return nil
}
