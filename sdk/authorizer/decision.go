package authorizer

import (
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authz"
)

// wireDecision is a decision of the check API. Pointers tell a missing
// member from an empty one.
type wireDecision struct {
	Allowed       *bool                `json:"allowed"`
	Permission    *string              `json:"permission"`
	Rule          string               `json:"rule"`
	RolePath      []string             `json:"role_path"`
	Binding       *wireDecisionBinding `json:"binding"`
	Reason        *string              `json:"reason"`
	PolicyVersion *string              `json:"policy_version"`
	PolicyDigest  *string              `json:"policy_digest"`
}

type wireDecisionBinding struct {
	Role      string `json:"role"`
	Vendor    string `json:"vendor"`
	ExpiresAt string `json:"expires_at"`
}

// wireBatch is the answer of the batch check API.
type wireBatch struct {
	Results       *[]wireDecision `json:"results"`
	PolicyVersion *string         `json:"policy_version"`
	PolicyDigest  *string         `json:"policy_digest"`
}

// parseDecision reads the answer to a check of permission,
//
//	{"allowed":true,"permission":"product:update","rule":"...",
//	 "role_path":["vendor_owner","vendor_manager","vendor_staff"],
//	 "binding":{"role":"vendor_owner","vendor":"v1"},"reason":"...",
//	 "policy_version":"2026-12-01","policy_digest":"sha256:..."}
//
// strictly (see decodeStrict). allowed, permission, reason, policy_version
// and policy_digest are required; the permission must be the one asked,
// so that an answer to another question is never taken for this one's.
// A grant names its rule and role path, and its binding (if any) is the
// first role of the path; a denial names none of them. Unknown members are
// refused: one may qualify a grant in a way this version cannot honour.
func parseDecision(doc []byte, permission string) (authz.Decision, error) {
	if len(doc) > maxDecisionBytes {
		return authz.Decision{}, fmt.Errorf("decision is over %d bytes", maxDecisionBytes)
	}
	var w wireDecision
	if err := decodeStrict(doc, &w); err != nil {
		return authz.Decision{}, fmt.Errorf("decision: %v", err)
	}
	if err := checkPolicyID(w.PolicyVersion, w.PolicyDigest); err != nil {
		return authz.Decision{}, fmt.Errorf("decision: %v", err)
	}
	return w.decision(permission)
}

// parseBatch reads the answer to a batch of checks of perms, in order,
// with the rules of parseDecision for each result; policy_version and
// policy_digest are required once for the batch, and a result that
// repeats them must agree.
func parseBatch(doc []byte, perms []string) ([]authz.Decision, error) {
	if len(doc) > maxBatchBytes {
		return nil, fmt.Errorf("batch is over %d bytes", maxBatchBytes)
	}
	var w wireBatch
	if err := decodeStrict(doc, &w); err != nil {
		return nil, fmt.Errorf("batch: %v", err)
	}
	if err := checkPolicyID(w.PolicyVersion, w.PolicyDigest); err != nil {
		return nil, fmt.Errorf("batch: %v", err)
	}
	if w.Results == nil || len(*w.Results) != len(perms) {
		return nil, fmt.Errorf("batch: want %d results", len(perms))
	}

	out := make([]authz.Decision, len(perms))
	for i := range *w.Results {
		r := &(*w.Results)[i]
		if (r.PolicyVersion != nil && *r.PolicyVersion != *w.PolicyVersion) ||
			(r.PolicyDigest != nil && *r.PolicyDigest != *w.PolicyDigest) {
			return nil, fmt.Errorf("batch result %d: another policy than the batch's", i)
		}
		d, err := r.decision(perms[i])
		if err != nil {
			return nil, fmt.Errorf("batch result %d: %v", i, err)
		}
		out[i] = d
	}
	return out, nil
}

// checkPolicyID checks the policy a decision was made under.
func checkPolicyID(version, digest *string) error {
	switch {
	case version == nil || *version == "" || len(*version) > authz.MaxVersionLen:
		return fmt.Errorf("policy_version is missing, empty or over %d bytes",
			authz.MaxVersionLen)
	case digest == nil || !validDigest(*digest):
		return errors.New("policy_digest is missing or not sha256:<hex>")
	}
	return nil
}

// decision checks w as the answer for permission and converts it.
func (w *wireDecision) decision(permission string) (authz.Decision, error) {
	switch {
	case w.Allowed == nil || w.Permission == nil || w.Reason == nil:
		return authz.Decision{}, errors.New("allowed, permission or reason is missing")
	case *w.Permission != permission:
		// Not quoted: it is whatever the server sent.
		return authz.Decision{}, errors.New("the answer is for another permission")
	case len(*w.Reason) > maxReasonBytes:
		return authz.Decision{}, fmt.Errorf("reason is over %d bytes", maxReasonBytes)
	}
	d := authz.Decision{Allowed: *w.Allowed, Reason: *w.Reason}
	if !d.Allowed {
		if w.Rule != "" || len(w.RolePath) > 0 || w.Binding != nil {
			return authz.Decision{}, errors.New("a denial names a rule, role path or binding")
		}
		return d, nil
	}

	switch {
	case w.Rule == "" || len(w.Rule) > authz.MaxRuleIDLen:
		return authz.Decision{}, fmt.Errorf("a grant's rule is empty or over %d bytes",
			authz.MaxRuleIDLen)
	case len(w.RolePath) == 0 || len(w.RolePath) > maxRolePath:
		return authz.Decision{}, fmt.Errorf("a grant's role path is empty or over %d roles",
			maxRolePath)
	}
	for _, role := range w.RolePath {
		if role == "" || len(role) > authz.MaxNameLen {
			return authz.Decision{}, fmt.Errorf("a role of the path is empty or over %d "+
				"bytes", authz.MaxNameLen)
		}
	}
	d.Rule, d.RolePath = w.Rule, w.RolePath
	if w.Binding != nil {
		b, err := w.Binding.binding(w.RolePath[0])
		if err != nil {
			return authz.Decision{}, err
		}
		d.Binding = b
	}
	return d, nil
}

func (wb *wireDecisionBinding) binding(bound string) (*authz.Binding, error) {
	switch {
	case wb.Role != bound:
		return nil, errors.New("the binding's role is not the first of the role path")
	case len(wb.Vendor) > maxVendorIDBytes:
		return nil, fmt.Errorf("the binding's vendor is over %d bytes", maxVendorIDBytes)
	}
	b := &authz.Binding{Role: wb.Role, Vendor: wb.Vendor}
	if wb.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, wb.ExpiresAt)
		if err != nil {
			return nil, errors.New("the binding's expires_at is not an RFC 3339 time")
		}
		b.ExpiresAt = t
	}
	return b, nil
}
