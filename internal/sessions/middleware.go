package sessions

import (
	"context"
	"errors"
	"net/http"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/sdk"
)

type sessionKey struct{}

// FromContext returns the session RequireSession found for the request.
func FromContext(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}

// RequireSession admits requests that carry a valid access token of an
// active session: the token is verified like any resource server would
// (package sdk), then the session is checked in the database, so a session
// that ended is refused at once here, before its tokens expire.
func (s *Service) RequireSession(v *sdk.Verifier) func(http.Handler) http.Handler {
	verify := sdk.Middleware(v)
	return func(next http.Handler) http.Handler {
		return verify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, _ := sdk.ClaimsFrom(r.Context())
			if claims.SessionID == "" {
				refuse(w, r, "the access token belongs to no session")
				return
			}
			ses, err := s.Check(r.Context(), claims.SessionID)
			if errors.Is(err, ErrSessionEnded) || (err == nil && ses.UserID != claims.Subject) {
				refuse(w, r, "the session has ended; sign in again")
				return
			}
			if err != nil {
				httpx.WriteError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, ses)))
		}))
	}
}

func refuse(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, "invalid_token", detail))
}
