package rnbd

import (
	"cmp"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/docid"
)

// Title heads the Markdown document.
const Title = "Informe para el Registro Nacional de Bases de Datos"

// Input is what the report needs that the schema cannot tell: who the
// controller is, what its privacy policy says, who processes data for it,
// where data goes abroad and which security measures are in force. Call
// Validate before Build.
type Input struct {
	Controller Controller `json:"controller"`
	// Purposes are the finalidades of the current privacy policy.
	Purposes      []Purpose `json:"purposes"`
	PolicyVersion string    `json:"policy_version"`
	PolicyURL     string    `json:"policy_url"`
	// Channels are where titulares exercise their rights (consultas y
	// reclamos, Ley 1581 arts. 14 and 15).
	Channels   Channels    `json:"channels"`
	Processors []Processor `json:"processors"`
	Transfers  []Transfer  `json:"transfers"`
	Measures   Measures    `json:"measures"`
	// DatabasePurposes maps a database key (DBUsers, DBAuth, ...) to the
	// codes of the purposes that apply to it. A database with personal data
	// that is not named gets every purpose; one without gets none.
	DatabasePurposes map[string][]string `json:"database_purposes,omitempty"`
	// Retention replaces the default retention text of a database, by key.
	Retention map[string]string `json:"retention,omitempty"`
	// ServesMinors says the marketplace admits accounts of niños, niñas y
	// adolescentes; cerrojo records no age, so only the controller knows.
	ServesMinors bool `json:"serves_minors"`
}

// Controller is the responsable del tratamiento.
type Controller struct {
	Name    string `json:"name"` // razón social
	NIT     string `json:"nit"`
	Address string `json:"address"`
	City    string `json:"city,omitempty"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
}

// Purpose is one finalidad of the privacy policy.
type Purpose struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// Sensitive is true when the purpose involves datos sensibles.
	Sensitive bool `json:"sensitive"`
}

// Channels are the channels for titulares.
type Channels struct {
	Email   string `json:"email"`
	URL     string `json:"url"`
	Phone   string `json:"phone,omitempty"`
	Address string `json:"address,omitempty"`
}

// Processor is an encargado del tratamiento: someone who processes data on
// the controller's behalf (hosting, SMS, email).
type Processor struct {
	Name    string `json:"name"`
	NIT     string `json:"nit,omitempty"` // only for Colombian processors
	Country string `json:"country"`
	Service string `json:"service"`
}

// Transfer is an international transfer (to another responsable) or
// transmission (to an encargado) of personal data.
type Transfer struct {
	Recipient string `json:"recipient"`
	Country   string `json:"country"`
	// Kind is "transferencia" or "transmisión".
	Kind    string `json:"kind"`
	Purpose string `json:"purpose"`
	// Safeguard is the legal ground: a contract of transmission (Decreto
	// 1074 de 2015, art. 2.2.2.25.5.2), a declaración de conformidad of
	// the SIC, or a country with an adequate level of protection.
	Safeguard string `json:"safeguard"`
}

// Measures are the security measures in force, mostly derived from
// cerrojo's configuration (MeasuresFromConfig).
type Measures struct {
	// TLS is true when traffic is encrypted in transit, by cerrojo or by a
	// proxy in front of it.
	TLS                  bool `json:"tls"`
	MFARequiredForAdmins bool `json:"mfa_required_for_admins"`
	MFARequiredForAll    bool `json:"mfa_required_for_all"`
	// PasswordHashing names the algorithm and its cost.
	PasswordHashing string `json:"password_hashing"`
	// EncryptionAtRest is true when secrets are sealed with the key ring
	// (AES-256-GCM under a master key kept outside the database).
	EncryptionAtRest bool `json:"encryption_at_rest"`
	// AuditTamperEvident is true for the Merkle-tree audit log;
	// AuditRetentionDays is how long the personal part of a record is
	// kept, 0 meaning without limit.
	AuditTamperEvident bool `json:"audit_tamper_evident"`
	AuditRetentionDays int  `json:"audit_retention_days"`
	// Backups describes the backup policy; empty if not declared.
	Backups         string `json:"backups"`
	RoleBasedAccess bool   `json:"role_based_access"`
	// Session timeouts; zero when not set.
	SessionIdleTimeout      time.Duration `json:"session_idle_timeout_ns"`
	AdminSessionIdleTimeout time.Duration `json:"admin_session_idle_timeout_ns"`
	SessionAbsoluteTimeout  time.Duration `json:"session_absolute_timeout_ns"`
}

// MeasuresFromConfig derives the measures cerrojo's configuration decides.
// TLS is set only when cerrojo itself serves HTTPS; set it by hand when a
// proxy terminates TLS. Backups are outside cerrojo: fill them in.
func MeasuresFromConfig(c config.Config) Measures {
	admins := c.MFA.Required
	for r := range strings.SplitSeq(c.MFA.RequiredRoles, ",") {
		if r = strings.TrimSpace(r); r == "admin" || r == "super_admin" {
			admins = true
		}
	}
	adminIdle := c.Sessions.AdminIdleTimeout.D()
	if adminIdle == 0 {
		adminIdle = c.Sessions.IdleTimeout.D()
	}
	return Measures{
		TLS:                  c.HTTP.TLSCertFile != "" && c.HTTP.TLSKeyFile != "",
		MFARequiredForAdmins: admins,
		MFARequiredForAll:    c.MFA.Required,
		PasswordHashing: fmt.Sprintf("Argon2id (memoria %d KiB, %d iteraciones, "+
			"paralelismo %d)", c.Password.Argon2MemoryKiB, c.Password.Argon2Iterations,
			c.Password.Argon2Parallelism),
		EncryptionAtRest:        true, // cerrojo does not start without a master key
		AuditTamperEvident:      true,
		AuditRetentionDays:      c.Audit.RetentionDays,
		RoleBasedAccess:         true,
		SessionIdleTimeout:      c.Sessions.IdleTimeout.D(),
		AdminSessionIdleTimeout: adminIdle,
		SessionAbsoluteTimeout:  c.Sessions.AbsoluteTimeout.D(),
	}
}

// Validate checks in: NITs, if given, must carry a valid DIAN check digit;
// emails must parse; purpose codes must be present and unique; the maps
// must name known databases and purposes.
func (in Input) Validate() error {
	var errs []error
	if err := checkNIT(in.Controller.NIT); err != nil {
		errs = append(errs, fmt.Errorf("controller NIT: %w", err))
	}
	for i, p := range in.Processors {
		if err := checkNIT(p.NIT); err != nil {
			errs = append(errs, fmt.Errorf("processor %d (%s) NIT: %w", i, p.Name, err))
		}
	}
	for what, addr := range map[string]string{
		"controller email": in.Controller.Email, "channels email": in.Channels.Email,
	} {
		if addr == "" {
			continue
		}
		if _, err := mail.ParseAddress(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s is not a valid address: %w", what, err))
		}
	}
	codes := map[string]bool{}
	for i, p := range in.Purposes {
		switch {
		case p.Code == "":
			errs = append(errs, fmt.Errorf("purpose %d has no code", i))
		case codes[p.Code]:
			errs = append(errs, fmt.Errorf("purpose code %q is repeated", p.Code))
		case p.Description == "":
			errs = append(errs, fmt.Errorf("purpose %q has no description", p.Code))
		}
		codes[p.Code] = true
	}
	for key, cs := range in.DatabasePurposes {
		if _, ok := database(key); !ok {
			errs = append(errs, fmt.Errorf("database_purposes: unknown database %q", key))
		}
		for _, c := range cs {
			if !codes[c] {
				errs = append(errs, fmt.Errorf("database_purposes[%s]: unknown purpose %q",
					key, c))
			}
		}
	}
	for key := range in.Retention {
		if _, ok := database(key); !ok {
			errs = append(errs, fmt.Errorf("retention: unknown database %q", key))
		}
	}
	for i, t := range in.Transfers {
		if t.Kind != "transferencia" && t.Kind != "transmisión" {
			errs = append(errs, fmt.Errorf("transfer %d: kind is %q, want transferencia "+
				"or transmisión", i, t.Kind))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rnbd: invalid input: %w", err)
	}
	return nil
}

// checkNIT validates a NIT written with its check digit ("900123456-7"),
// through package docid, the rules package internal/colombia serves. The
// message names the reason, never the digits.
func checkNIT(s string) error {
	if s == "" {
		return nil
	}
	if _, err := docid.ParseNIT(s); err != nil {
		return fmt.Errorf("not a valid NIT (%s): %w", docid.Reason(err), err)
	}
	return nil
}

// formatNIT returns s in the DIAN display form, or s as given if invalid.
func formatNIT(s string) string {
	if n, err := docid.ParseNIT(s); err == nil {
		return n.Formatted()
	}
	return s
}

func database(key string) (Database, bool) {
	i := slices.IndexFunc(databases, func(d Database) bool { return d.Key == key })
	if i < 0 {
		return Database{}, false
	}
	return databases[i], true
}

// Report is the RNBD report: the controller's facts and, for each logical
// database, what the form asks. Every list is sorted, so equal inputs give
// equal reports.
type Report struct {
	Title         string      `json:"title"`
	Controller    Controller  `json:"controller"`
	PolicyVersion string      `json:"policy_version"`
	PolicyURL     string      `json:"policy_url"`
	Purposes      []Purpose   `json:"purposes"`
	Channels      Channels    `json:"channels"`
	Processors    []Processor `json:"processors"`
	Transfers     []Transfer  `json:"transfers"`
	Measures      Measures    `json:"measures"`
	// SecurityMeasures are Measures in words, as the form asks them.
	SecurityMeasures []string         `json:"security_measures"`
	Databases        []DatabaseReport `json:"databases"`
}

// DatabaseReport is one logical database.
type DatabaseReport struct {
	Key          string     `json:"key"`
	Name         string     `json:"name"`
	Description  string     `json:"description"`
	Holders      string     `json:"holders"`
	PersonalData bool       `json:"personal_data"`
	Categories   []Category `json:"categories"`
	// Sensitive is true when a column holds datos sensibles, of the kinds
	// SensitiveKinds names; SensitiveNote explains the answer.
	Sensitive      bool      `json:"sensitive"`
	SensitiveKinds []string  `json:"sensitive_kinds"`
	SensitiveNote  string    `json:"sensitive_note"`
	Minors         bool      `json:"minors"`
	MinorsNote     string    `json:"minors_note"`
	Purposes       []Purpose `json:"purposes"`
	// SecurityMeasures are the measures that apply to this database.
	SecurityMeasures []string `json:"security_measures"`
	// Encrypted and Hashed name columns as "table.column".
	Encrypted []string      `json:"encrypted"`
	Hashed    []string      `json:"hashed"`
	Retention string        `json:"retention"`
	Tables    []TableReport `json:"tables"`
}

// TableReport is one table of a database.
type TableReport struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Columns     []ColumnReport `json:"columns"`
}

// ColumnReport is one column of a table.
type ColumnReport struct {
	Name string `json:"name"`
	Column
}

// categoryOrder is the order categories are listed in.
var categoryOrder = []Category{
	Identification, Contact, Credentials, Technical, Sensitive, Minors, Metadata,
}

// Build produces the report. It does not validate in: call Validate first.
func Build(in Input) Report {
	r := Report{
		Title:            Title,
		Controller:       in.Controller,
		PolicyVersion:    in.PolicyVersion,
		PolicyURL:        in.PolicyURL,
		Purposes:         sortedPurposes(in.Purposes),
		Channels:         in.Channels,
		Processors:       slices.Clone(in.Processors),
		Transfers:        slices.Clone(in.Transfers),
		Measures:         in.Measures,
		SecurityMeasures: generalMeasures(in.Measures),
		Databases:        []DatabaseReport{},
	}
	r.Controller.NIT = formatNIT(in.Controller.NIT)
	for i := range r.Processors {
		r.Processors[i].NIT = formatNIT(r.Processors[i].NIT)
	}
	slices.SortFunc(r.Processors, func(a, b Processor) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Service, b.Service))
	})
	slices.SortFunc(r.Transfers, func(a, b Transfer) int {
		return cmp.Or(strings.Compare(a.Recipient, b.Recipient),
			strings.Compare(a.Country, b.Country), strings.Compare(a.Purpose, b.Purpose))
	})
	inv := Inventory()
	for _, d := range databases {
		if dr, ok := buildDatabase(d, inv, in); ok {
			r.Databases = append(r.Databases, dr)
		}
	}
	return r
}

func sortedPurposes(ps []Purpose) []Purpose {
	out := slices.Clone(ps)
	if out == nil {
		out = []Purpose{}
	}
	slices.SortFunc(out, func(a, b Purpose) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// buildDatabase reports d, or returns false if no table belongs to it yet.
func buildDatabase(d Database, inv []Table, in Input) (DatabaseReport, bool) {
	dr := DatabaseReport{
		Key: d.Key, Name: d.Name, Description: d.Description, Holders: d.Holders,
		Categories: []Category{}, SensitiveKinds: []string{}, Purposes: []Purpose{},
		Encrypted: []string{}, Hashed: []string{}, Tables: []TableReport{},
	}
	cats := map[Category]bool{}
	kinds := map[string]bool{}
	for _, t := range inv {
		if t.Database != d.Key {
			continue
		}
		tr := TableReport{Name: t.Name, Description: t.Description}
		for _, name := range sortedColumns(t) {
			c := t.Columns[name]
			tr.Columns = append(tr.Columns, ColumnReport{Name: name, Column: c})
			cats[c.Category] = true
			dr.PersonalData = dr.PersonalData || c.Personal
			if c.Category == Sensitive {
				kinds[cmp.Or(c.SensitiveKind, "sin especificar")] = true
			}
			if c.Category == Minors {
				dr.Minors = true
			}
			if c.Encrypted {
				dr.Encrypted = append(dr.Encrypted, t.Name+"."+name)
			}
			if c.Hash != "" {
				dr.Hashed = append(dr.Hashed, t.Name+"."+name+" ("+c.Hash+")")
			}
		}
		dr.Tables = append(dr.Tables, tr)
	}
	if len(dr.Tables) == 0 {
		return DatabaseReport{}, false
	}
	for _, c := range categoryOrder {
		if cats[c] {
			dr.Categories = append(dr.Categories, c)
		}
	}
	for k := range kinds {
		dr.SensitiveKinds = append(dr.SensitiveKinds, k)
	}
	slices.Sort(dr.SensitiveKinds)
	dr.Sensitive = len(dr.SensitiveKinds) > 0
	dr.SensitiveNote = sensitiveNote(dr)
	if in.ServesMinors && dr.PersonalData && d.Key != DBClients && d.Key != DBInternal {
		dr.Minors = true
	}
	dr.MinorsNote = minorsNote(dr, in.ServesMinors)
	dr.Purposes = databasePurposes(d, dr.PersonalData, in)
	dr.SecurityMeasures = databaseMeasures(dr, in.Measures)
	dr.Retention = retention(d, in)
	return dr, true
}

func sensitiveNote(dr DatabaseReport) string {
	if dr.Sensitive {
		return "Contiene datos sensibles (Ley 1581 de 2012, art. 5): " +
			strings.Join(dr.SensitiveKinds, ", ") + "."
	}
	note := "No contiene datos sensibles (Ley 1581 de 2012, art. 5)."
	if slices.ContainsFunc(dr.Tables, func(t TableReport) bool { return t.Name == "passkeys" }) {
		note += " En particular no hay datos biométricos: de una passkey solo se " +
			"guardan una llave pública y el identificador de la credencial. Cuando el " +
			"dispositivo verifica a la persona con huella o rostro, lo hace localmente; " +
			"ni la plantilla ni la imagen biométrica salen del dispositivo, y cerrojo " +
			"solo recibe la indicación de que la verificación ocurrió."
	}
	return note
}

func minorsNote(dr DatabaseReport, serves bool) string {
	switch {
	case dr.Minors && serves:
		return "El responsable declara que el marketplace admite cuentas de niños, " +
			"niñas y adolescentes (Ley 1581 de 2012, art. 7)."
	case dr.Minors:
		return "Contiene datos de niños, niñas y adolescentes o de sus representantes " +
			"legales (Ley 1581 de 2012, art. 7; Decreto 1377 de 2013, art. 12)."
	case !dr.PersonalData:
		return "No contiene datos personales."
	}
	return "cerrojo no registra la edad ni la fecha de nacimiento; el responsable " +
		"declara que no admite cuentas de menores de edad."
}

func databasePurposes(d Database, personal bool, in Input) []Purpose {
	codes, named := in.DatabasePurposes[d.Key]
	if !named && !personal {
		return []Purpose{}
	}
	var out []Purpose
	for _, p := range in.Purposes {
		if !named || slices.Contains(codes, p.Code) {
			out = append(out, p)
		}
	}
	return sortedPurposes(out)
}

func retention(d Database, in Input) string {
	if r, ok := in.Retention[d.Key]; ok {
		return r
	}
	m := in.Measures
	switch {
	case d.Key == DBAudit && m.AuditRetentionDays > 0:
		return fmt.Sprintf("Los registros no se borran; su parte personal (actor, "+
			"objetivo, IP, User-Agent, detalles) se borra a los %d días o por "+
			"solicitud del titular.", m.AuditRetentionDays)
	case d.Key == DBAudit && m.AuditTamperEvident:
		return "Los registros no se borran; su parte personal se conserva sin límite " +
			"de tiempo, salvo solicitud del titular."
	case d.Key == DBAuth && m.SessionAbsoluteTimeout > 0:
		return d.Retention + " Duración máxima de una sesión: " +
			duration(m.SessionAbsoluteTimeout) + "."
	}
	return d.Retention
}

// generalMeasures describes m in Spanish.
func generalMeasures(m Measures) []string {
	var out []string
	add := func(ok bool, yes, no string) {
		if ok {
			out = append(out, yes)
		} else if no != "" {
			out = append(out, no)
		}
	}
	add(m.TLS, "Cifrado en tránsito con TLS 1.2 o superior.",
		"Cifrado en tránsito: no declarado.")
	add(m.EncryptionAtRest, "Cifrado en reposo de secretos, destinos de segundos "+
		"factores y documentos de representantes con AES-256-GCM, bajo una llave "+
		"maestra guardada fuera de la base de datos (llavero de cerrojo).",
		"Cifrado en reposo: no declarado.")
	add(m.PasswordHashing != "", "Contraseñas guardadas solo como hash: "+
		m.PasswordHashing+".", "")
	add(m.MFARequiredForAll, "Segundo factor de autenticación obligatorio para "+
		"todas las cuentas.", "")
	add(m.MFARequiredForAdmins && !m.MFARequiredForAll, "Segundo factor de "+
		"autenticación obligatorio para administradores.", "")
	add(m.RoleBasedAccess, "Control de acceso por roles, globales o limitados a un "+
		"vendedor, con registro de cada asignación y revocación.", "")
	if m.AuditTamperEvident {
		s := "Registro de auditoría a prueba de manipulación (árbol de Merkle con " +
			"puntos de control firmados)"
		if m.AuditRetentionDays > 0 {
			s += fmt.Sprintf("; retención de la parte personal: %d días", m.AuditRetentionDays)
		}
		out = append(out, s+".")
	}
	if m.SessionIdleTimeout > 0 {
		s := "Cierre de sesión por inactividad a los " + duration(m.SessionIdleTimeout)
		if a := m.AdminSessionIdleTimeout; a > 0 && a != m.SessionIdleTimeout {
			s += " (administradores: " + duration(a) + ")"
		}
		out = append(out, s+".")
	}
	if m.SessionAbsoluteTimeout > 0 {
		out = append(out, "Duración máxima de una sesión: "+
			duration(m.SessionAbsoluteTimeout)+".")
	}
	add(m.Backups != "", "Copias de respaldo: "+m.Backups+".",
		"Copias de respaldo: no declaradas.")
	return out
}

// databaseMeasures lists the measures of one database: the general ones
// that protect it, and what its columns show.
func databaseMeasures(dr DatabaseReport, m Measures) []string {
	var out []string
	if m.TLS {
		out = append(out, "Cifrado en tránsito con TLS.")
	}
	if len(dr.Encrypted) > 0 {
		out = append(out, "Cifrado en reposo (AES-256-GCM, llavero de cerrojo) de: "+
			strings.Join(dr.Encrypted, ", ")+".")
	}
	if len(dr.Hashed) > 0 {
		out = append(out, "Solo se guarda el hash o MAC de: "+strings.Join(dr.Hashed, ", ")+".")
	}
	switch dr.Key {
	case DBUsers, DBAuth:
		if m.MFARequiredForAll {
			out = append(out, "Segundo factor obligatorio para todas las cuentas.")
		} else if m.MFARequiredForAdmins {
			out = append(out, "Segundo factor obligatorio para administradores.")
		}
		if dr.Key == DBAuth && m.SessionIdleTimeout > 0 {
			s := "Cierre de sesión por inactividad a los " + duration(m.SessionIdleTimeout)
			if a := m.AdminSessionIdleTimeout; a > 0 && a != m.SessionIdleTimeout {
				s += " (administradores: " + duration(a) + ")"
			}
			out = append(out, s+".")
		}
	case DBAudit:
		if m.AuditTamperEvident {
			out = append(out, "Registro a prueba de manipulación: los registros no se "+
				"modifican ni se borran, salvo el borrado de su parte personal.")
		}
	}
	if m.RoleBasedAccess {
		out = append(out, "Acceso administrativo restringido por roles.")
	}
	if m.Backups != "" {
		out = append(out, "Copias de respaldo: "+m.Backups+".")
	}
	return out
}

// duration writes d in Spanish in its largest whole unit.
func duration(d time.Duration) string {
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	switch {
	case d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "día", "días")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hora", "horas")
	case d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minuto", "minutos")
	}
	return d.String()
}
