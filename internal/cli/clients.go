package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/cerrojo/cerrojo/internal/clients"
)

func runClients(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say create, list or disable"}
	}
	switch args[0] {
	case "create":
		return runClientsCreate(ctx, env, args[1:])
	case "list":
		return runClientsList(ctx, env, args[1:])
	case "disable":
		return runClientsDisable(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say create, list or disable", args[0])}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runClientsCreate(ctx context.Context, env Env, args []string) error {
	fs := newFlags("clients create", env)
	configPath := configFlag(fs)
	name := fs.String("name", "", "a name people recognise, such as catalog-service")
	typ := fs.String("type", "confidential", "public (apps) or confidential (servers)")
	firstParty := fs.Bool("first-party", false, "the marketplace's own client (no consent page)")
	var redirects, grants, scopes listFlag
	fs.Var(&redirects, "redirect-uri", "an exact redirect URI (repeatable)")
	fs.Var(&grants, "grant", "an allowed grant type (repeatable)")
	fs.Var(&scopes, "scope", "an allowed scope (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"clients create takes only flags"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()

	c, secret, err := a.Clients.Create(ctx, clients.NewClient{Name: *name,
		Type: clients.Type(*typ), FirstParty: *firstParty, RedirectURIs: redirects,
		GrantTypes: grants, Scopes: scopes})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, map[string]any{"client_id": c.ID, "client_secret": secret,
			"type": c.Type, "name": c.Name})
	}
	fmt.Fprintf(env.Stdout, "client_id:     %s\n", c.ID)
	if secret != "" {
		fmt.Fprintf(env.Stdout, "client_secret: %s\n", secret)
		fmt.Fprintln(env.Stdout, "Keep the secret now: it is not stored and cannot be shown again.")
	}
	return nil
}

func runClientsList(ctx context.Context, env Env, args []string) error {
	fs := newFlags("clients list", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.Clients.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			ID         string   `json:"client_id"`
			Name       string   `json:"name"`
			Type       string   `json:"type"`
			FirstParty bool     `json:"first_party"`
			Redirects  []string `json:"redirect_uris"`
			Disabled   bool     `json:"disabled"`
		}
		out := []row{}
		for _, c := range list {
			out = append(out, row{c.ID, c.Name, string(c.Type), c.FirstParty, c.RedirectURIs,
				!c.DisabledAt.IsZero()})
		}
		return writeJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT ID\tNAME\tTYPE\tSTATE")
	for _, c := range list {
		state := "active"
		if !c.DisabledAt.IsZero() {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Type, state)
	}
	return tw.Flush()
}

func runClientsDisable(ctx context.Context, env Env, args []string) error {
	fs := newFlags("clients disable", env)
	configPath := configFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"name one client id"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Clients.Disable(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "disabled %s\n", fs.Arg(0))
	return nil
}
