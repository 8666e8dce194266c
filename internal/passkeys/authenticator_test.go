package passkeys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
)

// This file is a software authenticator: just enough of a CTAP2
// authenticator and a browser to answer navigator.credentials.create() and
// .get() options with the JSON a browser returns, with every field that
// the server checks open to tampering.

// Authenticator data flags, WebAuthn Level 3 section 6.1.
const (
	flagUP byte = 1 << 0
	flagUV byte = 1 << 2
	flagBE byte = 1 << 3
	flagBS byte = 1 << 4
	flagAT byte = 1 << 6
	flagED byte = 1 << 7
)

var b64 = base64.RawURLEncoding

// softAuthenticator holds one ECDSA P-256 credential.
type softAuthenticator struct {
	key        *ecdsa.PrivateKey
	credID     []byte
	aaguid     []byte
	userHandle []byte // learnt at creation
	// counter is the signature counter; when counting is set it goes up
	// by one before each signature, otherwise it stays 0.
	counter  uint32
	counting bool
	// flags are the flags it reports besides UP and AT (UV, BE, BS).
	flags byte
}

func newAuthenticator(t testing.TB) *softAuthenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	aaguid := []byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21,
		0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4}
	return &softAuthenticator{key: key, credID: id, aaguid: aaguid, flags: flagUV}
}

// params is what one answer is made of; a test changes them to forge one.
type params struct {
	typ         string // clientData type
	challenge   string
	origin      string
	crossOrigin bool
	rpID        string // hashed into rpIdHash
	flags       byte
	counter     uint32
	userHandle  []byte
	credID      []byte
	signer      *ecdsa.PrivateKey
	attStmt     []pair // registration: the attestation statement
	fmt         string // registration: the attestation format
}

type mod func(*params)

func withOrigin(o string) mod    { return func(p *params) { p.origin = o } }
func withRPID(id string) mod     { return func(p *params) { p.rpID = id } }
func withType(typ string) mod    { return func(p *params) { p.typ = typ } }
func withChallenge(c string) mod { return func(p *params) { p.challenge = c } }
func withCrossOrigin() mod       { return func(p *params) { p.crossOrigin = true } }
func withFlags(set, clear byte) mod {
	return func(p *params) { p.flags = p.flags&^clear | set }
}
func withCounter(n uint32) mod           { return func(p *params) { p.counter = n } }
func withUserHandle(h []byte) mod        { return func(p *params) { p.userHandle = h } }
func withSigner(k *ecdsa.PrivateKey) mod { return func(p *params) { p.signer = k } }
func withAttStmt(fmt string, stmt []pair) mod {
	return func(p *params) { p.fmt, p.attStmt = fmt, stmt }
}

// options are the members of creation or request options the
// authenticator reads.
type options struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	RPID string `json:"rpId"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Exclude []struct {
		ID string `json:"id"`
	} `json:"excludeCredentials"`
	Allow []struct {
		ID string `json:"id"`
	} `json:"allowCredentials"`
	UserVerification string `json:"userVerification"`
}

func readOptions(t testing.TB, raw json.RawMessage) options {
	t.Helper()
	var o options
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("options: %v", err)
	}
	return o
}

// excludes reports whether creation options exclude this credential.
func (a *softAuthenticator) excludedBy(t testing.TB, raw json.RawMessage) bool {
	for _, d := range readOptions(t, raw).Exclude {
		if d.ID == b64.EncodeToString(a.credID) {
			return true
		}
	}
	return false
}

// create answers creation options as navigator.credentials.create()
// would, with attestation "none".
func (a *softAuthenticator) create(t testing.TB, raw json.RawMessage, mods ...mod) []byte {
	t.Helper()
	o := readOptions(t, raw)
	handle, err := b64.DecodeString(o.User.ID)
	if err != nil {
		t.Fatalf("user.id: %v", err)
	}
	a.userHandle = handle
	p := params{typ: "webauthn.create", challenge: o.Challenge, origin: testOrigin,
		rpID: o.RP.ID, flags: flagUP | flagAT | a.flags, counter: a.counter,
		credID: a.credID, fmt: "none"}
	for _, m := range mods {
		m(&p)
	}

	cdj := clientData(p)
	authData := authenticatorData(p)
	authData = binary.BigEndian.AppendUint16(append(authData, a.aaguid...), uint16(len(p.credID)))
	authData = append(append(authData, p.credID...), a.coseKey()...)
	att := cborEncode(nil, []pair{
		{"fmt", p.fmt}, {"attStmt", p.attStmt}, {"authData", authData},
	})
	return mustJSON(t, map[string]any{
		"id": b64.EncodeToString(p.credID), "rawId": b64.EncodeToString(p.credID),
		"type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cdj),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal", "hybrid"},
		},
	})
}

// get answers request options as navigator.credentials.get() would.
func (a *softAuthenticator) get(t testing.TB, raw json.RawMessage, mods ...mod) []byte {
	t.Helper()
	o := readOptions(t, raw)
	if a.counting {
		a.counter++
	}
	p := params{typ: "webauthn.get", challenge: o.Challenge, origin: testOrigin,
		rpID: o.RPID, flags: flagUP | a.flags, counter: a.counter, userHandle: a.userHandle,
		credID: a.credID, signer: a.key}
	for _, m := range mods {
		m(&p)
	}

	cdj := clientData(p)
	authData := authenticatorData(p)
	cdHash := sha256.Sum256(cdj)
	digest := sha256.Sum256(append(append([]byte(nil), authData...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, p.signer, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	resp := map[string]any{
		"clientDataJSON":    b64.EncodeToString(cdj),
		"authenticatorData": b64.EncodeToString(authData),
		"signature":         b64.EncodeToString(sig),
	}
	if p.userHandle != nil {
		resp["userHandle"] = b64.EncodeToString(p.userHandle)
	}
	return mustJSON(t, map[string]any{
		"id": b64.EncodeToString(p.credID), "rawId": b64.EncodeToString(p.credID),
		"type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{}, "response": resp,
	})
}

// clientData is the CollectedClientData JSON of section 5.8.1, members in
// the order of the limited verification algorithm of section 5.8.1.2.
func clientData(p params) []byte {
	type cd struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}
	b, _ := json.Marshal(cd{p.typ, p.challenge, p.origin, p.crossOrigin})
	return b
}

// authenticatorData is rpIdHash, flags and signCount (section 6.1),
// without attested credential data.
func authenticatorData(p params) []byte {
	h := sha256.Sum256([]byte(p.rpID))
	b := append(h[:], p.flags)
	return binary.BigEndian.AppendUint32(b, p.counter)
}

// coseKey is the credential public key as a COSE_Key (RFC 9053 section
// 7.1.1): kty EC2, alg ES256, crv P-256, x, y.
func (a *softAuthenticator) coseKey() []byte {
	pub, _ := a.key.PublicKey.ECDH()
	raw := pub.Bytes() // 0x04 || x || y
	return cborEncode(nil, []pair{
		{1, 2}, {3, -7}, {-1, 1}, {-2, raw[1:33]}, {-3, raw[33:65]},
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pair is one entry of a CBOR map, written in the order given: callers
// list keys in CTAP2 canonical order (shorter encodings first, then
// bytewise).
type pair struct{ k, v any }

// cborEncode appends v in CBOR (RFC 8949): unsigned and negative integers,
// byte strings, text strings and maps, the shapes WebAuthn needs.
func cborEncode(b []byte, v any) []byte {
	switch v := v.(type) {
	case int:
		if v >= 0 {
			return cborHead(b, 0, uint64(v))
		}
		return cborHead(b, 1, uint64(-1-v))
	case []byte:
		return append(cborHead(b, 2, uint64(len(v))), v...)
	case string:
		return append(cborHead(b, 3, uint64(len(v))), v...)
	case []pair:
		b = cborHead(b, 5, uint64(len(v)))
		for _, p := range v {
			b = cborEncode(cborEncode(b, p.k), p.v)
		}
		return b
	}
	panic("cborEncode: unsupported type")
}

// cborHead appends an initial byte and argument in the shortest form.
func cborHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}
