package dian

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The DIAN's document search pages that a QR code links to, by environment
// (Anexo Técnico 1.9, representación gráfica: the QRCode field).
const (
	QRBaseProduction   = "https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey="
	QRBaseHabilitacion = "https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey="
)

// MaxQRBytes bounds the text ParseQR reads: the annex's eleven fields at
// their longest are under 600 bytes.
const MaxQRBytes = 2048

// QR is the content of an invoice's QR code: the annex's fields, in its
// order, one "Name: value" per line.
type QR struct {
	NumFac      string      `json:"num_fac"`     // number with prefix
	FecFac      string      `json:"fec_fac"`     // issue date YYYY-MM-DD
	HorFac      string      `json:"hor_fac"`     // issue time HH:MM:SS-05:00
	NitFac      string      `json:"nit_fac"`     // issuer's NIT without check digit
	DocAdq      string      `json:"doc_adq"`     // buyer's identification
	ValFac      Amount      `json:"val_fac"`     // subtotal
	ValIva      Amount      `json:"val_iva"`     // IVA
	ValOtroIm   Amount      `json:"val_otro_im"` // other taxes
	ValTolFac   Amount      `json:"val_tol_fac"` // total
	CUFE        string      `json:"cufe"`
	Environment Environment `json:"environment"` // chooses the QRCode URL
}

// qrFields are the annex's field names, in order.
var qrFields = []string{"NumFac", "FecFac", "HorFac", "NitFac", "DocAdq", "ValFac",
	"ValIva", "ValOtroIm", "ValTolFac", "CUFE", "QRCode"}

// ErrQR is wrapped by every error of ParseQR and BuildQR.
var ErrQR = errors.New("dian: invalid QR content")

var cufeRule = regexp.MustCompile(`^[0-9a-f]{96}$`)

// URL is the QRCode field: the DIAN's search page for the CUFE.
func (q QR) URL() string {
	if q.Environment == Production {
		return QRBaseProduction + q.CUFE
	}
	return QRBaseHabilitacion + q.CUFE
}

func (q QR) values() []string {
	return []string{q.NumFac, q.FecFac, q.HorFac, q.NitFac, q.DocAdq, string(q.ValFac),
		string(q.ValIva), string(q.ValOtroIm), string(q.ValTolFac), q.CUFE, q.URL()}
}

func qrErr(field, msg string) error {
	return fmt.Errorf("%w: %s: %s", ErrQR, field, msg)
}

// check validates every field; amounts must already be written as the
// annex writes them (two decimals).
func (q QR) check() error {
	switch {
	case !numberRule.MatchString(q.NumFac):
		return qrErr("NumFac", "must be 1 to 40 letters and digits")
	case !validDate(q.FecFac):
		return qrErr("FecFac", "must be a date YYYY-MM-DD")
	case !validTime(q.HorFac):
		return qrErr("HorFac", "must be HH:MM:SS with its offset")
	case !nitRule.MatchString(q.NitFac):
		return qrErr("NitFac", "must be the NIT's digits without check digit")
	case !buyerRule.MatchString(q.DocAdq):
		return qrErr("DocAdq", "must be 1 to 20 letters and digits")
	case !cufeRule.MatchString(q.CUFE):
		return qrErr("CUFE", "must be 96 lower-case hexadecimal digits")
	case !q.Environment.Valid():
		return qrErr("QRCode", "environment must be 1 or 2")
	}
	for i, a := range []Amount{q.ValFac, q.ValIva, q.ValOtroIm, q.ValTolFac} {
		f, err := FormatAmount(string(a))
		if err != nil || f != string(a) {
			return qrErr(qrFields[5+i], "must be an amount with two decimals, such as 0.00")
		}
	}
	return nil
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == 10
}

func validTime(s string) bool {
	if !timeRule.MatchString(s) {
		return false
	}
	_, err := time.Parse("15:04:05-07:00", s)
	return err == nil
}

// BuildQR writes the QR content: each field on its own line as
// "Name: value", in the annex's order, lines separated by "\n".
func BuildQR(q QR) (string, error) {
	if err := q.check(); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, v := range q.values() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(qrFields[i])
		b.WriteString(": ")
		b.WriteString(v)
	}
	return b.String(), nil
}

// ParseQR reads QR content, which is untrusted: at most MaxQRBytes of
// UTF-8, lines separated by "\n" or "\r\n", each "Name: value" with one of
// the annex's names once, all of them present, in any order; blank lines
// are skipped. The QRCode URL must be one of the DIAN's two search pages
// and name the same CUFE; it gives the environment.
func ParseQR(s string) (QR, error) {
	if len(s) > MaxQRBytes {
		return QR{}, fmt.Errorf("%w: longer than %d bytes", ErrQR, MaxQRBytes)
	}
	if !utf8.ValidString(s) {
		return QR{}, fmt.Errorf("%w: not UTF-8", ErrQR)
	}
	seen := make(map[string]string, len(qrFields))
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return QR{}, fmt.Errorf("%w: a line is not \"Name: value\"", ErrQR)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		known := false
		for _, f := range qrFields {
			known = known || f == name
		}
		if !known {
			return QR{}, fmt.Errorf("%w: unknown field %.40q", ErrQR, name)
		}
		if _, dup := seen[name]; dup {
			return QR{}, qrErr(name, "appears twice")
		}
		seen[name] = value
	}
	for _, f := range qrFields {
		if _, ok := seen[f]; !ok {
			return QR{}, qrErr(f, "is missing")
		}
	}
	q := QR{NumFac: seen["NumFac"], FecFac: seen["FecFac"], HorFac: seen["HorFac"],
		NitFac: seen["NitFac"], DocAdq: seen["DocAdq"], ValFac: Amount(seen["ValFac"]),
		ValIva: Amount(seen["ValIva"]), ValOtroIm: Amount(seen["ValOtroIm"]),
		ValTolFac: Amount(seen["ValTolFac"]), CUFE: strings.ToLower(seen["CUFE"])}
	url := seen["QRCode"]
	switch {
	case strings.HasPrefix(url, QRBaseProduction):
		q.Environment = Production
	case strings.HasPrefix(url, QRBaseHabilitacion):
		q.Environment = Habilitacion
	default:
		return QR{}, qrErr("QRCode", "is not the DIAN's document search page")
	}
	if err := q.check(); err != nil {
		return QR{}, err
	}
	if !strings.EqualFold(url[strings.Index(url, "=")+1:], q.CUFE) {
		return QR{}, qrErr("QRCode", "names another document than CUFE")
	}
	return q, nil
}

// QRFor returns the QR content of an invoice whose fields are d and whose
// CUFE is cufe. ValOtroIm is INC plus ICA, as the annex's "otros
// impuestos".
func QRFor(d Document, cufe string) (QR, error) {
	if err := d.Validate(); err != nil {
		return QR{}, err
	}
	f := func(a Amount) Amount { s, _ := FormatAmount(string(a)); return Amount(s) }
	other, err := addAmounts(f(d.INC), f(d.ICA))
	if err != nil {
		return QR{}, err
	}
	q := QR{NumFac: d.Number, FecFac: d.IssueDate, HorFac: d.IssueTime, NitFac: d.IssuerNIT,
		DocAdq: d.BuyerID, ValFac: f(d.Subtotal), ValIva: f(d.IVA), ValOtroIm: other,
		ValTolFac: f(d.Total), CUFE: strings.ToLower(cufe), Environment: d.Environment}
	return q, q.check()
}

// addAmounts adds two amounts already written with two decimals, exactly:
// 15 digits and 2 decimals fit in a uint64 with room to spare.
func addAmounts(a, b Amount) (Amount, error) {
	cents := func(x Amount) uint64 {
		var n uint64
		for _, c := range []byte(strings.Replace(string(x), ".", "", 1)) {
			n = n*10 + uint64(c-'0')
		}
		return n
	}
	s := cents(a) + cents(b)
	out := fmt.Sprintf("%d.%02d", s/100, s%100)
	if _, err := FormatAmount(out); err != nil {
		return "", qrErr("ValOtroIm", err.Error())
	}
	return Amount(out), nil
}
