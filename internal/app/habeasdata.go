package app

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/habeasdata"
	"github.com/cerrojo/cerrojo/internal/incidents"
)

// openHabeasData starts the Habeas Data ledger, with the export's sections
// and the suppression's erasers from the other capabilities.
func (a *App) openHabeasData() {
	a.HabeasData = habeasdata.New(habeasdata.Options{DB: a.DB, Ring: a.Ring, Audit: a.Audit,
		Clock: a.Clock, Logger: a.Logger, Notifier: a.mailer,
		Sources: a.exportSources(), Erasers: a.erasers()})
	a.Incidents = incidents.New(incidents.Options{DB: a.DB, Audit: a.Audit, Clock: a.Clock})
}

// exportSources are the sections of a person's export besides the Habeas
// Data ledger (Ley 1581 de 2012 art. 8 lit. a, art. 14).
func (a *App) exportSources() []habeasdata.Source {
	store := accounts.NewStore(a.DB)
	return []habeasdata.Source{
		{Name: "profile", Load: func(ctx context.Context, id string) (any, error) {
			u, err := store.UserByID(ctx, id)
			if errors.Is(err, accounts.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return map[string]any{"id": u.ID, "email": u.Email.Address,
				"email_verified": u.EmailVerified, "phone": u.Phone, "name": u.Name,
				"kind": u.Kind, "state": u.State, "locale": u.Locale,
				"created_at": u.CreatedAt, "updated_at": u.UpdatedAt}, nil
		}},
		{Name: "sessions", Load: func(ctx context.Context, id string) (any, error) {
			list, err := a.Sessions.List(ctx, id)
			out := make([]map[string]any, 0, len(list))
			for _, s := range list {
				out = append(out, map[string]any{"id": s.ID, "device": s.Device, "ip": s.IP,
					"client_id": s.ClientID, "acr": s.ACR, "amr": s.AMR,
					"created_at": s.CreatedAt, "last_seen_at": s.LastSeenAt})
			}
			return out, err
		}},
		{Name: "second_factors", Load: func(ctx context.Context, id string) (any, error) {
			list, err := a.MFA.Factors(ctx, id)
			out := make([]map[string]any, 0, len(list))
			for _, f := range list {
				out = append(out, map[string]any{"id": f.ID, "kind": f.Kind, "name": f.Name,
					"hint": f.Hint, "created_at": f.CreatedAt, "activated_at": f.ActivatedAt,
					"last_used_at": f.LastUsedAt})
			}
			return out, err
		}},
		{Name: "passkeys", Load: func(ctx context.Context, id string) (any, error) {
			return a.Passkeys.List(ctx, id)
		}},
		{Name: "roles", Load: func(ctx context.Context, id string) (any, error) {
			return a.Authz.Roles(ctx, id)
		}},
		// The provider's subject is left out of the API's list of
		// identities, but it is the titular's data: the export carries it.
		{Name: "social_identities", Load: func(ctx context.Context, id string) (any, error) {
			list, err := a.Social.Identities(ctx, id)
			out := make([]map[string]any, 0, len(list))
			for _, i := range list {
				out = append(out, map[string]any{"id": i.ID, "provider": i.Provider,
					"subject": i.Subject, "email": i.Email, "created_at": i.CreatedAt,
					"last_used_at": i.LastUsedAt})
			}
			return out, err
		}},
		{Name: "connected_apps", Load: func(ctx context.Context, id string) (any, error) {
			return a.OpenID.Grants(ctx, id)
		}},
		{Name: "audit_records", Load: a.auditAbout},
	}
}

// maxExportRecords bounds the audit records in one export; a person with
// more is told so in the section and can ask an operator for the rest.
const maxExportRecords = 10000

// auditAbout returns the audit records that name the person as actor or
// target, oldest first.
func (a *App) auditAbout(ctx context.Context, id string) (any, error) {
	seen := map[int64]audit.RecordJSON{}
	truncated := false
	for _, q := range []audit.Query{{ActorID: id}, {TargetID: id}} {
		q.Limit = audit.MaxSearchLimit
		for {
			page, err := a.Audit.Search(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, r := range page.Records {
				seen[r.Index] = r.JSON(true)
			}
			if page.Next == "" {
				break
			}
			if len(seen) >= maxExportRecords {
				truncated = true
				break
			}
			q.Cursor = page.Next
		}
	}
	out := make([]audit.RecordJSON, 0, len(seen))
	for _, r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return map[string]any{"records": out, "truncated": truncated}, nil
}

// erasers delete what the other capabilities hold of a person whose data is
// suppressed: sessions are ended first, so their tokens go on the
// revocation list, then the account goes, and with it (ON DELETE CASCADE)
// its one-time tokens, second factors, passkeys, sign-in challenges,
// sessions (and the hosted pages' cookies for them), role bindings, social
// identities, and the access granted to OpenID clients. The names are
// Spanish: they are read in the answer to the titular.
func (a *App) erasers() []habeasdata.Eraser {
	return []habeasdata.Eraser{
		{Name: "vendor ownership", Before: func(ctx context.Context, id string) error {
			var n int
			err := a.DB.QueryRowContext(ctx, a.DB.Rebind(`SELECT COUNT(*) FROM vendors
				WHERE owner_user_id = ?`), id).Scan(&n)
			if err == nil && n > 0 {
				err = &habeasdata.BlockedError{Reason: "the titular owns a vendor, whose " +
					"records the marketplace keeps under commercial law; transfer or close " +
					"the vendor first"}
			}
			return err
		}},
		{Name: "sesiones", Erase: func(ctx context.Context, tx *sql.Tx, id string) error {
			return a.Sessions.EndAllSessions(ctx, tx, id, "", "data_suppressed")
		}},
		{Name: "cuenta (nombre, correo, teléfono y contraseña), factores de verificación, " +
			"llaves de acceso, roles, identidades de ingreso social y accesos concedidos " +
			"a aplicaciones",
			Erase: func(ctx context.Context, tx *sql.Tx, id string) error {
				_, err := tx.ExecContext(ctx, a.DB.Rebind(`DELETE FROM users WHERE id = ?`), id)
				return err
			}},
	}
}

// habeasDataLoop closes the reclamos deemed withdrawn, hourly.
func (a *App) habeasDataLoop(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.HabeasData.SweepWithdrawn(ctx); err != nil {
			a.Logger.Warn("habeas data: withdrawn reclamos", "error", err.Error())
		} else if n > 0 {
			a.Logger.Info("habeas data: reclamos deemed withdrawn", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
