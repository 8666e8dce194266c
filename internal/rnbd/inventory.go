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

// tables is the inventory: every table of the schema and every column. Add a
// table here when a migration creates it; TestInventoryCoversSchema fails
// until you do.
var tables = map[string]Table{
	// 00001_foundation
	"keyring_checks": {Database: DBInternal,
		Description: "Comprobación de que la llave maestra es la correcta",
		Columns: map[string]Column{
			"key_id":     meta("Identificador de la llave maestra"),
			"sealed":     cred("Valor conocido cifrado con la llave").system().sealed(),
			"created_at": createdAt,
			"retired_at": meta("Cuándo una rotación retiró la llave"),
		}},
	// 00014_vendors
	"vendors": {Database: DBVendors,
		Description: "Un vendedor y su estado de vinculación",
		Columns: map[string]Column{
			"id":                   meta("Identificador del vendedor"),
			"owner_user_id":        ident("Cuenta del propietario"),
			"legal_name":           ident("Razón social o nombre"),
			"trade_name":           meta("Nombre comercial"),
			"person_type":          meta("Persona natural o jurídica"),
			"id_type":              meta("Tipo de documento (código DIAN)"),
			"id_number_sealed":     ident("Número de identificación, cifrado").sealed(),
			"id_index":             ident("Índice ciego del número").hashed("HMAC-SHA-256"),
			"id_hint":              ident("Últimos dígitos del número"),
			"tax_responsibilities": meta("Responsabilidades tributarias del RUT"),
			"contact_email":        contact("Correo de contacto"),
			"contact_phone":        contact("Teléfono de contacto"),
			"address_line":         contact("Dirección"),
			"departamento":         contact("Departamento (código DANE)"),
			"municipio":            contact("Municipio (código DANE)"),
			"bank_name":            meta("Banco"),
			"bank_account_type":    meta("Tipo de cuenta"),
			"bank_account_sealed":  cred("Número de cuenta bancaria, cifrado").sealed(),
			"bank_account_last4":   ident("Últimos cuatro dígitos de la cuenta"),
			"status":               meta("Estado de la vinculación"),
			"status_reasons":       freeText("Motivos de rechazo o suspensión"),
			"review_round":         meta("Ronda de revisión"),
			"created_at":           createdAt,
			"updated_at":           meta("Fecha de actualización"),
			"submitted_at":         meta("Fecha de envío a revisión"),
		}},
	"vendor_documents": {Database: DBVendors,
		Description: "Documentos soporte (RUT, Cámara de Comercio, identidad, " +
			"certificación bancaria), cifrados fuera de la base de datos",
		Columns: map[string]Column{
			"vendor_id":   meta("Vendedor"),
			"doc_kind":    meta("Clase de documento"),
			"file_kind":   meta("Formato verificado (PDF, JPEG, PNG)"),
			"size":        meta("Tamaño"),
			"sha256":      meta("Huella SHA-256 del contenido"),
			"storage_key": meta("Ubicación del archivo cifrado"),
			"uploaded_by": ident("Cuenta que lo subió"),
			"created_at":  createdAt,
		}},
	"vendor_approvals": {Database: DBVendors,
		Description: "Aprobaciones de cada revisor (cuatro ojos)",
		Columns: map[string]Column{
			"vendor_id":    meta("Vendedor"),
			"review_round": meta("Ronda de revisión"),
			"reviewer":     ident("Revisor"),
			"approved_at":  meta("Fecha de aprobación"),
		}},
	"vendor_staff": {Database: DBVendors,
		Description: "Personal de cada vendedor",
		Columns: map[string]Column{
			"vendor_id":  meta("Vendedor"),
			"user_id":    ident("Cuenta del miembro"),
			"role":       meta("Rol en el vendedor"),
			"invited_by": ident("Cuenta que invitó"),
			"joined_at":  meta("Fecha de ingreso"),
		}},
	"vendor_invitations": {Database: DBVendors,
		Description: "Invitaciones al personal, de un solo uso y con vencimiento",
		Columns: map[string]Column{
			"id":               meta("Identificador de la invitación"),
			"vendor_id":        meta("Vendedor"),
			"email":            contact("Correo invitado"),
			"email_normalized": contact("Correo invitado, normalizado"),
			"role":             meta("Rol ofrecido"),
			"token_mac":        cred("MAC del enlace de invitación").hashed("HMAC-SHA-256"),
			"invited_by":       ident("Cuenta que invitó"),
			"created_at":       createdAt,
			"expires_at":       meta("Vencimiento"),
			"accepted_at":      meta("Fecha de aceptación"),
			"accepted_by":      ident("Cuenta que aceptó"),
		}},
	// 00015_key_rotation
	"keyring_state": {Database: DBInternal,
		Description: "Estado propio del anillo de llaves (la raíz de los MAC), cifrado",
		Columns: map[string]Column{
			"name":       meta("Nombre del valor"),
			"sealed":     cred("Llave de los MAC, cifrada con la llave maestra").system().sealed(),
			"created_at": createdAt,
		}},

	// 00002_audit
	"audit_records": {Database: DBAudit,
		Description: "Un registro por acción auditada",
		Columns: map[string]Column{
			"idx":         meta("Posición del registro en el árbol de Merkle"),
			"id":          meta("Identificador del registro"),
			"time_us":     meta("Momento de la acción"),
			"actor_type":  meta("Tipo de actor (persona, cliente, sistema)"),
			"action":      meta("Acción realizada"),
			"target_type": meta("Tipo de objeto afectado"),
			"outcome":     meta("Resultado (éxito, denegado, error)"),
			"request_id":  meta("Identificador de la petición HTTP"),
			"commitment":  meta("Hash salado de la parte personal").hashed(hashSHA256),
			"actor_id":    ident("Identificador de quien actuó"),
			"target_id":   ident("Identificador de la persona u objeto afectado"),
			"ip":          tech("Dirección IP de origen"),
			"user_agent":  tech("User-Agent del navegador o aplicación"),
			"details": ident("Detalles del evento (JSON); pueden incluir datos de " +
				"identificación o contacto"),
			"salt":        meta("Sal aleatoria del hash de la parte personal"),
			"redaction":   meta("Motivo del borrado de la parte personal"),
			"redacted_at": meta("Fecha del borrado de la parte personal"),
			"redacted_by": meta("Registro que ordenó el borrado"),
		}},
	"audit_hashes": {Database: DBAudit,
		Description: "Hashes del árbol de Merkle",
		Columns: map[string]Column{
			"idx":  meta("Índice del hash"),
			"hash": meta("Hash del árbol (no deriva de datos personales en claro)"),
		}},
	"audit_head": {Database: DBAudit,
		Description: "Tamaño actual del árbol",
		Columns: map[string]Column{
			"id":   meta("Fila única"),
			"size": meta("Número de registros"),
		}},
	"audit_checkpoints": {Database: DBAudit,
		Description: "Puntos de control firmados del árbol",
		Columns: map[string]Column{
			"size":       meta("Tamaño del árbol firmado"),
			"root_hash":  meta("Hash raíz").hashed(hashSHA256),
			"key_name":   meta("Llave que firmó"),
			"note":       meta("Nota firmada"),
			"created_us": createdAt,
		}},
	"audit_signing_keys": {Database: DBAudit,
		Description: "Llaves de firma de los puntos de control",
		Columns: map[string]Column{
			"name":           meta("Nombre de la llave"),
			"verifier_key":   meta("Llave pública de verificación"),
			"private_sealed": cred("Llave privada de firma").system().sealed(),
			"created_us":     createdAt,
		}},
	"audit_forwarding": {Database: DBAudit,
		Description: "Avance del reenvío del registro a sistemas externos",
		Columns: map[string]Column{
			"sink":           meta("Destino del reenvío"),
			"next_index":     meta("Siguiente registro por reenviar"),
			"lease_owner":    meta("Nodo que reenvía"),
			"lease_until_us": meta("Vencimiento del turno del nodo"),
		}},

	// 00003_signing_keys
	"signing_keys": {Database: DBInternal,
		Description: "Llaves de firma de los tokens de acceso",
		Columns: map[string]Column{
			"kid":                meta("Huella de la llave (RFC 7638)"),
			"alg":                meta("Algoritmo de firma"),
			"state":              meta("Estado (siguiente, actual, retirada)"),
			"public_jwk":         meta("Llave pública (JWK)"),
			"private_sealed":     cred("Llave privada (PKCS #8)").system().sealed(),
			"created_us":         createdAt,
			"activated_us":       meta("Fecha de activación"),
			"retired_us":         meta("Fecha de retiro"),
			"deletable_after_us": meta("Fecha a partir de la cual se borra"),
		}},
	"signing_keys_head": {Database: DBInternal,
		Description: "Generación del conjunto de llaves",
		Columns: map[string]Column{
			"id":         meta("Fila única"),
			"generation": meta("Número de generación"),
		}},

	// 00004_accounts
	"users": {Database: DBUsers,
		Description: "Cuentas de las personas",
		Columns: map[string]Column{
			"id":                   userID,
			"email":                contact("Correo electrónico tal como se escribió"),
			"email_normalized":     contact("Correo electrónico normalizado"),
			"email_verified":       meta("Si el correo fue verificado"),
			"phone":                contact("Número de teléfono"),
			"name":                 ident("Nombre de la persona"),
			"kind":                 meta("Tipo de cuenta (cliente o vendedor)"),
			"state":                meta("Estado de la cuenta"),
			"locked_until":         meta("Bloqueo temporal por intentos fallidos"),
			"password_hash":        cred("Hash de la contraseña").hashed(hashArgon2id),
			"password_changed_at":  meta("Fecha del último cambio de contraseña"),
			"must_change_password": meta("Si debe cambiar la contraseña"),
			"locale":               meta("Idioma preferido"),
			"created_at":           createdAt,
			"updated_at":           meta("Fecha de la última modificación"),
		}},
	"one_time_tokens": {Database: DBAuth,
		Description: "Códigos y enlaces de un solo uso enviados por correo",
		Columns: map[string]Column{
			"id":          meta("Identificador del código"),
			"user_id":     userID,
			"purpose":     meta("Uso (verificación, restablecimiento, cambio de correo)"),
			"code_mac":    cred("MAC del código").hashed(hashHMAC),
			"link_mac":    cred("MAC del enlace").hashed(hashHMAC),
			"target":      contact("Nuevo correo, en un cambio de correo"),
			"attempts":    meta("Intentos"),
			"expires_at":  expiresAt,
			"consumed_at": usedAt,
			"created_at":  createdAt,
		}},
	"failure_counters": {Database: DBAuth,
		Description: "Contadores de intentos fallidos para el bloqueo",
		Columns: map[string]Column{
			"key":          tech("MAC del correo normalizado o de la IP").hashed(hashHMAC),
			"count":        meta("Número de fallos"),
			"window_start": meta("Inicio de la ventana"),
			"expires_at":   expiresAt,
		}},

	// 00005_sessions
	"sessions": {Database: DBAuth,
		Description: "Sesiones iniciadas",
		Columns: map[string]Column{
			"id":                  meta("Identificador de la sesión"),
			"user_id":             userID,
			"client_id":           meta("Aplicación en la que se inició"),
			"device":              tech("Dispositivo, derivado del User-Agent"),
			"ip":                  tech("Dirección IP de origen"),
			"acr":                 meta("Nivel de autenticación alcanzado"),
			"amr":                 meta("Métodos de autenticación usados"),
			"auth_time":           meta("Momento de la autenticación"),
			"created_at":          createdAt,
			"last_seen_at":        meta("Última actividad"),
			"idle_timeout_s":      meta("Tiempo máximo de inactividad"),
			"absolute_expires_at": expiresAt,
			"ended_at":            meta("Fecha de cierre"),
			"end_reason":          meta("Motivo del cierre"),
			"scope":               meta("Alcances concedidos a la aplicación"),
		}},
	"refresh_tokens": {Database: DBAuth,
		Description: "Tokens de actualización (solo su hash)",
		Columns: map[string]Column{
			"id":          meta("Identificador del token"),
			"family_id":   meta("Cadena de rotaciones"),
			"session_id":  meta("Sesión"),
			"client_id":   meta("Aplicación"),
			"token_hash":  cred("Hash del token").hashed(hashSHA256),
			"created_at":  createdAt,
			"expires_at":  expiresAt,
			"used_at":     usedAt,
			"replaced_by": meta("Token que lo reemplazó"),
			"revoked_at":  meta("Fecha de revocación"),
		}},
	"session_revocations": {Database: DBAuth,
		Description: "Sesiones revocadas, para los servidores de recursos",
		Columns: map[string]Column{
			"seq":        meta("Secuencia"),
			"session_id": meta("Sesión revocada"),
			"revoked_at": meta("Fecha de revocación"),
			"expires_at": expiresAt,
		}},

	// 00006_oauth_clients
	"oauth_clients": {Database: DBClients,
		Description: "Aplicaciones registradas",
		Columns: map[string]Column{
			"id":                        meta("Identificador de la aplicación"),
			"name":                      meta("Nombre de la aplicación"),
			"client_type":               meta("Pública o confidencial"),
			"secret_mac":                cred("MAC del secreto de la aplicación").system().hashed(hashHMAC),
			"first_party":               meta("Si es del propio marketplace"),
			"redirect_uris":             meta("URL de redirección"),
			"post_logout_redirect_uris": meta("URL de regreso tras cerrar sesión"),
			"application_type":          meta("Web, nativa o de navegador"),
			"grant_types":               meta("Flujos OAuth permitidos"),
			"scopes":                    meta("Alcances permitidos"),
			"created_at":                createdAt,
			"disabled_at":               meta("Fecha de desactivación"),
		}},

	// 00007_role_bindings
	"role_bindings": {Database: DBAuthz,
		Description: "Roles asignados",
		Columns: map[string]Column{
			"user_id":    userID,
			"role":       meta("Rol"),
			"vendor_id":  meta("Vendedor al que se limita el rol"),
			"granted_by": ident("Identificador de quien otorgó el rol"),
			"granted_at": meta("Fecha de asignación"),
			"expires_at": expiresAt,
		}},

	// 00008_mfa
	"mfa_factors": {Database: DBAuth,
		Description: "Segundos factores TOTP",
		Columns: map[string]Column{
			"id":             meta("Identificador del factor"),
			"user_id":        userID,
			"kind":           meta("Tipo de factor"),
			"name":           tech("Nombre que la persona dio al factor"),
			"secret_sealed":  cred("Semilla TOTP").sealed(),
			"last_used_step": meta("Último paso de tiempo aceptado (anti-repetición)"),
			"created_at":     createdAt,
			"activated_at":   meta("Fecha de activación"),
			"last_used_at":   usedAt,
		}},
	"mfa_recovery_codes": {Database: DBAuth,
		Description: "Códigos de recuperación (solo hash cifrado)",
		Columns: map[string]Column{
			"user_id":     userID,
			"idx":         meta("Número del código"),
			"salt":        meta("Sal aleatoria del hash"),
			"hash_sealed": cred("Hash salado del código").hashed(hashSHA256).sealed(),
			"used_at":     usedAt,
			"created_at":  createdAt,
		}},

	// 00009_passkeys
	"passkeys": {Database: DBAuth,
		Description: "Credenciales WebAuthn (passkeys y llaves de seguridad)",
		Columns: map[string]Column{
			"id":            meta("Identificador de la credencial en cerrojo"),
			"user_id":       userID,
			"credential_id": cred("Identificador de la credencial en el autenticador"),
			"public_key": cred("Llave pública COSE; no es un dato biométrico: la " +
				"huella o el rostro nunca salen del dispositivo"),
			"attestation_type":   meta("Tipo de atestación"),
			"attestation_format": meta("Formato de atestación"),
			"aaguid":             tech("Modelo de autenticador (AAGUID)"),
			"sign_count":         meta("Contador de firmas"),
			"transports":         meta("Transportes (USB, NFC, interno)"),
			"backup_eligible":    meta("Si puede sincronizarse"),
			"backup_state":       meta("Si está sincronizada"),
			"user_verified":      meta("Si el autenticador verificó a la persona"),
			"name":               tech("Nombre que la persona dio a la credencial"),
			"created_at":         createdAt,
			"last_used_at":       usedAt,
		}},
	"passkey_challenges": {Database: DBAuth,
		Description: "Retos WebAuthn en curso (minutos)",
		Columns: map[string]Column{
			"id":           meta("Identificador del reto"),
			"user_id":      userID,
			"kind":         meta("Registro o inicio de sesión"),
			"session_data": cred("Reto y credenciales permitidas en la ceremonia"),
			"created_at":   createdAt,
			"expires_at":   expiresAt,
		}},

	// 00010_login_challenges
	"login_challenges": {Database: DBAuth,
		Description: "Inicios de sesión a la espera del segundo factor",
		Columns: map[string]Column{
			"id":         meta("Identificador del reto"),
			"token_hash": cred("Hash del token del reto").hashed(hashSHA256),
			"user_id":    userID,
			"purpose":    meta("Verificar o inscribir un factor"),
			"amr":        meta("Métodos de autenticación usados"),
			"auth_time":  meta("Momento de la autenticación"),
			"attempts":   meta("Intentos"),
			"created_at": createdAt,
			"expires_at": expiresAt,
			"used_at":    usedAt,
		}},

	// 00011_mfa_codes
	"mfa_oob_factors": {Database: DBAuth,
		Description: "Segundos factores por SMS o correo",
		Columns: map[string]Column{
			"id":                 meta("Identificador del factor"),
			"user_id":            userID,
			"channel":            meta("Canal (SMS o correo)"),
			"name":               tech("Nombre que la persona dio al factor"),
			"destination_sealed": contact("Teléfono (E.164) o correo de destino").sealed(),
			"hint":               contact("Destino enmascarado (\"+57 300 ••• ••67\")"),
			"created_at":         createdAt,
			"activated_at":       meta("Fecha de activación"),
			"last_used_at":       usedAt,
		}},
	"mfa_oob_codes": {Database: DBAuth,
		Description: "Código vigente de cada factor por SMS o correo",
		Columns: map[string]Column{
			"factor_id":  meta("Factor"),
			"user_id":    userID,
			"code_mac":   cred("MAC del código").hashed(hashHMAC),
			"attempts":   meta("Intentos"),
			"sent_at":    meta("Fecha de envío"),
			"expires_at": expiresAt,
			"used_at":    usedAt,
		}},
	"mfa_oob_sends": {Database: DBAuth,
		Description: "Envíos de códigos, para el límite por hora",
		Columns: map[string]Column{
			"user_id": userID,
			"sent_at": meta("Fecha de envío"),
		}},

	// 00012_habeas_data
	"habeas_policies": {Database: DBHabeas,
		Description: "Versiones de la política de tratamiento de la información",
		Columns: map[string]Column{
			"id":           meta("Identificador de la versión"),
			"version":      meta("Versión"),
			"text":         meta("Texto de la política"),
			"text_sha256":  meta("Hash del texto").hashed(hashSHA256),
			"purposes":     meta("Finalidades declaradas (JSON)"),
			"effective_at": meta("Fecha de entrada en vigor"),
			"created_by":   ident("Identificador de quien la publicó"),
			"created_at":   createdAt,
		}},
	"habeas_consents": {Database: DBHabeas,
		Description: "Registro de autorizaciones: una fila por decisión del titular",
		Columns: map[string]Column{
			"seq":                     meta("Secuencia"),
			"id":                      meta("Identificador de la decisión"),
			"subject_id":              ident("Titular (seudónimo tras la supresión)"),
			"purpose":                 meta("Código de la finalidad"),
			"decision":                meta("Otorgada, negada o revocada"),
			"policy_id":               meta("Versión de la política mostrada"),
			"purpose_sha256":          meta("Hash del texto de la finalidad").hashed(hashSHA256),
			"shown_text_sha256":       meta("Hash del texto mostrado").hashed(hashSHA256),
			"channel":                 meta("Canal (web, app, teléfono, presencial)"),
			"ip":                      tech("Dirección IP desde la que se decidió"),
			"user_agent":              tech("User-Agent desde el que se decidió"),
			"recorded_by_type":        meta("Tipo de quien registró la decisión"),
			"recorded_by":             ident("Identificador de quien registró la decisión"),
			"minor":                   minor("Si el titular es niño, niña o adolescente"),
			"representative_name":     ident("Nombre del representante legal del menor"),
			"representative_relation": ident("Parentesco o calidad del representante"),
			"representative_doc_sealed": ident("Número de documento del " +
				"representante").sealed(),
			"created_at":    createdAt,
			"suppressed_at": meta("Fecha de supresión de los datos del titular"),
		}},
	"habeas_requests": {Database: DBHabeas,
		Description: "Consultas y reclamos de los titulares (Ley 1581, arts. 14 y 15)",
		Columns: map[string]Column{
			"id":                meta("Identificador de la solicitud"),
			"subject_id":        ident("Titular (seudónimo tras la supresión)"),
			"kind":              meta("Consulta o reclamo"),
			"type":              meta("Tipo de reclamo"),
			"status":            meta("Estado"),
			"description":       freeText("Descripción de la solicitud"),
			"channel":           meta("Canal de recepción"),
			"filed_by_type":     meta("Tipo de quien presentó la solicitud"),
			"filed_by":          ident("Identificador de quien presentó la solicitud"),
			"assignee":          ident("Identificador de quien la atiende"),
			"received_at":       meta("Momento de recepción"),
			"received_date":     meta("Fecha de recepción"),
			"due_date":          meta("Fecha límite de respuesta"),
			"extended_due_date": meta("Fecha límite prorrogada"),
			"extension_reason":  meta("Motivo de la prórroga"),
			"complete_by_date":  meta("Fecha límite para completar la solicitud"),
			"incomplete_at":     meta("Fecha en que se pidió completarla"),
			"withdrawal_date":   meta("Fecha de desistimiento"),
			"answer":            freeText("Respuesta"),
			"answered_at":       meta("Fecha de respuesta"),
			"created_at":        createdAt,
			"updated_at":        meta("Fecha de la última modificación"),
			"suppressed_at":     meta("Fecha de supresión de los datos del titular"),
		}},
	"habeas_request_messages": {Database: DBHabeas,
		Description: "Mensajes de cada solicitud",
		Columns: map[string]Column{
			"seq":         meta("Secuencia"),
			"id":          meta("Identificador del mensaje"),
			"request_id":  meta("Solicitud"),
			"author_type": meta("Tipo de autor (titular o personal)"),
			"author_id":   ident("Identificador del autor"),
			"kind":        meta("Tipo de mensaje"),
			"text":        freeText("Texto del mensaje"),
			"created_at":  createdAt,
		}},
	"habeas_legal_holds": {Database: DBHabeas,
		Description: "Deberes legales de conservar datos de un titular",
		Columns: map[string]Column{
			"id":          meta("Identificador"),
			"subject_id":  ident("Titular"),
			"category":    meta("Categoría de datos que se conserva"),
			"basis":       meta("Norma que obliga a conservar"),
			"description": meta("Descripción del deber de conservación"),
			"until_date":  meta("Fecha hasta la que se conserva"),
			"created_by":  ident("Identificador de quien lo registró"),
			"created_at":  createdAt,
		}},
	"habeas_contacts": {Database: DBHabeas,
		Description: "Contactos de mercadeo, para la frecuencia de la Ley 2300 de 2023",
		Columns: map[string]Column{
			"subject_id":   ident("Titular contactado"),
			"channel":      meta("Canal del contacto"),
			"contacted_at": meta("Momento del contacto"),
		}},

	// 00013_incidents
	"incidents": {Database: DBHabeas,
		Description: "Registro de incidentes de seguridad (Ley 1581, arts. 17 n y 18 k)",
		Columns: map[string]Column{
			"id":                    meta("Identificador del incidente"),
			"title":                 freeText("Título"),
			"description":           freeText("Descripción"),
			"category":              meta("Confidencialidad, integridad o disponibilidad"),
			"status":                meta("Estado"),
			"detected_at":           meta("Momento de detección"),
			"notified_to_area_at":   meta("Momento en que lo conoció el área responsable"),
			"databases":             meta("Bases de datos afectadas (JSON)"),
			"data_categories":       meta("Categorías de datos afectadas (JSON)"),
			"affected_subjects":     meta("Número estimado de titulares afectados"),
			"sic_due":               meta("Fecha límite del reporte a la SIC"),
			"sic_reported_at":       meta("Fecha del reporte a la SIC"),
			"sic_reference":         meta("Radicado del reporte en el RNBD"),
			"titulares_notified_at": meta("Fecha de aviso a los titulares"),
			"contained_at":          meta("Fecha de contención"),
			"closed_at":             meta("Fecha de cierre"),
			"close_reason":          meta("Motivo del cierre sin reporte"),
			"created_by":            ident("Identificador de quien lo registró"),
			"created_at":            createdAt,
			"updated_at":            meta("Fecha de la última modificación"),
			"version":               meta("Versión (control de concurrencia)"),
		}},
	"incident_notes": {Database: DBHabeas,
		Description: "Bitácora de cada incidente",
		Columns: map[string]Column{
			"id":          meta("Identificador de la nota"),
			"incident_id": meta("Incidente"),
			"seq":         meta("Orden de la nota en el incidente"),
			"author":      ident("Identificador del autor"),
			"text":        freeText("Texto de la nota"),
			"created_at":  createdAt,
		}},

	// 00016_openid
	"oidc_auth_requests": {Database: DBAuth,
		Description: "Solicitudes de autorización OpenID Connect en curso (minutos)",
		Columns: map[string]Column{
			"id":                    meta("Identificador de la solicitud"),
			"client_id":             meta("Aplicación que la hizo"),
			"redirect_uri":          meta("URL de redirección de la aplicación"),
			"scopes":                meta("Alcances pedidos"),
			"state":                 meta("Valor state de la aplicación"),
			"nonce":                 meta("Valor nonce de la aplicación"),
			"code_challenge":        meta("Reto PKCE de la aplicación"),
			"code_challenge_method": meta("Método PKCE (S256)"),
			"response_mode":         meta("Modo de respuesta"),
			"prompt":                meta("Parámetro prompt"),
			"max_age_s":             meta("Antigüedad máxima de la autenticación"),
			"ui_locales":            meta("Idiomas pedidos"),
			"login_hint":            contact("Correo sugerido por la aplicación"),
			"created_at":            createdAt,
			"expires_at":            expiresAt,
			"user_id":               userID,
			"browser_session_id":    meta("Sesión del navegador que la aprobó"),
			"auth_time":             meta("Momento de la autenticación"),
			"acr":                   meta("Nivel de autenticación"),
			"amr":                   meta("Métodos de autenticación"),
			"done_at":               meta("Fecha de la decisión"),
			"code_hash":             cred("Hash del código de autorización").hashed(hashSHA256),
			"code_used_at":          usedAt,
			"issued_session_id":     meta("Sesión emitida con el código"),
			"replayed_at":           meta("Fecha de un intento de reutilizar el código"),
		}},
	"oauth_grants": {Database: DBAuth,
		Description: "Accesos que cada persona concedió a aplicaciones de terceros",
		Columns: map[string]Column{
			"user_id":    userID,
			"client_id":  meta("Aplicación"),
			"scopes":     meta("Alcances concedidos"),
			"granted_at": meta("Fecha de la concesión"),
		}},
	"oidc_client_sessions": {Database: DBAuth,
		Description: "Sesiones de aplicaciones y la sesión de navegador que las originó",
		Columns: map[string]Column{
			"session_id":         meta("Sesión de la aplicación"),
			"browser_session_id": meta("Sesión del navegador"),
		}},

	// 00017_social
	"social_identities": {Database: DBAuth,
		Description: "Identidades de ingreso social (Google, Microsoft, Apple, Facebook...)",
		Columns: map[string]Column{
			"id":           meta("Identificador de la identidad"),
			"user_id":      userID,
			"provider":     meta("Proveedor de identidad"),
			"subject":      ident("Identificador de la persona en el proveedor"),
			"email":        contact("Correo que dio el proveedor"),
			"created_at":   createdAt,
			"last_used_at": meta("Último ingreso con ella"),
		}},
	"social_states": {Database: DBAuth,
		Description: "Ingresos sociales en curso (minutos)",
		Columns: map[string]Column{
			"state_mac":   cred("MAC del valor state").system().hashed(hashHMAC),
			"provider":    meta("Proveedor de identidad"),
			"browser_mac": cred("MAC de la cookie que ata el navegador").hashed(hashHMAC),
			"return_to":   meta("Página a la que se vuelve"),
			"expires_at":  expiresAt,
			"created_at":  createdAt,
		}},
	"social_results": {Database: DBAuth,
		Description: "Resultados de ingresos sociales por recoger (minutos)",
		Columns: map[string]Column{
			"handle_mac":     cred("MAC del identificador del resultado").hashed(hashHMAC),
			"kind":           meta("Resultado o vinculación"),
			"provider":       meta("Proveedor de identidad"),
			"subject":        ident("Identificador de la persona en el proveedor"),
			"email":          contact("Correo que dio el proveedor"),
			"email_verified": meta("Si el proveedor verificó el correo"),
			"name":           ident("Nombre que dio el proveedor"),
			"auth_time":      meta("Momento de la autenticación en el proveedor"),
			"expires_at":     expiresAt,
			"created_at":     createdAt,
		}},

	// 00018_web
	"web_sessions": {Database: DBAuth,
		Description: "Sesiones de navegador de las páginas de cerrojo (solo el hash de la cookie)",
		Columns: map[string]Column{
			"cookie_hash": cred("Hash de la cookie de sesión").hashed(hashSHA256),
			"session_id":  meta("Sesión de cerrojo"),
			"created_at":  createdAt,
		}},

	// 00019_dian
	"dian_certificates": {Database: DBInternal,
		Description: "Certificado digital del marketplace para los servicios web de la DIAN",
		Columns: map[string]Column{
			"name":            meta("Nombre del certificado"),
			"p12_sealed":      cred("Archivo PKCS#12 cifrado").system().sealed(),
			"password_sealed": cred("Contraseña del PKCS#12 cifrada").system().sealed(),
			"subject":         meta("Titular del certificado (el marketplace)"),
			"issuer":          meta("Entidad que lo emitió"),
			"serial":          meta("Número de serie"),
			"fingerprint":     meta("Huella SHA-256"),
			"not_before":      meta("Inicio de vigencia"),
			"not_after":       meta("Fin de vigencia"),
			"imported_at":     meta("Fecha de importación"),
		}},
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
