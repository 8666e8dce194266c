package app

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
)

// A minimal PDF the document store accepts.
const vendorPDF = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\nstartxref\n0\n%%EOF\n"

const vendorBody = `{"legal_name":"Artesanías del Caribe S.A.S.",
	"trade_name":"Caribe Hecho a Mano","person_type":"juridica",
	"identification":{"type":31,"number":"900.373.115-3"},
	"tax_responsibilities":["O-13","O-48"],
	"contact":{"email":"ventas@caribe.co","phone":"+57 300 123 4567"},
	"address":{"line":"Cra 45 # 34-12","departamento":"08","municipio":"08001"},
	"bank_account":{"bank_name":"Bancolombia","account_type":"ahorros","number":"123-456789-01"}}`

var acceptToken = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// TestVendorOnboardingJourney takes a vendor from registration to approval
// through the API on both databases, with four eyes: the owner's role
// binding, documents checked by content, a rejection and resubmission, two
// different reviewers, staff invited by email, accepted and removed, and
// the authorization decisions the check API gives at each step.
func TestVendorOnboardingJourney(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, smtp := mfaNode(t, dialect, func(c *config.Config) {
			c.Vendors.RequiredApprovals = 2
		})
		ctx := context.Background()
		api := apiClient{t: t, base: n.url}
		admin := adminAPI(t, n, "admin")
		svc, secret, err := n.app.Clients.Create(ctx, clients.NewClient{Name: "catalog",
			Type: clients.Confidential})
		if err != nil {
			t.Fatal(err)
		}
		basic := "Basic " + basicAuth(svc.ID, secret)
		may := func(who, action, vendor string) bool {
			t.Helper()
			r := api.do("POST", "/v1/authz/check", `{"subject":{"id":"`+who+
				`"},"action":"`+action+`","resource":{"type":"product","id":"p1",`+
				`"attributes":{"vendor":"`+vendor+`","status":"draft","price":1000}}}`, "",
				"Authorization", basic).want(t, 200, "check")
			return r.body["allowed"] == true
		}

		owner := signUp(t, api, "duena@caribe.co", "vendor")
		api.do("POST", "/v1/vendors", strings.Replace(vendorBody, "115-3", "115-4", 1),
			owner.token).want(t, 400, "a wrong NIT check digit")
		v := api.do("POST", "/v1/vendors", vendorBody, owner.token).want(t, 201, "create")
		id := v.str("id")
		if v.str("status") != "draft" || strings.Contains(v.raw, "123-456789-01") {
			t.Fatalf("created vendor: %s", v.raw)
		}
		other := signUp(t, api, "otro@caribe.co", "vendor")
		api.do("POST", "/v1/vendors", vendorBody, other.token).
			want(t, 409, "the same NIT twice")
		api.do("GET", "/v1/vendors/"+id, "", other.token).want(t, 404, "someone else's vendor")
		if !may(owner.id, "create", id) {
			t.Fatal("the owner cannot create products in their vendor")
		}
		if may(owner.id, "publish", id) {
			t.Fatal("a vendor in onboarding may publish: only approved vendors sell")
		}

		// Documents: the content decides what a file is.
		put := func(kind, body, ctype string, status int) {
			t.Helper()
			api.do("PUT", "/v1/vendors/"+id+"/documents/"+kind, body, owner.token,
				"Content-Type", ctype).want(t, status, "upload "+kind)
		}
		put("rut", "<html><script>alert(1)</script></html>", "application/pdf", 400)
		api.do("POST", "/v1/vendors/"+id+"/submit", "", owner.token).
			want(t, 409, "submit without documents")
		for _, kind := range []string{"rut", "camara_comercio", "identity_document",
			"bank_certificate"} {
			put(kind, vendorPDF, "application/pdf", 200)
		}
		// A scanned document is bigger than http.max_body_bytes (1 MiB): the
		// upload route has its own limit, vendors.max_document_bytes.
		big := "%PDF-1.4\n%" + strings.Repeat("a", 2<<20) + "\n" + vendorPDF[9:]
		put("bank_certificate", big, "application/pdf", 200)
		api.do("POST", "/v1/vendors", `{"legal_name":"`+strings.Repeat("a", 2<<20)+`"}`,
			owner.token).want(t, 413, "a JSON body over http.max_body_bytes")
		put("bank_certificate", vendorPDF, "application/pdf", 200)
		dl := api.do("GET", "/v1/vendors/"+id+"/documents/rut", "", owner.token).
			want(t, 200, "download")
		if dl.raw != vendorPDF || dl.header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download headers %v", dl.header)
		}

		// Review: a rejection with reasons, then a resubmission.
		api.do("POST", "/v1/vendors/"+id+"/submit", "", owner.token).want(t, 200, "submit")
		admin.do("POST", "/v1/admin/vendors/"+id+"/reject",
			`{"reviewer":"revisora@mercado.example","reasons":["El RUT está vencido."]}`, "").
			want(t, 200, "reject")
		smtp.WaitFor(t, "duena@caribe.co", "no fue aprobada", 10*time.Second)
		put("rut", vendorPDF, "application/pdf", 200)
		api.do("POST", "/v1/vendors/"+id+"/submit", "", owner.token).want(t, 200, "resubmit")
		admin.do("POST", "/v1/admin/vendors/"+id+"/approve",
			`{"reviewer":"revisora@mercado.example"}`, "").want(t, 200, "first approval")
		admin.do("POST", "/v1/admin/vendors/"+id+"/approve",
			`{"reviewer":"revisora@mercado.example"}`, "").want(t, 409, "the same reviewer")
		ap := admin.do("POST", "/v1/admin/vendors/"+id+"/approve",
			`{"reviewer":"revisor@mercado.example"}`, "").want(t, 200, "second approval")
		if ap.str("status") != "approved" {
			t.Fatalf("after two approvals: %s", ap.raw)
		}
		smtp.WaitFor(t, "duena@caribe.co", "fue aprobada", 10*time.Second)
		if !may(owner.id, "publish", id) {
			t.Fatal("an approved vendor's owner may not publish")
		}

		// Staff: invited by email, accepted with the verified address, removed.
		staff := signUp(t, api, "staff@caribe.co", "customer")
		if may(staff.id, "update", id) {
			t.Fatal("a stranger may edit the vendor's products")
		}
		api.do("POST", "/v1/vendors/"+id+"/staff/invitations",
			`{"email":"staff@caribe.co","role":"vendor_staff"}`, owner.token).
			want(t, 201, "invite")
		msg := smtp.WaitFor(t, "staff@caribe.co", "Lo invitaron", 10*time.Second)
		m := acceptToken.FindStringSubmatch(msg.Text)
		if m == nil {
			t.Fatalf("no token in the invitation:\n%s", msg.Text)
		}
		accept := `{"token":"` + m[1] + `"}`
		api.do("POST", "/v1/vendor-invitations/accept", accept, other.token).
			want(t, 403, "someone else accepts")
		verifyEmail(t, api, smtp, "staff@caribe.co")
		api.do("POST", "/v1/vendor-invitations/accept", accept, staff.token).
			want(t, 200, "accept")
		api.do("POST", "/v1/vendor-invitations/accept", accept, staff.token).
			want(t, 409, "accept twice")
		if !may(staff.id, "update", id) || may(staff.id, "update", "ven_other") {
			t.Fatal("staff's decisions after joining")
		}
		api.do("DELETE", "/v1/vendors/"+id+"/staff/"+staff.id, "", owner.token).
			want(t, 204, "remove")
		if may(staff.id, "update", id) {
			t.Fatal("removed staff may still edit")
		}
		api.do("GET", "/v1/me", "", staff.token).want(t, 401, "removed staff's session")

		// Suspension stops the vendor; the audit log has every step.
		admin.do("POST", "/v1/admin/vendors/"+id+"/suspend", `{"reason":"Fraude"}`, "").
			want(t, 200, "suspend")
		if may(owner.id, "publish", id) || !may(owner.id, "create", id) {
			t.Fatal("a suspended vendor still sells, or cannot prepare its catalogue")
		}
		// A vendor owner's data cannot be suppressed while the vendor's
		// records are kept: the reclamo stays open and the account works.
		sup := api.do("POST", "/v1/me/habeas-data/requests", `{"type":"suppression",
			"description":"Borren mis datos."}`, owner.token).want(t, 201, "file suppression")
		r := admin.do("POST", "/v1/admin/habeas-data/requests/"+sup.str("id")+"/suppress", "",
			"").want(t, 409, "suppress a vendor owner")
		if r.str("code") != "suppression_blocked" {
			t.Fatalf("suppressing a vendor owner: %s", r.raw)
		}
		api.do("GET", "/v1/vendors/"+id, "", owner.token).want(t, 200, "the owner after it")

		page, err := n.app.Audit.Search(ctx, audit.Query{Action: "vendor.approved"})
		if err != nil || len(page.Records) != 1 {
			t.Fatalf("vendor.approved records: %d %v", len(page.Records), err)
		}
	})
}
