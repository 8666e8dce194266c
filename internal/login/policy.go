package login

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/passkeys"
)

// Policy says who must hold a second factor and how recent a sensitive
// operation's authentication must be.
type Policy struct {
	// Required makes a second factor mandatory for everyone.
	Required bool
	// RequiredRoles makes it mandatory for holders of any of these roles
	// (PCI DSS v4.0.1 8.4.1 for admin and super_admin).
	RequiredRoles []string
	// Roles returns a person's current roles.
	Roles func(ctx context.Context, userID string) ([]string, error)
	// StepUpMaxAge bounds the age of the authentication a sensitive
	// operation accepts (OWASP ASVS 5.0 7.5.1).
	StepUpMaxAge time.Duration
}

// mustHaveFactor reports whether userID's roles oblige them to hold a
// second factor.
func (h *Handlers) mustHaveFactor(ctx context.Context, userID string) (bool, error) {
	if h.Policy.Required {
		return true, nil
	}
	if len(h.Policy.RequiredRoles) == 0 || h.Policy.Roles == nil {
		return false, nil
	}
	roles, err := h.Policy.Roles(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("roles of %s: %w", userID, err)
	}
	for _, r := range roles {
		if slices.Contains(h.Policy.RequiredRoles, r) {
			return true, nil
		}
	}
	return false, nil
}

// standing is what a person holds beyond their password.
type standing struct {
	factors  []mfa.Factor // active TOTP, text and email factors
	passkeys int
	recovery int // unused recovery codes
}

// any reports whether the person holds a second factor. Recovery codes
// alone are not one: they back up a factor, and a set survives the
// removal of the factor it backed up.
func (s standing) any() bool { return len(s.factors) > 0 || s.passkeys > 0 }

func (s standing) count() int { return len(s.factors) + s.passkeys }

func (s standing) has(kind string) bool {
	return slices.ContainsFunc(s.factors, func(f mfa.Factor) bool { return f.Kind == kind })
}

func (h *Handlers) standingOf(ctx context.Context, userID string) (standing, error) {
	var st standing
	all, err := h.MFA.Factors(ctx, userID)
	if err != nil {
		return st, err
	}
	for _, f := range all {
		if !f.Active() {
			continue
		}
		// A text factor of a person with no stronger one, under
		// mfa.sms_requires_strong_factor, or a channel turned off, is not
		// a factor now.
		ok, err := h.MFA.Usable(ctx, userID, f.Kind)
		if err != nil {
			return st, err
		}
		if ok {
			st.factors = append(st.factors, f)
		}
	}
	if st.passkeys, err = h.Passkeys.Count(ctx, userID); err != nil {
		return st, err
	}
	if st.recovery, err = h.MFA.RecoveryCodesLeft(ctx, userID); err != nil {
		return st, err
	}
	return st, nil
}

// FactorOption is one way to answer a sign-in challenge or a step-up.
type FactorOption struct {
	// Method is what to send as method: totp, passkey, recovery_code, sms
	// or email.
	Method string `json:"method"`
	// FactorID names the factor a code is sent to (sms and email).
	FactorID string `json:"factor_id,omitempty"`
	// Hint shows where the code goes, masked, such as "+57 300 ••• ••67".
	Hint string `json:"hint,omitempty"`
	// Remaining is the number of unused recovery codes.
	Remaining int `json:"remaining,omitempty"`
}

// options lists the ways the person may answer, strongest first.
func (s standing) options() []FactorOption {
	out := []FactorOption{}
	if s.passkeys > 0 {
		out = append(out, FactorOption{Method: "passkey"})
	}
	if s.has("totp") {
		out = append(out, FactorOption{Method: "totp"})
	}
	for _, f := range s.factors {
		if f.Kind != "totp" {
			out = append(out, FactorOption{Method: f.Kind, FactorID: f.ID, Hint: factorHint(f)})
		}
	}
	if s.recovery > 0 {
		out = append(out, FactorOption{Method: "recovery_code", Remaining: s.recovery})
	}
	return out
}

// passkeyAMR is what a newly registered passkey proves, as at login.
func passkeyAMR(c passkeys.Credential) []string {
	amr := []string{"hwk"}
	if c.BackupEligible {
		amr[0] = "swk"
	}
	if c.UserVerified {
		amr = append(amr, "user")
	}
	return amr
}
