package docid

// charset is the set of characters a type's number is made of, after
// separators are removed.
type charset uint8

const (
	// digits: ASCII '0'-'9'. Input may group them in thousands with one kind
	// of separator ('.', ',' or ' '), as people write them.
	digits charset = iota + 1

	// alphanumeric: ASCII letters and digits; letters are upper-cased. Input
	// may use ' ', '-' or '.' between characters; they are removed.
	alphanumeric
)

// rule is the format check for one document type.
type rule struct {
	chars         charset
	min, max      int // length of the canonical number
	noLeadingZero bool
}

type entry struct {
	typ  Type
	rule rule
}

// table lists every type with its rule, in code order. Where no official
// format was found the rule only bounds length and character set, and says
// so. The NIT rule is the body rule; the check digit is handled in nit.go.
var table = []entry{
	{
		// No official number format found. Newer records carry the NUIP
		// (10 digits); older ones a serial. Letters are allowed so that a
		// format we could not verify is not rejected.
		typ:  Type{CodeRegistroCivil, "Registro civil", "civil registry record"},
		rule: rule{chars: alphanumeric, min: 4, max: numericMaxDigits},
	},
	{
		// No official format found. Current cards carry the 10-digit NUIP;
		// 5..11 digits leaves room for older numbers, whose length we could
		// not verify.
		typ:  Type{CodeTarjetaIdentidad, "Tarjeta de identidad", "identity card (minors)"},
		rule: rule{chars: digits, min: 5, max: 11},
	},
	{
		// Numeric, numbered from 1 since 1952, 10 digits today; see
		// cedulaMinDigits for the floor and why leading zeros never occur.
		typ: Type{CodeCedulaCiudadania, "Cédula de ciudadanía", "citizenship card"},
		rule: rule{chars: digits, min: cedulaMinDigits, max: cedulaMaxDigits,
			noLeadingZero: true},
	},
	{
		// Issued by Migración Colombia to foreign minors. No official
		// format found; bounded only.
		typ: Type{CodeTarjetaExtranjeria, "Tarjeta de extranjería",
			"foreigner identity card (minors)"},
		rule: rule{chars: digits, min: 3, max: numericMaxDigits},
	},
	{
		// Issued by Migración Colombia. No official format found; payment
		// providers' documentation lists 6 or 7 digits. Bounded only.
		typ:  Type{CodeCedulaExtranjeria, "Cédula de extranjería", "foreigner identity card"},
		rule: rule{chars: digits, min: 3, max: numericMaxDigits},
	},
	{
		// Body of 3..15 digits plus a check digit (nit.go).
		typ:  Type{CodeNIT, "NIT", "tax identification number"},
		rule: nitBodyRule,
	},
	{
		// Any issuing country. ICAO Doc 9303 letters and digits; see
		// genericMaxChars.
		typ:  Type{CodePasaporte, "Pasaporte", "passport"},
		rule: rule{chars: alphanumeric, min: 3, max: genericMaxChars},
	},
	{
		// Any foreign identity document; no common format exists.
		typ: Type{CodeDocumentoExtranjero, "Documento de identificación extranjero",
			"foreign identity document"},
		rule: rule{chars: alphanumeric, min: 3, max: genericMaxChars},
	},
	{
		// Permiso Especial de Permanencia. No official format found; the one
		// permit seen published carries 15 digits. Bounded to 6..15 digits.
		typ: Type{CodePEP, "PEP (Permiso Especial de Permanencia)",
			"special stay permit"},
		rule: rule{chars: digits, min: 6, max: numericMaxDigits},
	},
	{
		// Permiso por Protección Temporal. No official format found;
		// bounded to 4..15 digits. A "PPT" prefix is not accepted.
		typ: Type{CodePPT, "PPT (Permiso por Protección Temporal)",
			"temporary protection permit"},
		rule: rule{chars: digits, min: 4, max: numericMaxDigits},
	},
	{
		// A tax number issued by another country; no common format exists.
		typ:  Type{CodeNITOtroPais, "NIT de otro país", "foreign tax identification number"},
		rule: rule{chars: alphanumeric, min: 3, max: genericMaxChars},
	},
	{
		// Número Único de Identificación Personal, used by the Registraduría
		// since 2000; for adults it is the cédula number, so it follows the
		// cédula rule.
		typ: Type{CodeNUIP, "NUIP", "unique personal identification number"},
		rule: rule{chars: digits, min: cedulaMinDigits, max: cedulaMaxDigits,
			noLeadingZero: true},
	},
}
