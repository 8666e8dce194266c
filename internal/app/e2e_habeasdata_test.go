package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/mail/mailtest"
)

// TestHabeasDataJourney runs the Habeas Data ledger through the API on both
// databases: a policy is published; a person consents per purpose, a
// service asks before using their data, the person revokes; a new version
// adds a purpose and the person is asked again; a reclamo goes from filing
// through an incomplete state and an extension to its answer; the person
// downloads their data; and a suppression deletes the account, keeps the
// legally held records and leaves the audit log verifiable.
func TestHabeasDataJourney(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, smtp := mfaNode(t, dialect, nil)
		habeasDataJourney(t, n, smtp)
	})
}

func habeasDataJourney(t *testing.T, n *node, smtp *mailtest.Server) {
	ctx := context.Background()
	api := apiClient{t: t, base: n.url}
	admin := adminAPI(t, n, "admin")

	svc, secret, err := n.app.Clients.Create(ctx, clients.NewClient{Name: "crm-service",
		Type: clients.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	basic := []string{"Authorization", "Basic " + basicAuth(svc.ID, secret)}
	check := func(subject, purpose string) reply {
		t.Helper()
		return api.do("GET", "/v1/habeas-data/check?subject_id="+subject+"&purpose="+purpose,
			"", "", basic...).want(t, 200, "check "+purpose)
	}

	luz := signUp(t, api, "luz@example.co", "customer")
	api.do("GET", "/v1/me/consents", "", luz.token).want(t, 409, "consents with no policy")

	// 1. The compliance officer publishes the policy.
	admin.do("POST", "/v1/admin/habeas-data/policies", `{"version":"2026-1",
		"text":"Política de Tratamiento de la Información de Mercado Ejemplo.",
		"purposes":[{"code":"purchases","description":"Gestionar sus compras.","required":true},
		{"code":"marketing_whatsapp","description":"Enviarle ofertas por WhatsApp."},
		{"code":"face_login","description":"Ingresar con su rostro.","sensitive":true,
		 "required":true}]}`, "").want(t, 400, "a required sensitive purpose")
	admin.do("POST", "/v1/admin/habeas-data/policies", `{"version":"2026-1",
		"text":"Política de Tratamiento de la Información de Mercado Ejemplo.",
		"purposes":[{"code":"purchases","description":"Gestionar sus compras.","required":true},
		{"code":"marketing_whatsapp","description":"Enviarle ofertas por WhatsApp."}]}`, "").
		want(t, 201, "publish 2026-1")
	pol := api.do("GET", "/v1/habeas-data/policy", "", "").want(t, 200, "current policy")
	if pol.str("version") != "2026-1" {
		t.Fatalf("current policy %s", pol.raw)
	}

	// 2. Luz decides; the CRM asks before writing to her on WhatsApp.
	if r := check(luz.id, "marketing_whatsapp"); r.body["allowed"] != false ||
		r.str("reason") != "not_asked" {
		t.Fatalf("before any decision: %s", r.raw)
	}
	api.do("POST", "/v1/me/consents", `{"policy_version":"2026-1","shown_text":"Autorizo…",
		"decisions":[{"purpose":"marketing_whatsapp","decision":"revoked"}]}`, luz.token).
		want(t, 409, "revoking what was never granted")
	api.do("POST", "/v1/me/consents", `{"policy_version":"2026-1",
		"decisions":[{"purpose":"purchases","decision":"granted"}]}`, luz.token).
		want(t, 400, "no evidence of the text shown")
	api.do("POST", "/v1/me/consents", `{"policy_version":"2026-1","subject_id":"usr_otra",
		"shown_text":"x","decisions":[{"purpose":"purchases","decision":"granted"}]}`,
		luz.token).want(t, 400, "a person recording a decision for someone else")
	r := api.do("POST", "/v1/me/consents", `{"policy_version":"2026-1",
		"shown_text":"Autorizo el tratamiento de mis datos…",
		"decisions":[{"purpose":"purchases","decision":"granted"},
		{"purpose":"marketing_whatsapp","decision":"granted"}]}`, luz.token,
		"User-Agent", "MercadoApp/3.1").want(t, 201, "consent")
	if st, _ := r.body["status"].(map[string]any); len(st["pending"].([]any)) != 0 {
		t.Fatalf("pending after deciding everything: %s", r.raw)
	}
	if r := check(luz.id, "marketing_whatsapp"); r.body["allowed"] != true {
		t.Fatalf("after the grant: %s", r.raw)
	}
	api.do("GET", "/v1/habeas-data/check?subject_id="+luz.id+"&purpose=purchases", "", "").
		want(t, 401, "the check without client credentials")
	api.do("POST", "/v1/habeas-data/contacts", `{"subject_id":"`+luz.id+
		`","channel":"whatsapp"}`, "", basic...).want(t, 204, "contact reported")

	api.do("POST", "/v1/me/consents", `{"policy_version":"2026-1","channel":"app",
		"shown_text":"Retiro mi autorización",
		"decisions":[{"purpose":"marketing_whatsapp","decision":"revoked"}]}`, luz.token).
		want(t, 201, "revoke")
	if r := check(luz.id, "marketing_whatsapp"); r.body["allowed"] != false ||
		r.str("reason") != "revoked" {
		t.Fatalf("after revocation: %s", r.raw)
	}

	// 3. A new version adds a purpose: Luz is asked again, and her silence
	// is not consent.
	admin.do("POST", "/v1/admin/habeas-data/policies", `{"version":"2026-2",
		"text":"Política, versión 2.",
		"purposes":[{"code":"purchases","description":"Gestionar sus compras.","required":true},
		{"code":"marketing_whatsapp","description":"Enviarle ofertas por WhatsApp."},
		{"code":"profiling","description":"Recomendarle productos según sus compras."}]}`, "").
		want(t, 201, "publish 2026-2")
	mine := api.do("GET", "/v1/me/consents", "", luz.token).want(t, 200, "my consents")
	st, _ := mine.body["status"].(map[string]any)
	if pending, _ := st["pending"].([]any); len(pending) != 1 || pending[0] != "profiling" {
		t.Fatalf("asked again for: %v", st["pending"])
	}
	if r := check(luz.id, "profiling"); r.body["allowed"] != false {
		t.Fatalf("a new purpose without a decision: %s", r.raw)
	}
	if r := check(luz.id, "purchases"); r.body["allowed"] != true {
		t.Fatalf("an unchanged purpose lost its grant: %s", r.raw)
	}
	api.do("POST", "/v1/me/consents", `{"policy_version":"2026-1","shown_text":"x",
		"decisions":[{"purpose":"profiling","decision":"granted"}]}`, luz.token).
		want(t, 409, "deciding on the old version")

	// 4. A reclamo: filed, sent back as incomplete, completed, extended,
	// answered; every step reaches Luz by email.
	rec := api.do("POST", "/v1/me/habeas-data/requests", `{"type":"correction",
		"description":"Mi apellido está mal escrito."}`, luz.token).want(t, 201, "file reclamo")
	id := rec.str("id")
	smtp.WaitFor(t, "luz@example.co", "Recibimos su reclamo", 10*time.Second)
	admin.do("POST", "/v1/admin/habeas-data/requests/"+id+"/assign",
		`{"assignee":"oficial.datos@mercado.example"}`, "").want(t, 200, "assign")
	admin.do("POST", "/v1/admin/habeas-data/requests/"+id+"/incomplete",
		`{"missing":"Indique el apellido correcto."}`, "").want(t, 200, "incomplete")
	smtp.WaitFor(t, "luz@example.co", "necesita información", 10*time.Second)
	other := signUp(t, api, "otro@example.co", "customer")
	api.do("GET", "/v1/me/habeas-data/requests/"+id, "", other.token).
		want(t, 404, "another person's request")
	api.do("POST", "/v1/me/habeas-data/requests/"+id+"/messages",
		`{"text":"Es Gómez, con tilde."}`, luz.token).want(t, 200, "complete the reclamo")
	if r := check(luz.id, "purchases"); r.body["reclamo_en_tramite"] != true {
		t.Fatalf("no reclamo en trámite legend: %s", r.raw)
	}
	ext := admin.do("POST", "/v1/admin/habeas-data/requests/"+id+"/extend",
		`{"reason":"Debemos confirmar el dato con la DIAN."}`, "").want(t, 200, "extend")
	if ext.str("extended_due_date") == "" {
		t.Fatalf("extension: %s", ext.raw)
	}
	smtp.WaitFor(t, "luz@example.co", "Ampliamos el término", 10*time.Second)
	admin.do("POST", "/v1/admin/habeas-data/requests/"+id+"/extend",
		`{"reason":"otra vez"}`, "").want(t, 409, "a second extension")
	list := admin.do("GET", "/v1/admin/habeas-data/requests?status=open", "", "").
		want(t, 200, "admin listing")
	if reqs, _ := list.body["requests"].([]any); len(reqs) != 1 {
		t.Fatalf("open requests: %s", list.raw)
	}
	admin.do("POST", "/v1/admin/habeas-data/requests/"+id+"/answer",
		`{"answer":"Corregimos su apellido a Gómez."}`, "").want(t, 200, "answer")
	file := admin.do("GET", "/v1/admin/habeas-data/requests/"+id, "", "").
		want(t, 200, "the case file")
	var steps []string
	for _, e := range file.body["audit_trail"].([]any) {
		steps = append(steps, e.(map[string]any)["action"].(string))
	}
	if got := strings.Join(steps, " "); got != "habeas_data.request_filed "+
		"habeas_data.request_assigned habeas_data.request_incomplete "+
		"habeas_data.request_message habeas_data.request_extended "+
		"habeas_data.request_answered" {
		t.Fatalf("audit trail: %s", got)
	}
	if msgs, _ := file.body["messages"].([]any); len(msgs) != 4 {
		t.Fatalf("messages: %v", file.body["messages"])
	}
	smtp.WaitFor(t, "luz@example.co", "Respuesta a su reclamo", 10*time.Second)
	if r := check(luz.id, "purchases"); r.body["reclamo_en_tramite"] != false {
		t.Fatalf("legend after the answer: %s", r.raw)
	}
	metrics := api.do("GET", "/metrics", "", "").raw
	if !strings.Contains(metrics, `cerrojo_habeas_requests_open{kind="reclamo"} 0`) {
		t.Fatal("the request metrics are not exported")
	}

	// 5. Luz downloads her data; it needs a recent sign-in.
	ageSession(t, n, luz.token, 2*time.Hour)
	api.do("GET", "/v1/me/habeas-data/export", "", luz.token).
		want(t, 401, "export with an old sign-in")
	luz.token = signIn(t, api, "luz@example.co").str("access_token")
	exp := api.do("GET", "/v1/me/habeas-data/export", "", luz.token).want(t, 200, "export")
	sections, _ := exp.body["sections"].(map[string]any)
	for _, s := range []string{"profile", "sessions", "second_factors", "passkeys", "roles",
		"social_identities", "connected_apps", "audit_records", "consents",
		"habeas_data_requests", "legal_holds"} {
		if _, ok := sections[s]; !ok {
			t.Errorf("the export lacks %s", s)
		}
	}
	if p, _ := sections["profile"].(map[string]any); p["email"] != "luz@example.co" {
		t.Errorf("profile %v", sections["profile"])
	}
	if c, _ := sections["consents"].([]any); len(c) != 3 {
		t.Errorf("%d consent rows in the export, want 3", len(c))
	}
	if a, _ := sections["audit_records"].(map[string]any); len(a["records"].([]any)) == 0 {
		t.Error("the export has no audit records about her")
	}

	// 6. Suppression: a service registered a legal hold on her invoices.
	api.do("POST", "/v1/habeas-data/holds", `{"subject_id":"`+luz.id+
		`","category":"commercial_records","basis":"Código de Comercio art. 60",
		"description":"Facturas de sus compras.","until":"2036-01-31"}`, "", basic...).
		want(t, 201, "legal hold")
	sup := api.do("POST", "/v1/me/habeas-data/requests", `{"type":"suppression",
		"description":"Borren mis datos."}`, luz.token).want(t, 201, "file suppression")
	admin.do("POST", "/v1/admin/habeas-data/requests/"+id+"/suppress", "", "").
		want(t, 409, "suppress through a correction")
	done := admin.do("POST", "/v1/admin/habeas-data/requests/"+sup.str("id")+"/suppress", "",
		"").want(t, 200, "suppress")
	var report struct {
		Pseudonym string `json:"pseudonym"`
		Kept      []struct {
			Category string `json:"category"`
			Until    string `json:"until"`
		} `json:"kept"`
		AuditRecords int64 `json:"audit_records_pseudonymised"`
	}
	if err := json.Unmarshal([]byte(done.raw), &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Kept) == 0 || report.Kept[0].Category != "commercial_records" ||
		report.Kept[0].Until != "2036-01-31" || report.AuditRecords == 0 {
		t.Fatalf("suppression report %s", done.raw)
	}
	// The answer reaches the address the suppression deleted, and says what
	// is kept and why.
	eventually(t, "the suppression's answer", func() bool {
		for _, m := range smtp.Messages() {
			if strings.Contains(m.Text, "Código de Comercio art. 60") &&
				strings.Contains(m.Text, "2036-01-31") {
				return true
			}
		}
		return false
	})
	api.do("POST", "/v1/auth/login", credentials("luz@example.co"), "").
		want(t, 401, "sign in after suppression")
	api.do("GET", "/v1/me/consents", "", luz.token).want(t, 401, "her old token")
	if r := check(luz.id, "purchases"); r.body["allowed"] != false ||
		r.str("reason") != "suppressed" {
		t.Fatalf("check after suppression: %s", r.raw)
	}
	kept := admin.do("GET", "/v1/admin/users/"+report.Pseudonym+"/consents", "", "").
		want(t, 200, "the kept ledger")
	if h, _ := kept.body["history"].([]any); len(h) != 3 {
		t.Fatalf("kept ledger: %s", kept.raw)
	}
	vr, err := audit.Verify(ctx, n.app.DB, audit.VerifyOptions{})
	if err != nil || !vr.OK() || vr.Redacted < report.AuditRecords {
		t.Fatalf("audit verify after suppression: %+v %v", vr, err)
	}
	page, err := n.app.Audit.Search(ctx, audit.Query{ActorID: luz.id})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("audit records still name her: %d %v", len(page.Records), err)
	}
	// The other person is untouched.
	signIn(t, api, "otro@example.co")
}
