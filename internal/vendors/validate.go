package vendors

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/docid"
)

// Person types.
const (
	Natural  = "natural"
	Juridica = "juridica"
)

// Bank account types.
const (
	Ahorros   = "ahorros"
	Corriente = "corriente"
)

// Input is what the owner sends to create a vendor.
type Input struct {
	LegalName           string         `json:"legal_name"`
	TradeName           string         `json:"trade_name"`
	PersonType          string         `json:"person_type"`
	Identification      Identification `json:"identification"`
	TaxResponsibilities []string       `json:"tax_responsibilities"`
	Contact             Contact        `json:"contact"`
	Address             Address        `json:"address"`
	Bank                BankAccount    `json:"bank_account"`
}

// Patch changes some fields of a draft or rejected vendor; nil fields keep
// their value, and nested objects are replaced whole.
type Patch struct {
	LegalName           *string         `json:"legal_name"`
	TradeName           *string         `json:"trade_name"`
	PersonType          *string         `json:"person_type"`
	Identification      *Identification `json:"identification"`
	TaxResponsibilities *[]string       `json:"tax_responsibilities"`
	Contact             *Contact        `json:"contact"`
	Address             *Address        `json:"address"`
	Bank                *BankAccount    `json:"bank_account"`
}

// Identification is a DIAN document type (31 NIT, 13 cédula) and number.
type Identification struct {
	Type   int    `json:"type"`
	Number string `json:"number"`
}

// Contact is how the marketplace reaches the vendor.
type Contact struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Address is the vendor's address with DANE codes.
type Address struct {
	Line         string `json:"line"`
	Departamento string `json:"departamento"`
	Municipio    string `json:"municipio"`
}

// BankAccount is where the vendor is paid.
type BankAccount struct {
	BankName string `json:"bank_name"`
	Type     string `json:"account_type"`
	Number   string `json:"number"`
}

func (in Input) apply(p Patch) Input {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&in.LegalName, p.LegalName)
	set(&in.TradeName, p.TradeName)
	set(&in.PersonType, p.PersonType)
	if p.Identification != nil {
		in.Identification = *p.Identification
	}
	if p.TaxResponsibilities != nil {
		in.TaxResponsibilities = *p.TaxResponsibilities
	}
	if p.Contact != nil {
		in.Contact = *p.Contact
	}
	if p.Address != nil {
		in.Address = *p.Address
	}
	if p.Bank != nil {
		in.Bank = *p.Bank
	}
	return in
}

// Limits on the input.
const (
	maxNameLen    = 200
	maxLineLen    = 300
	maxBankLen    = 100
	maxTaxCodes   = 30
	maxReasons    = 10
	maxReasonLen  = 500
	maxReviewerLn = 254
)

// valid is a checked input in canonical form.
type valid struct {
	Input
	doc  docid.Document
	bank string // digits only
}

var (
	taxCode   = regexp.MustCompile(`^[OR]-\d{2}(-PN)?$`)
	phoneRule = regexp.MustCompile(`^\+?[0-9]{7,15}$`)
	twoDigits = regexp.MustCompile(`^[0-9]{2}$`)
	fiveDigit = regexp.MustCompile(`^[0-9]{5}$`)
)

func validate(in Input) (valid, error) {
	var ve ValidationError
	v := valid{Input: in}
	v.LegalName = checkText(&ve, "/legal_name", in.LegalName, maxNameLen)
	v.TradeName = checkText(&ve, "/trade_name", in.TradeName, maxNameLen)
	switch in.PersonType {
	case Natural, Juridica:
	default:
		ve.add("/person_type", "invalid_value", "must be natural or juridica")
	}
	v.doc = checkIdentification(&ve, in.PersonType, in.Identification)
	v.Identification = Identification{Type: int(v.doc.Code()), Number: v.doc.Number()}
	v.TaxResponsibilities = checkTax(&ve, in.PersonType, in.TaxResponsibilities)

	if e, err := accounts.ParseEmail(in.Contact.Email); err != nil {
		ve.add("/contact/email", "invalid_value", "is not a valid email address")
	} else {
		v.Contact.Email = e.Address
	}
	phone := stripSeparators(in.Contact.Phone)
	if !phoneRule.MatchString(phone) {
		ve.add("/contact/phone", "invalid_value", "must be 7 to 15 digits, optionally "+
			"starting with +")
	}
	v.Contact.Phone = phone

	v.Address.Line = checkText(&ve, "/address/line", in.Address.Line, maxLineLen)
	dep, mun := strings.TrimSpace(in.Address.Departamento), strings.TrimSpace(in.Address.Municipio)
	if !twoDigits.MatchString(dep) {
		ve.add("/address/departamento", "invalid_value", "must be a 2-digit DANE code")
	}
	switch {
	case !fiveDigit.MatchString(mun):
		ve.add("/address/municipio", "invalid_value", "must be a 5-digit DANE code")
	case twoDigits.MatchString(dep) && !strings.HasPrefix(mun, dep):
		ve.add("/address/municipio", "inconsistent", "must start with the departamento code")
	}
	v.Address.Departamento, v.Address.Municipio = dep, mun

	v.Bank.BankName = checkText(&ve, "/bank_account/bank_name", in.Bank.BankName, maxBankLen)
	switch in.Bank.Type {
	case Ahorros, Corriente:
	default:
		ve.add("/bank_account/account_type", "invalid_value", "must be ahorros or corriente")
	}
	v.bank = stripSeparators(in.Bank.Number)
	if !digitsOnly(v.bank) || len(v.bank) < 4 || len(v.bank) > 20 {
		ve.add("/bank_account/number", "invalid_value", "must be 4 to 20 digits")
	}
	v.Bank.Number = v.bank
	return v, ve.err()
}

func checkText(ve *ValidationError, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		ve.add(field, "required", "is required")
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > max:
		ve.add(field, "invalid_value", fmt.Sprintf("must be at most %d characters", max))
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		ve.add(field, "invalid_value", "may not contain control characters")
	}
	return s
}

func checkIdentification(ve *ValidationError, personType string,
	id Identification) docid.Document {
	switch docid.Code(id.Type) {
	case docid.CodeNIT:
	case docid.CodeCedulaCiudadania:
		if personType == Juridica {
			ve.add("/identification/type", "inconsistent", "a persona jurídica is "+
				"identified by its NIT (type 31); a cédula (type 13) is for natural persons")
			return docid.Document{}
		}
	default:
		ve.add("/identification/type", "invalid_value", "must be 31 (NIT) or 13 (cédula de "+
			"ciudadanía)")
		return docid.Document{}
	}
	d, err := parseDocument(docid.Code(id.Type), id.Number)
	if err != nil {
		var cd *docid.CheckDigitError
		if errors.As(err, &cd) {
			ve.add("/identification/number", docid.Reason(err), fmt.Sprintf(
				"the NIT check digit is wrong: it is %d, the expected digit is %d",
				cd.Got, cd.Want))
		} else {
			ve.add("/identification/number", docid.Reason(err), "is not a valid number of "+
				"this document type ("+docid.Reason(err)+")")
		}
	}
	return d
}

// parseDocument parses a number. A NIT is always written with its check
// digit: "900.373.115-3", "900373115 3" and "9003731153" are all read as
// body 900373115 and check digit 3 (the last digit is the check digit when
// no dash marks it), and the check digit must match.
func parseDocument(code docid.Code, s string) (docid.Document, error) {
	d, err := docid.Parse(code, s)
	if code != docid.CodeNIT || !errors.Is(err, docid.ErrMissingCheckDigit) {
		return d, err
	}
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[len(t)-1] < '0' || t[len(t)-1] > '9' {
		return docid.Document{}, err
	}
	body := strings.TrimRight(t[:len(t)-1], " ")
	if body == "" {
		return docid.Document{}, err
	}
	n, nerr := docid.NewNIT(body, int(t[len(t)-1]-'0'))
	if nerr != nil {
		return docid.Document{}, nerr
	}
	return docid.Parse(docid.CodeNIT, n.Compact())
}

func checkTax(ve *ValidationError, personType string, codes []string) []string {
	if len(codes) == 0 {
		ve.add("/tax_responsibilities", "required", "list the responsibilities of the RUT")
		return nil
	}
	if len(codes) > maxTaxCodes {
		ve.add("/tax_responsibilities", "invalid_value",
			fmt.Sprintf("at most %d responsibilities", maxTaxCodes))
		return nil
	}
	out := make([]string, 0, len(codes))
	for i, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !taxCode.MatchString(c) {
			ve.add(fmt.Sprintf("/tax_responsibilities/%d", i), "invalid_value",
				"must look like O-13, O-48 or R-99-PN")
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	if slices.Contains(out, "R-99-PN") && personType != Natural {
		ve.add("/tax_responsibilities", "inconsistent", "R-99-PN applies only to natural persons")
	}
	if slices.Contains(out, "O-48") && slices.Contains(out, "O-49") {
		ve.add("/tax_responsibilities", "inconsistent", "O-48 (responsable de IVA) and O-49 "+
			"(no responsable de IVA) exclude each other")
	}
	return out
}

func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}

// checkReasons trims the reasons and refuses an empty list.
func checkReasons(field string, reasons []string) ([]string, error) {
	var out []string
	for _, r := range reasons {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	var ve ValidationError
	switch {
	case len(out) == 0:
		ve.add(field, "required", "give at least one reason the vendor can read")
	case len(out) > maxReasons:
		ve.add(field, "invalid_value", fmt.Sprintf("at most %d reasons", maxReasons))
	}
	for i, r := range out {
		if utf8.RuneCountInString(r) > maxReasonLen || !utf8.ValidString(r) {
			ve.add(fmt.Sprintf("%s/%d", field, i), "invalid_value",
				fmt.Sprintf("must be at most %d characters", maxReasonLen))
		}
	}
	return out, ve.err()
}

func checkReviewer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("/reviewer", "required", "name the reviewer (email or name)")
	}
	if len(s) > maxReviewerLn || !utf8.ValidString(s) ||
		strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", invalid("/reviewer", "invalid_value", "must be a short email or name")
	}
	return strings.ToLower(s), nil
}
