package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cerrojo/cerrojo/internal/habeasdata"
	"github.com/cerrojo/cerrojo/internal/rnbd"
)

// runCompliance produces the documents a compliance officer files.
func runCompliance(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "rnbd" {
		return usageError{"say rnbd"}
	}
	return runComplianceRNBD(ctx, env, args[1:])
}

// maxControllerFile bounds the controller description read from disk.
const maxControllerFile = 1 << 20

// runComplianceRNBD prints the report for the Registro Nacional de Bases de
// Datos (Ley 1581 de 2012 art. 25): cerrojo's own schema, the purposes of
// the privacy policy in effect and the security measures its configuration
// sets, with what only the controller knows (its NIT, channels, processors,
// transfers, backups) read from a JSON file.
func runComplianceRNBD(ctx context.Context, env Env, args []string) error {
	fs := newFlags("compliance rnbd", env)
	configPath := configFlag(fs)
	controller := fs.String("controller", "", "JSON `file` describing the controller: "+
		"controller, policy_url, channels, processors, transfers, measures.tls and "+
		"measures.backups")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of Markdown")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *controller == "" {
		return usageError{"give --controller FILE"}
	}
	raw, err := os.ReadFile(*controller)
	if err != nil {
		return err
	}
	if len(raw) > maxControllerFile {
		return fmt.Errorf("%s: larger than %d bytes", *controller, maxControllerFile)
	}
	var in rnbd.Input
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("%s: %w", *controller, err)
	}
	if len(in.Purposes) > 0 || in.PolicyVersion != "" {
		return fmt.Errorf("%s: purposes and policy_version come from the privacy policy in "+
			"effect; remove them from the file", *controller)
	}

	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	policy, err := a.HabeasData.CurrentPolicy(ctx)
	if errors.Is(err, habeasdata.ErrNoPolicy) {
		return errors.New("no privacy policy is in effect: publish one first " +
			"(POST /v1/admin/habeas-data/policies)")
	}
	if err != nil {
		return err
	}
	in.PolicyVersion = policy.Version
	for _, p := range policy.Purposes {
		in.Purposes = append(in.Purposes, rnbd.Purpose{Code: p.Code,
			Description: p.Description, Sensitive: p.Sensitive})
	}
	m := rnbd.MeasuresFromConfig(a.Config)
	m.TLS = m.TLS || in.Measures.TLS
	m.Backups = in.Measures.Backups
	in.Measures = m
	if err := in.Validate(); err != nil {
		return fmt.Errorf("%s: %w", *controller, err)
	}
	report := rnbd.Build(in)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	_, err = fmt.Fprint(env.Stdout, report.Markdown())
	return err
}
