package authorizer

import (
	"context"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

// Authorizer decides whether the subject of a verified access token holds
// a permission on a resource. Local and Remote implement it.
//
// A denial is a Decision with Allowed false and a nil error. An error is
// never a denial: it matches ErrUnavailable when no decision could be made
// (answer 503), and otherwise says what is wrong with the request
// (ErrInvalidRequest, authz.ErrUnknownPermission and the like: the
// caller's mistakes).
type Authorizer interface {
	Authorize(ctx context.Context, req Request) (authz.Decision, error)
}

var (
	_ Authorizer = (*Local)(nil)
	_ Authorizer = (*Remote)(nil)
)

// Request is one question: may the token's subject have Permission on
// Resource?
type Request struct {
	// Claims are the claims of the access token, as sdk.Verifier returned
	// them; required. The subject, auth_time and amr are read from them.
	Claims *sdk.Claims
	// Permission is "type:action", such as "product:update".
	Permission string
	// Resource is what the permission is asked about, with the attributes
	// the service loaded from its own store; required.
	Resource *authz.Resource
	// IP is the client's address, for conditions on context.ip; may be
	// empty.
	IP string
}

// BatchRequest asks several questions about one token at once.
type BatchRequest struct {
	// Claims and IP are as in Request.
	Claims *sdk.Claims
	IP     string
	// Checks are the questions, 1 to MaxBatchChecks of them.
	Checks []Check
}

// Check is one question of a BatchRequest.
type Check struct {
	Permission string
	Resource   *authz.Resource
}

// checkClaims validates the claims a request carries.
func checkClaims(c *sdk.Claims) error {
	switch {
	case c == nil:
		return invalidRequest("no token claims")
	case c.Subject == "":
		return invalidRequest("the token has no subject")
	case len(c.Subject) > MaxSubjectIDBytes:
		return invalidRequest("the token subject is over %d bytes", MaxSubjectIDBytes)
	case c.Subject == "." || c.Subject == "..":
		// They would name another path once put in the bindings URL.
		return invalidRequest("the token subject is a dot segment")
	}
	return nil
}

// checkBatch validates a batch before anything is fetched.
func checkBatch(req *BatchRequest) error {
	if err := checkClaims(req.Claims); err != nil {
		return err
	}
	if n := len(req.Checks); n == 0 || n > MaxBatchChecks {
		return invalidRequest("a batch has %d checks, want 1 to %d", n, MaxBatchChecks)
	}
	for i, c := range req.Checks {
		if c.Resource == nil {
			return invalidRequest("check %d has no resource", i)
		}
	}
	return nil
}

// authContext builds what the engine knows about the request from the
// token: the time of the decision, how and when the subject authenticated.
func authContext(c *sdk.Claims, ip string, now time.Time) *authz.Context {
	return &authz.Context{
		Time:      now,
		IP:        ip,
		AuthLevel: authz.LevelFromAMR(c.AMR),
		AuthTime:  c.AuthTime.Time(),
		AMR:       c.AMR,
	}
}
