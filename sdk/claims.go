package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Claims are the claims of a cerrojo access token: the JWT profile of RFC
// 9068 section 2.2 plus the claims the authorization policy needs. The JSON
// names are the wire format; Mint in cerrojo and Verify here share this type.
type Claims struct {
	// Issuer (iss) is cerrojo's issuer URL.
	Issuer string `json:"iss"`
	// Subject (sub) identifies the user, or the client for a
	// client-credentials token.
	Subject string `json:"sub"`
	// Audience (aud) names the resource servers that may accept the token.
	Audience Audience `json:"aud"`
	// Expiry (exp), IssuedAt (iat) and NotBefore (nbf) bound its validity.
	Expiry    NumericDate `json:"exp"`
	IssuedAt  NumericDate `json:"iat"`
	NotBefore NumericDate `json:"nbf,omitempty"`
	// ID (jti) is unique per token; the revocation list may name it.
	ID string `json:"jti"`
	// ClientID (client_id) is the OAuth client the token was issued to.
	ClientID string `json:"client_id"`
	// Scope (scope) is a space-separated list (RFC 8693 section 4.2).
	Scope string `json:"scope,omitempty"`
	// SessionID (sid) is the login session; revoking it ends every token
	// issued within it.
	SessionID string `json:"sid,omitempty"`
	// AuthTime (auth_time), ACR (acr) and AMR (amr) say when and how the
	// user authenticated (RFC 9068 section 2.2.1, RFC 8176).
	AuthTime NumericDate `json:"auth_time,omitempty"`
	ACR      string      `json:"acr,omitempty"`
	AMR      []string    `json:"amr,omitempty"`
	// Roles (roles) are the subject's role names, for coarse checks.
	Roles []string `json:"roles,omitempty"`
	// PolicyVersion (pv) is the authorization policy version the roles were
	// read under; versions start at 1, so 0 means absent.
	PolicyVersion int64 `json:"pv,omitempty"`
}

// HasScope reports whether scope is one of the token's scopes.
func (c *Claims) HasScope(scope string) bool {
	if scope == "" {
		return false
	}
	for s := range strings.FieldsSeq(c.Scope) {
		if s == scope {
			return true
		}
	}
	return false
}

// HasRole reports whether role is one of the token's roles.
func (c *Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// NumericDate is a JWT time: whole seconds since the Unix epoch (RFC 7519
// section 2). Zero means absent. cerrojo writes integers, and Verify
// refuses fractional or exponent forms as malformed.
type NumericDate int64

// NewNumericDate returns t truncated to whole seconds.
func NewNumericDate(t time.Time) NumericDate { return NumericDate(t.Unix()) }

// Time returns the date as a time.Time, or the zero time when absent.
func (d NumericDate) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Unix(int64(d), 0).UTC()
}

// Audience is the aud claim: one string or an array of strings on the wire
// (RFC 7519 section 4.1.3).
type Audience []string

// Contains reports whether aud names s.
func (a Audience) Contains(s string) bool { return slices.Contains(a, s) }

// MarshalJSON writes a single audience as a string, as RFC 9068's examples
// do, and several as an array.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	// The common case, one plain string, without a second decoder pass.
	// encoding/json has already checked that b is valid JSON.
	if len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		*a = Audience{string(b[1 : len(b)-1])}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Audience{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = list
	return nil
}

// knownClaims are the claim names this package reads. encoding/json matches
// names without regard to case, so a token carrying "ISS" would fill
// Issuer; checkMembers refuses such near-misses instead.
var knownClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id",
	"scope", "sid", "auth_time", "acr", "amr", "roles", "pv"}

// decodeClaims decodes a verified payload strictly: one JSON object whose
// member names are plain ASCII, unique ignoring case, and never a case
// variant of a known claim, then the claims themselves.
//
// The member rules close the gap between what this decoder sees and what
// another JWT library would: with two "iss" members, or "iss" and "ISS",
// or "iſs" (which folds to "iss"), two parsers could each read a different
// issuer from one signed token. cerrojo never writes such names.
func decodeClaims(payload []byte, c *Claims) error {
	var spans [maxMembers]span
	n, err := topLevelMembers(payload, &spans)
	if err != nil {
		return refuse(ErrMalformed, "claims: %v", err)
	}
	members := spans[:n]
	for i, m := range members {
		name := m.of(payload)
		for _, other := range members[:i] {
			if equalFoldASCII(name, other.of(payload)) {
				return refuse(ErrDuplicateClaim, "claim %q appears twice", name)
			}
		}
	}
	for _, m := range members {
		name := m.of(payload)
		if !hasUpper(name) {
			continue
		}
		for _, k := range knownClaims {
			if strings.EqualFold(string(name), k) {
				return refuse(ErrMalformed, "claim %q is a case variant of %q", name, k)
			}
		}
	}

	if err := json.Unmarshal(payload, c); err != nil {
		return refuse(ErrMalformed, "claims: %v", err)
	}
	return nil
}

func hasUpper(b []byte) bool {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

func equalFoldASCII(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
