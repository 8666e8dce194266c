package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/app"
)

func runUsers(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say import, show, unlock, disable or enable"}
	}
	switch args[0] {
	case "import":
		return runUsersImport(ctx, env, args[1:])
	case "show", "unlock", "disable", "enable":
		return runUsersState(ctx, env, args[0], args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say import, show, unlock, disable "+
		"or enable", args[0])}
}

// openNode builds a node from the configuration without serving, for
// commands that act through the capabilities. Its informational start-up
// lines are left out: only warnings and errors reach the terminal.
func openNode(ctx context.Context, env Env, path string) (*app.App, error) {
	cfg, _, err := loadConfig(env, path)
	if err != nil {
		return nil, err
	}
	logCfg := cfg.Log
	if logCfg.Level == "debug" || logCfg.Level == "info" {
		logCfg.Level = "warn"
	}
	return app.New(ctx, cfg, newLogger(logCfg, env.Stderr))
}

func runUsersImport(ctx context.Context, env Env, args []string) error {
	fs := newFlags("users import", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo users import [flags] FILE.jsonl")
		fs.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nEach line is a JSON object: email, name, password_hash (bcrypt, "+
			"scrypt, PBKDF2, Argon2) or\nfirebase_hash and firebase_salt, and optionally phone, kind, "+
			"locale, email_verified.\nBad lines are reported with their numbers; good ones are kept.")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"name one file to import"}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()

	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.Accounts.Import(ctx, f, accounts.Meta{RequestID: "cli-import"})
	if err != nil {
		return err
	}

	if *asJSON {
		type failure struct {
			Line  int    `json:"line"`
			Error string `json:"error"`
		}
		out := struct {
			Imported int       `json:"imported"`
			Failed   []failure `json:"failed"`
		}{Imported: rep.Imported, Failed: []failure{}}
		for _, le := range rep.Failed {
			out.Failed = append(out.Failed, failure{le.Line, le.Err.Error()})
		}
		if err := writeJSON(env, out); err != nil {
			return err
		}
	} else {
		for _, le := range rep.Failed {
			fmt.Fprintln(env.Stdout, le.Error())
		}
		fmt.Fprintf(env.Stdout, "imported %d, failed %d\n", rep.Imported, len(rep.Failed))
	}
	if len(rep.Failed) > 0 {
		return fmt.Errorf("%d lines were not imported", len(rep.Failed))
	}
	return nil
}

func runUsersState(ctx context.Context, env Env, verb string, args []string) error {
	fs := newFlags("users "+verb, env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"name one user id or email"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()

	u, err := findUser(ctx, a, fs.Arg(0))
	if err != nil {
		return err
	}
	m := accounts.Meta{RequestID: "cli-users-" + verb}
	switch verb {
	case "unlock":
		err = a.Accounts.Unlock(ctx, "", u.ID, m)
	case "disable":
		err = a.Accounts.Disable(ctx, "", u.ID, a.Sessions, m)
	case "enable":
		err = a.Accounts.Enable(ctx, "", u.ID, m)
	}
	if err != nil {
		return err
	}
	if u, err = a.Accounts.Store.UserByID(ctx, u.ID); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, u.JSON())
	}
	j := u.JSON()
	fmt.Fprintf(env.Stdout, "%s  %s  %s  state=%s verified=%t kind=%s\n", j.ID, j.Email, j.Name,
		j.State, j.EmailVerified, j.Kind)
	return nil
}

func findUser(ctx context.Context, a *app.App, ref string) (accounts.User, error) {
	if e, err := accounts.ParseEmail(ref); err == nil {
		u, err := a.Accounts.Store.UserByEmail(ctx, e.Normalized)
		if err == nil {
			return u, nil
		}
	}
	u, err := a.Accounts.Store.UserByID(ctx, ref)
	if err != nil {
		return accounts.User{}, fmt.Errorf("no user with id or email %q", ref)
	}
	return u, nil
}
