package filestore

import (
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestServeDownloadHeaders(t *testing.T) {
	content := []byte(tinyPDF)
	rec := httptest.NewRecorder()
	ServeDownload(rec, PDF, "RUT 2024.pdf", content)
	res := rec.Result()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	want := map[string]string{
		"Content-Type":                 "application/pdf",
		"Content-Disposition":          `attachment; filename="RUT 2024.pdf"`,
		"X-Content-Type-Options":       "nosniff",
		"Content-Security-Policy":      "sandbox; default-src 'none'",
		"Cache-Control":                "no-store",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Content-Length":               strconv.Itoa(len(content)),
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if rec.Body.String() != tinyPDF {
		t.Error("body differs")
	}
}

func TestServeDownloadUnknownKind(t *testing.T) {
	rec := httptest.NewRecorder()
	ServeDownload(rec, "html", "x.html", []byte("<script>alert(1)</script>"))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "<") {
		t.Errorf("unknown kind: %d %q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("Content-Disposition") != "" {
		t.Error("Content-Disposition set for an unknown kind")
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct {
		name     string
		kind     Kind
		filename string
		want     string
	}{
		{"plain", PDF, "rut.pdf", `attachment; filename="rut.pdf"`},
		{"extension case", PDF, "RUT.PDF", `attachment; filename="RUT.pdf"`},
		{"extension added", PNG, "cedula", `attachment; filename="cedula.png"`},
		{"wrong extension kept, right one added", PDF, "x.html",
			`attachment; filename="x.html.pdf"`},
		{"jpeg alias", JPEG, "foto.JPEG", `attachment; filename="foto.jpg"`},
		{"quotes", PDF, `a"b".pdf`,
			`attachment; filename="a_b_.pdf"`},
		{"crlf header injection", PDF, "a\r\nSet-Cookie: x=1\r\n.pdf",
			`attachment; filename="aSet-Cookie_ x_1.pdf"; ` +
				`filename*=UTF-8''aSet-Cookie%3A%20x%3D1.pdf`},
		{"non-ascii", PDF, "Cámara de Comercio ñandú.pdf",
			`attachment; filename="Camara de Comercio nandu.pdf"; ` +
				`filename*=UTF-8''C%C3%A1mara%20de%20Comercio%20%C3%B1and%C3%BA.pdf`},
		{"path", PDF, `../../etc/passwd`, `attachment; filename="passwd.pdf"`},
		{"windows path", PDF, `C:\Users\x\rut.pdf`, `attachment; filename="rut.pdf"`},
		{"bidi override", PDF, "factura\u202Efdp.exe",
			`attachment; filename="facturafdp.exe.pdf"`},
		{"hidden", PDF, ".htaccess", `attachment; filename="htaccess.pdf"`},
		{"empty", PDF, "", `attachment; filename="documento.pdf"`},
		{"only dots", PNG, "...", `attachment; filename="documento.png"`},
		{"emoji", PDF, "😀.pdf",
			`attachment; filename="_.pdf"; filename*=UTF-8''%F0%9F%98%80.pdf`},
		{"invalid utf-8", PDF, "a\xffb.pdf", `attachment; filename="ab.pdf"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContentDisposition(tt.kind, tt.filename)
			if tt.want != "" && got != tt.want {
				t.Errorf("ContentDisposition(%q) =\n %s\nwant\n %s", tt.filename, got, tt.want)
			}
			checkDisposition(t, got, tt.kind)
		})
	}
}

// checkDisposition checks a header value is safe ASCII, parses as an
// attachment, and its file name ends in the kind's extension.
func checkDisposition(t *testing.T, v string, kind Kind) {
	t.Helper()
	for _, c := range []byte(v) {
		if c < 0x20 || c > 0x7E {
			t.Fatalf("byte %#x in %q", c, v)
		}
	}
	disp, params, err := mime.ParseMediaType(v)
	if err != nil || disp != "attachment" {
		t.Fatalf("%q does not parse: %s %v", v, disp, err)
	}
	// mime.ParseMediaType decodes filename* into filename.
	name := params["filename"]
	if !strings.HasSuffix(name, kind.Extension()) || strings.ContainsAny(name, "/\\\"\r\n") ||
		strings.HasPrefix(name, ".") {
		t.Errorf("unsafe filename %q", name)
	}
}

func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"rut.pdf", "a\r\nb", `"\`, "Cámara.pdf", "../x", "\u202E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, k := range []Kind{PDF, JPEG, PNG} {
			checkDisposition(t, ContentDisposition(k, name), k)
		}
	})
}
