package rnbd

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/docid"
)

func sampleInput() Input {
	return Input{
		Controller: Controller{
			Name:    "Mercado Andino S.A.S.",
			NIT:     "800197268-4",
			Address: "Calle 100 # 8A-55",
			City:    "Bogotá D.C.",
			Email:   "privacidad@mercadoandino.co",
			Phone:   "+57 601 555 0100",
		},
		// Out of order on purpose: the report sorts.
		Purposes: []Purpose{
			{Code: "seguridad", Description: "Prevenir el fraude y proteger las cuentas"},
			{Code: "cuenta", Description: "Crear y administrar la cuenta del titular"},
			{Code: "mercadeo", Description: "Enviar ofertas del marketplace"},
		},
		PolicyVersion: "2026-01",
		PolicyURL:     "https://mercadoandino.co/privacidad",
		Channels: Channels{
			Email: "habeasdata@mercadoandino.co",
			URL:   "https://mercadoandino.co/habeas-data",
		},
		Processors: []Processor{
			{Name: "Nube Segura S.A.S.", NIT: "900.123.456-8", Country: "Colombia",
				Service: "Alojamiento"},
			{Name: "Envíos SMS Ltd.", Country: "Estados Unidos", Service: "SMS"},
		},
		Transfers: []Transfer{{
			Recipient: "Envíos SMS Ltd.", Country: "Estados Unidos", Kind: "transmisión",
			Purpose: "Enviar códigos de verificación", Safeguard: "Contrato de transmisión",
		}},
		Measures: Measures{
			TLS: true, MFARequiredForAdmins: true, PasswordHashing: "Argon2id",
			EncryptionAtRest: true, AuditTamperEvident: true, AuditRetentionDays: 366,
			Backups: "diarias, cifradas, 30 días", RoleBasedAccess: true,
			SessionIdleTimeout:      7 * 24 * time.Hour,
			AdminSessionIdleTimeout: 15 * time.Minute,
			SessionAbsoluteTimeout:  30 * 24 * time.Hour,
		},
		DatabasePurposes: map[string][]string{DBAudit: {"seguridad"}},
	}
}

func findDB(t *testing.T, r Report, key string) DatabaseReport {
	t.Helper()
	for _, d := range r.Databases {
		if d.Key == key {
			return d
		}
	}
	t.Fatalf("report has no database %q", key)
	return DatabaseReport{}
}

func TestValidateAcceptsSample(t *testing.T) {
	if err := sampleInput().Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := (Input{}).Validate(); err != nil {
		t.Fatalf("Validate of an empty input: %v", err)
	}
}

func TestValidateRejectsBadNIT(t *testing.T) {
	for _, nit := range []string{"800197268-5", "8001972684", "80019726X-4"} {
		in := sampleInput()
		in.Controller.NIT = nit
		err := in.Validate()
		if err == nil {
			t.Errorf("NIT %q: Validate accepted it", nit)
			continue
		}
		if !strings.Contains(err.Error(), "controller NIT") {
			t.Errorf("NIT %q: error %q does not say which field", nit, err)
		}
		if strings.Contains(err.Error(), "80019726") {
			t.Errorf("NIT %q: error %q echoes the number", nit, err)
		}
	}
	in := sampleInput()
	in.Controller.NIT = "800197268-5"
	if err := in.Validate(); !errors.Is(err, docid.ErrCheckDigit) ||
		!strings.Contains(err.Error(), "check_digit_mismatch") {
		t.Errorf("wrong check digit: got %v, want a check-digit error", err)
	}
	in = sampleInput()
	in.Processors[0].NIT = "900123456-1"
	if err := in.Validate(); err == nil || !strings.Contains(err.Error(), "processor 0") {
		t.Errorf("processor with bad NIT: got %v", err)
	}
}

func TestValidateRejectsInconsistentInput(t *testing.T) {
	in := sampleInput()
	in.Purposes = append(in.Purposes, Purpose{Code: "cuenta", Description: "otra"})
	in.DatabasePurposes = map[string][]string{"nope": {"x"}}
	in.Retention = map[string]string{"nada": "1 año"}
	in.Controller.Email = "not an address"
	in.Transfers[0].Kind = "venta"
	err := in.Validate()
	if err == nil {
		t.Fatal("Validate accepted an inconsistent input")
	}
	for _, want := range []string{`"cuenta" is repeated`, `unknown database "nope"`,
		`unknown purpose "x"`, `unknown database "nada"`, "controller email", "venta"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestBuild(t *testing.T) {
	in := sampleInput()
	r := Build(in)
	if r.Controller.NIT != "800.197.268-4" {
		t.Errorf("controller NIT = %q, want the DIAN display form", r.Controller.NIT)
	}
	if got := r.Processors[0].Name; got != "Envíos SMS Ltd." {
		t.Errorf("processors not sorted: first is %q", got)
	}

	audit := findDB(t, r, DBAudit)
	if !slices.Contains(audit.Categories, Technical) {
		t.Errorf("audit categories %v lack %q (IP, User-Agent)", audit.Categories, Technical)
	}
	if len(audit.Purposes) != 1 || audit.Purposes[0].Code != "seguridad" {
		t.Errorf("audit purposes = %v, want only seguridad", audit.Purposes)
	}
	if !strings.Contains(audit.Retention, "366 días") {
		t.Errorf("audit retention %q does not use the configured days", audit.Retention)
	}

	auth := findDB(t, r, DBAuth)
	if auth.Sensitive || !strings.Contains(auth.SensitiveNote, "biométric") {
		t.Errorf("auth: sensitive=%v note=%q; passkeys are not biometric data",
			auth.Sensitive, auth.SensitiveNote)
	}
	if codes := purposeCodes(auth.Purposes); !slices.Equal(codes,
		[]string{"cuenta", "mercadeo", "seguridad"}) {
		t.Errorf("auth purposes = %v, want every purpose, sorted", codes)
	}

	// Every _sealed column is reported as encrypted.
	var encrypted []string
	for _, d := range r.Databases {
		encrypted = append(encrypted, d.Encrypted...)
		for _, tb := range d.Tables {
			for _, c := range tb.Columns {
				if strings.HasSuffix(c.Name, "_sealed") && !c.Encrypted {
					t.Errorf("%s.%s is sealed but not reported encrypted", tb.Name, c.Name)
				}
			}
		}
	}
	for _, want := range []string{"mfa_factors.secret_sealed",
		"mfa_oob_factors.destination_sealed", "keyring_checks.sealed"} {
		if !slices.Contains(encrypted, want) {
			t.Errorf("encrypted columns %v lack %s", encrypted, want)
		}
	}

	users := findDB(t, r, DBUsers)
	if !slices.Contains(users.Hashed, "users.password_hash (Argon2id)") {
		t.Errorf("users hashed = %v, want the password hash", users.Hashed)
	}
	if users.Minors {
		t.Error("users: minors reported though the input does not serve minors")
	}
	if clients := findDB(t, r, DBClients); clients.PersonalData || len(clients.Purposes) != 0 {
		t.Errorf("oauth clients: personal=%v purposes=%v, want none",
			clients.PersonalData, clients.Purposes)
	}

	in.ServesMinors = true
	if !findDB(t, Build(in), DBUsers).Minors {
		t.Error("users: ServesMinors does not report minors")
	}

	md := r.Markdown()
	for _, want := range []string{
		"# Informe para el Registro Nacional de Bases de Datos",
		"800.197.268-4", "Mercado Andino S.A.S.", "Ley 1581 de 2012, art. 25",
		"Registro de auditoría", "datos técnicos/de navegación", "Envíos SMS Ltd.",
		"| `secret_sealed` | datos de acceso/credenciales | Sí | cifrado AES-256-GCM |",
		"15 minutos", "https://mercadoandino.co/habeas-data",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	for _, p := range in.Purposes {
		if !strings.Contains(md, p.Description) {
			t.Errorf("markdown lacks purpose %q", p.Description)
		}
	}
}

func purposeCodes(ps []Purpose) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return out
}

func TestEveryClassifiedTableIsReported(t *testing.T) {
	r := Build(sampleInput())
	var got []string
	for _, d := range r.Databases {
		for _, tb := range d.Tables {
			got = append(got, tb.Name)
		}
	}
	slices.Sort(got)
	if want := sortedKeys(tables); !slices.Equal(got, want) {
		t.Errorf("reported tables %v, want %v", got, want)
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	a, b := Build(sampleInput()), Build(sampleInput())
	if a.Markdown() != b.Markdown() {
		t.Error("two builds of the same input render different Markdown")
	}
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("two builds of the same input marshal to different JSON")
	}
	// Input order must not matter.
	in := sampleInput()
	slices.Reverse(in.Purposes)
	slices.Reverse(in.Processors)
	if Build(in).Markdown() != a.Markdown() {
		t.Error("reordering purposes and processors changes the Markdown")
	}
}

func TestMeasuresFromConfig(t *testing.T) {
	var c config.Config
	c.MFA.RequiredRoles = "vendor_admin, super_admin"
	c.Password.Argon2MemoryKiB, c.Password.Argon2Iterations = 19456, 2
	c.Password.Argon2Parallelism = 1
	c.Audit.RetentionDays = 366
	c.Sessions.IdleTimeout = config.Duration(7 * 24 * time.Hour)
	c.HTTP.TLSCertFile, c.HTTP.TLSKeyFile = "cert.pem", "key.pem"
	m := MeasuresFromConfig(c)
	if !m.MFARequiredForAdmins || m.MFARequiredForAll {
		t.Errorf("MFA: admins=%v all=%v", m.MFARequiredForAdmins, m.MFARequiredForAll)
	}
	if !m.TLS || !m.EncryptionAtRest || !m.AuditTamperEvident || m.AuditRetentionDays != 366 {
		t.Errorf("measures = %+v", m)
	}
	if m.AdminSessionIdleTimeout != 7*24*time.Hour {
		t.Errorf("admin idle = %v, want the general idle timeout", m.AdminSessionIdleTimeout)
	}
	if !strings.Contains(m.PasswordHashing, "19456 KiB") {
		t.Errorf("password hashing = %q", m.PasswordHashing)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "1 día", 30 * 24 * time.Hour: "30 días", 2 * time.Hour: "2 horas",
		15 * time.Minute: "15 minutos", 90 * time.Second: "1m30s",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}
