package vendors

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

type server struct {
	pub, admin *httptest.Server
}

func newServer(t *testing.T, f *fixture) *server {
	h := &Handlers{Service: f.svc, userOf: func(r *http.Request) string {
		return r.Header.Get("X-Test-User")
	}}
	pub, admin := httpx.NewRouter(), httpx.NewRouter()
	h.PublicRoutes(pub, func(next http.Handler) http.Handler { return next })
	h.AdminRoutes(admin)
	s := &server{pub: httptest.NewServer(pub), admin: httptest.NewServer(admin)}
	t.Cleanup(s.pub.Close)
	t.Cleanup(s.admin.Close)
	return s
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

func (r reply) code(t *testing.T) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

func do(t *testing.T, base, method, path, user, ctype string, body []byte) reply {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

const (
	ctJSON = "application/json"
	ctPDF  = "application/pdf"
)

func TestHTTPOwnerFlow(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		s := newServer(t, f)
		pub := func(method, path, user, ctype string, body []byte) reply {
			return do(t, s.pub.URL, method, path, user, ctype, body)
		}
		if r := pub("POST", "/v1/vendors", "owner", ctJSON, []byte("{")); r.status != 400 ||
			r.code(t) != httpx.CodeInvalidJSON {
			t.Errorf("bad json: %d %s", r.status, r.body)
		}
		r := pub("POST", "/v1/vendors", "owner", ctJSON, []byte(`{"nope":1}`))
		if r.status != 400 ||
			r.code(t) != httpx.CodeUnknownField {
			t.Errorf("unknown field: %d %s", r.status, r.body)
		}
		bad := juridica()
		bad.Identification.Number = "900373115-4"
		r = pub("POST", "/v1/vendors", "owner", ctJSON, mustJSON(bad))
		if r.status != 400 || r.code(t) != httpx.CodeValidationFailed ||
			!strings.Contains(string(r.body), `"field":"/identification/number"`) ||
			!strings.Contains(string(r.body), "expected digit is 3") {
			t.Errorf("check digit: %d %s", r.status, r.body)
		}
		r = pub("POST", "/v1/vendors", "owner", ctJSON, mustJSON(juridica()))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		if strings.Contains(string(r.body), "900373115") || strings.Contains(string(r.body),
			"45678901") {
			t.Errorf("numbers in clear: %s", r.body)
		}
		r = pub("POST", "/v1/vendors", "other", ctJSON, mustJSON(juridica()))
		if r.status != 409 ||
			r.code(t) != "vendor_already_registered" {
			t.Errorf("duplicate: %d %s", r.status, r.body)
		}
		v := "/v1/vendors/" + id
		for _, c := range []struct{ method, path string }{{"GET", v}, {"PATCH", v},
			{"POST", v + "/submit"}, {"GET", v + "/staff"}, {"GET", v + "/documents/rut"},
			{"PUT", v + "/documents/rut"}, {"DELETE", v + "/staff/owner"},
			{"POST", v + "/staff/invitations"}} {
			body := []byte(`{"trade_name":"x"}`)
			ct := ctJSON
			switch {
			case c.method == "PUT":
				body, ct = pdf, ctPDF
			case strings.HasSuffix(c.path, "invitations"):
				body = []byte(`{"email":"a@b.co","role":"vendor_staff"}`)
			}
			if r := pub(c.method, c.path, "other", ct, body); r.status != 404 {
				t.Errorf("%s %s by another person: %d %s", c.method, c.path, r.status, r.body)
			}
		}
		if r := pub("GET", v, "owner", "", nil); r.status != 200 {
			t.Errorf("get: %d", r.status)
		}
		r = pub("PATCH", v, "owner", ctJSON, []byte(`{"trade_name":"Caribe"}`))
		if r.status != 200 ||
			r.json(t)["trade_name"] != "Caribe" {
			t.Errorf("patch: %d %s", r.status, r.body)
		}
		if r := pub("POST", v+"/submit", "owner", "", nil); r.status != 409 ||
			r.code(t) != "documents_missing" {
			t.Errorf("submit without documents: %d %s", r.status, r.body)
		}
		html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
		if r := pub("PUT", v+"/documents/rut", "owner", ctPDF, html); r.status != 400 ||
			r.code(t) != "unsupported_document" {
			t.Errorf("html as pdf: %d %s", r.status, r.body)
		}
		big := append(append([]byte{}, pdf[:9]...), bytes.Repeat([]byte("x"), 1<<20)...)
		if r := pub("PUT", v+"/documents/rut", "owner", ctPDF, big); r.status != 413 {
			t.Errorf("oversized: %d %s", r.status, r.body)
		}
		if r := pub("PUT", v+"/documents/nope", "owner", ctPDF, pdf); r.status != 404 {
			t.Errorf("bad kind: %d", r.status)
		}
		for _, k := range RequiredDocuments(Juridica) {
			if r := pub("PUT", v+"/documents/"+k, "owner", ctPDF, pdf); r.status != 200 {
				t.Fatalf("upload %s: %d %s", k, r.status, r.body)
			}
		}
		r = pub("GET", v+"/documents/rut", "owner", "", nil)
		if r.status != 200 || !bytes.Equal(r.body, pdf) ||
			r.header.Get("Content-Type") != ctPDF ||
			!strings.Contains(r.header.Get("Content-Disposition"), "attachment") ||
			r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("download: %d %v", r.status, r.header)
		}
		if r := pub("POST", v+"/submit", "owner", "", nil); r.status != 200 {
			t.Errorf("submit: %d %s", r.status, r.body)
		}
		if r := pub("PATCH", v, "owner", ctJSON, []byte(`{"trade_name":"x"}`)); r.status != 409 ||
			r.code(t) != "vendor_status" {
			t.Errorf("patch submitted: %d %s", r.status, r.body)
		}

		// Staff.
		f.db.Exec(f.db.Rebind(`UPDATE users SET email_verified = ? WHERE id = 'staff1'`), true)
		r = pub("POST", v+"/staff/invitations", "owner", ctJSON,
			[]byte(`{"email":"staff1@ejemplo.co","role":"vendor_staff"}`))
		if r.status != 201 {
			t.Fatalf("invite: %d %s", r.status, r.body)
		}
		sent := f.sent()
		token := sent[len(sent)-1].link[strings.Index(sent[len(sent)-1].link, "=")+1:]
		accept := []byte(`{"token":"` + token + `"}`)
		const acc = "/v1/vendor-invitations/accept"
		if r := pub("POST", acc, "other", ctJSON, accept); r.status != 403 {
			t.Errorf("wrong person: %d %s", r.status, r.body)
		}
		if r := pub("POST", acc, "staff1", ctJSON, accept); r.status != 200 {
			t.Errorf("accept: %d %s", r.status, r.body)
		}
		if r := pub("POST", acc, "staff1", ctJSON, accept); r.status != 409 {
			t.Errorf("reuse: %d %s", r.status, r.body)
		}
		if r := pub("GET", v+"/staff", "owner", "", nil); r.status != 200 ||
			!strings.Contains(string(r.body), `"user_id":"staff1"`) {
			t.Errorf("staff: %d %s", r.status, r.body)
		}
		if r := pub("DELETE", v+"/staff/staff1", "owner", "", nil); r.status != 204 {
			t.Errorf("remove: %d %s", r.status, r.body)
		}
		if r := pub("DELETE", v+"/staff/staff1", "owner", "", nil); r.status != 404 {
			t.Errorf("remove again: %d", r.status)
		}
	})
}

func TestHTTPAdmin(t *testing.T) {
	eachDB(t, 2, func(t *testing.T, f *fixture) {
		s := newServer(t, f)
		adm := func(method, path, body string) reply {
			ct := ""
			if body != "" {
				ct = ctJSON
			}
			return do(t, s.admin.URL, method, path, "", ct, []byte(body))
		}
		v := f.submitted(t)
		p := "/v1/admin/vendors/" + v.ID
		if r := adm("GET", "/v1/admin/vendors", ""); r.status != 200 ||
			!strings.Contains(string(r.body), v.ID) {
			t.Errorf("queue: %d %s", r.status, r.body)
		}
		if r := adm("GET", "/v1/admin/vendors?status=nope", ""); r.status != 400 {
			t.Errorf("bad status: %d", r.status)
		}
		if r := adm("GET", "/v1/admin/vendors?status=draft", ""); r.status != 200 {
			t.Errorf("drafts: %d", r.status)
		}
		r := adm("GET", p, "")
		if r.status != 200 || strings.Contains(string(r.body), "900373115") ||
			!strings.Contains(string(r.body), "***1153") {
			t.Errorf("get: %d %s", r.status, r.body)
		}
		if r := adm("GET", "/v1/admin/vendors/vnd_nope", ""); r.status != 404 {
			t.Errorf("missing: %d", r.status)
		}
		r = adm("GET", p+"/identification", "")
		if r.status != 200 || r.json(t)["number"] != "900373115-3" {
			t.Errorf("identification: %d %s", r.status, r.body)
		}
		if r := adm("GET", p+"/documents/rut", ""); r.status != 200 ||
			r.header.Get("Content-Type") != ctPDF {
			t.Errorf("admin download: %d", r.status)
		}
		if r := adm("POST", p+"/approve", `{}`); r.status != 400 {
			t.Errorf("approve without reviewer: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/approve", `{"reviewer":"ana@c.co","extra":1}`); r.status != 400 ||
			r.code(t) != httpx.CodeUnknownField {
			t.Errorf("unknown field: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/approve", `{"reviewer":"ana@c.co"}`); r.status != 200 ||
			r.json(t)["status"] != StatusInReview {
			t.Errorf("approve 1: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/approve", `{"reviewer":"ana@c.co"}`); r.status != 409 ||
			r.code(t) != "same_reviewer" {
			t.Errorf("same reviewer: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/reject", `{"reviewer":"luis@c.co"}`); r.status != 400 {
			t.Errorf("reject without reasons: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/approve", `{"reviewer":"luis@c.co"}`); r.status != 200 ||
			r.json(t)["status"] != StatusApproved {
			t.Errorf("approve 2: %d %s", r.status, r.body)
		}
		r = adm("POST", p+"/reject", `{"reviewer":"luis@c.co","reasons":["x"]}`)
		if r.status != 409 {
			t.Errorf("reject approved: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/suspend", `{}`); r.status != 400 {
			t.Errorf("suspend without reason: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/suspend", `{"reason":"Reclamos de fraude"}`); r.status != 200 {
			t.Errorf("suspend: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/reinstate", ""); r.status != 200 ||
			r.json(t)["status"] != StatusApproved {
			t.Errorf("reinstate: %d %s", r.status, r.body)
		}
		if r := adm("POST", p+"/reinstate", ""); r.status != 409 {
			t.Errorf("reinstate approved: %d %s", r.status, r.body)
		}
		w := f.create(t, natural())
		f.uploadAll(t, w)
		f.svc.Submit(ctx, "owner", w.ID, meta)
		if r := adm("POST", "/v1/admin/vendors/"+w.ID+"/reject",
			`{"reviewer":"luis@c.co","reasons":["RUT desactualizado"]}`); r.status != 200 ||
			r.json(t)["status"] != StatusRejected {
			t.Errorf("reject: %d %s", r.status, r.body)
		}
		f.wantAudit(t, "vendor.identification_viewed", "vendor.document_downloaded",
			"vendor.approved", "vendor.rejected", "vendor.suspended", "vendor.reinstated")
	})
}

func FuzzCreateBody(f *testing.F) {
	f.Add(string(mustJSON(juridica())))
	f.Add(string(mustJSON(natural())))
	f.Add(`{"identification":{"type":31,"number":"9003731153"}}`)
	f.Add(`{"tax_responsibilities":["R-99-PN","O-48","O-49"]}`)
	f.Add(`{"identification":{"type":31,"number":"--"},"address":{"municipio":"1"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in Input
		if err := httpx.DecodeJSONBytes([]byte(body), &in); err != nil {
			return
		}
		v, err := validate(in)
		if err != nil {
			var ve *ValidationError
			p := problem(err)
			if !errorsAs(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("error %v is not a validation error", err)
			}
			if pp, ok := p.(*httpx.Problem); !ok || pp.Status != 400 {
				t.Fatalf("problem = %v", p)
			}
			return
		}
		// A valid input is canonical: validating it again changes nothing.
		again, err := validate(v.Input)
		if err != nil {
			t.Fatalf("canonical input refused: %v", err)
		}
		if again.doc != v.doc || again.bank != v.bank {
			t.Fatalf("not idempotent")
		}
	})
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
