package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityExampleLoads holds the production example in
// docs/security.md to the configuration: it must load under the pci-dss
// profile with no error, so the page cannot drift from the keys.
func TestSecurityExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/security.md has no yaml example")
	}
	path := filepath.Join(t.TempDir(), "cerrojo.yaml")
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Load(path, envOf(nil))
	if err != nil {
		t.Fatalf("the example in docs/security.md does not load: %v", err)
	}
	if cfg.Profile != ProfilePCIDSS || cfg.Password.MinLength != 12 {
		t.Errorf("the example is not under the pci-dss profile: %s, %d", cfg.Profile,
			cfg.Password.MinLength)
	}
}
