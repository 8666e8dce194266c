package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/openid"
)

const clientsUsage = "say create, list, show, disable or rotate-secret"

func runClients(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{clientsUsage}
	}
	switch args[0] {
	case "create":
		return runClientsCreate(ctx, env, args[1:])
	case "list":
		return runClientsList(ctx, env, args[1:])
	case "show":
		return runClientsShow(ctx, env, args[1:])
	case "disable":
		return runClientsDisable(ctx, env, args[1:])
	case "rotate-secret":
		return runClientsRotateSecret(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; %s", args[0], clientsUsage)}
}

// secretWarning follows a secret printed once, at creation or rotation.
const secretWarning = "Keep the secret now: it is not stored and cannot be shown again."

// clientView is a client as the admin API shows it (openid.ClientJSON),
// so that --json output and the API agree.
func clientView(c clients.Client, secret string) openid.ClientJSON {
	out := openid.ClientJSON{ID: c.ID, Name: c.Name, Type: string(c.Type),
		ApplicationType: string(c.AppType), FirstParty: c.FirstParty,
		RedirectURIs: orEmpty(c.RedirectURIs), PostLogoutRedirectURIs: orEmpty(
			c.PostLogoutRedirectURIs), GrantTypes: orEmpty(c.GrantTypes),
		Scopes: orEmpty(c.Scopes), CreatedAt: c.CreatedAt, Secret: secret}
	if !c.DisabledAt.IsZero() {
		out.DisabledAt = &c.DisabledAt
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// clientsActor is the audit actor of client changes made here; the admin
// API records the same actions as the system "admin".
var clientsActor = audit.Actor{Type: audit.ActorSystem, ID: "cli"}

func auditClient(ctx context.Context, a *app.App, action, clientID string) error {
	_, err := a.Audit.Record(ctx, audit.Event{Actor: clientsActor, Action: action,
		Outcome: audit.OutcomeSuccess, Target: audit.Target{Type: "client", ID: clientID}})
	return err
}

// loadClient gets a client by id, saying plainly when there is none.
func loadClient(ctx context.Context, a *app.App, id string) (clients.Client, error) {
	c, err := a.Clients.Get(ctx, id)
	if errors.Is(err, clients.ErrNotFound) {
		return c, fmt.Errorf("no client has the id %q (see cerrojo clients list)", id)
	}
	return c, err
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runClientsCreate(ctx context.Context, env Env, args []string) error {
	fs := newFlags("clients create", env)
	configPath := configFlag(fs)
	name := fs.String("name", "", "a name people recognise, such as catalog-service")
	typ := fs.String("type", "confidential", "public (apps) or confidential (servers)")
	appType := fs.String("application-type", "web",
		"web (server-side), native (mobile or desktop, RFC 8252) or user_agent (single-page)")
	firstParty := fs.Bool("first-party", false, "the marketplace's own client (no consent page)")
	var redirects, logoutRedirects, grants, scopes listFlag
	fs.Var(&redirects, "redirect-uri", "an exact redirect URI (repeatable)")
	fs.Var(&logoutRedirects, "post-logout-redirect-uri",
		"an exact URI to return to after logout (repeatable)")
	fs.Var(&grants, "grant", "an allowed grant type (repeatable)")
	fs.Var(&scopes, "scope", "an allowed scope (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON, as POST /v1/admin/clients does")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo clients create --name NAME [--type TYPE] "+
			"[--application-type TYPE] [--grant GRANT]... [--redirect-uri URI]... "+
			"[--post-logout-redirect-uri URI]... [--scope SCOPE]... [--first-party] [--json]")
		fmt.Fprintln(env.Stderr, "Registers an OAuth client. A confidential client's secret "+
			"is printed once. Grants: authorization_code, refresh_token, client_credentials.")
		fs.PrintDefaults()
	}
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
		Type: clients.Type(*typ), AppType: clients.AppType(*appType), FirstParty: *firstParty,
		RedirectURIs: redirects, PostLogoutRedirectURIs: logoutRedirects, GrantTypes: grants,
		Scopes: scopes})
	if err != nil {
		return err
	}
	if err := auditClient(ctx, a, "oauth.client_created", c.ID); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, clientView(c, secret))
	}
	fmt.Fprintf(env.Stdout, "client_id:     %s\n", c.ID)
	if secret != "" {
		fmt.Fprintf(env.Stdout, "client_secret: %s\n", secret)
		fmt.Fprintln(env.Stdout, secretWarning)
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
			AppType    string   `json:"application_type"`
			FirstParty bool     `json:"first_party"`
			Redirects  []string `json:"redirect_uris"`
			Grants     []string `json:"grant_types"`
			Disabled   bool     `json:"disabled"`
		}
		out := []row{}
		for _, c := range list {
			out = append(out, row{c.ID, c.Name, string(c.Type), string(c.AppType),
				c.FirstParty, orEmpty(c.RedirectURIs), orEmpty(c.GrantTypes),
				!c.DisabledAt.IsZero()})
		}
		return writeJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT ID\tNAME\tTYPE\tAPPLICATION\tGRANTS\tSTATE")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Type, c.AppType,
			orNone(strings.Join(c.GrantTypes, ",")), clientState(c))
	}
	return tw.Flush()
}

func clientState(c clients.Client) string {
	if c.DisabledAt.IsZero() {
		return "active"
	}
	return "disabled"
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runClientsDisable(ctx context.Context, env Env, args []string) error {
	fs := newFlags("clients disable", env)
	configPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo clients disable [--config FILE] CLIENT_ID")
		fmt.Fprintln(env.Stderr, "Stops the client from authenticating; it cannot be undone.")
		fs.PrintDefaults()
	}
	a, id, err := openForClient(ctx, env, fs, *configPath, args)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Clients.Disable(ctx, id); err != nil {
		return err
	}
	if err := auditClient(ctx, a, "oauth.client_disabled", id); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "disabled %s\n", id)
	return nil
}

func runClientsShow(ctx context.Context, env Env, args []string) error {
	fs := newFlags("clients show", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON, as GET /v1/admin/clients/{id} does")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo clients show [--config FILE] [--json] CLIENT_ID")
		fmt.Fprintln(env.Stderr, "Prints a client's registration; never its secret.")
		fs.PrintDefaults()
	}
	a, id, err := openForClient(ctx, env, fs, *configPath, args)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := loadClient(ctx, a, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, clientView(c, ""))
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	line("client_id", c.ID)
	line("name", c.Name)
	line("type", string(c.Type))
	line("application_type", string(c.AppType))
	line("first_party", fmt.Sprint(c.FirstParty))
	line("grant_types", orNone(strings.Join(c.GrantTypes, " ")))
	line("scopes", orNone(strings.Join(c.Scopes, " ")))
	for _, l := range []struct {
		key  string
		uris []string
	}{{"redirect_uris", c.RedirectURIs}, {"post_logout_redirect_uris",
		c.PostLogoutRedirectURIs}} {
		if len(l.uris) == 0 {
			line(l.key, "-")
		}
		for _, u := range l.uris {
			line(l.key, u)
		}
	}
	line("created_at", c.CreatedAt.UTC().Format(time.RFC3339))
	state := clientState(c)
	if !c.DisabledAt.IsZero() {
		state += " since " + c.DisabledAt.UTC().Format(time.RFC3339)
	}
	line("state", state)
	return tw.Flush()
}

func runClientsRotateSecret(ctx context.Context, env Env, args []string) error {
	fs := newFlags("clients rotate-secret", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false,
		"print JSON, as POST /v1/admin/clients/{id}/rotate-secret does")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo clients rotate-secret [--config FILE] "+
			"[--json] CLIENT_ID")
		fmt.Fprintln(env.Stderr, "Gives a confidential client a new secret, printed once; "+
			"the old one stops working at once.")
		fs.PrintDefaults()
	}
	a, id, err := openForClient(ctx, env, fs, *configPath, args)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := loadClient(ctx, a, id)
	if err != nil {
		return err
	}
	if c.Type != clients.Confidential {
		return fmt.Errorf("%s is a public client: it has no secret to rotate", c.ID)
	}
	secret, err := a.Clients.RotateSecret(ctx, c.ID)
	if err != nil {
		return err
	}
	if err := auditClient(ctx, a, "oauth.client_secret_rotated", c.ID); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, clientView(c, secret))
	}
	fmt.Fprintf(env.Stdout, "client_id:     %s\n", c.ID)
	fmt.Fprintf(env.Stdout, "client_secret: %s\n", secret)
	fmt.Fprintln(env.Stdout, secretWarning)
	fmt.Fprintln(env.Stdout, "The old secret stopped working: deploy the new one now.")
	return nil
}

// openForClient parses the flags of a command that takes one client id,
// and opens the node.
func openForClient(ctx context.Context, env Env, fs *flag.FlagSet, configPath string,
	args []string) (*app.App, string, error) {
	if err := parse(fs, args); err != nil {
		return nil, "", err
	}
	if fs.NArg() != 1 {
		return nil, "", usageError{"name one client id"}
	}
	a, err := openNode(ctx, env, configPath)
	if err != nil {
		return nil, "", err
	}
	return a, fs.Arg(0), nil
}
