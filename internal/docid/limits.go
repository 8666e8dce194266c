package docid

// Bounds on untrusted input, kept together so each can be reviewed with its
// reason. Tests exercise the value at and just past each bound.
const (
	// MaxInputBytes caps the raw input and is checked before any other work.
	// The longest legitimate input is a 15-digit NIT body with four
	// thousands separators and a spaced dash ("123.456.789.012.345 - 2", 23
	// bytes) or a 20-character foreign number with separators; 64 leaves room
	// for stray surrounding spaces while keeping each call's work small and
	// fixed.
	MaxInputBytes = 64

	// nitMaxBodyDigits is the longest NIT body the check digit is defined
	// for: DIAN's weight table has one weight per body position, 15 in all.
	nitMaxBodyDigits = len(nitWeights)

	// nitMinBodyDigits is the same floor as the cédula de ciudadanía, because
	// a natural person's NIT is their cédula number (DIAN Concepto 078424 de
	// 2002, citing Orden Administrativa 011 de 1996, numeral 4.2).
	nitMinBodyDigits = cedulaMinDigits

	// cedulaMinDigits and cedulaMaxDigits bound the cédula de ciudadanía.
	// Numbering began at 1 in 1952, when the first card went to the
	// president of the day, and women's cards started at 20,000,001 in 1956
	// (English Wikipedia, "Colombian identity card"); numbers issued today
	// have 10 digits. Numbers below 100 went to the first 99 men
	// registered in 1952; rejecting them is a risk accepted on purpose in
	// exchange for catching truncated input.
	cedulaMinDigits = 3
	cedulaMaxDigits = 10

	// genericMaxChars bounds the types with no official format (passports,
	// foreign documents and foreign tax numbers). ICAO Doc 9303 gives the
	// passport number 9 characters in the machine-readable zone, with longer
	// numbers overflowing into the optional-data field; 20 covers that and
	// the foreign tax numbers we know of, and stays well inside
	// MaxInputBytes.
	genericMaxChars = 20

	// numericMaxDigits bounds the numeric permits and foreigner cards, for
	// which no official length was found. It matches the longest such number
	// seen published (a 15-digit PEP) and the NIT body limit.
	numericMaxDigits = 15
)
