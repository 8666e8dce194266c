package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/dian/diantest"
)

func dianRun(vars map[string]string, stdin string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	env := Env{Getenv: func(k string) string { return vars[k] }, Stdin: strings.NewReader(stdin),
		Stdout: &out, Stderr: &errOut}
	err := commands()[args[0]].run(context.Background(), env, args[1:])
	return out.String(), errOut.String(), err
}

// TestDIANCertCommands: import with the password from the environment and
// from stdin, status, the 30-day warning in `doctor`; the password never
// appears in what the commands print.
func TestDIANCertCommands(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CERROJO_DATA_DIR": dir}
	if _, _, err := dianRun(vars, "", "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	soon := diantest.NewCertificate(t, time.Now().Add(10*24*time.Hour))
	file := filepath.Join(dir, "cert.p12")
	if err := os.WriteFile(file, soon.P12, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dianRun(vars, "wrong\n", "dian", "cert", "import", file); err == nil {
		t.Fatal("wrong password accepted")
	}
	out, errOut, err := dianRun(vars, soon.Password+"\n", "dian", "cert", "import", file)
	if err != nil || !strings.Contains(errOut, "warning: ") ||
		!strings.Contains(out, "fingerprint") {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	out2, _, err := dianRun(vars, "", "dian", "cert", "status")
	if err != nil || !strings.Contains(out2, "MARKETPLACE DE PRUEBA") {
		t.Fatal(err, out2)
	}
	doc, _, _ := dianRun(vars, "", "doctor")
	if !strings.Contains(doc, "warn") || !strings.Contains(doc, "dian certificate") {
		t.Fatalf("doctor does not warn: %s", doc)
	}
	later := diantest.NewCertificate(t, time.Now().Add(200*24*time.Hour))
	_ = os.WriteFile(file, later.P12, 0o600)
	vars["CERROJO_DIAN_CERT_PASSWORD"] = later.Password
	out3, errOut3, err := dianRun(vars, "", "dian", "cert", "import", file)
	// The node's start-up log still warns about the certificate being
	// replaced; the command itself must not.
	if err != nil || strings.Contains(errOut3, "warning: ") {
		t.Fatal(err, errOut3)
	}
	doc, _, _ = dianRun(vars, "", "doctor")
	for _, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, "dian certificate") && !strings.HasPrefix(l, "ok") {
			t.Fatalf("doctor: %s", l)
		}
	}
	for _, s := range []string{out, errOut, out2, doc, out3, errOut3} {
		if strings.Contains(s, soon.Password) || strings.Contains(s, later.Password) {
			t.Fatal("a password was printed")
		}
	}
}
