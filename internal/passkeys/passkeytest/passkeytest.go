// Package passkeytest is a software WebAuthn authenticator for tests only:
// just enough of a CTAP2 authenticator and a browser to answer
// navigator.credentials.create() and .get() options with the JSON a
// browser returns, with every field that a relying party checks open to
// tampering through a Mod.
//
// It holds one ECDSA P-256 credential, attests with format "none" and
// keeps everything in memory. It does not import package passkeys, so
// that package's own tests can use it as well as end-to-end tests of the
// HTTP API. Never use it outside tests: it is built for forging answers,
// not for keeping keys safe.
package passkeytest

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

// Authenticator data flags, WebAuthn Level 3 section 6.1.
const (
	FlagUP byte = 1 << 0 // user present
	FlagUV byte = 1 << 2 // user verified
	FlagBE byte = 1 << 3 // backup eligible
	FlagBS byte = 1 << 4 // backup state
	FlagAT byte = 1 << 6 // attested credential data included
	FlagED byte = 1 << 7 // extension data included
)

// B64 is the base64url encoding without padding that WebAuthn's JSON uses.
var B64 = base64.RawURLEncoding

// Authenticator holds one ECDSA P-256 credential. Tests may change any
// field between ceremonies.
type Authenticator struct {
	Key        *ecdsa.PrivateKey
	CredID     []byte
	AAGUID     []byte
	UserHandle []byte // learnt at creation
	// Counter is the signature counter; when Counting is set it goes up
	// by one before each assertion, otherwise it stays as it is.
	Counter  uint32
	Counting bool
	// Flags are the flags it reports besides UP and AT (UV, BE, BS); New
	// sets FlagUV.
	Flags byte
	// Origin is the origin clientDataJSON claims; set by New.
	Origin string
}

// New returns an authenticator with a fresh key and credential ID that
// claims origin (for example "https://cuenta.ejemplo.co") in its answers.
func New(t testing.TB, origin string) *Authenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	aaguid := []byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21,
		0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4}
	return &Authenticator{Key: key, CredID: id, AAGUID: aaguid, Flags: FlagUV, Origin: origin}
}

// Params is what one answer is made of; a Mod changes them to forge one.
type Params struct {
	Type        string // clientData type
	Challenge   string // clientData challenge, base64url
	Origin      string
	CrossOrigin bool
	RPID        string // hashed into rpIdHash
	Flags       byte
	Counter     uint32
	UserHandle  []byte // assertion: nil leaves userHandle out
	CredID      []byte
	Signer      *ecdsa.PrivateKey // assertion: the key that signs
	AttStmt     []Pair            // registration: the attestation statement
	Fmt         string            // registration: the attestation format
}

// Mod changes the Params of one answer.
type Mod func(*Params)

// WithOrigin claims origin o in clientDataJSON.
func WithOrigin(o string) Mod { return func(p *Params) { p.Origin = o } }

// WithRPID hashes id into rpIdHash instead of the options' RP ID.
func WithRPID(id string) Mod { return func(p *Params) { p.RPID = id } }

// WithType sets clientDataJSON's type.
func WithType(typ string) Mod { return func(p *Params) { p.Type = typ } }

// WithChallenge sets clientDataJSON's challenge (base64url).
func WithChallenge(c string) Mod { return func(p *Params) { p.Challenge = c } }

// WithCrossOrigin sets clientDataJSON's crossOrigin.
func WithCrossOrigin() Mod { return func(p *Params) { p.CrossOrigin = true } }

// WithFlags sets the flags in set and clears those in clear.
func WithFlags(set, clear byte) Mod {
	return func(p *Params) { p.Flags = p.Flags&^clear | set }
}

// WithCounter reports signature counter n.
func WithCounter(n uint32) Mod { return func(p *Params) { p.Counter = n } }

// WithUserHandle answers an assertion with user handle h; nil leaves it
// out.
func WithUserHandle(h []byte) Mod { return func(p *Params) { p.UserHandle = h } }

// WithSigner signs an assertion with k instead of the credential's key.
func WithSigner(k *ecdsa.PrivateKey) Mod { return func(p *Params) { p.Signer = k } }

// WithAttStmt attests a registration with format fmt and statement stmt.
func WithAttStmt(fmt string, stmt []Pair) Mod {
	return func(p *Params) { p.Fmt, p.AttStmt = fmt, stmt }
}

// Descriptor is a PublicKeyCredentialDescriptor of the options.
type Descriptor struct {
	ID string `json:"id"` // base64url
}

// Options are the members of creation or request options the
// authenticator reads.
type Options struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	RPID string `json:"rpId"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Exclude          []Descriptor `json:"excludeCredentials"`
	Allow            []Descriptor `json:"allowCredentials"`
	UserVerification string       `json:"userVerification"`
}

// ReadOptions decodes creation or request options in their JSON form
// (what PublicKeyCredential.parseCreationOptionsFromJSON() and
// parseRequestOptionsFromJSON() read), either bare or wrapped as
// {"publicKey": {...}}.
func ReadOptions(t testing.TB, raw json.RawMessage) Options {
	t.Helper()
	var wrapped struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		t.Fatalf("options: %v", err)
	}
	if len(wrapped.PublicKey) > 0 && string(wrapped.PublicKey) != "null" {
		raw = wrapped.PublicKey
	}
	var o Options
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("options: %v", err)
	}
	return o
}

// ExcludedBy reports whether creation options exclude this credential.
func (a *Authenticator) ExcludedBy(t testing.TB, options json.RawMessage) bool {
	t.Helper()
	for _, d := range ReadOptions(t, options).Exclude {
		if d.ID == B64.EncodeToString(a.CredID) {
			return true
		}
	}
	return false
}

// Create answers creation options as navigator.credentials.create()
// would, with attestation "none", and learns the user handle. It returns
// the JSON of the PublicKeyCredential.
func (a *Authenticator) Create(t testing.TB, options json.RawMessage, mods ...Mod) []byte {
	t.Helper()
	o := ReadOptions(t, options)
	handle, err := B64.DecodeString(o.User.ID)
	if err != nil {
		t.Fatalf("user.id: %v", err)
	}
	a.UserHandle = handle
	p := Params{Type: "webauthn.create", Challenge: o.Challenge, Origin: a.Origin,
		RPID: o.RP.ID, Flags: FlagUP | FlagAT | a.Flags, Counter: a.Counter,
		CredID: a.CredID, Fmt: "none"}
	for _, m := range mods {
		m(&p)
	}

	cdj := ClientData(p)
	authData := AuthenticatorData(p)
	// #nosec G115 -- test fixture: New makes 32-byte IDs and the tests' own IDs are
	// short; WebAuthn's credentialIdLength field is this uint16.
	authData = binary.BigEndian.AppendUint16(append(authData, a.AAGUID...), uint16(len(p.CredID)))
	authData = append(append(authData, p.CredID...), a.COSEKey()...)
	att := CBOR(nil, []Pair{
		{"fmt", p.Fmt}, {"attStmt", p.AttStmt}, {"authData", authData},
	})
	return MustJSON(t, map[string]any{
		"id": B64.EncodeToString(p.CredID), "rawId": B64.EncodeToString(p.CredID),
		"type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    B64.EncodeToString(cdj),
			"attestationObject": B64.EncodeToString(att),
			"transports":        []string{"internal", "hybrid"},
		},
	})
}

// Get answers request options as navigator.credentials.get() would. It
// returns the JSON of the PublicKeyCredential.
func (a *Authenticator) Get(t testing.TB, options json.RawMessage, mods ...Mod) []byte {
	t.Helper()
	o := ReadOptions(t, options)
	if a.Counting {
		a.Counter++
	}
	p := Params{Type: "webauthn.get", Challenge: o.Challenge, Origin: a.Origin,
		RPID: o.RPID, Flags: FlagUP | a.Flags, Counter: a.Counter, UserHandle: a.UserHandle,
		CredID: a.CredID, Signer: a.Key}
	for _, m := range mods {
		m(&p)
	}

	cdj := ClientData(p)
	authData := AuthenticatorData(p)
	cdHash := sha256.Sum256(cdj)
	digest := sha256.Sum256(append(append([]byte(nil), authData...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, p.Signer, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	resp := map[string]any{
		"clientDataJSON":    B64.EncodeToString(cdj),
		"authenticatorData": B64.EncodeToString(authData),
		"signature":         B64.EncodeToString(sig),
	}
	if p.UserHandle != nil {
		resp["userHandle"] = B64.EncodeToString(p.UserHandle)
	}
	return MustJSON(t, map[string]any{
		"id": B64.EncodeToString(p.CredID), "rawId": B64.EncodeToString(p.CredID),
		"type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{}, "response": resp,
	})
}

// ClientData is the CollectedClientData JSON of section 5.8.1, members in
// the order of the limited verification algorithm of section 5.8.1.2.
func ClientData(p Params) []byte {
	type cd struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}
	b, _ := json.Marshal(cd{p.Type, p.Challenge, p.Origin, p.CrossOrigin})
	return b
}

// AuthenticatorData is rpIdHash, flags and signCount (section 6.1),
// without attested credential data.
func AuthenticatorData(p Params) []byte {
	h := sha256.Sum256([]byte(p.RPID))
	b := append(h[:], p.Flags)
	return binary.BigEndian.AppendUint32(b, p.Counter)
}

// COSEKey is the credential public key as a COSE_Key (RFC 9053 section
// 7.1.1): kty EC2, alg ES256, crv P-256, x, y.
func (a *Authenticator) COSEKey() []byte {
	pub, _ := a.Key.PublicKey.ECDH()
	raw := pub.Bytes() // 0x04 || x || y
	return CBOR(nil, []Pair{
		{1, 2}, {3, -7}, {-1, 1}, {-2, raw[1:33]}, {-3, raw[33:65]},
	})
}

// MustJSON marshals v and fails the test on an error.
func MustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Pair is one entry of a CBOR map, written in the order given: callers
// list keys in CTAP2 canonical order (shorter encodings first, then
// bytewise).
type Pair struct{ K, V any }

// CBOR appends v to b in CBOR (RFC 8949): unsigned and negative integers
// (int), byte strings ([]byte), text strings (string) and maps ([]Pair),
// the shapes WebAuthn needs. It panics on any other type.
func CBOR(b []byte, v any) []byte {
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
	case []Pair:
		b = cborHead(b, 5, uint64(len(v)))
		for _, p := range v {
			b = CBOR(CBOR(b, p.K), p.V)
		}
		return b
	}
	panic("passkeytest.CBOR: unsupported type")
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
