package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/mail/mailtest"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/sdk"
	"github.com/cerrojo/cerrojo/sdk/authorizer"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

// TestAuthorizationJourney runs the authorization API end to end on both
// databases: an operator makes a vendor owner on the admin listener, the
// owner makes staff within their vendor and no further, a service asks the
// check API by subject id and by access token, and a revocation stops
// allowing at once, even for a token issued before it.
func TestAuthorizationJourney(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			cfg := embeddedConfig(t)
			if dialect == "postgres" {
				cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
				key, _ := keyring.NewMasterKey()
				cfg.MasterKey.Value = config.Secret(key)
			}
			withSMTP(&cfg, mailtest.Start(t))
			authzJourney(t, start(t, cfg))
		})
	}
}

// person is a registered, signed-in account.
type person struct{ id, token string }

const journeyPassword = "guayabas maduras del huerto 9"

func signUp(t *testing.T, api apiClient, email, kind string) person {
	t.Helper()
	api.do("POST", "/v1/accounts", `{"email":"`+email+`","password":"`+journeyPassword+
		`","name":"Persona Prueba","kind":"`+kind+`"}`, "").want(t, 202, "register "+email)
	r := signIn(t, api, email)
	user, _ := r.body["user"].(map[string]any)
	id, _ := user["id"].(string)
	if id == "" {
		t.Fatalf("login of %s names no user id: %s", email, r.raw)
	}
	return person{id: id, token: r.str("access_token")}
}

func signIn(t *testing.T, api apiClient, email string) reply {
	t.Helper()
	body := `{"email":"` + email + `","password":"` + journeyPassword + `"}`
	return api.do("POST", "/v1/auth/login", body, "").want(t, 200, "login "+email)
}

// tokenRoles reads the roles claim of the access token in a login reply,
// without verifying it: the test only looks at what was issued.
func tokenRoles(t *testing.T, r reply) []string {
	t.Helper()
	parts := strings.Split(r.str("access_token"), ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %s", r.raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Roles
}

func authzJourney(t *testing.T, n *node) {
	api := apiClient{t: t, base: n.url}
	admin := adminAPI(t, n, "admin")
	ctx := context.Background()

	owner := signUp(t, api, "duena@tienda.co", "vendor")
	staff := signUp(t, api, "empleado@tienda.co", "vendor")
	buyer := signUp(t, api, "compradora@ejemplo.co", "customer")

	// 1. The operator makes the owner; granting again replaces.
	admin.do("POST", "/v1/admin/users/"+owner.id+"/bindings",
		`{"role":"vendor_owner","vendor":"ven_a"}`, "").want(t, 201, "operator grants owner")
	admin.do("POST", "/v1/admin/users/"+owner.id+"/bindings",
		`{"role":"vendor_owner","vendor":"ven_a"}`, "").want(t, 200, "grant again")
	admin.do("POST", "/v1/admin/users/"+owner.id+"/bindings",
		`{"role":"vendor_owner"}`, "").want(t, 400, "vendor role without a vendor")
	// Tokens issued from now on carry the role as a hint for clients.
	roles := tokenRoles(t, signIn(t, api, "duena@tienda.co"))
	if len(roles) != 1 || roles[0] != "vendor_owner" {
		t.Errorf("roles claim after the grant: %v", roles)
	}

	// 2. The owner makes staff in their vendor, not elsewhere, and no admins.
	api.do("POST", "/v1/authz/users/"+staff.id+"/bindings",
		`{"role":"vendor_staff","vendor":"ven_a"}`, owner.token).want(t, 201, "owner grants staff")
	r := api.do("POST", "/v1/authz/users/"+staff.id+"/bindings",
		`{"role":"vendor_staff","vendor":"ven_b"}`, owner.token).
		want(t, 403, "owner in another vendor")
	if r.str("code") != "forbidden" || !strings.Contains(r.str("detail"), "ven_b") {
		t.Errorf("forbidden grant: %s", r.raw)
	}
	api.do("POST", "/v1/authz/users/"+staff.id+"/bindings", `{"role":"admin"}`, owner.token).
		want(t, 403, "owner makes an admin")
	api.do("POST", "/v1/authz/users/"+staff.id+"/bindings",
		`{"role":"vendor_staff","vendor":"ven_a"}`, buyer.token).want(t, 403, "customer grants")

	// 3. A service asks, with its client credentials.
	svc, secret, err := n.app.Clients.Create(ctx, clients.NewClient{Name: "catalog-service",
		Type: clients.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + basicAuth(svc.ID, secret)
	ask := func(body string, status int, what string) reply {
		t.Helper()
		return api.do("POST", "/v1/authz/check", body, "", "Authorization", basic).
			want(t, status, what)
	}
	product := func(vendor string) string {
		return `"resource":{"type":"product","id":"prd_1","attributes":{"vendor":"` + vendor +
			`","status":"published","price":120000}}`
	}
	r = api.do("POST", "/v1/authz/check", `{}`, "")
	if r.status != 401 || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("check without client credentials: %d %s", r.status, r.raw)
	}

	asStaff := `{"subject":{"id":"` + staff.id + `"},`
	r = ask(asStaff+`"action":"update",`+product("ven_a")+`}`, 200, "staff on own vendor")
	if r.body["allowed"] != true || r.str("rule") != "vendor-staff-edit-live-vendor-products" ||
		r.str("permission") != "product:update" {
		t.Fatalf("staff on ven_a: %s", r.raw)
	}
	r = ask(asStaff+`"action":"update",`+product("ven_b")+`}`, 200, "staff on another vendor")
	if r.body["allowed"] != false || !strings.Contains(r.str("reason"), "ven_b") {
		t.Fatalf("staff on ven_b: %s", r.raw)
	}
	// The owner inherits staff's rule through manager; the path says so.
	r = ask(`{"subject":{"id":"`+owner.id+`"},"action":"update",`+product("ven_a")+`}`,
		200, "owner")
	if path, _ := r.body["role_path"].([]any); len(path) != 3 || path[0] != "vendor_owner" ||
		path[2] != "vendor_staff" {
		t.Fatalf("owner's role path: %s", r.raw)
	}
	// By access token: the staff token was issued before the grant, and
	// still allows, because decisions read the bindings now.
	r = ask(`{"subject":{"access_token":"`+staff.token+`"},"action":"update",`+product("ven_a")+`}`,
		200, "by access token")
	if r.body["allowed"] != true {
		t.Fatalf("by access token: %s", r.raw)
	}
	ask(`{"subject":{"access_token":"`+staff.token+`"},"action":"update",`+product("ven_a")+
		`,"context":{"auth_level":2}}`, 400, "auth context beside a token")
	ask(`{"subject":{"access_token":"not.a.token"},"action":"update",`+product("ven_a")+`}`,
		400, "bad token")
	ask(`{"subject":{"id":"`+staff.id+`"},"action":"update",`+product("ven_a")+
		`,"context":{"auth_level":2,"auth_time":"2099-01-01T00:00:00Z"}}`,
		400, "auth_time in the future")

	// 4. Mistakes are errors, not denials, and say where they are.
	for _, c := range []struct{ body, code, field string }{
		{`{"subject":{"id":"` + staff.id + `"},"action":"teleport",` + product("ven_a") + `}`,
			"unknown_permission", "/action"},
		{`{"subject":{"id":"` + staff.id + `"},"action":"read","resource":{"type":"spaceship"}}`,
			"unknown_resource_type", "/resource/type"},
		{asStaff + `"action":"read",` +
			`"resource":{"type":"product","attributes":{"price":"cheap"}}}`,
			"invalid_attribute", "/resource/attributes/price"},
		{asStaff + `"action":"read",` +
			`"resource":{"type":"product","attributes":{"vendor_id":"ven_a"}}}`,
			"invalid_attribute", "/resource/attributes/vendor_id"},
		{`{"subject":{"id":"usr_nobody"},"action":"read",` + product("ven_a") + `}`,
			"unknown_subject", "/subject/id"},
		{`{"subject":{},"action":"read",` + product("ven_a") + `}`, "invalid_request", "/subject"},
	} {
		r := ask(c.body, 400, c.code)
		errs, _ := r.body["errors"].([]any)
		first, _ := errs[0].(map[string]any)
		if r.str("code") != c.code || first["field"] != c.field {
			t.Errorf("%s: got %s", c.code, r.raw)
		}
	}

	// 5. A batch: one load of the subject, one answer per resource.
	r = api.do("POST", "/v1/authz/check/batch", `{"subject":{"id":"`+staff.id+`"},"checks":[
		{"action":"read",`+product("ven_a")+`},
		{"action":"delete",`+product("ven_a")+`},
		{"action":"read",`+product("ven_b")+`}]}`, "", "Authorization", basic).want(t, 200, "batch")
	results, _ := r.body["results"].([]any)
	want := []bool{true, false, true} // staff may not delete; anyone signed in reads published
	for i, w := range want {
		res, _ := results[i].(map[string]any)
		if res["allowed"] != w {
			t.Errorf("batch item %d: %v, want allowed=%v", i, res, w)
		}
	}
	r = api.do("POST", "/v1/authz/check/batch", `{"subject":{"id":"`+staff.id+`"},"checks":[
		{"action":"read",`+product("ven_a")+`},{"action":"fly",`+product("ven_a")+`}]}`, "",
		"Authorization", basic).want(t, 400, "batch with a mistake")
	errs, _ := r.body["errors"].([]any)
	if len(errs) == 0 || errs[0].(map[string]any)["field"] != "/checks/1/action" {
		t.Errorf("batch mistake: %s", r.raw)
	}

	// 6. The customer reads their own order by the role their account
	// kind implies, and no one else's.
	order := func(owner string) string {
		return `"resource":{"type":"order","id":"ord_1","attributes":{"vendor":"ven_a","owner":"` +
			owner + `","status":"paid","total":50000}}`
	}
	asBuyer := `{"subject":{"id":"` + buyer.id + `"},"action":"read",`
	if r := ask(asBuyer+order(buyer.id)+`}`, 200, "own order"); r.body["allowed"] != true {
		t.Errorf("customer on own order: %s", r.raw)
	}
	if r := ask(asBuyer+order(staff.id)+`}`, 200, "other order"); r.body["allowed"] != false {
		t.Errorf("customer on another's order: %s", r.raw)
	}

	// 7. What can the owner do, and who works for ven_a.
	r = api.do("GET", "/v1/me/permissions", "", owner.token).want(t, 200, "my permissions")
	if !strings.Contains(r.raw, `"permission":"product:publish","vendor":"ven_a"`) {
		t.Errorf("owner's permissions lack product:publish in ven_a: %s", r.raw)
	}
	r = api.do("GET", "/v1/authz/vendors/ven_a/members", "", owner.token).want(t, 200, "members")
	if !strings.Contains(r.raw, staff.id) || !strings.Contains(r.raw, owner.id) {
		t.Errorf("members of ven_a: %s", r.raw)
	}
	api.do("GET", "/v1/authz/vendors/ven_a/members", "", buyer.token).
		want(t, 403, "customer lists members")
	api.do("GET", "/v1/authz/users/"+owner.id+"/bindings", "", staff.token).
		want(t, 403, "staff reads owner's bindings")

	// 8. The feeds for services that decide locally.
	r = api.do("GET", "/v1/authz/policy", "", "", "Authorization", basic).want(t, 200, "policy")
	etag := r.header.Get("ETag")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") ||
		!strings.HasPrefix(etag, `"sha256:`) ||
		!strings.Contains(r.raw, "vendor_owner") {
		t.Errorf("policy document: %v %q", r.header, r.raw[:min(len(r.raw), 80)])
	}
	api.do("GET", "/v1/authz/policy", "", "", "Authorization", basic, "If-None-Match", etag).
		want(t, 304, "policy unchanged")
	r = api.do("GET", "/v1/authz/subjects/"+staff.id+"/bindings", "", "", "Authorization", basic).
		want(t, 200, "bindings feed")
	if !strings.Contains(r.raw, `"role":"vendor_staff","vendor":"ven_a"`) ||
		!strings.Contains(r.header.Get("Cache-Control"), "max-age=5") {
		t.Errorf("bindings feed: %v %s", r.header, r.raw)
	}
	api.do("GET", "/v1/authz/subjects/usr_nobody/bindings", "", "", "Authorization", basic).
		want(t, 404, "bindings of no one")

	// 9. The owner revokes; the staff member's old token stops allowing
	// on the very next check.
	api.do("DELETE", "/v1/authz/users/"+staff.id+"/bindings/vendor_staff?vendor=ven_a", "",
		owner.token).want(t, 204, "owner revokes staff")
	r = ask(`{"subject":{"access_token":"`+staff.token+`"},"action":"update",`+product("ven_a")+`}`,
		200, "after revocation")
	if r.body["allowed"] != false {
		t.Fatalf("revoked role still allows through an old token: %s", r.raw)
	}
	api.do("DELETE", "/v1/authz/users/"+staff.id+"/bindings/vendor_staff?vendor=ven_a", "",
		owner.token).want(t, 404, "revoke again")

	// 10. Only a super admin manages the operator roles on the admin API,
	// and the last super admin cannot be removed.
	admin.do("POST", "/v1/admin/users/"+owner.id+"/bindings", `{"role":"super_admin"}`, "").
		want(t, 403, "an admin makes a super admin")
	root := adminAPI(t, n, "super_admin")
	rootID, _ := claimsOf(t, root.bearer)["sub"].(string)
	root.do("POST", "/v1/admin/users/"+owner.id+"/bindings", `{"role":"super_admin"}`, "").
		want(t, 201, "a super admin makes a super admin")
	root.do("DELETE", "/v1/admin/users/"+owner.id+"/bindings/super_admin", "", "").
		want(t, 204, "revoke a super admin while another remains")
	root.do("DELETE", "/v1/admin/users/"+rootID+"/bindings/super_admin", "", "").
		want(t, 409, "revoke the last super admin")

	// 11. A token of an ended session names no one.
	api.do("POST", "/v1/auth/logout", "", staff.token).want(t, 204, "staff signs out")
	r = ask(`{"subject":{"access_token":"`+staff.token+`"},"action":"read",`+product("ven_a")+`}`,
		400, "token of an ended session")
	if r.str("code") != "invalid_subject_token" {
		t.Errorf("ended session: %s", r.raw)
	}

	// Denials and every change are in the audit log.
	page, err := n.app.Audit.Search(ctx, audit.Query{Action: "authz.check", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, rec := range page.Records {
		if rec.Outcome == audit.OutcomeDenied {
			denied++
		}
	}
	// Checks: staff on ven_b, staff delete in the batch, the buyer on
	// another's order, after revocation; management: three refused grants,
	// two refused reads.
	if denied != 9 {
		t.Errorf("%d denied checks in the audit log, want 9", denied)
	}
	// Grants: the owner (twice), the staff member, the owner's super_admin,
	// and the two operators' own roles; revocations: the staff member and
	// the owner's super_admin.
	for action, want := range map[string]int{"role.grant": 6, "role.revoke": 2} {
		page, err := n.app.Audit.Search(ctx, audit.Query{Action: action, Limit: 100})
		if err != nil || len(page.Records) != want {
			t.Errorf("%s: %d records, want %d (%v)", action, len(page.Records), want, err)
		}
	}
}

// basicAuth encodes client credentials as RFC 6749 section 2.3.1 asks.
func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(user) + ":" +
		url.QueryEscape(pass)))
}

// TestSDKAuthorizerAgainstNode runs the public sdk/authorizer, locally and
// remotely, against a real node: both agree with the node's own check API,
// a disabled account holds nothing, and a revocation reaches a local
// decider as soon as it stops caching.
func TestSDKAuthorizerAgainstNode(t *testing.T) {
	cfg := embeddedConfig(t)
	withSMTP(&cfg, mailtest.Start(t))
	n := start(t, cfg)
	api := apiClient{t: t, base: n.url}
	admin := adminAPI(t, n, "admin")
	ctx := context.Background()

	staff := signUp(t, api, "staff.sdk@tienda.co", "vendor")
	buyer := signUp(t, api, "buyer.sdk@ejemplo.co", "customer")
	admin.do("POST", "/v1/admin/users/"+staff.id+"/bindings",
		`{"role":"vendor_staff","vendor":"ven_a"}`, "").want(t, 201, "grant staff")
	svc, secret, err := n.app.Clients.Create(ctx, clients.NewClient{Name: "orders-service",
		Type: clients.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	local, err := authorizer.NewLocal(authorizer.LocalConfig{BaseURL: n.url, ClientID: svc.ID,
		ClientSecret: secret, BindingsTTL: authorizer.NoBindingsCache})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := authorizer.NewRemote(authorizer.RemoteConfig{BaseURL: n.url,
		ClientID: svc.ID, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	product := func(vendor string) *policy.Resource {
		return &policy.Resource{Type: "product", ID: "prd_1", Attributes: map[string]any{
			"vendor": vendor, "status": "draft", "price": 120000}}
	}
	claims := func(p person) *sdk.Claims {
		return &sdk.Claims{Subject: p.id, AMR: []string{"pwd"},
			AuthTime: sdk.NumericDate(time.Now().Add(-time.Minute).Unix())}
	}
	cases := []struct {
		who     person
		perm    string
		res     *policy.Resource
		allowed bool
	}{
		{staff, "product:update", product("ven_a"), true},
		{staff, "product:update", product("ven_b"), false},
		{staff, "product:delete", product("ven_a"), false},
		{buyer, "product:read", product("ven_a"), false}, // a draft
		{buyer, "order:create", &policy.Resource{Type: "order", Attributes: map[string]any{
			"vendor": "ven_a", "owner": buyer.id, "status": "pending", "total": 1000}}, true},
	}
	for _, a := range []authorizer.Authorizer{local, remote} {
		for i, c := range cases {
			d, err := a.Authorize(ctx, authorizer.Request{Claims: claims(c.who),
				Permission: c.perm, Resource: c.res})
			if err != nil {
				t.Fatalf("%T case %d: %v", a, i, err)
			}
			if d.Allowed != c.allowed {
				t.Errorf("%T case %d (%s): allowed=%v, want %v: %s", a, i, c.perm, d.Allowed,
					c.allowed, d.Reason)
			}
		}
	}

	// A revocation reaches the local decider at its next fetch.
	admin.do("DELETE", "/v1/admin/users/"+staff.id+"/bindings/vendor_staff?vendor=ven_a", "", "").
		want(t, 204, "revoke staff")
	for _, a := range []authorizer.Authorizer{local, remote} {
		d, err := a.Authorize(ctx, authorizer.Request{Claims: claims(staff),
			Permission: "product:update", Resource: product("ven_a")})
		if err != nil || d.Allowed {
			t.Errorf("%T after revocation: %+v, %v", a, d, err)
		}
	}

	// A disabled account holds nothing, not even its implicit roles.
	err = n.app.Accounts.Disable(ctx, "", buyer.id, n.app.Sessions, accounts.Meta{RequestID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []authorizer.Authorizer{local, remote} {
		d, err := a.Authorize(ctx, authorizer.Request{Claims: claims(buyer),
			Permission: cases[4].perm, Resource: cases[4].res})
		if err != nil || d.Allowed {
			t.Errorf("%T for a disabled account: %+v, %v", a, d, err)
		}
	}
}

// adminAPI serves the node's admin listener in-process and returns a
// client that calls it as an operator: a person holding role (admin, or
// super_admin to manage those two roles), signed in on the public
// listener. Operators' own tests are in e2e_admin_test.go.
func adminAPI(t *testing.T, n *node, role string) apiClient {
	t.Helper()
	srv := httptest.NewServer(n.app.Admin.Handler())
	t.Cleanup(srv.Close)
	return apiClient{t: t, base: srv.URL, bearer: operatorToken(t, n, role)}
}

// operatorToken signs up a person, grants them role, and returns the
// access token of a sign-in made after the grant; when the MFA policy
// requires a factor of the role, the sign-in enrols an authenticator app.
func operatorToken(t *testing.T, n *node, role string) string {
	t.Helper()
	api := apiClient{t: t, base: n.url}
	email := "operador." + strings.ReplaceAll(role, "_", "") + "." +
		strconv.Itoa(int(operatorSeq.Add(1))) + "@ejemplo.co"
	p := signUp(t, api, email, "customer")
	grantRole(t, n, p.id, role)
	r := signIn(t, api, email)
	if r.body["mfa_enrollment_required"] == true {
		mt := r.str("mfa_token")
		e := api.do("POST", "/v1/auth/mfa/enroll/totp", `{"mfa_token":"`+mt+`"}`, "").
			want(t, 200, "operator enrols")
		r = api.do("POST", "/v1/auth/mfa/enroll/totp/activate", `{"mfa_token":"`+mt+
			`","factor_id":"`+e.str("factor_id")+`","code":"`+
			codeAt(t, e.str("secret"), time.Now())+`"}`, "").want(t, 200, "operator activates")
	}
	if r.str("access_token") == "" {
		t.Fatalf("operator sign-in gave no token: %s", r.raw)
	}
	return r.str("access_token")
}

// grantRole binds role to a person directly, as the CLI would.
func grantRole(t *testing.T, n *node, userID, role string) {
	t.Helper()
	if _, _, err := n.app.Authz.Grant(context.Background(), authz.Actor{System: "test"},
		authz.GrantInput{UserID: userID, Role: role}, authz.Meta{}); err != nil {
		t.Fatalf("grant %s: %v", role, err)
	}
}

var operatorSeq atomic.Int64
