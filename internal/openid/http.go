package openid

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// Routes mounts the library's endpoints that cerrojo does not serve
// itself. The token endpoint is package oauth's, which hands the
// authorization_code and client_credentials grants to Handler.
func (p *Provider) Routes(r *httpx.Router) {
	for _, pattern := range []string{"GET " + PathDiscovery, "GET " + PathAuthorize,
		"POST " + PathAuthorize, "GET " + pathCallback, "GET " + PathUserinfo,
		"POST " + PathUserinfo, "GET " + PathLogout, "POST " + PathLogout} {
		r.Handle(pattern, p.handler)
	}
}

// MeRoutes lets people see and revoke the access they granted clients.
func (p *Provider) MeRoutes(r *httpx.Router, requireSession func(http.Handler) http.Handler) {
	r.Handle("GET /v1/me/grants", requireSession(httpx.HandlerFunc(p.listGrants)))
	r.Handle("DELETE /v1/me/grants/{client_id}", requireSession(httpx.HandlerFunc(p.revoke)))
}

func (p *Provider) listGrants(w http.ResponseWriter, r *http.Request) error {
	ses, _ := sessions.FromContext(r.Context())
	list, err := p.Grants(r.Context(), ses.UserID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"grants": list})
}

func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) error {
	ses, _ := sessions.FromContext(r.Context())
	id := r.PathValue("client_id")
	if len(id) > 100 {
		return httpx.NewProblem(http.StatusNotFound, "not_found", "no access was granted to "+
			"this client")
	}
	err := p.RevokeGrant(r.Context(), ses.UserID, id, sessions.Meta{IP: httpx.RemoteIP(
		r.Context()), UserAgent: r.UserAgent(), RequestID: httpx.RequestID(r.Context())})
	if errors.Is(err, ErrNoGrant) {
		return httpx.NewProblem(http.StatusNotFound, "not_found",
			"no access was granted to this client")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AdminRoutes registers client management on the admin listener.
func (p *Provider) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("GET /v1/admin/clients", p.adminList)
	r.HandleFunc("POST /v1/admin/clients", p.adminCreate)
	r.HandleFunc("GET /v1/admin/clients/{id}", p.adminGet)
	r.HandleFunc("POST /v1/admin/clients/{id}/disable", p.adminDisable)
	r.HandleFunc("POST /v1/admin/clients/{id}/rotate-secret", p.adminRotate)
}

// ClientJSON is a client as the admin API shows it; secrets never appear
// but once, at creation or rotation.
type ClientJSON struct {
	ID                     string     `json:"client_id"`
	Name                   string     `json:"name"`
	Type                   string     `json:"type"`
	ApplicationType        string     `json:"application_type"`
	FirstParty             bool       `json:"first_party"`
	RedirectURIs           []string   `json:"redirect_uris"`
	PostLogoutRedirectURIs []string   `json:"post_logout_redirect_uris"`
	GrantTypes             []string   `json:"grant_types"`
	Scopes                 []string   `json:"scopes"`
	CreatedAt              time.Time  `json:"created_at"`
	DisabledAt             *time.Time `json:"disabled_at,omitempty"`
	Secret                 string     `json:"client_secret,omitempty"`
}

func clientJSON(c clients.Client) ClientJSON {
	out := ClientJSON{ID: c.ID, Name: c.Name, Type: string(c.Type),
		ApplicationType: string(c.AppType), FirstParty: c.FirstParty,
		RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(
			c.PostLogoutRedirectURIs), GrantTypes: nonNil(c.GrantTypes),
		Scopes: nonNil(c.Scopes), CreatedAt: c.CreatedAt}
	if !c.DisabledAt.IsZero() {
		out.DisabledAt = &c.DisabledAt
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

var operator = audit.Actor{Type: audit.ActorSystem, ID: "admin"}

func (p *Provider) audit(r *http.Request, action, clientID string) error {
	_, err := p.opts.Audit.Record(r.Context(), audit.Event{
		Actor: audit.Operator(r.Context(), operator), Action: action, Outcome: audit.OutcomeSuccess,
		Target: audit.Target{Type: "client", ID: clientID}}.FromRequest(r))
	return err
}

func (p *Provider) adminList(w http.ResponseWriter, r *http.Request) error {
	list, err := p.opts.Clients.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]ClientJSON, 0, len(list))
	for _, c := range list {
		out = append(out, clientJSON(c))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"clients": out})
}

type createClientRequest struct {
	Name                   string   `json:"name"`
	Type                   string   `json:"type"`
	ApplicationType        string   `json:"application_type"`
	FirstParty             bool     `json:"first_party"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	GrantTypes             []string `json:"grant_types"`
	Scopes                 []string `json:"scopes"`
}

func (p *Provider) adminCreate(w http.ResponseWriter, r *http.Request) error {
	var req createClientRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	c, secret, err := p.opts.Clients.Create(r.Context(), clients.NewClient{Name: req.Name,
		Type: clients.Type(req.Type), AppType: clients.AppType(req.ApplicationType),
		FirstParty: req.FirstParty, RedirectURIs: req.RedirectURIs,
		PostLogoutRedirectURIs: req.PostLogoutRedirectURIs, GrantTypes: req.GrantTypes,
		Scopes: req.Scopes})
	if errors.Is(err, clients.ErrInvalid) {
		return httpx.NewProblem(http.StatusBadRequest, "invalid_client_metadata",
			strings.TrimPrefix(err.Error(), clients.ErrInvalid.Error()+": "))
	}
	if err != nil {
		return err
	}
	return p.answerWithSecret(w, r, "oauth.client_created", http.StatusCreated, c, secret)
}

// answerWithSecret audits a change that gave client c a secret and answers
// with the client and the secret, which is shown this once.
func (p *Provider) answerWithSecret(w http.ResponseWriter, r *http.Request, action string,
	status int, c clients.Client, secret string) error {
	if err := p.audit(r, action, c.ID); err != nil {
		return err
	}
	out := clientJSON(c)
	out.Secret = secret
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, status, out)
}

func (p *Provider) adminClient(r *http.Request) (clients.Client, error) {
	c, err := p.opts.Clients.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, clients.ErrNotFound) {
		return c, httpx.NewProblem(http.StatusNotFound, "not_found", "no such client")
	}
	return c, err
}

func (p *Provider) adminGet(w http.ResponseWriter, r *http.Request) error {
	c, err := p.adminClient(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, clientJSON(c))
}

func (p *Provider) adminDisable(w http.ResponseWriter, r *http.Request) error {
	c, err := p.adminClient(r)
	if err != nil {
		return err
	}
	if err := p.opts.Clients.Disable(r.Context(), c.ID); err != nil &&
		!errors.Is(err, clients.ErrNotFound) {
		return err
	}
	if err := p.audit(r, "oauth.client_disabled", c.ID); err != nil {
		return err
	}
	c, err = p.adminClient(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, clientJSON(c))
}

func (p *Provider) adminRotate(w http.ResponseWriter, r *http.Request) error {
	c, err := p.adminClient(r)
	if err != nil {
		return err
	}
	if c.Type != clients.Confidential {
		return httpx.NewProblem(http.StatusConflict, "public_client",
			"a public client has no secret to rotate")
	}
	secret, err := p.opts.Clients.RotateSecret(r.Context(), c.ID)
	if err != nil {
		return err
	}
	return p.answerWithSecret(w, r, "oauth.client_secret_rotated", http.StatusOK, c, secret)
}
