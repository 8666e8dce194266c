package authz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/sdk"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

// Bounds of the check API, each with its reason.
const (
	// MaxBatch caps the checks of one batch: a page of a listing, with
	// room to spare. Each denial is an audit record.
	MaxBatch = 100
	// MaxMembers caps one answer of a vendor's member listing: more people
	// than a vendor's staff page can show, and a bounded response. Ask per
	// role (?role=) for the rest.
	MaxMembers = 1000
	// maxIDLen caps subject and resource ids, as elsewhere in the API.
	maxIDLen = 128
	// maxNameLen caps actions, resource types, roles and vendor ids.
	maxNameLen = 128
	// maxClockSkew is how far in the future a caller's auth_time may be,
	// for clocks that disagree a little.
	maxClockSkew = time.Minute
)

// ActiveSessions tells whether a session still stands (sessions.Service).
type ActiveSessions interface {
	Check(ctx context.Context, sessionID string) (sessions.Session, error)
}

// Handlers serves the authorization API.
type Handlers struct {
	Service  *Service
	Verifier *sdk.Verifier
	Sessions ActiveSessions
	// BindingsMaxAge and PolicyMaxAge are the Cache-Control max-age of the
	// bindings and policy feeds (authz.bindings_max_age, policy_max_age).
	BindingsMaxAge, PolicyMaxAge time.Duration
}

// ServiceRoutes registers the routes marketplace services call;
// requireClient admits confidential clients only.
func (h *Handlers) ServiceRoutes(r *httpx.Router, requireClient func(http.Handler) http.Handler) {
	handle := func(pattern string, fn httpx.HandlerFunc) { r.Handle(pattern, requireClient(fn)) }
	handle("POST /v1/authz/check", h.check)
	handle("POST /v1/authz/check/batch", h.checkBatch)
	handle("GET /v1/authz/policy", h.policyDoc)
	handle("GET /v1/authz/subjects/{id}/bindings", h.subjectBindings)
}

// PersonRoutes registers the routes people call with their access token;
// what they may do is the policy's role_binding rules.
// Granting and revoking need a recent authentication (requireRecent, run
// after requireSession), on top of what the policy's rules ask.
func (h *Handlers) PersonRoutes(r *httpx.Router, requireSession,
	requireRecent func(http.Handler) http.Handler) {
	handle := func(pattern string, fn httpx.HandlerFunc) { r.Handle(pattern, requireSession(fn)) }
	recent := func(pattern string, fn httpx.HandlerFunc) {
		r.Handle(pattern, requireSession(requireRecent(fn)))
	}
	handle("GET /v1/me/permissions", h.myPermissions)
	handle("GET /v1/authz/users/{id}/bindings", h.personListBindings)
	handle("GET /v1/authz/users/{id}/permissions", h.personPermissions)
	recent("POST /v1/authz/users/{id}/bindings", h.personGrant)
	recent("DELETE /v1/authz/users/{id}/bindings/{role}", h.personRevoke)
	handle("GET /v1/authz/vendors/{vendor}/members", h.personMembers)
}

// AdminRoutes registers the admin listener's routes, which act as the
// system: the listener is reachable only by operators.
func (h *Handlers) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("GET /v1/admin/users/{id}/bindings", h.adminListBindings)
	r.HandleFunc("GET /v1/admin/users/{id}/permissions", h.adminPermissions)
	r.HandleFunc("POST /v1/admin/users/{id}/bindings", h.adminGrant)
	r.HandleFunc("DELETE /v1/admin/users/{id}/bindings/{role}", h.adminRevoke)
	r.HandleFunc("GET /v1/admin/vendors/{vendor}/members", h.adminMembers)
}

func metaOf(r *http.Request) Meta {
	return Meta{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

// ---- the check API ----

type subjectJSON struct {
	ID          string `json:"id"`
	AccessToken string `json:"access_token"`
}

type resourceJSON struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Attributes json.RawMessage `json:"attributes"`
}

type contextJSON struct {
	IP        string   `json:"ip"`
	AuthLevel *int     `json:"auth_level"`
	AuthTime  string   `json:"auth_time"`
	AMR       []string `json:"amr"`
}

type checkRequest struct {
	Subject  subjectJSON  `json:"subject"`
	Action   string       `json:"action"`
	Resource resourceJSON `json:"resource"`
	Context  *contextJSON `json:"context"`
}

type batchItem struct {
	Action   string       `json:"action"`
	Resource resourceJSON `json:"resource"`
}

type batchRequest struct {
	Subject subjectJSON  `json:"subject"`
	Context *contextJSON `json:"context"`
	Checks  []batchItem  `json:"checks"`
}

// DecisionJSON is a decision as the API shows it.
type DecisionJSON struct {
	Allowed    bool         `json:"allowed"`
	Permission string       `json:"permission"`
	Rule       string       `json:"rule,omitempty"`
	RolePath   []string     `json:"role_path,omitempty"`
	Binding    *BindingJSON `json:"binding,omitempty"`
	Reason     string       `json:"reason"`
	// PolicyVersion and PolicyDigest are set on single checks; a batch
	// gives them once.
	PolicyVersion string `json:"policy_version,omitempty"`
	PolicyDigest  string `json:"policy_digest,omitempty"`
}

// BindingJSON is a role binding as the API shows it.
type BindingJSON struct {
	Role      string `json:"role"`
	Vendor    string `json:"vendor,omitempty"`
	GrantedBy string `json:"granted_by,omitempty"`
	GrantedAt string `json:"granted_at,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
	// Implicit marks a role held by account kind, which cannot be revoked.
	Implicit bool `json:"implicit,omitempty"`
}

func (h *Handlers) check(w http.ResponseWriter, r *http.Request) error {
	var req checkRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	q, err := h.question(req.Action, req.Resource, "")
	if err != nil {
		return err
	}
	userID, asker, err := h.asker(r, req.Subject, req.Context)
	if err != nil {
		return err
	}
	ds, err := h.Service.Check(r.Context(), userID, []Question{q}, asker, metaOf(r))
	if err != nil {
		return checkProblem(err, "")
	}
	out := renderDecision(q.Permission, ds[0])
	out.PolicyVersion, out.PolicyDigest = h.Service.policy.Version(), h.Service.policy.Digest()
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handlers) checkBatch(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Checks) == 0 || len(req.Checks) > MaxBatch {
		return fieldProblem("invalid_request", "/checks",
			fmt.Sprintf("give 1 to %d checks", MaxBatch))
	}
	qs := make([]Question, len(req.Checks))
	for i, c := range req.Checks {
		q, err := h.question(c.Action, c.Resource, "/checks/"+strconv.Itoa(i))
		if err != nil {
			return err
		}
		qs[i] = q
	}
	userID, asker, err := h.asker(r, req.Subject, req.Context)
	if err != nil {
		return err
	}
	ds, err := h.Service.Check(r.Context(), userID, qs, asker, metaOf(r))
	if err != nil {
		return checkProblem(err, "/checks")
	}
	results := make([]DecisionJSON, len(ds))
	for i, d := range ds {
		results[i] = renderDecision(qs[i].Permission, d)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"results": results,
		"policy_version": h.Service.policy.Version(), "policy_digest": h.Service.policy.Digest()})
}

// question validates one action and resource; at is the JSON Pointer of
// the item in a batch, "" for a single check.
func (h *Handlers) question(action string, res resourceJSON, at string) (Question, error) {
	p := h.Service.policy
	switch {
	case res.Type == "":
		return Question{}, fieldProblem("invalid_request", at+"/resource/type", "is required")
	case len(res.Type) > maxNameLen:
		return Question{}, fieldProblem("invalid_request", at+"/resource/type", "is too long")
	case action == "":
		return Question{}, fieldProblem("invalid_request", at+"/action", "is required")
	case strings.Contains(action, ":") || len(action) > maxNameLen:
		return Question{}, fieldProblem("invalid_request", at+"/action",
			`is an action of the resource type, such as "update", not a permission`)
	case len(res.ID) > maxIDLen:
		return Question{}, fieldProblem("invalid_request", at+"/resource/id",
			fmt.Sprintf("is longer than %d bytes", maxIDLen))
	}
	raw := map[string]any{}
	if len(res.Attributes) > 0 && !bytes.Equal(res.Attributes, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(res.Attributes))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			return Question{}, fieldProblem("invalid_request", at+"/resource/attributes",
				"must be an object")
		}
	}
	attrs, err := p.AttributesFromJSON(res.Type, raw)
	if errors.Is(err, policy.ErrUnknownResourceType) {
		return Question{}, fieldProblem("unknown_resource_type", at+"/resource/type",
			fmt.Sprintf("the policy declares no resource type %q", res.Type))
	}
	var ae interface{ Attribute() string }
	if errors.As(err, &ae) {
		return Question{}, fieldProblem("invalid_attribute",
			at+"/resource/attributes/"+escapePointer(ae.Attribute()),
			strings.TrimPrefix(err.Error(), "authz: "))
	}
	if err != nil {
		return Question{}, err
	}
	perm := res.Type + ":" + action
	if !p.HasPermission(perm) {
		return Question{}, fieldProblem("unknown_permission", at+"/action",
			fmt.Sprintf("resource type %q has no action %q", res.Type, action))
	}
	return Question{Permission: perm,
		Resource: &policy.Resource{Type: res.Type, ID: res.ID, Attributes: attrs}}, nil
}

// asker resolves the subject and the authentication context. With an
// access token, both come from the verified token of an active session and
// the request may not restate them; with an id, the calling service
// vouches for the context it sends.
func (h *Handlers) asker(r *http.Request, sub subjectJSON, c *contextJSON) (string, Asker, error) {
	client, _ := clients.FromContext(r.Context())
	a := Asker{ClientID: client.ID}
	if c == nil {
		c = &contextJSON{}
	}
	a.Context.IP = c.IP
	switch {
	case sub.ID != "" && sub.AccessToken != "":
		return "", a, fieldProblem("invalid_request", "/subject",
			"give id or access_token, not both")
	case sub.ID == "" && sub.AccessToken == "":
		return "", a, fieldProblem("invalid_request", "/subject", "give id or access_token")
	case len(sub.ID) > maxIDLen:
		return "", a, fieldProblem("invalid_request", "/subject/id", "is too long")
	}
	if sub.AccessToken != "" {
		if c.AuthLevel != nil || c.AuthTime != "" || c.AMR != nil {
			return "", a, fieldProblem("invalid_request", "/context",
				"auth_level, auth_time and amr come from the access token; "+
					"do not send them with it")
		}
		claims, err := h.Verifier.Verify(r.Context(), sub.AccessToken)
		if errors.Is(err, sdk.ErrKeysUnavailable) || errors.Is(err, sdk.ErrRevocationUnavailable) {
			// Not the token's fault: this node cannot check it right now.
			p := httpx.NewProblem(http.StatusServiceUnavailable, "unavailable",
				"the access token cannot be verified right now; try again")
			return "", a, p
		}
		if err != nil {
			return "", a, fieldProblem("invalid_subject_token", "/subject/access_token",
				"the access token is not valid: "+strings.TrimPrefix(err.Error(), "sdk: "))
		}
		if claims.SessionID != "" {
			ses, err := h.Sessions.Check(r.Context(), claims.SessionID)
			ended := errors.Is(err, sessions.ErrSessionEnded)
			if ended || (err == nil && ses.UserID != claims.Subject) {
				return "", a, fieldProblem("invalid_subject_token", "/subject/access_token",
					"the access token's session has ended")
			}
			if err != nil {
				return "", a, err
			}
		}
		a.Context.AMR = claims.AMR
		a.Context.AuthLevel = policy.LevelFromAMR(claims.AMR)
		if claims.AuthTime > 0 {
			a.Context.AuthTime = time.Unix(int64(claims.AuthTime), 0)
		}
		return claims.Subject, a, nil
	}
	a.Context.AMR = c.AMR
	a.Context.AuthLevel = policy.LevelFromAMR(c.AMR)
	if c.AuthLevel != nil {
		if *c.AuthLevel < 0 || *c.AuthLevel > 3 {
			return "", a, fieldProblem("invalid_request", "/context/auth_level", "must be 0 to 3")
		}
		a.Context.AuthLevel = *c.AuthLevel
	}
	if c.AuthTime != "" {
		t, err := time.Parse(time.RFC3339, c.AuthTime)
		if err != nil {
			return "", a, fieldProblem("invalid_request", "/context/auth_time",
				"must be an RFC 3339 time")
		}
		// A time in the future would make every recency condition hold.
		if t.After(h.Service.clock.Now().Add(maxClockSkew)) {
			return "", a, fieldProblem("invalid_request", "/context/auth_time", "is in the future")
		}
		a.Context.AuthTime = t
	}
	return sub.ID, a, nil
}

func renderDecision(perm string, d policy.Decision) DecisionJSON {
	out := DecisionJSON{Allowed: d.Allowed, Permission: perm, Rule: d.Rule,
		RolePath: d.RolePath, Reason: d.Reason}
	if d.Binding != nil {
		out.Binding = &BindingJSON{Role: d.Binding.Role, Vendor: d.Binding.Vendor,
			ExpiresAt: optTime(d.Binding.ExpiresAt)}
	}
	return out
}

// checkProblem maps the service's errors of a check to problems.
func checkProblem(err error, at string) error {
	if errors.Is(err, ErrUnknownUser) {
		return fieldProblem("unknown_subject", "/subject/id", "no account has this id")
	}
	var qe *QuestionError
	if errors.As(err, &qe) {
		if at != "" {
			at += "/" + strconv.Itoa(qe.Index)
		}
		return fieldProblem("invalid_request", at+"/resource",
			strings.TrimPrefix(qe.Err.Error(), "authz: "))
	}
	return err
}

func fieldProblem(code, field, msg string) error {
	p := httpx.NewProblem(http.StatusBadRequest, code, strings.TrimPrefix(field, "/")+" "+msg)
	p.Errors = []httpx.FieldError{{Field: field, Code: code, Message: msg}}
	return p
}

// escapePointer escapes a JSON Pointer reference token (RFC 6901 section 3).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// ---- the feeds for local deciders ----

func (h *Handlers) policyDoc(w http.ResponseWriter, r *http.Request) error {
	p := h.Service.policy
	etag := strconv.Quote(p.Digest())
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", maxAge(h.PolicyMaxAge))
	if httpx.NotModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(p.Source())
	return err
}

func (h *Handlers) subjectBindings(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	info, err := h.Service.Subject(r.Context(), id, h.Service.clock.Now().UTC())
	if errors.Is(err, ErrUnknownUser) {
		return httpx.NewProblem(http.StatusNotFound, "unknown_subject", "no account has this id")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", maxAge(h.BindingsMaxAge))
	doc := map[string]any{"subject": id, "policy_digest": h.Service.policy.Digest(),
		"active": info.Active, "bindings": renderBindings(info)}
	if info.Subject.Attributes != nil {
		// What the policy's conditions read as subject.attributes; local
		// deciders need it to decide as this node does.
		doc["attributes"] = info.Subject.Attributes
	}
	return httpx.WriteJSON(w, http.StatusOK, doc)
}

func maxAge(d time.Duration) string {
	return "private, max-age=" + strconv.Itoa(int(d/time.Second))
}

func renderBindings(info SubjectInfo) []BindingJSON {
	out := make([]BindingJSON, 0, len(info.Implicit)+len(info.Grants))
	for _, b := range info.Implicit {
		out = append(out, BindingJSON{Role: b.Role, Vendor: b.Vendor, Implicit: true})
	}
	for _, g := range info.Grants {
		out = append(out, grantJSON(g))
	}
	return out
}

func grantJSON(g Grant) BindingJSON {
	return BindingJSON{Role: g.Role, Vendor: g.Vendor, GrantedBy: g.GrantedBy,
		GrantedAt: optTime(g.GrantedAt), ExpiresAt: optTime(g.ExpiresAt)}
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ---- management ----

// EntitlementJSON is one permission a person holds, and where.
type EntitlementJSON struct {
	Permission  string   `json:"permission"`
	Vendor      string   `json:"vendor,omitempty"`
	Conditional bool     `json:"conditional"`
	Rule        string   `json:"rule"`
	RolePath    []string `json:"role_path"`
}

func (h *Handlers) writePermissions(w http.ResponseWriter, r *http.Request, userID string) error {
	ents, info, err := h.Service.Permissions(r.Context(), userID)
	if errors.Is(err, ErrUnknownUser) {
		return httpx.NewProblem(http.StatusNotFound, "not_found", "no account has this id")
	}
	if err != nil {
		return err
	}
	out := make([]EntitlementJSON, len(ents))
	for i, e := range ents {
		out[i] = EntitlementJSON{Permission: e.Permission, Vendor: e.Vendor,
			Conditional: e.Conditional, Rule: e.Rule, RolePath: e.RolePath}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"user_id": userID,
		"active": info.Active, "policy_version": h.Service.policy.Version(),
		"bindings": renderBindings(info), "permissions": out})
}

func (h *Handlers) writeBindings(w http.ResponseWriter, r *http.Request, userID string) error {
	// Expired bindings are shown too: an access review wants to see them.
	acct, all, err := h.Service.store.Subject(r.Context(), userID)
	if errors.Is(err, ErrUnknownUser) {
		return httpx.NewProblem(http.StatusNotFound, "not_found", "no account has this id")
	}
	if err != nil {
		return err
	}
	out := make([]BindingJSON, 0, len(all)+1)
	for _, b := range h.Service.implicit(acct) {
		out = append(out, BindingJSON{Role: b.Role, Implicit: true})
	}
	for _, g := range all {
		out = append(out, grantJSON(g))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"user_id": userID, "bindings": out})
}

type grantRequest struct {
	Role      string `json:"role"`
	Vendor    string `json:"vendor"`
	ExpiresAt string `json:"expires_at"`
}

func (h *Handlers) grant(w http.ResponseWriter, r *http.Request, by Actor) error {
	var req grantRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	in := GrantInput{UserID: r.PathValue("id"), Role: req.Role, Vendor: req.Vendor}
	if req.Role == "" {
		return fieldProblem("invalid_request", "/role", "is required")
	}
	if len(req.Role) > maxNameLen {
		return fieldProblem("invalid_request", "/role", "is longer than 128 bytes")
	}
	if len(req.Vendor) > maxNameLen {
		return fieldProblem("invalid_request", "/vendor", "is longer than 128 bytes")
	}
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiresAt)
		if err != nil {
			return fieldProblem("invalid_request", "/expires_at", "must be an RFC 3339 time")
		}
		in.ExpiresAt = t
	}
	g, replaced, err := h.Service.Grant(r.Context(), by, in, metaOf(r))
	if err != nil {
		return manageProblem(err)
	}
	status := http.StatusCreated
	if replaced {
		status = http.StatusOK
	}
	out := grantJSON(g)
	return httpx.WriteJSON(w, status, map[string]any{"user_id": g.UserID, "binding": out})
}

func (h *Handlers) revoke(w http.ResponseWriter, r *http.Request, by Actor) error {
	role, vendor := r.PathValue("role"), r.URL.Query().Get("vendor")
	if len(role) > maxNameLen || len(vendor) > maxNameLen {
		return manageProblem(ErrNotFound) // no binding can have such a name
	}
	err := h.Service.Revoke(r.Context(), by, r.PathValue("id"), role, vendor, metaOf(r))
	if err != nil {
		return manageProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) writeMembers(w http.ResponseWriter, r *http.Request, vendor string) error {
	gs, err := h.Service.store.Holders(r.Context(), vendor, r.URL.Query().Get("role"),
		MaxMembers+1)
	if err != nil {
		return err
	}
	truncated := len(gs) > MaxMembers
	if truncated {
		gs = gs[:MaxMembers]
	}
	now := h.Service.clock.Now()
	out := make([]map[string]any, 0, len(gs))
	for _, g := range gs {
		out = append(out, map[string]any{"user_id": g.UserID, "binding": grantJSON(g),
			"expired": !g.ExpiresAt.IsZero() && !now.Before(g.ExpiresAt)})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"vendor": vendor, "members": out,
		"truncated": truncated})
}

// manageProblem maps the service's errors of a grant or a revocation.
func manageProblem(err error) error {
	var fb *Forbidden
	switch {
	case errors.As(err, &fb):
		return httpx.NewProblem(http.StatusForbidden, "forbidden", fb.Decision.Reason)
	case errors.Is(err, policy.ErrInvalidBinding):
		return fieldProblem("invalid_binding", "/role",
			strings.TrimPrefix(err.Error(), "authz: invalid binding: role "))
	case errors.Is(err, ErrExpiryInPast):
		return fieldProblem("invalid_request", "/expires_at", "must be in the future")
	case errors.Is(err, ErrUnknownUser):
		return httpx.NewProblem(http.StatusNotFound, "not_found", "no account has this id")
	case errors.Is(err, ErrNotFound):
		return httpx.NewProblem(http.StatusNotFound, "not_found",
			"the account holds no such binding")
	case errors.Is(err, ErrLastSuperAdmin):
		return httpx.NewProblem(http.StatusConflict, "last_super_admin",
			"this is the last super_admin; grant the role to someone else first")
	}
	return err
}

// person returns the signed-in person as an actor, with the
// authentication context of their session.
func person(r *http.Request) Actor {
	ses, _ := sessions.FromContext(r.Context())
	return Actor{Person: ses.UserID, Context: policy.Context{IP: httpx.RemoteIP(r.Context()),
		AuthTime: ses.AuthTime, AMR: ses.AMR, AuthLevel: policy.LevelFromAMR(ses.AMR)}}
}

var systemActor = Actor{System: "admin_api"}

// mayRead holds a person to role_binding:read on the bindings of vendor
// ("" for global ones), unless they are reading their own.
func (h *Handlers) mayRead(r *http.Request, userID, vendor string) error {
	me := person(r)
	if userID != "" && userID == me.Person {
		return nil
	}
	err := h.Service.authorize(r.Context(), me, "role_binding:read", userID, "", vendor,
		h.Service.clock.Now().UTC(), metaOf(r))
	return manageProblem(err)
}

func (h *Handlers) myPermissions(w http.ResponseWriter, r *http.Request) error {
	return h.writePermissions(w, r, person(r).Person)
}

func (h *Handlers) personListBindings(w http.ResponseWriter, r *http.Request) error {
	if err := h.mayRead(r, r.PathValue("id"), ""); err != nil {
		return err
	}
	return h.writeBindings(w, r, r.PathValue("id"))
}

func (h *Handlers) personPermissions(w http.ResponseWriter, r *http.Request) error {
	if err := h.mayRead(r, r.PathValue("id"), ""); err != nil {
		return err
	}
	return h.writePermissions(w, r, r.PathValue("id"))
}

func (h *Handlers) personGrant(w http.ResponseWriter, r *http.Request) error {
	return h.grant(w, r, person(r))
}

func (h *Handlers) personRevoke(w http.ResponseWriter, r *http.Request) error {
	return h.revoke(w, r, person(r))
}

func (h *Handlers) personMembers(w http.ResponseWriter, r *http.Request) error {
	if err := h.mayRead(r, "", r.PathValue("vendor")); err != nil {
		return err
	}
	return h.writeMembers(w, r, r.PathValue("vendor"))
}

func (h *Handlers) adminListBindings(w http.ResponseWriter, r *http.Request) error {
	return h.writeBindings(w, r, r.PathValue("id"))
}

func (h *Handlers) adminPermissions(w http.ResponseWriter, r *http.Request) error {
	return h.writePermissions(w, r, r.PathValue("id"))
}

func (h *Handlers) adminGrant(w http.ResponseWriter, r *http.Request) error {
	return h.grant(w, r, operatorActor(r))
}

func (h *Handlers) adminRevoke(w http.ResponseWriter, r *http.Request) error {
	return h.revoke(w, r, operatorActor(r))
}

// operatorActor is the admin listener's system channel, naming the
// operator it authenticated.
func operatorActor(r *http.Request) Actor {
	a := systemActor
	a.Operator = audit.OperatorID(r.Context())
	return a
}

func (h *Handlers) adminMembers(w http.ResponseWriter, r *http.Request) error {
	return h.writeMembers(w, r, r.PathValue("vendor"))
}
