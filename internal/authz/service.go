// Package authz keeps role bindings and answers authorization questions
// with the policy engine of sdk/authz: the check API that marketplace
// services call, the feeds that let them decide locally, and the
// management of bindings, with every change and every denial in the audit
// log.
//
// Decisions always use the bindings in the database at the moment of the
// check, never the roles claim of an access token, so revoking a role takes
// effect on the next check even for tokens issued before the revocation.
package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/storage"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

// Errors the service returns; the HTTP layer maps each to a problem.
var (
	// ErrUnknownSubject: the subject of a check or a binding is no account.
	ErrUnknownSubject = errors.New("authz: unknown subject")
	// ErrNotFound: the binding to revoke does not exist.
	ErrNotFound = errors.New("authz: no such binding")
	// ErrLastSuperAdmin: revoking would leave no one able to make admins.
	ErrLastSuperAdmin = errors.New("authz: the last super_admin cannot be revoked")
	// ErrExpiryInPast: a grant's expiry is not in the future.
	ErrExpiryInPast = errors.New("authz: expires_at must be in the future")
)

// Forbidden is returned when a person's management request is denied by
// the policy; Decision says why.
type Forbidden struct{ Decision policy.Decision }

func (e *Forbidden) Error() string { return "authz: forbidden: " + e.Decision.Reason }

// Options configures a Service.
type Options struct {
	DB     *storage.DB
	Policy *policy.Policy
	Audit  *audit.Log
	Clock  clock.Clock
	Logger *slog.Logger
	// AuditAllowed records allowed checks too (authz.audit_allowed);
	// denied checks are always recorded.
	AuditAllowed bool
	// ApprovedVendors returns which of the given vendors may sell now:
	// their onboarding was approved and they are not suspended. Subject
	// puts them in subject.attributes.approved_vendors, where the policy's
	// selling rules look. Nil leaves the attribute out, and those rules
	// deny.
	ApprovedVendors func(ctx context.Context, vendorIDs []string) ([]string, error)
}

// AttrApprovedVendors is the subject attribute that lists the vendors,
// among those the subject holds roles in, that may sell.
const AttrApprovedVendors = "approved_vendors"

// Service answers checks and manages bindings.
type Service struct {
	db           *storage.DB
	store        *Store
	policy       *policy.Policy
	audit        *audit.Log
	clock        clock.Clock
	logger       *slog.Logger
	auditAllowed bool
	approved     func(ctx context.Context, vendorIDs []string) ([]string, error)
}

// New returns a service.
func New(o Options) *Service {
	return &Service{db: o.DB, store: NewStore(o.DB), policy: o.Policy, audit: o.Audit,
		clock: o.Clock, logger: o.Logger, auditAllowed: o.AuditAllowed,
		approved: o.ApprovedVendors}
}

// Policy returns the policy the service decides with.
func (s *Service) Policy() *policy.Policy { return s.policy }

// Store returns the bindings store.
func (s *Service) Store() *Store { return s.store }

// Meta is what is known about the HTTP request, for the audit log.
type Meta struct {
	IP, UserAgent, RequestID string
}

func (m Meta) event(e audit.Event) audit.Event {
	e.IP, e.UserAgent, e.RequestID = m.IP, m.UserAgent, m.RequestID
	return e
}

// customerRole is the role every account of kind customer holds without a
// stored binding, when the policy declares it: registering as a customer
// is what makes someone one.
const customerRole = "customer"

// Subject loads what a decision needs to know about an account: its
// unexpired bindings at now, plus the role its account kind implies. A
// disabled account, or one pending deletion, holds nothing: Subject returns
// it with no bindings and Active false.
func (s *Service) Subject(ctx context.Context, userID string, now time.Time) (SubjectInfo, error) {
	acct, grants, err := s.store.Subject(ctx, userID)
	if err != nil {
		return SubjectInfo{}, err
	}
	info := SubjectInfo{Subject: policy.Subject{ID: userID}, Kind: acct.kind, State: acct.state}
	info.Active = acct.active()
	if !info.Active {
		return info, nil
	}
	info.Implicit = s.implicit(acct)
	info.Subject.Bindings = append(info.Subject.Bindings, info.Implicit...)
	for _, g := range grants {
		if !g.ExpiresAt.IsZero() && !now.Before(g.ExpiresAt) {
			continue
		}
		info.Grants = append(info.Grants, g)
		info.Subject.Bindings = append(info.Subject.Bindings, g.binding())
	}
	if s.approved != nil {
		var vendors []string
		for _, g := range info.Grants {
			if g.Vendor != "" && !slices.Contains(vendors, g.Vendor) {
				vendors = append(vendors, g.Vendor)
			}
		}
		approved := []string{}
		if len(vendors) > 0 {
			if approved, err = s.approved(ctx, vendors); err != nil {
				return SubjectInfo{}, fmt.Errorf("vendor status: %w", err)
			}
		}
		info.Subject.Attributes = map[string]any{AttrApprovedVendors: approved}
	}
	return info, nil
}

// implicit returns the bindings an active account holds by its kind.
func (s *Service) implicit(acct account) []policy.Binding {
	b := policy.Binding{Role: customerRole}
	if !acct.active() || acct.kind != customerRole || s.policy.ValidateBinding(b) != nil {
		return nil
	}
	return []policy.Binding{b}
}

// SubjectInfo is an account as the policy sees it.
type SubjectInfo struct {
	Subject policy.Subject
	// Grants are the stored, unexpired bindings; Implicit the ones the
	// account kind implies. Subject.Bindings holds both.
	Grants   []Grant
	Implicit []policy.Binding
	Kind     string
	State    string
	Active   bool
}

func (g Grant) binding() policy.Binding {
	return policy.Binding{Role: g.Role, Vendor: g.Vendor, ExpiresAt: g.ExpiresAt}
}

// Roles returns the names of a person's roles now, for the roles claim of
// access tokens and per-role session timeouts (sessions.RolesFunc). The
// claim is a hint for clients: decisions reload the bindings.
func (s *Service) Roles(ctx context.Context, userID string) ([]string, error) {
	info, err := s.Subject(ctx, userID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range info.Subject.Bindings {
		if !slices.Contains(out, b.Role) {
			out = append(out, b.Role)
		}
	}
	return out, nil
}

// Question is one check: a permission on a resource.
type Question struct {
	Permission string
	Resource   *policy.Resource
}

// Asker says who asked for a check and how the subject authenticated.
type Asker struct {
	// ClientID is the service that called the check API.
	ClientID string
	// Context is the request context; its Time is set by the service.
	Context policy.Context
}

// Check decides each question for subject userID, with one load of the
// subject's bindings, and audits the denials (and the grants when so
// configured). A question with an unknown permission or resource type
// fails the whole call before anything is decided or recorded.
func (s *Service) Check(ctx context.Context, userID string, qs []Question, a Asker,
	m Meta) ([]policy.Decision, error) {
	now := s.clock.Now().UTC()
	a.Context.Time = now
	info, err := s.Subject(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Decision, len(qs))
	for i, q := range qs {
		d, err := s.policy.Check(&info.Subject, q.Permission, q.Resource, &a.Context)
		if err != nil {
			return nil, &QuestionError{Index: i, Err: err}
		}
		if !info.Active {
			d = inactive(info)
		}
		out[i] = d
	}
	for i, q := range qs {
		d := out[i]
		if d.Allowed && !s.auditAllowed {
			continue
		}
		if err := s.recordCheck(ctx, userID, q, d, a, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// inactive is the decision for a disabled account or one pending
// deletion: it holds nothing, whatever its bindings.
func inactive(info SubjectInfo) policy.Decision {
	return policy.Decision{Reason: "the account is " + strings.ReplaceAll(info.State, "_", " ")}
}

// QuestionError says which question of a Check was malformed.
type QuestionError struct {
	Index int
	Err   error
}

func (e *QuestionError) Error() string { return fmt.Sprintf("question %d: %v", e.Index, e.Err) }
func (e *QuestionError) Unwrap() error { return e.Err }

// recordCheck writes one decision to the audit log. The subject is the
// actor, since it is their attempt; the asking service goes in details.
func (s *Service) recordCheck(ctx context.Context, userID string, q Question,
	d policy.Decision, a Asker, m Meta) error {
	outcome, details := audit.OutcomeDenied, map[string]string{
		"permission": q.Permission, "client_id": a.ClientID,
		"policy_version": s.policy.Version(), "reason": httpx.Clip(d.Reason, 240)}
	if d.Allowed {
		outcome = audit.OutcomeSuccess
		details["rule"] = d.Rule
		details["role"] = d.RolePath[0]
	}
	_, err := s.audit.Record(ctx, m.event(audit.Event{
		Actor:  audit.Actor{Type: audit.ActorPerson, ID: userID},
		Action: "authz.check", Outcome: outcome,
		Target:  audit.Target{Type: q.Resource.Type, ID: httpx.Clip(q.Resource.ID, 128)},
		Details: details,
	}))
	return err
}

// Permissions lists what a person may do now, and where.
func (s *Service) Permissions(ctx context.Context, userID string) ([]policy.Entitlement,
	SubjectInfo, error) {
	now := s.clock.Now().UTC()
	info, err := s.Subject(ctx, userID, now)
	if err != nil {
		return nil, info, err
	}
	if !info.Active {
		return []policy.Entitlement{}, info, nil
	}
	ents, err := s.policy.Permissions(&info.Subject, &policy.Context{Time: now})
	return ents, info, err
}

// Actor is who changes a binding. A person is held to the policy's
// role_binding rules with their own bindings and authentication context;
// the system (the admin listener and the command line, which only an
// operator can reach) is not.
type Actor struct {
	Person string // the acting person's account id; empty for the system
	System string // names the system channel, such as "admin_api" or "cli"
	// Operator is the person who used the system channel (the admin API's
	// authenticated operator): recorded as the actor, not held to the
	// role_binding rules.
	Operator string
	Context  policy.Context
}

// OperatorRoles are the roles of the people who run the marketplace: they
// may use the admin API, and only a super admin grants or revokes them
// through the system channel (otherwise an admin on the admin API could
// make themselves super admin).
var OperatorRoles = []string{"admin", "super_admin"}

// operatorMayManage lets the system channel manage any role, except that an
// authenticated operator (the admin API's) needs super_admin to manage the
// operator roles, as the default policy asks of people.
func (s *Service) operatorMayManage(ctx context.Context, by Actor, role string) error {
	if by.Operator == "" || !slices.Contains(OperatorRoles, role) {
		return nil
	}
	held, err := s.Roles(ctx, by.Operator)
	if err != nil {
		return err
	}
	if slices.Contains(held, "super_admin") {
		return nil
	}
	return &Forbidden{Decision: policy.Decision{
		Reason: "only a super admin grants or revokes the admin and super_admin roles"}}
}

func (a Actor) audit() audit.Actor {
	if a.Person != "" {
		return audit.Actor{Type: audit.ActorPerson, ID: a.Person}
	}
	if a.Operator != "" {
		return audit.Actor{Type: audit.ActorPerson, ID: a.Operator}
	}
	return audit.Actor{Type: audit.ActorSystem, ID: a.System}
}

// GrantInput is a binding to create or replace.
type GrantInput struct {
	UserID    string
	Role      string
	Vendor    string
	ExpiresAt time.Time
}

// Grant creates the binding, or replaces the expiry of an existing one,
// and audits it. It reports whether the binding already existed.
func (s *Service) Grant(ctx context.Context, by Actor, in GrantInput, m Meta) (Grant, bool, error) {
	now := s.clock.Now().UTC()
	b := policy.Binding{Role: in.Role, Vendor: in.Vendor}
	if err := s.policy.ValidateBinding(b); err != nil {
		return Grant{}, false, err
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		return Grant{}, false, ErrExpiryInPast
	}
	err := s.authorize(ctx, by, "role_binding:grant", in.UserID, in.Role, in.Vendor, now, m)
	if err != nil {
		return Grant{}, false, err
	}
	g := Grant{UserID: in.UserID, Role: in.Role, Vendor: in.Vendor, GrantedBy: by.audit().ID,
		GrantedAt: now, ExpiresAt: in.ExpiresAt.UTC()}
	if by.Person == "" {
		g.GrantedBy = "system:" + by.System
	}
	var replaced bool
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if replaced, err = s.store.Tx(tx).Put(ctx, g); err != nil {
			return err
		}
		details := map[string]string{"role": g.Role, "vendor": g.Vendor,
			"replaced": fmt.Sprint(replaced)}
		if !g.ExpiresAt.IsZero() {
			details["expires_at"] = g.ExpiresAt.Format(time.RFC3339)
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: by.audit(),
			Action: "role.grant", Outcome: audit.OutcomeSuccess,
			Target: audit.Target{Type: "user", ID: g.UserID}, Details: details}))
		return err
	})
	if err != nil {
		return Grant{}, false, err
	}
	return g, replaced, nil
}

// Revoke removes the binding and audits it. The last unexpired global
// super_admin binding cannot be removed, so that someone can always make
// admins (the command line can still grant one to someone else first).
func (s *Service) Revoke(ctx context.Context, by Actor, userID, role, vendor string, m Meta) error {
	now := s.clock.Now().UTC()
	err := s.authorize(ctx, by, "role_binding:revoke", userID, role, vendor, now, m)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		st := s.store.Tx(tx)
		if role == superAdmin && vendor == "" {
			if err := st.LockRole(ctx, superAdmin); err != nil {
				return err
			}
			n, err := st.CountHolders(ctx, superAdmin, now)
			if err != nil {
				return err
			}
			holds, err := st.Holds(ctx, userID, superAdmin, "", now)
			if err != nil {
				return err
			}
			if holds && n <= 1 {
				return ErrLastSuperAdmin
			}
		}
		ok, err := st.Delete(ctx, userID, role, vendor)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: by.audit(),
			Action: "role.revoke", Outcome: audit.OutcomeSuccess,
			Target:  audit.Target{Type: "user", ID: userID},
			Details: map[string]string{"role": role, "vendor": vendor}}))
		return err
	})
}

const superAdmin = "super_admin"

// authorize holds a person to the policy's role_binding rules; the
// system passes. A denial is audited and returned as *Forbidden.
func (s *Service) authorize(ctx context.Context, by Actor, perm, grantee, role, vendor string,
	now time.Time, m Meta) error {
	if by.Person == "" {
		if by.System == "" {
			return errors.New("authz: a change needs a person or a system actor")
		}
		return s.operatorMayManage(ctx, by, role)
	}
	res := &policy.Resource{Type: "role_binding", ID: grantee + "/" + role + "/" + vendor,
		Attributes: map[string]any{"vendor": vendor, "role": role, "grantee": grantee}}
	a := Asker{Context: by.Context}
	a.Context.Time = now
	info, err := s.Subject(ctx, by.Person, now)
	if err != nil {
		return err
	}
	d, err := s.policy.Check(&info.Subject, perm, res, &a.Context)
	if errors.Is(err, policy.ErrUnknownPermission) {
		// A custom policy without role_binding: only operators manage roles.
		d, err = policy.Decision{Reason: "the policy declares no " + perm +
			" permission, so only operators can manage roles"}, nil
	}
	if err != nil {
		return err
	}
	if !info.Active {
		d = inactive(info)
	}
	if d.Allowed {
		return nil
	}
	if err := s.recordCheck(ctx, by.Person, Question{Permission: perm, Resource: res}, d,
		a, m); err != nil {
		return err
	}
	return &Forbidden{Decision: d}
}
