package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/app"
)

func runUsers(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say " + usersVerbs}
	}
	switch args[0] {
	case "import":
		return runUsersImport(ctx, env, args[1:])
	case "find":
		return runUsersFind(ctx, env, args[1:])
	case "end-sessions":
		return runUsersEndSessions(ctx, env, args[1:])
	case "show", "unlock", "disable", "enable":
		return runUsersState(ctx, env, args[0], args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say %s", args[0], usersVerbs)}
}

const usersVerbs = "import, find, show, unlock, disable, enable or end-sessions"

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
	logger := newLogger(logCfg, env.Stderr)
	// As in serve: libraries logging through the default logger follow
	// the same level and handler.
	slog.SetDefault(logger)
	return app.New(ctx, cfg, logger)
}

func runUsersImport(ctx context.Context, env Env, args []string) error {
	fs := newFlags("users import", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo users import [flags] FILE.jsonl")
		fs.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nEach line is a JSON object: email, name, password_hash "+
			"(bcrypt, scrypt, PBKDF2, Argon2) or\nfirebase_hash and firebase_salt, and "+
			"optionally phone, kind, locale, email_verified.\nBad lines are reported with "+
			"their numbers; good ones are kept.")
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

// Bounds of `users find`.
const (
	defaultFindLimit = 50
	maxFindLimit     = 500
)

// foundUser is one line of `users find`: never the password hash.
type foundUser struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	State     string `json:"state"`
	CreatedAt string `json:"created_at"`
}

// findLikeEscaper escapes LIKE's wildcards with '!', the ESCAPE character,
// so that a query's % and _ match themselves.
var findLikeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

func runUsersFind(ctx context.Context, env Env, args []string) error {
	fs := newFlags("users find", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", defaultFindLimit, "print at most `n` people (at most "+
		strconv.Itoa(maxFindLimit)+")")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo users find [flags] QUERY")
		fs.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nFinds the people whose email or name contains QUERY "+
			"(ignoring case), or whose\nid is QUERY, oldest first.")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
		return usageError{"name one query: part of an email or name, or an id"}
	}
	if *limit < 1 || *limit > maxFindLimit {
		return usageError{fmt.Sprintf("--limit must be between 1 and %d", maxFindLimit)}
	}
	query := strings.TrimSpace(fs.Arg(0))
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()

	found, err := findUsers(ctx, a, query, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, struct {
			Users []foundUser `json:"users"`
		}{found})
	}
	if len(found) == 0 {
		fmt.Fprintf(env.Stdout, "no user matches %q\n", query)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tKIND\tSTATE\tCREATED AT")
	for _, u := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Kind, u.State,
			u.CreatedAt)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(found) == *limit {
		fmt.Fprintf(env.Stderr, "showing the first %d; narrow the query or raise --limit\n",
			*limit)
	}
	return nil
}

// findUsers reads at most limit people whose id is query, or whose
// normalised email or name contains it, ignoring case. The query is bound
// as a parameter, its LIKE wildcards escaped.
func findUsers(ctx context.Context, a *app.App, query string, limit int) ([]foundUser, error) {
	like := "%" + findLikeEscaper.Replace(query) + "%"
	rows, err := a.DB.QueryContext(ctx, a.DB.Rebind(`SELECT id, email, name, kind, state,
		created_at FROM users WHERE id = ? OR LOWER(email_normalized) LIKE LOWER(?) ESCAPE '!'
		OR LOWER(name) LIKE LOWER(?) ESCAPE '!' ORDER BY created_at, id LIMIT ?`),
		query, like, like, limit)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	found := []foundUser{}
	for rows.Next() {
		var u foundUser
		var created time.Time
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Kind, &u.State, &created); err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
		u.CreatedAt = created.UTC().Format(time.RFC3339)
		found = append(found, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	return found, nil
}

func runUsersEndSessions(ctx context.Context, env Env, args []string) error {
	fs := newFlags("users end-sessions", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo users end-sessions [flags] USER")
		fs.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nEnds every active session of USER (an id or email); "+
			"their access tokens go on\nthe revocation list until they expire.")
	}
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
	active, err := a.Sessions.List(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := a.Sessions.EndAll(ctx, u.ID, "", "ended_by_admin"); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, struct {
			UserID string `json:"user_id"`
			Email  string `json:"email"`
			Ended  int    `json:"ended"`
		}{u.ID, u.Email.Address, len(active)})
	}
	fmt.Fprintf(env.Stdout, "ended %d active sessions of %s (%s)\n", len(active), u.ID,
		u.Email.Address)
	return nil
}
