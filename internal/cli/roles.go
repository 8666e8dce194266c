package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cerrojo/cerrojo/internal/authz"
)

// runRoles manages role bindings from the command line: the way to make
// the first super_admin, and a way in when no one can use the API. It acts
// as the system, like the admin listener, and every change is audited.
func runRoles(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say grant, revoke or list"}
	}
	switch args[0] {
	case "grant", "revoke":
		return runRolesChange(ctx, env, args[0], args[1:])
	case "list":
		return runRolesList(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say grant, revoke or list", args[0])}
}

// cliActor is who the audit log says made a change from the command line.
var cliActor = authz.Actor{System: "cli"}

func runRolesChange(ctx context.Context, env Env, verb string, args []string) error {
	fs := newFlags("roles "+verb, env)
	configPath := configFlag(fs)
	role := fs.String("role", "", "the role, such as super_admin or vendor_owner")
	vendor := fs.String("vendor", "", "the vendor a vendor-scoped role applies to")
	var expires *string
	if verb == "grant" {
		expires = fs.String("expires", "", "when the binding ends, RFC 3339; empty for never")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *role == "" {
		return usageError{"name one user id or email, and --role"}
	}
	var exp time.Time
	if expires != nil && *expires != "" {
		t, err := time.Parse(time.RFC3339, *expires)
		if err != nil {
			return usageError{"--expires must be an RFC 3339 time, such as 2027-01-31T00:00:00Z"}
		}
		exp = t
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := findUser(ctx, a, fs.Arg(0))
	if err != nil {
		return err
	}
	m := authz.Meta{RequestID: "cli-roles-" + verb}
	if verb == "revoke" {
		if err := a.Authz.Revoke(ctx, cliActor, u.ID, *role, *vendor, m); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %s from %s\n", scopeOf(*role, *vendor), u.ID)
		return nil
	}
	_, replaced, err := a.Authz.Grant(ctx, cliActor, authz.GrantInput{UserID: u.ID, Role: *role,
		Vendor: *vendor, ExpiresAt: exp}, m)
	if err != nil {
		return err
	}
	what := "granted"
	if replaced {
		what = "renewed"
	}
	fmt.Fprintf(env.Stdout, "%s %s to %s\n", what, scopeOf(*role, *vendor), u.ID)
	return nil
}

func scopeOf(role, vendor string) string {
	if vendor == "" {
		return role
	}
	return role + " in vendor " + vendor
}

func runRolesList(ctx context.Context, env Env, args []string) error {
	fs := newFlags("roles list", env)
	configPath := configFlag(fs)
	vendor := fs.String("vendor", "", "list the people holding roles in this vendor instead")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (fs.NArg() == 1) == (*vendor != "") {
		return usageError{"name one user id or email, or give --vendor"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	var grants []authz.Grant
	if *vendor != "" {
		grants, err = a.Authz.Store().Holders(ctx, *vendor, "", 0)
	} else {
		u, ferr := findUser(ctx, a, fs.Arg(0))
		if ferr != nil {
			return ferr
		}
		grants, err = a.Authz.Store().ForUser(ctx, u.ID)
	}
	if err != nil {
		return err
	}
	return printGrants(env, grants, *asJSON)
}

func printGrants(env Env, grants []authz.Grant, asJSON bool) error {
	if asJSON {
		type row struct {
			UserID    string `json:"user_id"`
			Role      string `json:"role"`
			Vendor    string `json:"vendor,omitempty"`
			GrantedBy string `json:"granted_by"`
			GrantedAt string `json:"granted_at"`
			ExpiresAt string `json:"expires_at,omitempty"`
		}
		out := []row{}
		for _, g := range grants {
			r := row{g.UserID, g.Role, g.Vendor, g.GrantedBy, g.GrantedAt.Format(time.RFC3339), ""}
			if !g.ExpiresAt.IsZero() {
				r.ExpiresAt = g.ExpiresAt.Format(time.RFC3339)
			}
			out = append(out, r)
		}
		return writeJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLE\tVENDOR\tGRANTED BY\tEXPIRES")
	for _, g := range grants {
		vendor, exp := g.Vendor, "never"
		if vendor == "" {
			vendor = "(global)"
		}
		if !g.ExpiresAt.IsZero() {
			exp = g.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.UserID, g.Role, vendor, g.GrantedBy, exp)
	}
	return tw.Flush()
}
