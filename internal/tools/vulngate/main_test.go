package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// testdata/sample.json is trimmed govulncheck v1.9.0 output for a program
// that calls golang.org/x/text@v0.3.7 language.ParseAcceptLanguage (GO-2022-1059),
// net/http.Get (GO-2026-6610, fixed in Go 1.26.9) and
// crypto/x509.Certificate.Verify (GO-2026-6809, fixed in Go 1.26.10). It also
// holds module- and package-level findings (GO-2026-5970, GO-2026-6604) and
// duplicate traces, which must not count.
func TestClassifySample(t *testing.T) {
	f, err := os.Open("testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Classify(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Modules) != 1 {
		t.Fatalf("module findings = %+v, want 1", rep.Modules)
	}
	m := rep.Modules[0]
	if m.ID != "GO-2022-1059" || m.Module != "golang.org/x/text" || m.Found != "v0.3.7" || m.Fixed != "v0.3.8" {
		t.Errorf("module finding = %+v", m)
	}
	if !strings.Contains(m.Summary, "Accept-Language") {
		t.Errorf("summary = %q", m.Summary)
	}
	if got := path(m.Trace); got != "example.com/bad.main -> golang.org/x/text/language.ParseAcceptLanguage" {
		t.Errorf("trace = %q", got)
	}
	var ids []string
	for _, v := range rep.Stdlib {
		ids = append(ids, v.ID)
	}
	if got := strings.Join(ids, ","); got != "GO-2026-6610,GO-2026-6809" {
		t.Errorf("stdlib findings = %s", got)
	}
	if rep.MaxGoFix != "v1.26.10" || rep.GoVersion != "go1.26.8" {
		t.Errorf("MaxGoFix = %q, GoVersion = %q", rep.MaxGoFix, rep.GoVersion)
	}

	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{
		"FAIL GO-2022-1059 in module golang.org/x/text: found v0.3.7, fixed in v0.3.8",
		"WARNING GO-2026-6809 in the standard library (go1.26.8, fixed in go1.26.10)",
		"vulncheck: 1 module findings, 2 standard-library findings (fixed in a newer Go: go1.26.10",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestClassifyClean(t *testing.T) {
	rep, err := Classify(strings.NewReader(`{"config":{"go_version":"go1.26.8","scan_level":"symbol"}}
{"finding":{"osv":"GO-2026-6604","fixed_version":"v1.26.9","trace":[{"module":"stdlib","version":"v1.26.8","package":"os"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Modules)+len(rep.Stdlib) != 0 {
		t.Errorf("got findings %+v", rep)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if got := out.String(); got != "vulncheck: 0 module findings, 0 standard-library findings\n" {
		t.Errorf("output = %q", got)
	}
}

func TestClassifyRejectsOtherInput(t *testing.T) {
	for _, in := range []string{"", "not json", `{"osv":{"id":"GO-1"}}`,
		`{"config":{"scan_level":"module"}}`} {
		if _, err := Classify(strings.NewReader(in)); err == nil {
			t.Errorf("Classify(%q) succeeded", in)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{
		{"v1.26.10", "v1.26.9", 1},
		{"v1.26.9", "v1.26.9", 0},
		{"v1.25.12", "v1.26.0", -1},
		{"v1.27.0-rc.1", "v1.27.0", -1},
		{"v1.27.0", "v1.26.99", 1},
	} {
		got := compareVersions(c.a, c.b)
		if (got > 0) != (c.sign > 0) || (got < 0) != (c.sign < 0) {
			t.Errorf("compareVersions(%s, %s) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
}
