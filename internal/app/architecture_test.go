package app

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cerrojo/cerrojo"

// TestImportDirection holds the code to the shape docs/architecture.md
// draws: imports run from the wiring (cmd, cli, app) down to capabilities,
// and from capabilities down to shared infrastructure, never back up.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`,
		module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		for _, d := range strings.Fields(deps) {
			if strings.HasPrefix(d, module) {
				imports[short(pkg)] = append(imports[short(pkg)], short(d))
			}
		}
		if _, ok := imports[short(pkg)]; !ok {
			imports[short(pkg)] = nil
		}
	}

	// Who may import the wiring packages.
	allowed := map[string][]string{
		"cmd/cerrojo":     nil, // a command: nobody imports it
		"internal/cli":    {"cmd/cerrojo"},
		"internal/app":    {"internal/cli", "bench"},
		"internal/server": {"internal/app"},
	}
	// Packages that must stay free of any other cerrojo package, because
	// they are pure rules or the base everything else stands on.
	leaves := []string{"internal/buildinfo", "internal/clock", "internal/config",
		"internal/httpx", "internal/storage", "internal/docid", "internal/calendar",
		"internal/redisconn", "internal/scrub", "internal/randid", "sdk/authz"}

	for pkg, deps := range imports {
		for _, d := range deps {
			if who, ok := allowed[d]; ok && !contains(who, pkg) {
				t.Errorf("%s imports %s; only %v may", pkg, d, who)
			}
			if pkg == "sdk" || strings.HasPrefix(pkg, "sdk/") {
				if strings.HasPrefix(d, "internal/") {
					t.Errorf("sdk imports %s; the public SDK cannot depend on internal code", d)
				}
			}
		}
		if contains(leaves, pkg) && len(deps) > 0 {
			t.Errorf("%s imports %v; it must not import other cerrojo packages", pkg, deps)
		}
	}
}

func short(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
