// Package cli implements the cerrojo command: each subcommand parses its
// flags, loads the configuration, and calls into the capability packages.
// It holds no business rules. Main is separate from package main so that the
// command can be tested in process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/scrub"
)

// Env is what the command may use of its process.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the server", runServe},
		"migrate": {"apply or list database migrations (up, status)", runMigrate},
		"config":  {"check the configuration and print it, secrets redacted (check)", runConfig},
		"version": {"print the version, commit and Go version", runVersion},
		"audit": {"verify or export the audit log, or sign a checkpoint (verify, export, " +
			"checkpoint)", runAudit},
		"keys": {"list or rotate access-token signing keys (list, rotate)", runKeys},
		"users": {"import users, find them, or show, unlock, disable, enable one or end its " +
			"sessions", runUsers},
		"clients": {"create, list, show or disable OAuth clients, or rotate a secret", runClients},
		"roles":   {"grant, revoke or list role bindings (the first super_admin)", runRoles},
		"doctor":  {"check a deployment and say what is wrong or risky", runDoctor},
		"backup":  {"copy the embedded database while cerrojo runs", runBackup},
		"admin":   {"make the first super admin (bootstrap)", runAdmin},
		"secrets": {"count or re-encrypt the secrets sealed with the master key " +
			"(status, rotate)", runSecrets},
		"compliance": {"print the report for the Registro Nacional de Bases de Datos (rnbd)",
			runCompliance},
		"dian": {"import the DIAN certificate or show its expiry (cert import, cert status), " +
			"query the DIAN (get-status, numbering-range)", runDIAN},
	}
}

// Main runs the command line args (without the program name) and returns
// the process's exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return exitOK
	}

	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "cerrojo: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return exitUsage
	}

	err := cmd.run(ctx, env, args[1:])
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(usageError)):
		fmt.Fprintf(env.Stderr, "cerrojo %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(env.Stderr, "cerrojo %s: %v\n", args[0], err)
		return exitError
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "cerrojo: identity, authorization and compliance for marketplaces")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: cerrojo <command> [flags]")
	fmt.Fprintln(w)
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `cerrojo <command> -h` for a command's flags. Configuration comes from")
	fmt.Fprintln(w, "CERROJO_* environment variables and an optional YAML file (--config or")
	fmt.Fprintln(w, "CERROJO_CONFIG); docs/configuration.md lists every key.")
}

// usageError is a mistake in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("cerrojo "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parse parses flags wherever they stand among the arguments, so that
// `cerrojo migrate status --json` and `cerrojo migrate --json status` mean
// the same; the package flag alone stops at the first argument. Positional
// arguments are left in fs.Args(). A lone "--" ends flag parsing.
func parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Parse once more with only the positional arguments so fs.Args()
	// returns them.
	return fs.Parse(append([]string{"--"}, positional...))
}

// configFlag adds --config to fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "YAML configuration `file` (default $CERROJO_CONFIG)")
}

// loadConfig loads the configuration from the file named by --config or
// CERROJO_CONFIG, then the environment.
func loadConfig(env Env, path string) (config.Config, config.Sources, error) {
	if path == "" {
		path = env.Getenv("CERROJO_CONFIG")
	}
	return config.Load(path, env.Getenv)
}

func newLogger(cfg config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(cfg.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	// Every attribute passes through scrub: card numbers, tokens and
	// secret-named keys never reach the log (PCI DSS v4.0.1 3.3, 3.4.1).
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: scrub.ReplaceAttr}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
