package docid

import "strconv"

// Code is a DIAN identity document type code, as written in the RUT and in
// the electronic invoicing annex ("tipo de documento", table 13.2.1).
type Code int

// The DIAN document type codes this package knows.
const (
	CodeRegistroCivil       Code = 11
	CodeTarjetaIdentidad    Code = 12
	CodeCedulaCiudadania    Code = 13
	CodeTarjetaExtranjeria  Code = 21
	CodeCedulaExtranjeria   Code = 22
	CodeNIT                 Code = 31
	CodePasaporte           Code = 41
	CodeDocumentoExtranjero Code = 42
	CodePEP                 Code = 47
	CodePPT                 Code = 48
	CodeNITOtroPais         Code = 50
	CodeNUIP                Code = 91
)

// String returns the two-digit code as DIAN writes it.
func (c Code) String() string { return strconv.Itoa(int(c)) }

// Type describes one document type.
type Type struct {
	Code    Code
	Spanish string // the name DIAN uses
	English string
}

// Types returns every known type in ascending code order. The slice is a
// fresh copy; changing it does not affect the package.
func Types() []Type {
	out := make([]Type, len(table))
	for i, e := range table {
		out[i] = e.typ
	}
	return out
}

// LookupCode returns the type for a code, or false if the code is unknown.
func LookupCode(c Code) (Type, bool) {
	e, ok := lookup(c)
	return e.typ, ok
}

func lookup(c Code) (entry, bool) {
	for _, e := range table {
		if e.typ.Code == c {
			return e, true
		}
	}
	return entry{}, false
}
