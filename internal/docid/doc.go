// Package docid parses and validates Colombian identity document numbers as
// the DIAN codes them, for vendor onboarding.
//
// Each document type carries its DIAN code (11 registro civil, 13 cédula de
// ciudadanía, 31 NIT, 41 pasaporte, ...), the list used in the RUT and in the
// electronic invoicing technical annex ("Anexo técnico de factura electrónica
// de venta", table 13.2.1, "Documento de identificación"). Parse applies the
// format rule of one type; ParseNIT and NewNIT handle the NIT and its check
// digit.
//
// # Guarantees
//
//   - Bounded work. Input longer than MaxInputBytes is rejected before it is
//     looked at; everything after that is one pass over at most 64 bytes, with
//     no allocation that depends on the input beyond the result itself.
//   - ASCII only. Only the bytes '0'-'9', 'A'-'Z', 'a'-'z' and the separators
//     a type allows are accepted. Unicode digits (Arabic-Indic, full-width),
//     Unicode dashes and non-breaking spaces are rejected, so two inputs that
//     look alike on screen cannot parse to different values.
//   - Canonical results. A parsed value has one compact form (Number, Compact)
//     and one display form (Formatted). Both parse back to an equal value, and
//     two parsed values of the same document compare equal with ==, so they
//     can be used as map keys and for duplicate detection.
//   - Nothing half-built. On error the returned value is the zero value.
//   - No personal data in errors or logs. Error messages never quote the
//     input; they name the rule that failed and, at most, a byte position, a
//     length or a check digit. Document and NIT print as redacted through
//     fmt and log/slog; the number is only available through explicit
//     accessors.
//
// # What this package does not do
//
// It checks form, not existence. A number that passes is well written; it may
// still belong to nobody, or to somebody other than the vendor. Confirming the
// RUT or the identity against DIAN or the Registraduría is the caller's job.
// The NIT check digit catches a mistyped digit and most swapped neighbours; it
// is an error-detecting code, not a secret, and anyone can compute it.
//
// # What the caller must protect
//
// Document numbers of natural persons are personal data (Ley 1581 de 2012),
// and a person's NIT is their cédula number with a check digit appended. Do
// not log Number, Compact or Formatted; store them as personal data.
//
// # Where the rules come from
//
// Only the NIT has a published check digit (DIAN, Orden Administrativa 4 de
// 1989). For the other types no official format specification was found;
// their rules bound the length and the character set, and each rule in
// rules.go names what it rests on. See limits.go for every bound and its
// reason.
package docid
