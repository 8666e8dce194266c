package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/habeasdata"
)

// TestComplianceRNBD prints the RNBD report of a node whose privacy policy
// is published: the purposes come from the policy, the controller from the
// file, and a wrong NIT or a file that repeats the purposes is refused.
func TestComplianceRNBD(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Admin.ListenAddr = ""
	env := func(stdout, stderr *bytes.Buffer) Env {
		return Env{Getenv: func(k string) string {
			if k == "CERROJO_DATA_DIR" {
				return cfg.DataDir
			}
			return ""
		}, Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr}
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	controller := write("controller.json", `{"controller":{"name":"Mercado Ejemplo S.A.S.",
		"nit":"900373115-3","address":"Calle 1 # 2-3","email":"datos@mercado.example",
		"phone":"+57 601 555 0100"},"policy_url":"https://mercado.example/privacidad",
		"channels":{"email":"datos@mercado.example","url":"https://mercado.example/datos"},
		"measures":{"tls":true,"backups":"diarias, cifradas, 30 días"}}`)

	var stdout, stderr bytes.Buffer
	ctx := context.Background()
	err := runCompliance(ctx, env(&stdout, &stderr), []string{"rnbd", "--controller",
		controller})
	if err == nil || !strings.Contains(err.Error(), "no privacy policy") {
		t.Fatalf("without a policy: %v", err)
	}

	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.HabeasData.PublishPolicy(ctx, habeasdata.NewPolicy{Version: "2026-1",
		Text: "Política", Purposes: []habeasdata.Purpose{
			{Code: "purchases", Description: "Gestionar sus compras.", Required: true},
			{Code: "marketing_whatsapp", Description: "Enviarle ofertas por WhatsApp."}}},
		audit.Actor{Type: audit.ActorSystem, ID: "test"}, audit.Event{})
	a.Close()
	if err != nil {
		t.Fatal(err)
	}

	stdout.Reset()
	if err := runCompliance(ctx, env(&stdout, &stderr), []string{"rnbd", "--controller",
		controller}); err != nil {
		t.Fatalf("rnbd: %v %s", err, stderr.String())
	}
	md := stdout.String()
	for _, want := range []string{"Registro Nacional de Bases de Datos", "900.373.115-3",
		"Enviarle ofertas por WhatsApp.", "2026-1", "diarias, cifradas"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	stdout.Reset()
	if err := runCompliance(ctx, env(&stdout, &stderr), []string{"rnbd", "--controller",
		controller, "--json"}); err != nil {
		t.Fatal(err)
	}
	var report map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("--json is not JSON: %v", err)
	}

	bad := write("bad.json", `{"controller":{"name":"X","nit":"900373115-4"}}`)
	if err := runCompliance(ctx, env(&stdout, &stderr), []string{"rnbd", "--controller",
		bad}); err == nil || !strings.Contains(err.Error(), "NIT") {
		t.Fatalf("a wrong check digit: %v", err)
	}
	dup := write("dup.json", `{"purposes":[{"code":"x","description":"y"}]}`)
	if err := runCompliance(ctx, env(&stdout, &stderr), []string{"rnbd", "--controller",
		dup}); err == nil || !strings.Contains(err.Error(), "privacy policy in effect") {
		t.Fatalf("purposes in the file: %v", err)
	}
}
