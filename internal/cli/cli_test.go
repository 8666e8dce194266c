package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerrojo/cerrojo/internal/cli"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// TestMain lets the test binary stand in for the cerrojo command: testscript
// puts a copy named cerrojo on the scripts' PATH, and when that copy runs it
// executes cli.Main with the real process environment, as cmd/cerrojo does.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cerrojo": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{
				Getenv: os.Getenv,
				Stdin:  os.Stdin,
				Stdout: os.Stdout,
				Stderr: os.Stderr,
			}))
		},
	})
}

// TestScripts runs the command-line scripts that need nothing outside their
// work directory (SQLite lives there).
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script", nil))
}

// TestPostgresScripts runs the scripts that need PostgreSQL. Each script gets
// its own empty schema, whose URL it reads from $PGURL. Without a reachable
// server they are skipped, or fail when CI=true (see storagetest).
func TestPostgresScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script_pg", func(env *testscript.Env) error {
		// testscript hands Setup its own T; the one it wraps for a
		// *testing.T is also a testing.TB, which storagetest needs to
		// register the schema's cleanup and to skip.
		tb, ok := env.T().(testing.TB)
		if !ok {
			return errors.New("testscript's T is not a testing.TB; cannot create a schema")
		}
		env.Setenv("PGURL", storagetest.PostgresSchemaURL(tb))
		return nil
	}))
}

func scriptParams(dir string, setup func(*testscript.Env) error) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		Setup:               setup,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"validjson": cmdValidJSON,
			"setmatch":  cmdSetMatch,
		},
	}
}

// cmdExits runs a program and checks its exit status, which `! exec` cannot:
// cerrojo tells a usage mistake (2) from a failure (1).
//
//	exits 2 cerrojo frobnicate
//
// As after exec, the stdout and stderr commands then see its output.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits status program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: status %q is not a number", args[0])
	}

	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			ts.Fatalf("exits: run %s: %v", args[1], err)
		}
		got = exitErr.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s: got exit status %d, want %d", args[1], got, want)
	}
}

// cmdValidJSON checks that a file (or stdout) holds exactly one JSON value.
//
//	validjson stdout
func cmdValidJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: validjson file")
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, trailing := dec.Token(); trailing != io.EOF {
			err = errors.New("trailing data after the first value")
		}
	}

	switch {
	case err != nil && !neg:
		ts.Fatalf("%s: got invalid JSON (%v), want one JSON value", args[0], err)
	case err == nil && neg:
		ts.Fatalf("%s: got valid JSON, want invalid", args[0])
	}
}

// cmdSetMatch sets an environment variable of the script to the first
// group of a regular expression in the last command's stdout, so a later
// command can name what an earlier one created.
//
//	setmatch ID '^client_id: +(\S+)$'
func cmdSetMatch(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setmatch NAME REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	if err != nil {
		ts.Fatalf("setmatch: %v", err)
	}
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("setmatch: no match for %q in stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
}
