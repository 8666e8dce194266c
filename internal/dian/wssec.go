package dian

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// XML namespaces of the DIAN's SOAP 1.2 messages.
const (
	NSSoap = "http://www.w3.org/2003/05/soap-envelope"
	NSWSA  = "http://www.w3.org/2005/08/addressing"
	NSWSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NSWSU  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	NSDS   = "http://www.w3.org/2000/09/xmldsig#"
	NSExcC = "http://www.w3.org/2001/10/xml-exc-c14n#"
	NSWCF  = "http://wcf.dian.colombia"
)

// Algorithm identifiers (XML Signature 1.1 and RFC 6931).
const (
	AlgExcC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
	AlgRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgSHA256    = "http://www.w3.org/2001/04/xmlenc#sha256"
	tokenValue   = "http://docs.oasis-open.org/wss/2004/01/" +
		"oasis-200401-wss-x509-token-profile-1.0#X509v3"
	tokenEncoding = "http://docs.oasis-open.org/wss/2004/01/" +
		"oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// ActionPrefix is the WS-Addressing Action of an operation without the
// operation's name.
const ActionPrefix = "http://wcf.dian.colombia/IWcfDianCustomerServices/"

// Signer is a certificate and its private key: what signs requests.
type Signer struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// ExcC14N returns the exclusive canonical form (W3C exc-c14n, without
// comments) of el as it stands in its document: the namespaces declared
// on its ancestors are taken into account, and only those visibly used,
// or named in prefixList (InclusiveNamespaces PrefixList, section 3), are
// written. el is not changed.
func ExcC14N(el *etree.Element, prefixList string) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	det, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, err
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList).Canonicalize(det)
}

// envelope is a request before serialization.
type envelope struct {
	Action  string
	To      string
	Body    *etree.Element // the operation's element
	Created time.Time
	TTL     time.Duration
	// IDs names the wsu:Id values; tests fix them, requests draw them.
	IDs func(prefix string) string
}

// signEnvelope builds and signs a SOAP 1.2 request as the DIAN's WCF
// services expect it (WS-Security 1.1, X.509 Token Profile 1.1 section
// 3.1: a BinarySecurityToken referenced from KeyInfo by a
// SecurityTokenReference). The Signature covers, each by wsu:Id and with
// exclusive C14N then SHA-256, the Timestamp (WSS 1.1 section 10), the
// WS-Addressing To header and the Body; SignedInfo is canonicalized with
// exclusive C14N and signed with RSA-SHA256 (PKCS#1 v1.5).
func signEnvelope(e envelope, s Signer) ([]byte, error) {
	if s.Key == nil || s.Cert == nil {
		return nil, errors.New("dian: no certificate to sign with")
	}
	if _, ok := s.Key.Public().(*rsa.PublicKey); !ok {
		return nil, errors.New("dian: the certificate's key must be RSA")
	}
	doc := etree.NewDocument()
	env := doc.CreateElement("soap:Envelope")
	env.CreateAttr("xmlns:soap", NSSoap)
	env.CreateAttr("xmlns:wcf", NSWCF)
	header := env.CreateElement("soap:Header")
	header.CreateAttr("xmlns:wsa", NSWSA)

	sec := header.CreateElement("wsse:Security")
	sec.CreateAttr("xmlns:wsse", NSWSSE)
	sec.CreateAttr("xmlns:wsu", NSWSU)
	sec.CreateAttr("soap:mustUnderstand", "true")

	tsID, tokID, toID, bodyID := e.IDs("TS-"), e.IDs("X509-"), e.IDs("id-"), e.IDs("id-")
	ts := sec.CreateElement("wsu:Timestamp")
	ts.CreateAttr("wsu:Id", tsID)
	ts.CreateElement("wsu:Created").SetText(e.Created.UTC().Format(timestampLayout))
	ts.CreateElement("wsu:Expires").SetText(e.Created.Add(e.TTL).UTC().Format(timestampLayout))

	bst := sec.CreateElement("wsse:BinarySecurityToken")
	bst.CreateAttr("EncodingType", tokenEncoding)
	bst.CreateAttr("ValueType", tokenValue)
	bst.CreateAttr("wsu:Id", tokID)
	bst.SetText(base64.StdEncoding.EncodeToString(s.Cert.Raw))

	sig := sec.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDS)
	sig.CreateAttr("Id", e.IDs("SIG-"))

	action := header.CreateElement("wsa:Action")
	action.SetText(e.Action)
	to := header.CreateElement("wsa:To")
	to.CreateAttr("xmlns:wsu", NSWSU)
	to.CreateAttr("wsu:Id", toID)
	to.SetText(e.To)

	body := env.CreateElement("soap:Body")
	body.CreateAttr("xmlns:wsu", NSWSU)
	body.CreateAttr("wsu:Id", bodyID)
	body.AddChild(e.Body)

	si := sig.CreateElement("ds:SignedInfo")
	cm := si.CreateElement("ds:CanonicalizationMethod")
	cm.CreateAttr("Algorithm", AlgExcC14N)
	incl := cm.CreateElement("ec:InclusiveNamespaces")
	incl.CreateAttr("xmlns:ec", NSExcC)
	incl.CreateAttr("PrefixList", "wsa soap wcf")
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", AlgRSASHA256)
	for _, ref := range []struct {
		id string
		el *etree.Element
	}{{tsID, ts}, {toID, to}, {bodyID, body}} {
		c14n, err := ExcC14N(ref.el, "")
		if err != nil {
			return nil, err
		}
		digest := sha256.Sum256(c14n)
		r := si.CreateElement("ds:Reference")
		r.CreateAttr("URI", "#"+ref.id)
		tr := r.CreateElement("ds:Transforms").CreateElement("ds:Transform")
		tr.CreateAttr("Algorithm", AlgExcC14N)
		r.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA256)
		r.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest[:]))
	}
	siC14N, err := ExcC14N(si, "wsa soap wcf")
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(siC14N)
	sv, err := s.Key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("dian: signing: %w", err)
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(sv))
	ki := sig.CreateElement("ds:KeyInfo")
	str := ki.CreateElement("wsse:SecurityTokenReference")
	ref := str.CreateElement("wsse:Reference")
	ref.CreateAttr("URI", "#"+tokID)
	ref.CreateAttr("ValueType", tokenValue)

	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// timestampLayout is xsd:dateTime in UTC with milliseconds, as WSS 1.1
// section 10 recommends.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// VerifyOptions says what VerifyEnvelope requires.
type VerifyOptions struct {
	// To is the endpoint the request must be addressed to.
	To string
	// Now and MaxSkew bound the Timestamp: Created no later than
	// Now+MaxSkew, Expires after Now-MaxSkew.
	Now     time.Time
	MaxSkew time.Duration
	// MaxTTL bounds Expires - Created, so that a captured request cannot
	// be replayed for long; 15 minutes when zero.
	MaxTTL time.Duration
	// Trusted is the certificate the token must be, byte for byte.
	Trusted *x509.Certificate
}

// VerifiedRequest is what VerifyEnvelope proved.
type VerifiedRequest struct {
	Action string
	Body   *etree.Element // the operation's element, signed
	Cert   *x509.Certificate
}

// VerifyEnvelope checks a signed request as the DIAN would: one
// wsse:Security header with a Timestamp, a BinarySecurityToken and a
// Signature whose SignedInfo references, by wsu:Id, exactly the Timestamp,
// the wsa:To header and the Body, each digest matching their exclusive
// canonical form, and whose SignatureValue verifies with the token's key;
// the token must be the trusted certificate, the Timestamp current and To
// the expected endpoint. The local test server (package diantest) uses it;
// it reads at most maxBytes of r.
func VerifyEnvelope(r io.Reader, maxBytes int64, opts VerifyOptions) (*VerifiedRequest, error) {
	doc, err := readXML(r, maxBytes)
	if err != nil {
		return nil, err
	}
	env := doc.Root()
	if env == nil || env.Tag != "Envelope" || env.NamespaceURI() != NSSoap {
		return nil, errors.New("not a SOAP 1.2 envelope")
	}
	header := only(env, NSSoap, "Header")
	body := only(env, NSSoap, "Body")
	if header == nil || body == nil {
		return nil, errors.New("missing Header or Body")
	}
	sec := only(header, NSWSSE, "Security")
	if sec == nil {
		return nil, errors.New("missing wsse:Security")
	}
	ts, bst := only(sec, NSWSU, "Timestamp"), only(sec, NSWSSE, "BinarySecurityToken")
	sig := only(sec, NSDS, "Signature")
	to, action := only(header, NSWSA, "To"), only(header, NSWSA, "Action")
	if ts == nil || bst == nil || sig == nil || to == nil || action == nil {
		return nil, errors.New("missing Timestamp, token, Signature, To or Action")
	}
	raw, err := base64.StdEncoding.DecodeString(bst.Text())
	if err != nil {
		return nil, errors.New("token is not base64")
	}
	cert, err := x509.ParseCertificate(raw)
	if err != nil {
		return nil, errors.New("token is not a certificate")
	}
	if opts.Trusted == nil || !cert.Equal(opts.Trusted) {
		return nil, errors.New("token is not the trusted certificate")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("token key is not RSA")
	}

	si := only(sig, NSDS, "SignedInfo")
	svEl := only(sig, NSDS, "SignatureValue")
	if si == nil || svEl == nil {
		return nil, errors.New("missing SignedInfo or SignatureValue")
	}
	cm, sm := only(si, NSDS, "CanonicalizationMethod"), only(si, NSDS, "SignatureMethod")
	if cm == nil || sm == nil || cm.SelectAttrValue("Algorithm", "") != AlgExcC14N ||
		sm.SelectAttrValue("Algorithm", "") != AlgRSASHA256 {
		return nil, errors.New("the SignedInfo must use exclusive C14N and RSA-SHA256")
	}
	prefixes := ""
	if in := only(cm, NSExcC, "InclusiveNamespaces"); in != nil {
		prefixes = in.SelectAttrValue("PrefixList", "")
	}
	siC14N, err := ExcC14N(si, prefixes)
	if err != nil {
		return nil, err
	}
	sv, err := base64.StdEncoding.DecodeString(svEl.Text())
	if err != nil {
		return nil, errors.New("the SignatureValue is not base64")
	}
	h := sha256.Sum256(siC14N)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sv); err != nil {
		return nil, errors.New("signature does not verify")
	}

	want := map[string]*etree.Element{wsuID(ts): ts, wsuID(to): to, wsuID(body): body}
	if len(want) != 3 || want[""] != nil {
		return nil, errors.New("the Timestamp, To and Body need distinct wsu:Id values")
	}
	refs := children(si, NSDS, "Reference")
	if len(refs) != 3 {
		return nil, errors.New("the SignedInfo must reference exactly Timestamp, To and Body")
	}
	for _, ref := range refs {
		uri := ref.SelectAttrValue("URI", "")
		if len(uri) < 2 || uri[0] != '#' {
			return nil, errors.New("reference is not a same-document wsu:Id")
		}
		target, ok := want[uri[1:]]
		if !ok {
			return nil, errors.New("reference names another element")
		}
		delete(want, uri[1:])
		if err := checkReference(ref, target); err != nil {
			return nil, err
		}
	}
	// The referenced elements must be the only ones with their ids, or a
	// wrapped copy could stand in for them (signature wrapping).
	ids := map[string]int{}
	for _, el := range doc.FindElements("//*") {
		if id := wsuID(el); id != "" {
			ids[id]++
		}
	}
	for _, el := range []*etree.Element{ts, to, body} {
		if ids[wsuID(el)] != 1 {
			return nil, errors.New("duplicate wsu:Id")
		}
	}

	created, err1 := time.Parse(time.RFC3339Nano, textOf(ts, NSWSU, "Created"))
	expires, err2 := time.Parse(time.RFC3339Nano, textOf(ts, NSWSU, "Expires"))
	if err1 != nil || err2 != nil {
		return nil, errors.New("the Timestamp is not valid")
	}
	if created.After(opts.Now.Add(opts.MaxSkew)) || !expires.After(opts.Now.Add(-opts.MaxSkew)) {
		return nil, errors.New("the Timestamp is stale or in the future")
	}
	maxTTL := opts.MaxTTL
	if maxTTL == 0 {
		maxTTL = 15 * time.Minute
	}
	if !expires.After(created) || expires.Sub(created) > maxTTL {
		return nil, errors.New("the Timestamp's lifetime is not between 0 and " +
			maxTTL.String())
	}
	if to.Text() != opts.To {
		return nil, errors.New("message is addressed to another endpoint")
	}
	ops := body.ChildElements()
	if len(ops) != 1 {
		return nil, errors.New("the Body must hold one operation")
	}
	return &VerifiedRequest{Action: action.Text(), Body: ops[0], Cert: cert}, nil
}

func checkReference(ref, target *etree.Element) error {
	trs := ref.FindElements("./*")
	var transforms []*etree.Element
	var dm, dv *etree.Element
	for _, c := range trs {
		switch {
		case c.Tag == "Transforms" && c.NamespaceURI() == NSDS:
			transforms = children(c, NSDS, "Transform")
		case c.Tag == "DigestMethod" && c.NamespaceURI() == NSDS:
			dm = c
		case c.Tag == "DigestValue" && c.NamespaceURI() == NSDS:
			dv = c
		}
	}
	if len(transforms) != 1 || transforms[0].SelectAttrValue("Algorithm", "") != AlgExcC14N {
		return errors.New("reference must have the one exclusive C14N transform")
	}
	if dm == nil || dv == nil || dm.SelectAttrValue("Algorithm", "") != AlgSHA256 {
		return errors.New("reference must use SHA-256")
	}
	prefixes := ""
	if in := only(transforms[0], NSExcC, "InclusiveNamespaces"); in != nil {
		prefixes = in.SelectAttrValue("PrefixList", "")
	}
	c14n, err := ExcC14N(target, prefixes)
	if err != nil {
		return err
	}
	got := sha256.Sum256(c14n)
	want, err := base64.StdEncoding.DecodeString(dv.Text())
	if err != nil || !bytes.Equal(got[:], want) {
		return errors.New("digest of a signed part does not match: the message was altered")
	}
	return nil
}

func wsuID(el *etree.Element) string {
	for _, a := range el.Attr {
		if a.Key == "Id" && a.NamespaceURI() == NSWSU {
			return a.Value
		}
	}
	return ""
}

// children returns el's child elements with that namespace and local name.
func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// only returns el's one child with that name, or nil when there is none
// or more than one.
func only(el *etree.Element, ns, tag string) *etree.Element {
	c := children(el, ns, tag)
	if len(c) != 1 {
		return nil
	}
	return c[0]
}

func textOf(el *etree.Element, ns, tag string) string {
	if c := only(el, ns, tag); c != nil {
		return c.Text()
	}
	return ""
}

// ErrTooLarge means a message was longer than the limit.
var ErrTooLarge = errors.New("dian: message larger than the limit")

// readXML reads at most maxBytes of one XML document, refusing DTDs (and so
// entity declarations) and processing instructions other than the XML
// declaration.
func readXML(r io.Reader, maxBytes int64) (*etree.Document, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, ErrTooLarge
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("not well-formed XML: %w", err)
	}
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Directive:
			return nil, errors.New("a DTD is not accepted")
		case *etree.ProcInst:
			if t.Target != "xml" {
				return nil, errors.New("processing instructions are not accepted")
			}
		}
	}
	if doc.Root() == nil {
		return nil, errors.New("no root element")
	}
	return doc, nil
}
