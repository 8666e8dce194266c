package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

func runKeys(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		keysUsage(env)
		if len(args) == 0 {
			return usageError{"say list or rotate"}
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "list":
		return runKeysList(ctx, env, args[1:])
	case "rotate":
		return runKeysRotate(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say list or rotate", args[0])}
}

func keysUsage(env Env) {
	fmt.Fprintln(env.Stderr, "usage: cerrojo keys list [--config FILE] [--json]")
	fmt.Fprintln(env.Stderr, "       cerrojo keys rotate [--config FILE] [--json] [--force]")
	fmt.Fprintln(env.Stderr)
	fmt.Fprintln(env.Stderr, "list shows the access-token signing keys and where each is in its "+
		"life. rotate makes")
	fmt.Fprintln(env.Stderr, "the next key current now, once every JWKS cache can know it; "+
		"--force does it even")
	fmt.Fprintln(env.Stderr, "sooner, for a key that may be compromised. Running nodes pick the "+
		"change up within a minute.")
}

// keysConfig is the token configuration the command works with: the
// algorithm of a new key and the timings rotate checks come from it.
func keysConfig(cfg config.Config) tokens.Config { return app.TokensConfig(cfg) }

func runKeysList(ctx context.Context, env Env, args []string) error {
	fs := newFlags("keys list", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"keys list takes no arguments"}
	}

	cfg, db, err := keysOpen(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := tokens.NewKeys(keysConfig(cfg), tokens.NewSQLStore(db), nil, clock.System{}).
		List(ctx)
	if err != nil {
		return err
	}

	if *asJSON {
		if keys == nil {
			keys = []tokens.Key{}
		}
		return writeJSON(env, keys)
	}
	if len(keys) == 0 {
		fmt.Fprintln(env.Stdout, "no signing keys yet: `cerrojo serve` creates them on first "+
			"start, and so does `cerrojo keys rotate`")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tACTIVATED\tRETIRED\tDELETABLE AFTER")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, k.State,
			keysTime(k.CreatedAt), keysTime(k.ActivatedAt), keysTime(k.RetiredAt),
			keysTime(k.DeletableAfter))
	}
	return tw.Flush()
}

func runKeysRotate(ctx context.Context, env Env, args []string) error {
	fs := newFlags("keys rotate", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	force := fs.Bool("force", false, "rotate even if some JWKS caches may not know the next "+
		"key yet (for a compromised key)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"keys rotate takes no arguments"}
	}

	cfg, db, err := keysOpen(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer db.Close()
	ring, err := keysRing(ctx, cfg, db)
	if err != nil {
		return err
	}

	keys := tokens.NewKeys(keysConfig(cfg), tokens.NewSQLStore(db), ring, clock.System{})
	rotate := keys.Rotate
	if *force {
		rotate = keys.ForceRotate
	}
	r, err := rotate(ctx)
	var soon *tokens.RotationTooSoonError
	if errors.As(err, &soon) {
		return fmt.Errorf("not rotated: the next key %s has been published too recently; it may "+
			"sign from %s, once every JWKS cache can know it (use --force only if the current "+
			"key may be compromised)", soon.Next, soon.NotBefore.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return err
	}

	if *asJSON {
		return writeJSON(env, r)
	}
	fmt.Fprintf(env.Stdout, "rotated: %s (%s) signs now\n", r.Current.ID, r.Current.Algorithm)
	fmt.Fprintf(env.Stdout, "retired: %s, published until %s\n", r.Retired.ID,
		keysTime(r.Retired.DeletableAfter))
	fmt.Fprintf(env.Stdout, "next:    %s (%s), published from now on\n", r.Next.ID,
		r.Next.Algorithm)
	fmt.Fprintln(env.Stdout, "running nodes switch to the new key within a minute")
	return nil
}

// keysOpen loads the configuration and opens a fully migrated database.
func keysOpen(ctx context.Context, env Env, configPath string) (config.Config, *storage.DB,
	error) {
	cfg, _, err := loadConfig(env, configPath)
	if err != nil {
		return config.Config{}, nil, err
	}
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return config.Config{}, nil, err
	}
	pending, err := db.HasPendingMigrations(ctx)
	if err != nil {
		_ = db.Close() // the migration check's error is the one returned
		return config.Config{}, nil, err
	}
	if pending {
		_ = db.Close() // refused; a close error would not change that
		return config.Config{}, nil, errors.New("the database has pending migrations; run " +
			"`cerrojo migrate up` first")
	}
	return cfg, db, nil
}

// keysRing builds the keyring and checks that its master key is the one
// the database was set up with, so that a new key is never sealed under a
// key the nodes do not hold.
func keysRing(ctx context.Context, cfg config.Config, db *storage.DB) (*keyring.Ring, error) {
	key, _, err := keyring.LoadMasterKey(cfg, rand.Reader)
	if err != nil {
		return nil, err
	}
	ring, err := keyring.NewFromConfig(rand.Reader, key, cfg)
	if err != nil {
		return nil, err
	}
	if err := keyring.VerifyDatabase(ctx, ring, keyring.NewSQLStore(db),
		time.Now()); err != nil {
		return nil, err
	}
	return ring, nil
}

func keysTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
