package sessions

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// StepUp records that the person of an active session has just
// authenticated again, with the methods amr (a second factor, say), and
// issues a new access token that says so: acr becomes "mfa" when the
// session's methods now include a second factor, and auth_time is now. The
// refresh token is unchanged; tokens it mints later carry the new level.
//
// This is the server side of RFC 9470 (step-up authentication): a resource
// that needs a fresher or stronger authentication answers with
// insufficient_user_authentication, the client steps up here, and retries.
func (s *Service) StepUp(ctx context.Context, ses Session, amr []string, m Meta) (Issued, error) {
	now := s.Clock.Now().UTC()
	methods := slices.Clone(ses.AMR)
	for _, a := range amr {
		if !slices.Contains(methods, a) {
			methods = append(methods, a)
		}
	}
	acr := ses.ACR
	if len(methods) >= 2 || slices.Contains(methods, "mfa") {
		acr = "mfa"
	}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		ok, err := s.store.Tx(tx).Reauthenticate(ctx, ses.ID, acr, methods, now)
		if err != nil {
			return err
		}
		if !ok {
			return ErrSessionEnded
		}
		_, err = s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor:  audit.Actor{Type: audit.ActorPerson, ID: ses.UserID},
			Action: "session.step_up", Outcome: audit.OutcomeSuccess,
			Target:  audit.Target{Type: "session", ID: ses.ID},
			Details: map[string]string{"acr": acr, "amr": strings.Join(methods, " ")},
		}))
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	ses.ACR, ses.AMR, ses.AuthTime, ses.LastSeenAt = acr, methods, now, now
	roles, err := s.roles(ctx, ses.UserID)
	if err != nil {
		return Issued{}, err
	}
	return s.issue(ctx, ses, "", roles, "", time.Time{})
}
