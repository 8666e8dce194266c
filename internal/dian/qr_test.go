package dian

import (
	"errors"
	"strings"
	"testing"
)

func sampleQR() QR {
	v := annexVectors[0]
	q, err := QRFor(v.doc, v.printed)
	if err != nil {
		panic(err)
	}
	return q
}

// TestQRRoundTrip proves the content has the annex's fields in its order,
// the production search URL for environment 1, and parses back to itself.
func TestQRRoundTrip(t *testing.T) {
	q := sampleQR()
	s, err := BuildQR(q)
	if err != nil {
		t.Fatal(err)
	}
	want := "NumFac: 323200000129\nFecFac: 2019-01-16\nHorFac: 10:53:10-05:00\n" +
		"NitFac: 700085371\nDocAdq: 800199436\nValFac: 1500000.00\nValIva: 285000.00\n" +
		"ValOtroIm: 0.00\nValTolFac: 1785000.00\nCUFE: " + annexVectors[0].printed +
		"\nQRCode: https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=" +
		annexVectors[0].printed
	if s != want {
		t.Fatalf("got\n%s\nwant\n%s", s, want)
	}
	back, err := ParseQR(strings.ReplaceAll(s, "\n", "\r\n") + "\n")
	if err != nil || back != q {
		t.Fatalf("ParseQR = %+v, %v", back, err)
	}
	q.Environment = Habilitacion
	s, _ = BuildQR(q)
	if !strings.Contains(s, "QRCode: https://catalogo-vpfe-hab.dian.gov.co/document/"+
		"searchqr?documentkey=") {
		t.Fatal(s)
	}
	if back, err := ParseQR(s); err != nil || back.Environment != Habilitacion {
		t.Fatal(back, err)
	}
}

func TestQROtherTaxes(t *testing.T) {
	d := annexVectors[0].doc
	d.INC, d.ICA = "10.50", "0.75"
	q, err := QRFor(d, annexVectors[0].printed)
	if err != nil || q.ValOtroIm != "11.25" {
		t.Fatal(q.ValOtroIm, err)
	}
}

func TestParseQRRefuses(t *testing.T) {
	good, _ := BuildQR(sampleQR())
	cufe := annexVectors[0].printed
	cases := map[string]string{
		"too long":  good + strings.Repeat(" ", MaxQRBytes),
		"not utf-8": good + "\n\xff",
		"no colon":  good + "\nhello",
		"unknown":   good + "\nExtra: 1",
		"duplicate": good + "\nNumFac: 1",
		"missing":   strings.Replace(good, "ValIva: 285000.00\n", "", 1),
		"amount":    strings.Replace(good, "ValIva: 285000.00", "ValIva: 285,000.00", 1),
		"rounded":   strings.Replace(good, "ValIva: 285000.00", "ValIva: 285000", 1),
		"cufe":      strings.Replace(good, "CUFE: "+cufe, "CUFE: abc", 1),
		"phishing": strings.Replace(good, "https://catalogo-vpfe.dian.gov.co",
			"https://evil.example", 1),
		"other cufe": strings.Replace(good, "documentkey="+cufe,
			"documentkey="+strings.Repeat("a", 96), 1),
		"date":  strings.Replace(good, "2019-01-16", "2019-13-16", 1),
		"empty": "",
	}
	for name, in := range cases {
		if _, err := ParseQR(in); !errors.Is(err, ErrQR) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseQR: ParseQR never panics, and whatever it accepts builds back
// to content that parses to the same value.
func FuzzParseQR(f *testing.F) {
	good, _ := BuildQR(sampleQR())
	f.Add(good)
	f.Add(strings.ReplaceAll(good, "\n", "\r\n"))
	f.Add("NumFac: 1\nCUFE:\n")
	f.Add(strings.Repeat("ValFac: 1.00\n", 20))
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQR(s)
		if err != nil {
			if !errors.Is(err, ErrQR) {
				t.Fatalf("error does not wrap ErrQR: %v", err)
			}
			return
		}
		out, err := BuildQR(q)
		if err != nil {
			t.Fatalf("accepted %q but cannot build it: %v", s, err)
		}
		again, err := ParseQR(out)
		if err != nil || again != q {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}
