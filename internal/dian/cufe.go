package dian

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Environment is the DIAN's TipoAmbiente (Anexo Técnico 1.9, section 13.1.1,
// "Tipo de Ambiente"): 1 production, 2 habilitación (tests). It is the last
// field of the CUFE and CUDE strings.
type Environment int

// The two environments.
const (
	Production   Environment = 1
	Habilitacion Environment = 2
)

// Valid reports whether e is 1 or 2.
func (e Environment) Valid() bool { return e == Production || e == Habilitacion }

// String is the environment's name in the configuration.
func (e Environment) String() string {
	switch e {
	case Production:
		return "produccion"
	case Habilitacion:
		return "habilitacion"
	}
	return fmt.Sprintf("Environment(%d)", int(e))
}

// ParseEnvironment reads "produccion"/"production"/"1" or
// "habilitacion"/"habilitación"/"test"/"2".
func ParseEnvironment(s string) (Environment, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "produccion", "producción", "production":
		return Production, nil
	case "2", "habilitacion", "habilitación", "test", "pruebas":
		return Habilitacion, nil
	}
	return 0, fmt.Errorf("dian: environment %q: must be produccion (1) or habilitacion (2)", s)
}

// Kind is the kind of electronic document whose unique code is computed.
type Kind string

// Document kinds. An invoice has a CUFE computed with the technical key of
// its numbering range (ClTec); credit and debit notes have a CUDE computed
// with the software PIN (Anexo Técnico 1.9, sections 11.2 and 11.4).
const (
	Invoice    Kind = "invoice"
	CreditNote Kind = "credit_note"
	DebitNote  Kind = "debit_note"
)

// Algorithm is the value of the schemeName attribute of cbc:UUID for the
// kind: CUFE-SHA384 or CUDE-SHA384.
func (k Kind) Algorithm() string {
	if k == Invoice {
		return "CUFE-SHA384"
	}
	return "CUDE-SHA384"
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Invoice || k == CreditNote || k == DebitNote }

// Tax codes placed before each tax amount (Anexo Técnico 1.9, section 11.2,
// and table 13.2.2 "Tributos"): IVA, INC (impuesto nacional al consumo)
// and ICA, in that order whatever taxes the document has.
const (
	codeIVA = "01"
	codeINC = "04"
	codeICA = "03"
)

// Document holds the fields of an invoice or note that enter its CUFE or
// CUDE, as the annex names them.
type Document struct {
	Kind Kind `json:"kind"`
	// Number is NumFac: the prefix and the consecutive number, as in cbc:ID.
	Number string `json:"number"`
	// IssueDate is FecFac, YYYY-MM-DD (cbc:IssueDate).
	IssueDate string `json:"issue_date"`
	// IssueTime is HorFac, HH:MM:SS-05:00 (cbc:IssueTime).
	IssueTime string `json:"issue_time"`
	// Subtotal is ValFac: cac:LegalMonetaryTotal/cbc:LineExtensionAmount.
	Subtotal Amount `json:"subtotal"`
	// IVA, INC and ICA are ValImp1..3: the cac:TaxTotal/cbc:TaxAmount of
	// each tax, zero when the document does not have it.
	IVA Amount `json:"iva"`
	INC Amount `json:"inc"`
	ICA Amount `json:"ica"`
	// Total is ValTot: cac:LegalMonetaryTotal/cbc:PayableAmount.
	Total Amount `json:"total"`
	// IssuerNIT is NitOFE: the issuer's NIT, digits only, without its
	// check digit.
	IssuerNIT string `json:"issuer_nit"`
	// BuyerID is NumAdq: the buyer's identification number without dots,
	// dashes or check digit (222222222222 for consumidor final).
	BuyerID string `json:"buyer_id"`
	// Environment is TipoAmbiente.
	Environment Environment `json:"environment"`
}

// FieldError names a field of a Document that is not valid.
type FieldError struct {
	Field   string // JSON Pointer, such as /issue_date
	Message string
}

// InvalidDocumentError lists what is wrong with a Document.
type InvalidDocumentError struct {
	Fields []FieldError
}

func (e *InvalidDocumentError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "dian: invalid document: " + strings.Join(parts, "; ")
}

// ErrInvalidKey means the technical key or software PIN is empty or has
// characters the annex does not use.
var ErrInvalidKey = errors.New("dian: technical key or software PIN is not valid")

var (
	numberRule = regexp.MustCompile(`^[A-Za-z0-9]{1,40}$`)
	timeRule   = regexp.MustCompile(`^[0-2][0-9]:[0-5][0-9]:[0-5][0-9][-+][0-1][0-9]:[0-5][0-9]$`)
	nitRule    = regexp.MustCompile(`^[0-9]{1,15}$`)
	buyerRule  = regexp.MustCompile(`^[A-Za-z0-9]{1,20}$`)
	keyRule    = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
)

// Validate checks every field's form. It does not check that the amounts
// add up: the DIAN's rules (FAU14 and others) do, and a CUFE is computed
// from the values as written.
func (d Document) Validate() error {
	var fe []FieldError
	add := func(field, msg string) { fe = append(fe, FieldError{Field: field, Message: msg}) }
	if !d.Kind.Valid() {
		add("/kind", "must be invoice, credit_note or debit_note")
	}
	if !numberRule.MatchString(d.Number) {
		add("/number", "must be 1 to 40 letters and digits (prefix and number)")
	}
	if _, err := time.Parse(time.DateOnly, d.IssueDate); err != nil {
		add("/issue_date", "must be a date YYYY-MM-DD")
	}
	if !timeRule.MatchString(d.IssueTime) {
		add("/issue_time", "must be HH:MM:SS with its offset, such as 10:53:10-05:00")
	} else if _, err := time.Parse("15:04:05-07:00", d.IssueTime); err != nil {
		add("/issue_time", "is not a valid time of day")
	}
	for _, a := range []struct {
		field string
		v     Amount
	}{{"/subtotal", d.Subtotal}, {"/iva", d.IVA}, {"/inc", d.INC}, {"/ica", d.ICA},
		{"/total", d.Total}} {
		if _, err := FormatAmount(string(a.v)); err != nil {
			add(a.field, err.Error())
		}
	}
	if !nitRule.MatchString(d.IssuerNIT) {
		add("/issuer_nit", "must be the NIT's digits, without check digit, dots or dashes")
	}
	if !buyerRule.MatchString(d.BuyerID) {
		add("/buyer_id", "must be 1 to 20 letters and digits, without check digit, dots "+
			"or dashes")
	}
	if !d.Environment.Valid() {
		add("/environment", "must be 1 (production) or 2 (habilitación)")
	}
	if len(fe) > 0 {
		return &InvalidDocumentError{Fields: fe}
	}
	return nil
}

// Source returns the string whose SHA-384 is the document's CUFE or CUDE,
// in the annex's order (Anexo Técnico 1.9, section 11.2 for the CUFE,
// section 11.4 for the CUDE of notes):
//
//	NumFac + FecFac + HorFac + ValFac + "01" + ValImp1 + "04" + ValImp2 +
//	"03" + ValImp3 + ValTot + NitOFE + NumAdq + ClTec|SoftwarePIN + TipoAmbiente
//
// key is the technical key of the numbering range for an invoice and the
// software PIN for a note.
func Source(d Document, key string) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	if !keyRule.MatchString(key) {
		return "", ErrInvalidKey
	}
	amounts := make([]string, 0, 5)
	for _, a := range []Amount{d.Subtotal, d.IVA, d.INC, d.ICA, d.Total} {
		s, _ := FormatAmount(string(a)) // Validate checked every amount
		amounts = append(amounts, s)
	}
	var b strings.Builder
	b.Grow(160)
	for _, s := range []string{d.Number, d.IssueDate, d.IssueTime, amounts[0],
		codeIVA, amounts[1], codeINC, amounts[2], codeICA, amounts[3], amounts[4],
		d.IssuerNIT, d.BuyerID, key} {
		b.WriteString(s)
	}
	b.WriteByte(byte('0' + d.Environment)) // #nosec G115 -- Validate: 1 or 2
	return b.String(), nil
}

// Compute returns the document's CUFE (invoice) or CUDE (note): the
// lower-case hexadecimal SHA-384 of Source (the annex's "SHA-384" and the
// cbc:UUID schemeName CUFE-SHA384/CUDE-SHA384).
func Compute(d Document, key string) (string, error) {
	src, err := Source(d, key)
	if err != nil {
		return "", err
	}
	sum := sha512.Sum384([]byte(src))
	return hex.EncodeToString(sum[:]), nil
}

// Verify reports whether code is the CUFE or CUDE of d under key. The
// comparison ignores the case of the hexadecimal digits.
func Verify(d Document, key, code string) (bool, string, error) {
	got, err := Compute(d, key)
	if err != nil {
		return false, "", err
	}
	return strings.EqualFold(got, strings.TrimSpace(code)), got, nil
}

// Amount is a decimal amount as the document writes it: digits, an
// optional dot and decimals. In JSON it may be a string or a number; a
// number is taken digit by digit, never through a float.
type Amount string

// UnmarshalJSON accepts "1500000.00" and 1500000.00 alike.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		if strings.ContainsAny(s, `\"`) {
			return errors.New("amount: escapes are not allowed")
		}
	}
	*a = Amount(s)
	return nil
}

// MaxAmountDigits bounds the integer part of an amount: the UBL schema's
// decimals of the annex have at most 15 digits before the point.
const MaxAmountDigits = 15

// FormatAmount writes an amount as the CUFE takes it (Anexo Técnico 1.9,
// section 11.2: two decimals, the dot as decimal separator, no thousands
// separator): the integer part without leading zeros, a dot and exactly two
// decimals. Further decimals are truncated, never rounded, as section 11.2
// is read by the DIAN-validated implementations we compared: "10.999" is
// "10.99" (docs/dian.md says where this reading comes from). A number with
// a sign, an exponent, a comma or any other character is refused: a
// thousands separator would silently change the code.
func FormatAmount(s string) (string, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return "", errors.New("must be a non-negative decimal such as 1500000.00, " +
			"with a dot and no thousands separator")
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if len(intPart) > MaxAmountDigits {
		return "", fmt.Errorf("has more than %d digits before the point", MaxAmountDigits)
	}
	if len(frac) > 64 {
		return "", errors.New("has more than 64 decimals")
	}
	frac += "00"
	return intPart + "." + frac[:2], nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
