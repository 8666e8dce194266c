package dian

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// TestExcC14NW3CExample checks the canonicalizer against the example of
// W3C Exclusive XML Canonicalization 1.0, section 2.2: the subtree
// n1:elem2 keeps only the namespaces it visibly uses (n1, and n3 on
// n3:stuff), not n0 inherited from its ancestor, and empty elements get
// end tags.
func TestExcC14NW3CExample(t *testing.T) {
	src := `<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 ` +
		`xmlns:n1="http://example.net" xml:lang="en"><n3:stuff ` +
		`xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>`
	doc := etree.NewDocument()
	if err := doc.ReadFromString(src); err != nil {
		t.Fatal(err)
	}
	got, err := ExcC14N(doc.FindElement("//elem2"), "")
	if err != nil {
		t.Fatal(err)
	}
	want := `<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff ` +
		`xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// With n0 in the InclusiveNamespaces PrefixList it is written too.
	got, _ = ExcC14N(doc.FindElement("//elem2"), "n0")
	if !strings.Contains(string(got), `xmlns:n0="foo:bar"`) {
		t.Fatalf("PrefixList ignored: %s", got)
	}
}

// TestExcC14NOfOurTo pins the canonical form of the signed To header as
// the envelope carries it: attributes sorted with namespace declarations
// first (exc-c14n section 3 via C14N 1.0 section 2.2), only wsa and wsu.
func TestExcC14NOfOurTo(t *testing.T) {
	src := `<soap:Envelope xmlns:soap="` + NSSoap + `" xmlns:wcf="` + NSWCF +
		`"><soap:Header xmlns:wsa="` + NSWSA + `"><wsa:To xmlns:wsu="` + NSWSU +
		`" wsu:Id="id-1">https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc</wsa:To>` +
		`</soap:Header></soap:Envelope>`
	doc := etree.NewDocument()
	if err := doc.ReadFromString(src); err != nil {
		t.Fatal(err)
	}
	got, err := ExcC14N(doc.FindElement("//To"), "")
	if err != nil {
		t.Fatal(err)
	}
	want := `<wsa:To xmlns:wsa="` + NSWSA + `" xmlns:wsu="` + NSWSU + `" wsu:Id="id-1">` +
		`https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc</wsa:To>`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func testSigner(t *testing.T) Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return Signer{Cert: cert, Key: key}
}

func signedTestEnvelope(t *testing.T, s Signer, now time.Time) []byte {
	t.Helper()
	n := 0
	ids := func(p string) string { n++; return p + string(rune('a'+n)) }
	raw, err := signEnvelope(envelope{Action: ActionPrefix + OpGetStatus,
		To: EndpointHabilitacion, Body: operation(OpGetStatus, "trackId", "abc"),
		Created: now, TTL: 5 * time.Minute, IDs: ids}, s)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestSignatureWrappingRefused moves the signed Body into the header and
// puts another Body with the same wsu:Id in its place: the digest of the
// element the id names first would match, so VerifyEnvelope must refuse
// duplicate ids.
func TestSignatureWrappingRefused(t *testing.T) {
	s := testSigner(t)
	now := time.Now()
	raw := signedTestEnvelope(t, s, now)
	opts := VerifyOptions{To: EndpointHabilitacion, Now: now, MaxSkew: time.Minute,
		Trusted: s.Cert}
	if _, err := VerifyEnvelope(bytes.NewReader(raw), 1<<20, opts); err != nil {
		t.Fatalf("genuine envelope refused: %v", err)
	}
	doc := etree.NewDocument()
	_ = doc.ReadFromBytes(raw)
	body := doc.FindElement("//Body")
	header := doc.FindElement("//Header")
	evil := body.Copy()
	evil.FindElement(".//trackId").SetText("other")
	header.AddChild(body.Copy())
	doc.Root().RemoveChild(body)
	doc.Root().AddChild(evil)
	wrapped, _ := doc.WriteToBytes()
	if _, err := VerifyEnvelope(bytes.NewReader(wrapped), 1<<20, opts); err == nil {
		t.Fatal("wrapped envelope accepted")
	}
	// A DTD is refused before anything is read.
	dtd := append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), raw...)
	if _, err := VerifyEnvelope(bytes.NewReader(dtd), 1<<20, opts); err == nil {
		t.Fatal("DTD accepted")
	}
	if _, err := VerifyEnvelope(bytes.NewReader(raw), 100, opts); err != ErrTooLarge {
		t.Fatalf("size limit: %v", err)
	}
}

func TestBackoffBounds(t *testing.T) {
	c := &Client{cfg: ClientConfig{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for n, max := range map[int]time.Duration{1: 100 * time.Millisecond,
		2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond,
		5: time.Second, 30: time.Second} {
		for range 50 {
			d := c.backoff(n)
			if d < max/2 || d > max {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, max/2, max)
			}
		}
	}
}
