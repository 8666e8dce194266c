// Command vulngate classifies the JSON output of govulncheck (v1.9.0,
// "-format json", protocol v1.0.0) read from standard input, for
// scripts/vulncheck.
//
// Only findings at symbol level count: a "finding" message whose first trace
// frame names a function, meaning the code really calls the vulnerable symbol.
// Findings at module or package level (imported or required but not called)
// are ignored. Each called vulnerability is reported once:
//
//   - in module "stdlib" or "toolchain": printed as a WARNING with the Go
//     release that fixes it; it does not fail the gate;
//   - in any other module: printed as a FAIL with found and fixed versions.
//
// It ends with a one-line summary that names the Go release fixing every
// standard-library finding (the highest fixed version). Exit status: 0 when
// no module finding, 1 when at least one, 2 when the input is not govulncheck
// JSON output.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Receiver string `json:"receiver"`
	Function string `json:"function"`
}

type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		GoVersion      string `json:"go_version"`
		ScanLevel      string `json:"scan_level"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

// Vuln is one called vulnerability in one module.
type Vuln struct {
	ID, Summary, Module, Found, Fixed string
	Trace                             []string // example call path, outermost caller first
	Stdlib                            bool
}

// Report is the classified result of one govulncheck run.
type Report struct {
	GoVersion string
	Modules   []Vuln // fail the gate
	Stdlib    []Vuln // warnings only
	MaxGoFix  string // highest stdlib fixed version, "" if none known
	Unfixed   int    // stdlib findings with no fixed version yet
}

func (f frame) name() string {
	s := f.Package
	if f.Receiver != "" {
		s += "." + strings.TrimPrefix(f.Receiver, "*")
	}
	return s + "." + f.Function
}

// Classify reads a govulncheck JSON stream and classifies its called findings.
func Classify(r io.Reader) (*Report, error) {
	dec := json.NewDecoder(r)
	rep := &Report{}
	summaries := map[string]string{}
	seen := map[string]bool{}
	var all []*Vuln
	sawConfig := false
	for {
		var m message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decoding govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			sawConfig = true
			rep.GoVersion = m.Config.GoVersion
			if m.Config.ScanLevel != "" && m.Config.ScanLevel != "symbol" {
				return nil, fmt.Errorf("scan level is %q, want symbol", m.Config.ScanLevel)
			}
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil:
			t := m.Finding.Trace
			if len(t) == 0 || t[0].Function == "" {
				continue // module or package level: not called
			}
			std := t[0].Module == "stdlib" || t[0].Module == "toolchain"
			key := m.Finding.OSV + " " + t[0].Module
			if std {
				key = m.Finding.OSV + " stdlib"
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			v := &Vuln{ID: m.Finding.OSV, Module: t[0].Module, Found: t[0].Version,
				Fixed: m.Finding.FixedVersion, Stdlib: std}
			for i := len(t) - 1; i >= 0; i-- {
				v.Trace = append(v.Trace, t[i].name())
			}
			all = append(all, v)
		}
	}
	if !sawConfig {
		return nil, fmt.Errorf("no config message: not govulncheck JSON output")
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID+all[i].Module < all[j].ID+all[j].Module })
	for _, v := range all {
		v.Summary = summaries[v.ID]
		if v.Stdlib {
			rep.Stdlib = append(rep.Stdlib, *v)
			if v.Fixed == "" {
				rep.Unfixed++
			} else if rep.MaxGoFix == "" || compareVersions(v.Fixed, rep.MaxGoFix) > 0 {
				rep.MaxGoFix = v.Fixed
			}
		} else {
			rep.Modules = append(rep.Modules, *v)
		}
	}
	return rep, nil
}

// goVersion turns a stdlib semver ("v1.26.9") into a Go release name ("go1.26.9").
func goVersion(v string) string {
	if v == "" {
		return "none yet"
	}
	return "go" + strings.TrimPrefix(v, "v")
}

// compareVersions compares versions such as v1.26.9 or v1.27.0-rc.1
// (a release sorts after its pre-releases).
func compareVersions(a, b string) int {
	key := func(v string) (n [3]int, pre string) {
		v, pre, _ = strings.Cut(strings.TrimPrefix(v, "v"), "-")
		for i, p := range strings.SplitN(v, ".", 3) {
			n[i], _ = strconv.Atoi(p)
		}
		if pre == "" {
			pre = "~" // sorts after any pre-release
		}
		return n, pre
	}
	an, ap := key(a)
	bn, bp := key(b)
	for i := range an {
		if c := an[i] - bn[i]; c != 0 {
			return c
		}
	}
	return strings.Compare(ap, bp)
}

// path shows an example call path, eliding the middle of long ones.
func path(t []string) string {
	if len(t) > 5 {
		t = append(append(t[:2:2], "..."), t[len(t)-2:]...)
	}
	return strings.Join(t, " -> ")
}

// Print writes the human-readable report.
func (rep *Report) Print(w io.Writer) {
	for _, v := range rep.Stdlib {
		fmt.Fprintf(w, "vulncheck: WARNING %s in the standard library (%s, fixed in %s): %s\n    called via %s\n",
			v.ID, goVersion(v.Found), goVersion(v.Fixed), v.Summary, path(v.Trace))
	}
	for _, v := range rep.Modules {
		fixed := v.Fixed
		if fixed == "" {
			fixed = "no fixed version yet"
		}
		fmt.Fprintf(w, "vulncheck: FAIL %s in module %s: found %s, fixed in %s: %s\n    called via %s\n",
			v.ID, v.Module, v.Found, fixed, v.Summary, path(v.Trace))
	}
	line := fmt.Sprintf("vulncheck: %d module findings, %d standard-library findings", len(rep.Modules), len(rep.Stdlib))
	if len(rep.Stdlib) > 0 {
		line += fmt.Sprintf(" (fixed in a newer Go: %s; scanned with %s)", goVersion(rep.MaxGoFix), rep.GoVersion)
	}
	fmt.Fprintln(w, line)
	if rep.MaxGoFix != "" {
		fmt.Fprintf(w, "vulncheck: Go release fixing all standard-library findings: %s (build releases with it or newer)\n", goVersion(rep.MaxGoFix))
	}
	if rep.Unfixed > 0 {
		fmt.Fprintf(w, "vulncheck: %d standard-library findings have no fixed Go release yet\n", rep.Unfixed)
	}
}

func main() {
	rep, err := Classify(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	rep.Print(os.Stdout)
	if len(rep.Modules) > 0 {
		os.Exit(1)
	}
}
