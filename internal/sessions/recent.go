package sessions

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

// Recent is what a sensitive operation asks of the session's last
// authentication: that it happened within MaxAge, at Level or above (1 a
// password or a social login, 2 with a second factor; see
// authz.LevelFromAMR). OWASP ASVS 5.0 section 7.5 asks for it before
// changing credentials, factors or the email address recovery goes to.
type Recent struct {
	MaxAge time.Duration
	Level  int
}

// StepUpRequired is the error of an operation whose session does not meet
// Recent. The client steps up (POST /v1/auth/step-up) and retries.
type StepUpRequired struct{ Need Recent }

func (e *StepUpRequired) Error() string {
	if e.Need.Level >= 2 {
		return fmt.Sprintf("confirm it is you with a second factor (within the last %s)", e.Need.MaxAge)
	}
	return fmt.Sprintf("confirm it is you: sign in again or step up (within the last %s)", e.Need.MaxAge)
}

// Check returns *StepUpRequired unless ses authenticated within r.MaxAge
// at r.Level or above.
func (r Recent) Check(ses Session, now time.Time) error {
	if now.Sub(ses.AuthTime) > r.MaxAge || policy.LevelFromAMR(ses.AMR) < r.Level {
		return &StepUpRequired{Need: r}
	}
	return nil
}

// Problem renders the error as RFC 9470 section 3 asks of a resource
// server: 401, WWW-Authenticate with error="insufficient_user_authentication",
// the acr_values and max_age that would do, and a problem document with
// the code step_up_required for clients that read JSON.
func (e *StepUpRequired) Problem(w http.ResponseWriter) *httpx.Problem {
	acr := "pwd"
	if e.Need.Level >= 2 {
		acr = "mfa"
	}
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_user_authentication", `+
		`error_description="a more recent or stronger authentication is required", `+
		`acr_values="`+acr+`", max_age=`+strconv.Itoa(int(e.Need.MaxAge/time.Second)))
	return httpx.NewProblem(http.StatusUnauthorized, "step_up_required", e.Error())
}
