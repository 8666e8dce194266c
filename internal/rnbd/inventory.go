package rnbd

import (
	"slices"
	"strings"
)

// Category is a kind of data as the RNBD form names it.
type Category string

// The categories of data. A column has exactly one: the one that best
// describes what it holds.
const (
	// Identification: names and the identifiers that point to one person.
	Identification Category = "datos de identificación"
	// Contact: email addresses, phone numbers, postal addresses.
	Contact Category = "datos de ubicación/contacto"
	// Credentials: secrets, or the hashes, MACs and public keys that check
	// them.
	Credentials Category = "datos de acceso/credenciales" // #nosec G101 -- a category label
	// Technical: IP addresses, User-Agent, device names.
	Technical Category = "datos técnicos/de navegación"
	// Sensitive: datos sensibles (Ley 1581 de 2012, art. 5); Column.Sensitive
	// says which kind.
	Sensitive Category = "datos sensibles"
	// Minors: datos de niños, niñas y adolescentes (Ley 1581, art. 7).
	Minors Category = "datos de menores"
	// Metadata: identifiers of rows, states, times and counters, and system
	// data that describes no person.
	Metadata Category = "metadata/no personal"
)

// Column is the classification of one column.
//
// A row that refers to a person is personal data as a whole; Personal marks
// the columns that identify, contact or describe the person (or hold their
// credentials), not the times and states around them.
type Column struct {
	Category Category `json:"category"`
	Personal bool     `json:"personal"`
	// Encrypted is true for a value sealed with the key ring (AES-256-GCM,
	// with associated data binding it to its row).
	Encrypted bool `json:"encrypted"`
	// Hash names how the value is reduced when only a hash or MAC of it is
	// stored ("SHA-256", "HMAC-SHA-256", "Argon2id"); empty otherwise.
	Hash string `json:"hash,omitempty"`
	// SensitiveKind names the kind of dato sensible, when Category is
	// Sensitive (for example "datos biométricos").
	SensitiveKind string `json:"sensitive_kind,omitempty"`
	// Description is one line in Spanish.
	Description string `json:"description"`
}

// Table is one table of the schema and the logical database it belongs to.
type Table struct {
	Name     string `json:"name"`
	Database string `json:"database"`
	// Description is one line in Spanish.
	Description string            `json:"description"`
	Columns     map[string]Column `json:"columns"`
}

// Database is a logical database, as the controller registers it: a set of
// tables with one purpose and one kind of titular.
type Database struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Description and Holders (the titulares whose data it holds) are in
	// Spanish.
	Description string `json:"description"`
	Holders     string `json:"holders"`
	// Retention describes how long the data is kept, before any value the
	// configuration supplies (see Build).
	Retention string `json:"retention"`
}

// Keys of the logical databases.
const (
	DBUsers    = "usuarios"
	DBAuth     = "autenticacion"
	DBAuthz    = "autorizacion"
	DBClients  = "clientes_oauth"
	DBAudit    = "auditoria"
	DBHabeas   = "habeas_data"
	DBInternal = "operacion_interna"
	DBVendors  = "vendedores"
)

// databases lists the logical databases in the order the report shows them.
var databases = []Database{
	{
		Key:  DBUsers,
		Name: "Usuarios y cuentas",
		Description: "Cuentas de las personas que inician sesión en el marketplace: " +
			"clientes, vendedores, personal de los vendedores y administradores.",
		Holders: "Clientes, vendedores, personal de vendedores y administradores.",
		Retention: "Mientras la cuenta exista; al eliminarla se borran la cuenta y, en " +
			"cascada, sus factores, sesiones y roles.",
	},
	{
		Key:  DBAuth,
		Name: "Autenticación, factores y sesiones",
		Description: "Verificación de identidad al iniciar sesión: segundos factores " +
			"(TOTP, códigos por SMS o correo, passkeys), códigos de recuperación, " +
			"enlaces de un solo uso, sesiones y tokens de actualización.",
		Holders: "Titulares de cuentas (clientes, vendedores, personal y administradores).",
		Retention: "Retos y códigos: minutos, hasta su vencimiento. Factores: mientras " +
			"la persona los mantenga. Sesiones: hasta su vencimiento absoluto y " +
			"luego hasta que la retención las elimina.",
	},
	{
		Key:  DBAuthz,
		Name: "Autorización (roles)",
		Description: "Roles asignados a cada persona, globales o limitados a un " +
			"vendedor, y quién los otorgó.",
		Holders:   "Vendedores, personal de vendedores y administradores.",
		Retention: "Mientras el rol esté vigente; el historial queda en el registro de auditoría.",
	},
	{
		Key:  DBClients,
		Name: "Clientes OAuth",
		Description: "Aplicaciones del marketplace, aliados y servidores de recursos " +
			"autorizados a usar cerrojo.",
		Holders:   "Ninguno: describe aplicaciones, no personas.",
		Retention: "Mientras la aplicación esté registrada.",
	},
	{
		Key:  DBAudit,
		Name: "Registro de auditoría",
		Description: "Registro a prueba de manipulación (árbol de Merkle con puntos de " +
			"control firmados) de las acciones sobre cuentas, sesiones, roles y datos.",
		Holders: "Cualquier persona que actúe en el sistema o sobre la que se actúe.",
		Retention: "Los registros no se borran; su parte personal (actor, objetivo, IP, " +
			"User-Agent, detalles) se borra al vencer la retención o por solicitud " +
			"del titular.",
	},
	{
		Key:  DBHabeas,
		Name: "Habeas Data: autorizaciones, solicitudes e incidentes",
		Description: "Autorizaciones de tratamiento otorgadas por los titulares, " +
			"consultas y reclamos (Ley 1581, arts. 14 y 15) e incidentes de seguridad.",
		Holders: "Titulares que autorizan, consultan o reclaman, sus representantes " +
			"legales y el personal que atiende solicitudes e incidentes.",
		Retention: "Autorizaciones y solicitudes: se conservan como prueba; al suprimir " +
			"los datos del titular se seudonimizan y se borran IP, User-Agent, " +
			"representante y textos del titular. Incidentes: no se borran. Contactos " +
			"de mercadeo: solo las últimas semanas.",
	},
	{
		Key:  DBVendors,
		Name: "Vendedores",
		Description: "Vinculación de vendedores: identificación (NIT o cédula), RUT, " +
			"responsabilidades tributarias, contacto, dirección, cuenta bancaria, " +
			"documentos soporte, revisión y personal.",
		Holders: "Vendedores (personas naturales y representantes de personas " +
			"jurídicas) y su personal.",
		Retention: "Mientras el vendedor esté vinculado y luego lo que exija la ley " +
			"comercial y tributaria (Código de Comercio art. 60: diez años).",
	},
	{
		Key:  DBInternal,
		Name: "Operación interna",
		Description: "Claves de firma, comprobación de la llave maestra y contadores " +
			"del sistema.",
		Holders:   "Ninguno: datos del sistema.",
		Retention: "Claves: hasta que vence el último token que firmaron.",
	},
}

// Constructors keep the inventory's entries to one short line each.

func meta(desc string) Column { return Column{Category: Metadata, Description: desc} }
func ident(desc string) Column {
	return Column{Category: Identification, Personal: true, Description: desc}
}
func contact(desc string) Column {
	return Column{Category: Contact, Personal: true, Description: desc}
}
func cred(desc string) Column {
	return Column{Category: Credentials, Personal: true, Description: desc}
}
func minor(desc string) Column {
	return Column{Category: Minors, Personal: true, Description: desc}
}

// freeText is text people write, which may hold any data about a titular.
func freeText(desc string) Column {
	return ident(desc + "; texto libre, puede contener datos personales")
}
func tech(desc string) Column {
	return Column{Category: Technical, Personal: true, Description: desc}
}

// system marks a credential that belongs to the system, not to a person.
func (c Column) system() Column { c.Personal = false; return c }
func (c Column) sealed() Column { c.Encrypted = true; return c }
func (c Column) hashed(alg string) Column {
	c.Hash = alg
	return c
}

const (
	hashSHA256   = "SHA-256"
	hashHMAC     = "HMAC-SHA-256"
	hashArgon2id = "Argon2id"
)

// Shared entries.
var (
	userID    = ident("Identificador interno de la persona (seudónimo)")
	createdAt = meta("Fecha de creación")
	expiresAt = meta("Fecha de vencimiento")
	usedAt    = meta("Fecha de uso")
)

// tables is the inventory: every table of the schema and every column, kept
// in the tables_*.go files by capability. Add a table there when a migration
// creates it; TestInventoryCoversSchema fails until you do.
var tables = mergeTables(coreTables, complianceTables, integrationTables)

// mergeTables joins the per-file maps; a table classified in two of them is
// a programming error, stopped at start.
func mergeTables(parts ...map[string]Table) map[string]Table {
	out := map[string]Table{}
	for _, part := range parts {
		for name, t := range part {
			if _, dup := out[name]; dup {
				panic("rnbd: table " + name + " is classified twice")
			}
			out[name] = t
		}
	}
	return out
}

// Databases returns the logical databases, in report order.
func Databases() []Database { return slices.Clone(databases) }

// Inventory returns every classified table, sorted by name, with Name set.
func Inventory() []Table {
	out := make([]Table, 0, len(tables))
	for name, t := range tables {
		t.Name = name
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Table) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// sortedColumns returns the names of t's columns, sorted.
func sortedColumns(t Table) []string {
	names := make([]string, 0, len(t.Columns))
	for name := range t.Columns {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
