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
// What the step-up proves depends on what was presented. A second factor
// now, on a session whose first factor was proven at sign-in, makes the
// two factors the session's methods. The password alone proves only the
// password: amr becomes ["pwd"] and acr "pwd", so a password cannot renew
// a level that a second factor gave.
//
// This is the server side of RFC 9470 (step-up authentication): a resource
// that needs a fresher or stronger authentication answers with
// insufficient_user_authentication, the client steps up here, and retries.
func (s *Service) StepUp(ctx context.Context, ses Session, amr []string, m Meta) (Issued, error) {
	now := s.Clock.Now().UTC()
	methods := steppedUp(ses.AMR, amr)
	acr := "pwd"
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
	return s.issue(ctx, ses, roles, "", time.Time{})
}

// steppedUp is the session's methods after a step-up with amr.
func steppedUp(session, amr []string) []string {
	onlyPassword := !slices.ContainsFunc(amr, func(m string) bool { return m != "pwd" })
	if onlyPassword {
		return slices.Clone(amr)
	}
	methods := slices.Clone(session)
	for _, a := range amr {
		if !slices.Contains(methods, a) {
			methods = append(methods, a)
		}
	}
	return methods
}
