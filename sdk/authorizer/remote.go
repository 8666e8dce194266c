package authorizer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authz"
)

// RemoteConfig configures a Remote. Its fields mean what LocalConfig's
// fields of the same names mean.
type RemoteConfig struct {
	BaseURL      string
	AllowHTTP    bool
	ClientID     string
	ClientSecret string `json:"-"`
	Client       *http.Client
	Timeout      time.Duration
}

// Format prints the configuration with the secret redacted, for every
// verb.
func (c RemoteConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "authorizer.RemoteConfig{BaseURL: %q, ClientID: %q, ClientSecret: %s}",
		c.BaseURL, c.ClientID, redacted(c.ClientSecret))
}

// LogValue is the configuration for log/slog, with the secret redacted.
func (c RemoteConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redacted(c.ClientSecret)))
}

// Remote asks cerrojo's check API (POST /v1/authz/check) for every
// decision. It keeps no state and is safe for concurrent use. Its answers
// are as fresh as cerrojo's store; each costs a round trip, and every
// decision fails with ErrUnavailable while cerrojo cannot be reached.
type Remote struct {
	client *client
}

// NewRemote returns a Remote for cfg.
func NewRemote(cfg RemoteConfig) (*Remote, error) {
	c, err := newClient(clientConfig{name: "RemoteConfig", baseURL: cfg.BaseURL,
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret, allowHTTP: cfg.AllowHTTP,
		client: cfg.Client, timeout: cfg.Timeout})
	if err != nil {
		return nil, err
	}
	return &Remote{client: c}, nil
}

// Authorize sends req to cerrojo: the subject id, the action and the
// resource with its attributes, and the context the token gives (IP,
// auth_level from amr, auth_time, amr). A 400 answer maps to the authz
// error its code names (authz.ErrUnknownPermission,
// authz.ErrUnknownResourceType, authz.ErrInvalidAttribute) or to
// ErrInvalidRequest; any other failure is ErrUnavailable.
//
// A permission whose type is not the resource's fails with
// authz.ErrTypeMismatch before anything is sent, since the check API
// takes the type from the resource alone.
func (r *Remote) Authorize(ctx context.Context, req Request) (authz.Decision, error) {
	if err := checkClaims(req.Claims); err != nil {
		return authz.Decision{}, err
	}
	if req.Resource == nil {
		return authz.Decision{}, invalidRequest("no resource")
	}
	wc, err := wireCheckOf(req.Permission, req.Resource)
	if err != nil {
		return authz.Decision{}, err
	}
	body, err := json.Marshal(wireCheckRequest{Subject: wireSubject{req.Claims.Subject},
		Action: wc.Action, Resource: wc.Resource, Context: wireContextOf(req)})
	if err != nil {
		return authz.Decision{}, invalidRequest("encode the check: %v", err)
	}

	doc, err := r.post(ctx, pathCheck, body, maxDecisionBytes)
	if err != nil {
		return authz.Decision{}, err
	}
	d, err := parseDecision(doc, req.Permission)
	if err != nil {
		return authz.Decision{}, unavailable("check: %v", err)
	}
	return d, nil
}

// AuthorizeBatch sends every check of req in one request to cerrojo's
// batch API and returns the decisions in order. Errors are as for
// Authorize, and any one check's fails the whole batch.
func (r *Remote) AuthorizeBatch(ctx context.Context, req BatchRequest) ([]authz.Decision,
	error) {
	if err := checkBatch(&req); err != nil {
		return nil, err
	}
	batch := wireBatchRequest{Subject: wireSubject{req.Claims.Subject},
		Context: wireContextOf(Request{Claims: req.Claims, IP: req.IP}),
		Checks:  make([]wireCheck, len(req.Checks))}
	perms := make([]string, len(req.Checks))
	for i, c := range req.Checks {
		wc, err := wireCheckOf(c.Permission, c.Resource)
		if err != nil {
			return nil, fmt.Errorf("check %d: %w", i, err)
		}
		batch.Checks[i], perms[i] = wc, c.Permission
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return nil, invalidRequest("encode the checks: %v", err)
	}

	doc, err := r.post(ctx, pathCheckBatch, body, maxBatchBytes)
	if err != nil {
		return nil, err
	}
	ds, err := parseBatch(doc, perms)
	if err != nil {
		return nil, unavailable("batch check: %v", err)
	}
	return ds, nil
}

// post sends a check and returns the body of a 200 answer, or the error
// the answer means.
func (r *Remote) post(ctx context.Context, path string, body []byte, limit int64) ([]byte,
	error) {
	ctx, cancel := context.WithTimeout(ctx, r.client.timeout)
	defer cancel()
	resp, err := r.client.postJSON(ctx, path, body)
	if err != nil {
		return nil, unavailable("check: %v", err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusBadRequest:
		return nil, checkRefused(problemCode(resp))
	case resp.StatusCode != http.StatusOK:
		return nil, unavailable("check: %w", statusError(resp.StatusCode, problemCode(resp)))
	case !hasMediaType(resp, "application/json"):
		return nil, unavailable("check: the response is not application/json")
	}
	doc, err := readBody(resp.Body, limit)
	if err != nil {
		return nil, unavailable("check: %v", err)
	}
	return doc, nil
}

// refusals are the check API's 400 codes and the errors they mean: the
// same that authz.Policy.Check returns for the mistake, so that a caller
// handles either mode alike.
var refusals = map[string]error{
	"unknown_permission":    authz.ErrUnknownPermission,
	"unknown_resource_type": authz.ErrUnknownResourceType,
	"invalid_attribute":     authz.ErrInvalidAttribute,
	"invalid_request":       ErrInvalidRequest,
}

func checkRefused(code string) error {
	if err, ok := refusals[code]; ok {
		return fmt.Errorf("%w (cerrojo's check API)", err)
	}
	return invalidRequest("cerrojo's check API refused the request (%q)", code)
}

// The check API's request documents.
type (
	wireCheckRequest struct {
		Subject  wireSubject  `json:"subject"`
		Action   string       `json:"action"`
		Resource wireResource `json:"resource"`
		Context  wireContext  `json:"context"`
	}
	wireBatchRequest struct {
		Subject wireSubject `json:"subject"`
		Context wireContext `json:"context"`
		Checks  []wireCheck `json:"checks"`
	}
	wireCheck struct {
		Action   string       `json:"action"`
		Resource wireResource `json:"resource"`
	}
	wireSubject struct {
		ID string `json:"id"`
	}
	wireResource struct {
		Type       string         `json:"type"`
		ID         string         `json:"id,omitempty"`
		Attributes map[string]any `json:"attributes,omitempty"`
	}
	wireContext struct {
		IP        string   `json:"ip,omitempty"`
		AuthLevel int      `json:"auth_level"`
		AuthTime  string   `json:"auth_time,omitempty"`
		AMR       []string `json:"amr,omitempty"`
	}
)

// wireCheckOf splits permission into the resource type and the action,
// and encodes the resource.
func wireCheckOf(permission string, res *authz.Resource) (wireCheck, error) {
	typ, action, ok := strings.Cut(permission, ":")
	if !ok || typ == "" || action == "" {
		return wireCheck{}, fmt.Errorf("%w: %q", authz.ErrUnknownPermission, permission)
	}
	if typ != res.Type {
		return wireCheck{}, fmt.Errorf("%w: %q asked of a resource of type %q",
			authz.ErrTypeMismatch, permission, res.Type)
	}
	attrs, err := wireAttributes(res.Attributes)
	if err != nil {
		return wireCheck{}, err
	}
	return wireCheck{Action: action,
		Resource: wireResource{Type: res.Type, ID: res.ID, Attributes: attrs}}, nil
}

// wireContextOf is what the token says about the request. The decision's
// time is cerrojo's.
func wireContextOf(req Request) wireContext {
	c := wireContext{IP: req.IP, AuthLevel: authz.LevelFromAMR(req.Claims.AMR),
		AMR: req.Claims.AMR}
	if t := req.Claims.AuthTime.Time(); !t.IsZero() {
		c.AuthTime = t.Format(time.RFC3339)
	}
	return c
}

// wireAttributes converts attributes from the Go values that Check takes
// to the JSON values that Policy.AttributesFromJSON reads back into the
// same: a time.Time as an RFC 3339 string (with its fraction of a second,
// so that both modes compare the same instant), a time.Duration as its
// String. Other values must be of the kinds a policy declares; anything
// else fails with authz.ErrInvalidAttribute rather than reach cerrojo as
// a JSON shape nobody meant.
func wireAttributes(in map[string]any) (map[string]any, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(in))
	for name, v := range in {
		switch v := v.(type) {
		case time.Time:
			out[name] = v.Format(time.RFC3339Nano)
		case time.Duration:
			out[name] = v.String()
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: attribute %q is not a finite number",
					authz.ErrInvalidAttribute, name)
			}
			out[name] = v
		case float32:
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%w: attribute %q is not a finite number",
					authz.ErrInvalidAttribute, name)
			}
			out[name] = v
		case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16,
			uint32, uint64, []string, []int64:
			out[name] = v
		default:
			return nil, fmt.Errorf("%w: attribute %q is a %T", authz.ErrInvalidAttribute,
				name, v)
		}
	}
	return out, nil
}
