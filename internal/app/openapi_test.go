package app

import (
	"os"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		OperationID string                    `yaml:"operationId"`
		Summary     string                    `yaml:"summary"`
		Listener    string                    `yaml:"x-cerrojo-listener"`
		RequestBody map[string]any            `yaml:"requestBody"`
		Responses   map[string]map[string]any `yaml:"responses"`
	} `yaml:"paths"`
}

// TestOpenAPIMatchesRoutes keeps docs/openapi.yaml and the code in step:
// every route the code serves is described, on the right listener, and
// every described operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse docs/openapi.yaml: %v", err)
	}

	cfg := embeddedConfig(t)
	n := start(t, cfg)
	served := map[string][]string{
		"public": n.app.Server.Router().Patterns(),
		"admin":  n.app.Admin.Router().Patterns(),
	}

	described := map[string][]string{}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			switch op.Listener {
			case "public", "admin":
				described[op.Listener] = append(described[op.Listener], key)
			case "both":
				described["public"] = append(described["public"], key)
				described["admin"] = append(described["admin"], key)
			default:
				t.Errorf("%s: x-cerrojo-listener is %q, want public, admin or both", key,
					op.Listener)
			}
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s: lacks operationId or summary", key)
			}
			if ids[op.OperationID] {
				t.Errorf("%s: operationId %s is used twice", key, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s: describes no responses", key)
			}
			if op.RequestBody != nil {
				for _, code := range []string{"400", "413", "415"} {
					if _, ok := op.Responses[code]; !ok {
						t.Errorf("%s: takes a body but does not describe %s", key, code)
					}
				}
			}
		}
	}

	for _, listener := range []string{"public", "admin"} {
		code := sorted(served[listener])
		spec := sorted(described[listener])
		for _, missing := range difference(code, spec) {
			t.Errorf("%s listener serves %q, which docs/openapi.yaml does not describe",
				listener, missing)
		}
		for _, extra := range difference(spec, code) {
			t.Errorf("docs/openapi.yaml describes %q on the %s listener, which the code does "+
				"not serve", extra, listener)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// difference returns the members of a that are not in b.
func difference(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}
