// Package dian speaks to the DIAN, Colombia's tax authority, for the
// marketplace's electronic invoicing.
//
// It computes and verifies the CUFE of invoices and the CUDE of credit and
// debit notes as the Anexo Técnico de Factura Electrónica de Venta 1.9
// defines them (section 11.2 and 11.4): the annex's field order, amounts
// with two truncated decimals, SHA-384, the technical key or the software
// PIN, and the environment code. It builds and parses the content of an
// invoice's QR code (section 11.7) and calls the DIAN's web services
// (GetStatus, GetStatusZip, GetNumberingRange) over SOAP 1.2 with
// WS-Addressing and WS-Security (OASIS WSS 1.1 X.509 token profile,
// RSA-SHA256 over exclusive C14N).
//
// Guarantees:
//   - Compute and Verify are pure: no I/O, no clock; a code is a function
//     of the fields and the key only, and every field's form is checked
//     before hashing (a thousands separator or a rounded amount is an
//     error, not another code).
//   - ParseQR reads untrusted text within fixed bounds and never panics
//     (fuzzed).
//   - Every request to the DIAN carries a signed Timestamp, To and Body;
//     responses are read to at most Config.MaxResponseBytes and only the
//     elements the operation expects are taken; retries happen only for
//     the idempotent query operations, with exponential backoff.
//   - The certificate's private key and password are never logged, never
//     returned and never stored unsealed: the PKCS#12 file is sealed with
//     the key ring (CertStore), and each call is an audit event naming the
//     operation, the document or track id and the outcome, never the
//     signed payload.
package dian
