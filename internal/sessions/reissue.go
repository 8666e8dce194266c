package sessions

import (
	"context"
	"time"
)

// Reissue mints a fresh access token for an active session, without a
// refresh token: the hosted pages (package web) hold a session through an
// HttpOnly cookie and ask for a short-lived token each time a page calls
// the API, so their scripts keep no long-lived credential (the sign-in
// page drops the refresh token a sign-in returns).
// The token carries the session's current acr, amr and auth_time, so a
// step-up recorded on the session shows in the next token. An ended or
// expired session gets ErrSessionEnded; the check also records the use,
// as Check does, so an account page kept open keeps its session alive
// only while it is used (OWASP ASVS 5.0 7.3.1, idle timeout).
func (s *Service) Reissue(ctx context.Context, sessionID string) (Issued, error) {
	ses, err := s.Check(ctx, sessionID)
	if err != nil {
		return Issued{}, err
	}
	roles, err := s.roles(ctx, ses.UserID)
	if err != nil {
		return Issued{}, err
	}
	return s.issue(ctx, ses, roles, "", time.Time{})
}
