package dian_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

func serve(t *testing.T, s *dian.Service, path, body string) (int, map[string]any) {
	t.Helper()
	rt := httpx.NewRouter()
	s.Routes(rt)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

const annexInvoice = `"kind":"invoice","number":"323200000129","issue_date":"2019-01-16",
	"issue_time":"10:53:10-05:00","subtotal":"1500000.00","iva":285000.00,"inc":"0",
	"ica":"0.00","total":"1785000.00","issuer_nit":"700085371","buyer_id":"800199436",
	"environment":1`

// TestVerifyRoute: the annex's invoice verifies with the key given (and the
// computed CUFE and QR are returned), and with the configured key (the
// computed code is then withheld); a changed field does not verify; bad
// fields are 400 with pointers.
func TestVerifyRoute(t *testing.T) {
	s := &dian.Service{TechnicalKey: "693ff6f2a553c3646a063436fd4dd9ded0311471"}
	code, out := serve(t, s, "/v1/dian/cufe/verify", `{`+annexInvoice+
		`,"key":"693ff6f2a553c3646a063436fd4dd9ded0311471","cufe":"`+strings.ToUpper(cufe)+`"}`)
	if code != 200 || out["valid"] != true || out["computed"] != cufe ||
		out["algorithm"] != "CUFE-SHA384" || !strings.HasPrefix(out["qr"].(string), "NumFac: ") {
		t.Fatal(code, out)
	}
	code, out = serve(t, s, "/v1/dian/cufe/verify", `{`+annexInvoice+`,"cufe":"`+cufe+`"}`)
	if code != 200 || out["valid"] != true || out["computed"] != nil {
		t.Fatal(code, out)
	}
	changed := strings.Replace(annexInvoice, "800199436", "800199437", 1)
	code, out = serve(t, s, "/v1/dian/cufe/verify", `{`+changed+`,"cufe":"`+cufe+`"}`)
	if code != 200 || out["valid"] != false || out["qr"] != nil {
		t.Fatal(code, out)
	}
	bad := strings.Replace(annexInvoice, `"1785000.00"`, `"1.785.000,00"`, 1)
	code, out = serve(t, s, "/v1/dian/cufe/verify", `{`+bad+`,"cufe":"`+cufe+`"}`)
	if code != 400 || out["code"] != dian.CodeInvalidDocument ||
		!strings.Contains(toJSON(out["errors"]), "/total") {
		t.Fatal(code, out)
	}
	note := strings.Replace(annexInvoice, `"invoice"`, `"credit_note"`, 1)
	code, out = serve(t, s, "/v1/dian/cufe/verify", `{`+note+`,"cufe":"`+cufe+`"}`)
	if code != 400 || !strings.Contains(toJSON(out["errors"]), "/key") {
		t.Fatal("a note without a configured PIN needs a key", code, out)
	}
	code, _ = serve(t, s, "/v1/dian/cufe/verify", `{`+annexInvoice+`,"cufe":"`+cufe+
		`","extra":1}`)
	if code != 400 {
		t.Fatal("unknown field accepted", code)
	}
}

func TestQRParseRoute(t *testing.T) {
	s := &dian.Service{}
	content := "NumFac: 323200000129\nFecFac: 2019-01-16\nHorFac: 10:53:10-05:00\n" +
		"NitFac: 700085371\nDocAdq: 800199436\nValFac: 1500000.00\nValIva: 285000.00\n" +
		"ValOtroIm: 0.00\nValTolFac: 1785000.00\nCUFE: " + cufe + "\nQRCode: " +
		dian.QRBaseHabilitacion + cufe
	body, _ := json.Marshal(map[string]string{"content": content})
	code, out := serve(t, s, "/v1/dian/qr/parse", string(body))
	if code != 200 || out["num_fac"] != "323200000129" || out["environment"] != 2.0 ||
		out["url"] != dian.QRBaseHabilitacion+cufe {
		t.Fatal(code, out)
	}
	body, _ = json.Marshal(map[string]string{"content": strings.Replace(content,
		"catalogo-vpfe-hab.dian.gov.co", "catalogo-vpfe-hab.dian.gov.co.evil.example", 1)})
	code, out = serve(t, s, "/v1/dian/qr/parse", string(body))
	if code != 400 || out["code"] != dian.CodeInvalidQR {
		t.Fatal(code, out)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
