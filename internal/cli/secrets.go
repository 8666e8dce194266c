package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/keyring"
)

// runSecrets inspects and rotates the secrets sealed with the key ring.
func runSecrets(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say status or rotate"}
	}
	switch args[0] {
	case "status":
		return runSecretsStatus(ctx, env, args[1:])
	case "rotate":
		return runSecretsRotate(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say status or rotate", args[0])}
}

// runSecretsStatus counts the sealed values under each master key.
func runSecretsStatus(ctx context.Context, env Env, args []string) error {
	fs := newFlags("secrets status", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the counts as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"secrets status takes no arguments"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	counts, err := keyring.Census(ctx, a.DB, app.SealedColumns())
	if err != nil {
		return err
	}
	primary := a.Ring.PrimaryID().String()
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"primary": primary, "columns": counts})
	}
	printCounts(env, primary, counts)
	return nil
}

func printCounts(env Env, primary string, counts []keyring.ColumnCount) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tKEY\tVALUES")
	left := int64(0)
	for _, c := range counts {
		for k, n := range c.ByKey {
			mark := ""
			if k == primary {
				mark = " (master key)"
			}
			fmt.Fprintf(tw, "%s\t%s%s\t%d\n", c.Column, k, mark, n)
		}
		left += c.NotPrimary(primary)
	}
	_ = tw.Flush() // a failed write to stdout has no one else to tell
	fmt.Fprintf(env.Stdout, "%d values under other keys than the master key %s\n", left, primary)
}

// runSecretsRotate re-encrypts every sealed value under the master key and
// retires the previous keys that nothing is sealed under any more. It runs
// while nodes serve, and can be run again.
func runSecretsRotate(ctx context.Context, env Env, args []string) error {
	fs := newFlags("secrets rotate", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo secrets rotate [--json]")
		fmt.Fprintln(env.Stderr, "Give every node the new master key and the old one in "+
			"master_key.previous first (docs/security.md, key rotation).")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"secrets rotate takes no arguments"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	rot, err := a.RotateSecrets(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rot)
	}
	var resealed int64
	for _, c := range rot.Resealed {
		resealed += c.Resealed
	}
	fmt.Fprintf(env.Stdout, "resealed %d values under master key %s\n", resealed, rot.Primary)
	printCounts(env, rot.Primary, rot.Remaining)
	for _, k := range rot.Retired {
		fmt.Fprintf(env.Stdout, "retired key %s: remove it from master_key.previous\n", k)
	}
	return nil
}
