package mail

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// eventTime is 3:04 p.m. in Bogotá on 12 March 2026.
var eventTime = time.Date(2026, 3, 12, 20, 4, 0, 0, time.UTC)

func newTestRenderer(t *testing.T) *Renderer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.SiteName = "Mercado Ejemplo"
	cfg.SupportURL = "https://ayuda.mercado.example/seguridad"
	r, err := NewRenderer(cfg)
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	return r
}

// goldenCases holds every email at least once, with the branches of each
// template that change the text.
var goldenCases = []struct {
	name  string
	email Email
}{
	{"verify_email", VerifyEmail{Code: "482913",
		Link: "https://mercado.example/verificar?token=abc123&lang=es", ExpiresIn: 30 * time.Minute}},
	{"verify_email_code_only", VerifyEmail{Code: "482913", ExpiresIn: 15 * time.Minute}},
	{"sign_in_code", SignInCode{Code: "105733", ExpiresIn: 10 * time.Minute}},
	{"password_reset", PasswordReset{Link: "https://mercado.example/restablecer?token=xyz789",
		ExpiresIn: time.Hour}},
	{"password_changed", PasswordChanged{When: eventTime, IP: netip.MustParseAddr("190.24.10.5")}},
	{"password_changed_no_ip", PasswordChanged{When: eventTime}},
	{"email_changed", EmailChanged{NewAddress: "nuevo.correo@example.co", When: eventTime,
		IP:          netip.MustParseAddr("2800:e2:9c00::1"),
		RecoverLink: "https://mercado.example/deshacer?token=r3c0v3r"}},
	{"email_changed_no_link", EmailChanged{NewAddress: "nuevo.correo@example.co", When: eventTime}},
	{"factor_added", FactorChanged{Action: FactorAdded, Factor: FactorPasskey,
		Label: "iPhone de Ana", When: eventTime, IP: netip.MustParseAddr("181.49.3.7")}},
	{"factor_removed", FactorChanged{Action: FactorRemoved, Factor: FactorTOTP, When: eventTime}},
	{"session_revoked", SessionRevoked{When: eventTime, IP: netip.MustParseAddr("45.5.164.2")}},
	{"recovery_code_used", RecoveryCodeUsed{When: eventTime, Remaining: 7}},
	{"recovery_code_used_few_left", RecoveryCodeUsed{When: eventTime, Remaining: 1,
		IP: netip.MustParseAddr("190.24.10.5")}},
	{"vendor_review_approved", VendorReview{StoreName: "Café Doña Inés", Outcome: ReviewApproved,
		Link: "https://mercado.example/vendedores/panel"}},
	{"vendor_review_changes", VendorReview{StoreName: "Café Doña Inés",
		Outcome: ReviewChangesRequested,
		Reason:  "El RUT adjunto está vencido; adjunte uno expedido en los últimos 30 días."}},
	{"vendor_review_rejected", VendorReview{StoreName: "Tienda <b>X</b> & Cía",
		Outcome: ReviewRejected, Reason: `La cédula no coincide con el "representante legal".`}},
	{"vendor_notice", VendorNotice{Title: "Actualizamos las comisiones",
		Paragraphs: []string{"Desde el 1 de abril la comisión por venta será del 8 %.",
			"Puede revisar el detalle en su panel."},
		Link: "https://mercado.example/vendedores/comisiones"}},
	{"habeas_data_received", HabeasDataNotice{RequestID: "hdr_abc123", Kind: "reclamo",
		Event: "received", DueDate: "2026-01-19"}},
	{"habeas_data_extended", HabeasDataNotice{RequestID: "hdr_abc123", Kind: "consulta",
		Event: "extended", DueDate: "2026-01-26",
		Paragraphs: []string{"Debemos consultar a un proveedor que conserva parte de sus datos."}}},
	{"habeas_data_answered", HabeasDataNotice{RequestID: "hdr_abc123", Kind: "reclamo",
		Event: "answered", Paragraphs: []string{"Corregimos su nombre.", "Gracias."}}},
}

func TestRenderGolden(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range Locales {
		for _, tc := range goldenCases {
			t.Run(string(l)+"/"+tc.name, func(t *testing.T) {
				m, err := r.Render(l, "ana@example.co", tc.email)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				got := "Subject: " + m.Subject + "\n\n--- text/plain ---\n" + m.Text +
					"\n--- text/html ---\n" + m.HTML
				path := filepath.Join("testdata", "golden", tc.name+"."+string(l)+".txt")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("rendered message differs from %s (run go test -update and "+
						"review the diff)\ngot:\n%s", path, got)
				}
			})
		}
	}
}

func TestRenderCoversEveryEmail(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range goldenCases {
		covered[tc.email.kind()] = true
	}
	for _, e := range allEmails {
		if !covered[e.kind()] {
			t.Errorf("no golden case for %s", e.kind())
		}
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	r := newTestRenderer(t)
	m, err := r.Render(SpanishColombia, "ana@example.co", VendorReview{
		StoreName: `<script>alert(1)</script>`, Outcome: ReviewRejected,
		Reason: `<img src=x onerror=alert(1)>`})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	for _, bad := range []string{"<script>", "<img"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains %q unescaped", bad)
		}
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML does not show the escaped store name")
	}
	if !strings.Contains(m.Text, "<script>alert(1)</script>") {
		t.Errorf("plain text should show the name as written")
	}
}

func TestRenderLocaleFallback(t *testing.T) {
	r := newTestRenderer(t)
	e := SignInCode{Code: "123456", ExpiresIn: 5 * time.Minute}
	want, err := r.Render(SpanishColombia, "ana@example.co", e)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Locale{"", "pt-BR", "fr"} {
		got, err := r.Render(l, "ana@example.co", e)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("locale %q: got subject %q, want the es-CO message", l, got.Subject)
		}
	}
}

func TestMatchLocale(t *testing.T) {
	tests := []struct {
		tag  string
		want Locale
	}{
		{"es-CO", SpanishColombia},
		{"es", SpanishColombia},
		{"en", English},
		{"en-US", English},
		{"EN_gb", English},
		{"en-US,en;q=0.9,es;q=0.8", English},
		{"es-CO,en;q=0.5", SpanishColombia},
		{"fr-FR", SpanishColombia},
		{"", SpanishColombia},
		{"english", SpanishColombia},
		{"en-" + strings.Repeat("x", maxLocaleTagBytes), SpanishColombia},
	}
	for _, tc := range tests {
		if got := MatchLocale(tc.tag); got != tc.want {
			t.Errorf("MatchLocale(%q): got %q, want %q", tc.tag, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d      time.Duration
		es, en string
	}{
		{time.Minute, "1 minuto", "1 minute"},
		{90 * time.Second, "2 minutos", "2 minutes"},
		{15 * time.Minute, "15 minutos", "15 minutes"},
		{90 * time.Minute, "90 minutos", "90 minutes"},
		{time.Hour, "1 hora", "1 hour"},
		{24 * time.Hour, "24 horas", "24 hours"},
		{72 * time.Hour, "3 días", "3 days"},
	}
	for _, tc := range tests {
		if got := formatDuration(SpanishColombia, tc.d); got != tc.es {
			t.Errorf("es-CO %s: got %q, want %q", tc.d, got, tc.es)
		}
		if got := formatDuration(English, tc.d); got != tc.en {
			t.Errorf("en %s: got %q, want %q", tc.d, got, tc.en)
		}
	}
}

func TestFormatTime(t *testing.T) {
	midnight := time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC) // 00:00 in Bogotá
	tests := []struct {
		t      time.Time
		es, en string
	}{
		{eventTime, "12 de marzo de 2026, 3:04 p. m. (hora de Colombia)",
			"March 12, 2026, 3:04 PM (Colombia time)"},
		{midnight, "1 de enero de 2026, 12:00 a. m. (hora de Colombia)",
			"January 1, 2026, 12:00 AM (Colombia time)"},
	}
	for _, tc := range tests {
		if got := formatTime(SpanishColombia, tc.t); got != tc.es {
			t.Errorf("es-CO: got %q, want %q", got, tc.es)
		}
		if got := formatTime(English, tc.t); got != tc.en {
			t.Errorf("en: got %q, want %q", got, tc.en)
		}
	}
}

func TestRenderRejectsBadData(t *testing.T) {
	r := newTestRenderer(t)
	long := strings.Repeat("a", maxFieldRunes+1)
	tests := []struct {
		name  string
		to    string
		email Email
		want  error
	}{
		{"nil email", "ana@example.co", nil, ErrInvalidData},
		{"recipient with CRLF", "ana@example.co\r\nBcc: x@evil.example",
			SignInCode{Code: "123456", ExpiresIn: time.Minute}, ErrInvalidMessage},
		{"empty code", "ana@example.co", SignInCode{ExpiresIn: time.Minute}, ErrInvalidData},
		{"code with markup", "ana@example.co",
			SignInCode{Code: "<b>1234</b>", ExpiresIn: time.Minute}, ErrInvalidData},
		{"code too long", "ana@example.co",
			SignInCode{Code: strings.Repeat("1", 17), ExpiresIn: time.Minute}, ErrInvalidData},
		{"zero expiry", "ana@example.co", SignInCode{Code: "123456"}, ErrInvalidData},
		{"expiry past the cap", "ana@example.co",
			SignInCode{Code: "123456", ExpiresIn: maxExpiry + time.Minute}, ErrInvalidData},
		{"reset without link", "ana@example.co", PasswordReset{ExpiresIn: time.Hour},
			ErrInvalidLink},
		{"reset with javascript link", "ana@example.co",
			PasswordReset{Link: "javascript:alert(1)", ExpiresIn: time.Hour}, ErrInvalidLink},
		{"verify with http link", "ana@example.co", VerifyEmail{Code: "123456",
			Link: "http://mercado.example/v", ExpiresIn: time.Hour}, ErrInvalidLink},
		{"notice without time", "ana@example.co", PasswordChanged{}, ErrInvalidData},
		{"bad new address", "ana@example.co",
			EmailChanged{NewAddress: "x\n@evil.example", When: eventTime}, ErrInvalidMessage},
		{"unknown factor", "ana@example.co",
			FactorChanged{Action: FactorAdded, Factor: "carrier-pigeon", When: eventTime},
			ErrInvalidData},
		{"unknown action", "ana@example.co",
			FactorChanged{Action: "renamed", Factor: FactorSMS, When: eventTime}, ErrInvalidData},
		{"label with newline", "ana@example.co", FactorChanged{Action: FactorAdded,
			Factor: FactorPasskey, Label: "a\nb", When: eventTime}, ErrInvalidData},
		{"label with bidi override", "ana@example.co", FactorChanged{Action: FactorAdded,
			Factor: FactorPasskey, Label: "abc\u202etxt.exe", When: eventTime}, ErrInvalidData},
		{"negative remaining", "ana@example.co",
			RecoveryCodeUsed{When: eventTime, Remaining: -1}, ErrInvalidData},
		{"remaining past the cap", "ana@example.co",
			RecoveryCodeUsed{When: eventTime, Remaining: maxRecoveryCodes + 1}, ErrInvalidData},
		{"store name too long", "ana@example.co",
			VendorReview{StoreName: long, Outcome: ReviewApproved}, ErrInvalidData},
		{"rejection without reason", "ana@example.co",
			VendorReview{StoreName: "X", Outcome: ReviewRejected}, ErrInvalidData},
		{"unknown outcome", "ana@example.co",
			VendorReview{StoreName: "X", Outcome: "maybe"}, ErrInvalidData},
		{"notice title with CRLF", "ana@example.co", VendorNotice{
			Title: "Hola\r\nBcc: x@evil.example", Paragraphs: []string{"p"}}, ErrInvalidData},
		{"notice without paragraphs", "ana@example.co", VendorNotice{Title: "T"}, ErrInvalidData},
		{"notice with too many paragraphs", "ana@example.co", VendorNotice{Title: "T",
			Paragraphs: make([]string, maxParagraphs+1)}, ErrInvalidData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Render(SpanishColombia, tc.to, tc.email)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want an error wrapping %v", err, tc.want)
			}
		})
	}
}

func TestRenderAppliesLinkHosts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LinkHosts = []string{"mercado.example"}
	r, err := NewRenderer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ok := PasswordReset{Link: "https://MERCADO.example/r?t=1", ExpiresIn: time.Hour}
	if _, err := r.Render(English, "ana@example.co", ok); err != nil {
		t.Errorf("allowed host: %v", err)
	}
	bad := PasswordReset{Link: "https://mercado.example.evil.example/r?t=1", ExpiresIn: time.Hour}
	if _, err := r.Render(English, "ana@example.co", bad); !errors.Is(err, ErrInvalidLink) {
		t.Errorf("other host: got %v, want ErrInvalidLink", err)
	}
}

func TestNewRendererRejectsBadConfig(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"empty site name":    func(c *Config) { c.SiteName = " " },
		"site name with LF":  func(c *Config) { c.SiteName = "a\nb" },
		"site name too long": func(c *Config) { c.SiteName = strings.Repeat("x", maxSiteNameRunes+1) },
		"http support URL":   func(c *Config) { c.SupportURL = "http://ayuda.example" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			mutate(&cfg)
			if _, err := NewRenderer(cfg); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}
