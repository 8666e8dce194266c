//go:build unix

package cli_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestQuickstart follows docs/quickstart.md step by step: the sh blocks of
// its English section, verbatim and in order, run as one bash script
// (set -euo pipefail) from the repository root, so the document's own
// commands build cerrojo, start a fresh server, register and verify a
// person, sign in, register an OAuth client, grant a role and ask the check
// API. The test only chooses free ports and a temporary directory. The
// Spanish section must hold the same commands, comments aside.
func TestQuickstart(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the quickstart needs %s: %v", tool, err)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "quickstart.md"))
	if err != nil {
		t.Fatal(err)
	}
	es := shBlocks(t, section(t, string(doc), "## Español"))
	en := shBlocks(t, section(t, string(doc), "## English"))
	if len(en) < 10 {
		t.Fatalf("the English section has %d sh blocks; want the whole journey", len(en))
	}
	if len(es) != len(en) {
		t.Fatalf("Español has %d sh blocks, English %d", len(es), len(en))
	}
	for i := range en {
		if a, b := commands(es[i]), commands(en[i]); a != b {
			t.Errorf("sh block %d differs between the sections:\nEspañol:\n%s\nEnglish:\n%s",
				i+1, a, b)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The trap stops whatever the script left running (the server, when a
	// step fails before the document stops it).
	script := "set -euo pipefail\n" +
		"trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
	for i, b := range en {
		script += "\n# --- step " + strconv.Itoa(i+1) + " ---\n" + b
	}
	tmp := t.TempDir()
	scriptPath := filepath.Join(tmp, "quickstart.sh")
	if err := os.WriteFile(scriptPath, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", scriptPath)
	cmd.Dir = root
	cmd.Env = append(quickstartEnv(), goflags(),
		"TMPDIR="+tmp,
		"PORT="+strconv.Itoa(freePort(t)),
		"ADMIN_PORT="+strconv.Itoa(freePort(t)),
	)
	// Its own process group, so a timeout kills the server with the script.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything left behind
	}
	t.Logf("the quickstart ran in %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(tmp, "*", "cerrojo.log"))
		for _, l := range logs {
			if b, rerr := os.ReadFile(l); rerr == nil {
				t.Logf("%s:\n%s", l, b)
			}
		}
		t.Fatalf("the quickstart failed: %v\nscript:\n%s\noutput:\n%s", err, script, out.String())
	}
	t.Logf("output:\n%s", out.String())
}

// quickstartEnv is the test's environment without cerrojo's own settings,
// so that a newcomer's defaults are what the document runs with.
func quickstartEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "CERROJO_"), name == "PORT", name == "ADMIN_PORT",
			name == "TMPDIR", name == "WORK", name == "API", name == "GOFLAGS":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// goflags builds the document's `go build` with this test binary's -race
// and -tags, so that it reuses the packages `go test` compiled (a build
// with other flags compiles everything again: minutes on a cold cache).
func goflags() string {
	flags := os.Getenv("GOFLAGS")
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "-race" && s.Value == "true":
				flags += " -race"
			case s.Key == "-tags" && s.Value != "":
				flags += " -tags=" + s.Value
			}
		}
	}
	return "GOFLAGS=" + strings.TrimSpace(flags)
}

// section returns the part of doc from the heading to the next heading of
// the same level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("docs/quickstart.md has no %q section", heading)
	}
	rest := doc[i+len(heading)+2:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

var shBlock = regexp.MustCompile("(?ms)^```sh\n(.*?)^```$")

func shBlocks(t *testing.T, s string) []string {
	t.Helper()
	var blocks []string
	for _, m := range shBlock.FindAllStringSubmatch(s, -1) {
		blocks = append(blocks, m[1])
	}
	if strings.Count(s, "```")%2 != 0 {
		t.Fatal("an unclosed code block")
	}
	return blocks
}

// commands is a block without its comment lines and blank lines.
func commands(block string) string {
	var b strings.Builder
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// freePort asks the kernel for a port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
