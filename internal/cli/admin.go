package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cerrojo/cerrojo/internal/app"
)

// runAdmin holds the operator's commands that act on the whole
// installation.
func runAdmin(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say bootstrap"}
	}
	if args[0] == "bootstrap" {
		return runAdminBootstrap(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say bootstrap", args[0])}
}

// maxPasswordInput bounds what is read as a password: the longest a
// password may be (package password) with room for a newline.
const maxPasswordInput = 4096

// runAdminBootstrap makes the first super admin for automated installs:
// an account with a verified email, a password read from standard input or
// a file (never an argument, which other users of the machine can read in
// the process list), and the global super_admin role. It refuses once any
// super admin exists. The person must enrol a second factor at their first
// sign-in: super_admin always requires one.
func runAdminBootstrap(ctx context.Context, env Env, args []string) error {
	fs := newFlags("admin bootstrap", env)
	configPath := configFlag(fs)
	email := fs.String("email", "", "the super admin's email address")
	name := fs.String("name", "", "their name")
	passwordFile := fs.String("password-file", "", "read the password from this `file` "+
		"instead of standard input")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo admin bootstrap --email ADDRESS --name NAME "+
			"[--password-file FILE] < password")
		fmt.Fprintln(env.Stderr, "Makes the first super admin. The password comes from "+
			"standard input or --password-file, never from an argument.")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *email == "" || *name == "" {
		return usageError{"give --email and --name, and the password on standard input"}
	}
	in := env.Stdin
	if *passwordFile != "" {
		f, err := os.Open(*passwordFile)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	pw, err := readPassword(in)
	if err != nil {
		return err
	}

	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.CreateFirstSuperAdmin(ctx, *email, *name, pw, cliActor, "cli-bootstrap")
	if errors.Is(err, app.ErrSuperAdminExists) {
		return errors.New("a super admin exists already; grant more with `cerrojo roles grant`")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "made %s (%s) super admin; they enrol a second factor at their "+
		"first sign-in\n", u.Email.Address, u.ID)
	return nil
}

// readPassword reads one line: the password, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordInput)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{"no password on standard input (or in --password-file)"}
	}
	return pw, nil
}
