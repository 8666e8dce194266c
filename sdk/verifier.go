package sdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Config configures a Verifier.
type Config struct {
	// Issuer is cerrojo's issuer URL; iss must equal it exactly.
	Issuer string
	// Audiences are the names this service answers to; aud must contain at
	// least one (RFC 9068 section 4, step 4).
	Audiences []string
	// Keys finds the verification keys: a RemoteKeySet for cerrojo's JWKS,
	// StaticKeys, or cerrojo's in-process source.
	Keys KeySource
	// Leeway is the clock difference tolerated on exp, nbf and iat; zero
	// means DefaultLeeway, and more than MaxLeeway is refused.
	Leeway time.Duration
	// Revocations, when set, is asked about every token that verifies; see
	// Revocations.
	Revocations Revocations
	// Now tells the time; nil means time.Now.
	Now func() time.Time
}

// Verifier checks cerrojo access tokens. It is safe for concurrent use.
type Verifier struct {
	issuer      string
	audiences   []string
	keys        KeySource
	leeway      time.Duration
	revocations Revocations
	now         func() time.Time
}

// NewVerifier checks cfg and returns a Verifier.
func NewVerifier(cfg Config) (*Verifier, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("sdk: Config.Issuer is required")
	case len(cfg.Audiences) == 0:
		return nil, errors.New("sdk: Config.Audiences needs at least one audience")
	case cfg.Keys == nil:
		return nil, errors.New("sdk: Config.Keys is required")
	case cfg.Leeway < 0 || cfg.Leeway > MaxLeeway:
		return nil, fmt.Errorf("sdk: Config.Leeway is %s, want 0 to %s", cfg.Leeway, MaxLeeway)
	}
	for _, a := range cfg.Audiences {
		if a == "" {
			return nil, errors.New("sdk: Config.Audiences has an empty audience")
		}
	}
	v := &Verifier{issuer: cfg.Issuer, audiences: append([]string(nil), cfg.Audiences...),
		keys: cfg.Keys, leeway: cfg.Leeway, revocations: cfg.Revocations, now: cfg.Now}
	if v.leeway == 0 {
		v.leeway = DefaultLeeway
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// allowedAlgs is the JWS allow-list. Which one a token may use is then
// fixed by its key: see step 5 of Verify.
var allowedAlgs = []string{EdDSA, ES256, RS256}

// Verify checks token and returns its claims. A refused token gets an
// error wrapping one of the Err values of this package; errors.Is and
// ErrorCode tell which.
//
// The checks follow RFC 9068 section 4 and RFC 8725 section 3, in order:
//
//  1. size: at most MaxTokenBytes;
//  2. shape: three dot-separated parts in canonical unpadded base64url
//     (RFC 7515 section 7.1), so that one token has one spelling;
//  3. header: only alg, kid and typ, each a string, so jku, x5u, jwk, x5c
//     and crit (RFC 8725 sections 3.10 and 2.4) never steer key
//     selection; typ is at+jwt or application/at+jwt, ignoring case (RFC
//     9068 section 4, step 1, and RFC 7515 section 4.1.9);
//  4. alg in the allow-list EdDSA, ES256, RS256: none and HMAC are
//     refused before any key is looked at (RFC 8725 3.1);
//  5. key by kid; alg must be the key's own algorithm (RFC 8725 3.1);
//  6. signature over the signing input as received (RFC 7515 section 5.2);
//  7. claims: one JSON object, no duplicate names (RFC 7519 section 4);
//  8. required claims iss, sub, aud, exp, iat, jti, client_id (RFC 9068
//     section 2.2); iss equal to the issuer; aud naming one audience;
//     exp, nbf and iat checked against the clock with the leeway;
//  9. revocation of sid or jti, when a Revocations is configured.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	// 1. Size, before any work.
	if len(token) > MaxTokenBytes {
		return nil, refuse(ErrTooLarge, "token has %d bytes, more than %d", len(token),
			MaxTokenBytes)
	}

	// 2. Shape.
	dot1 := strings.IndexByte(token, '.')
	dot2 := strings.LastIndexByte(token, '.')
	if dot1 <= 0 || dot2 == dot1 {
		return nil, refuse(ErrMalformed, "not three parts")
	}
	// The signature may be empty here so that alg "none" is reported as
	// the algorithm it is, by step 4.
	header, payload, sig := token[:dot1], token[dot1+1:dot2], token[dot2+1:]
	if payload == "" || !canonicalBase64URL(header) || !canonicalBase64URL(payload) ||
		!canonicalBase64URL(sig) {
		return nil, refuse(ErrMalformed, "parts are not canonical base64url")
	}

	// 3. Header: alg, kid and typ only, each a string.
	h, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	if err := checkType(h.Typ); err != nil {
		return nil, err
	}

	// 4. The allow-list, before any key is looked at.
	if !slices.Contains(allowedAlgs, h.Alg) {
		return nil, refuse(ErrAlgorithm, "alg %q is not accepted", h.Alg)
	}
	if h.Kid == "" || len(h.Kid) > maxKeyIDLen {
		return nil, refuse(ErrUnknownKey, "kid is missing or too long")
	}

	// 5. The key, and its one algorithm.
	key, err := v.keys.PublicKey(ctx, h.Kid)
	if err != nil {
		if ErrorCode(err) == "" {
			// A KeySource that failed in its own way: not the token's fault.
			return nil, refuse(ErrKeysUnavailable, "%v", err)
		}
		return nil, err
	}
	if h.Alg != key.alg {
		return nil, refuse(ErrAlgorithm, "alg %q is not the algorithm of key %q (%s)",
			h.Alg, key.kid, key.alg)
	}

	// 6. Signature over the bytes received, which step 2 made the one
	// spelling of this token.
	signature, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return nil, refuse(ErrMalformed, "signature: %v", err)
	}
	if !key.verify([]byte(token[:dot2]), signature) {
		return nil, refuse(ErrSignature, "signature does not verify with key %q", key.kid)
	}

	// 7. Claims: only now is the payload trusted to be cerrojo's.
	claims, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, refuse(ErrMalformed, "payload: %v", err)
	}
	c := new(Claims)
	if err := decodeClaims(claims, c); err != nil {
		return nil, err
	}

	// 8. Claim checks.
	if err := v.checkClaims(c); err != nil {
		return nil, err
	}

	// 9. Revocation.
	if v.revocations != nil {
		revoked, err := v.revocations.Revoked(ctx, c)
		if err != nil {
			return nil, refuse(ErrRevocationUnavailable, "%v", err)
		}
		if revoked {
			return nil, refuse(ErrRevoked, "session or token revoked")
		}
	}
	return c, nil
}

// checkClaims applies step 8 of Verify.
func (v *Verifier) checkClaims(c *Claims) error {
	switch {
	case c.Issuer == "":
		return refuse(ErrMissingClaim, "iss")
	case c.Subject == "":
		return refuse(ErrMissingClaim, "sub")
	case len(c.Audience) == 0:
		return refuse(ErrMissingClaim, "aud")
	case c.Expiry <= 0:
		return refuse(ErrMissingClaim, "exp")
	case c.IssuedAt <= 0:
		return refuse(ErrMissingClaim, "iat")
	case c.ID == "":
		return refuse(ErrMissingClaim, "jti")
	case c.ClientID == "":
		return refuse(ErrMissingClaim, "client_id")
	}

	if c.Issuer != v.issuer {
		return refuse(ErrIssuer, "iss %q", c.Issuer)
	}
	if !v.audienceMatches(c.Audience) {
		return refuse(ErrAudience, "aud %q", []string(c.Audience))
	}

	// Whole seconds, as NumericDate is; the leeway absorbs the truncation.
	now := v.now().Unix()
	leeway := int64(v.leeway / time.Second)
	if now > int64(c.Expiry)+leeway {
		return refuse(ErrExpired, "expired at %s", c.Expiry.Time().Format(time.RFC3339))
	}
	if c.NotBefore != 0 && int64(c.NotBefore) > now+leeway {
		return refuse(ErrNotYetValid, "nbf %s", c.NotBefore.Time().Format(time.RFC3339))
	}
	if int64(c.IssuedAt) > now+leeway {
		return refuse(ErrNotYetValid, "iat %s", c.IssuedAt.Time().Format(time.RFC3339))
	}
	return nil
}

func (v *Verifier) audienceMatches(aud Audience) bool {
	for _, a := range aud {
		for _, want := range v.audiences {
			if a == want {
				return true
			}
		}
	}
	return false
}

// joseHeader is the whole JOSE header of a cerrojo access token.
type joseHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// parseHeader decodes the header part. It refuses any parameter but alg,
// kid and typ, any name given twice or in another case (encoding/json
// would match "ALG" to alg), and values that are not strings.
func parseHeader(part string) (joseHeader, error) {
	var h joseHeader
	if base64.RawURLEncoding.DecodedLen(len(part)) > maxHeaderBytes {
		return h, refuse(ErrMalformed, "header is over %d bytes", maxHeaderBytes)
	}
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return h, refuse(ErrMalformed, "header: %v", err)
	}
	var spans [maxMembers]span
	count, err := topLevelMembers(raw, &spans)
	if err != nil {
		return h, refuse(ErrMalformed, "header: %v", err)
	}
	var seen [3]bool
	for _, m := range spans[:count] {
		name := m.of(raw)
		i := 0
		switch string(name) {
		case "alg":
			i = 0
		case "kid":
			i = 1
		case "typ":
			i = 2
		default:
			return h, refuse(ErrForbiddenHeader, "header parameter %q", string(name))
		}
		if seen[i] {
			return h, refuse(ErrMalformed, "header parameter %q appears twice", string(name))
		}
		seen[i] = true
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return joseHeader{}, refuse(ErrMalformed, "header: %v", err)
	}
	return h, nil
}

// checkType applies RFC 9068 section 4, step 1.
func checkType(s string) error {
	if strings.EqualFold(s, "at+jwt") || strings.EqualFold(s, "application/at+jwt") {
		return nil
	}
	return refuse(ErrWrongType, "typ %q", s)
}

// canonicalBase64URL reports whether s is unpadded base64url (RFC 7515
// section 2) in its one canonical form: only the alphabet, a length that
// encodes whole bytes, and zero bits where the last character pads. Go's
// decoder alone would also accept line breaks and non-zero pad bits, which
// give one token several spellings.
func canonicalBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		if b64Value(s[i]) < 0 {
			return false
		}
	}
	switch len(s) % 4 {
	case 1:
		return false
	case 2:
		return b64Value(s[len(s)-1])&0x0f == 0
	case 3:
		return b64Value(s[len(s)-1])&0x03 == 0
	}
	return true
}

func b64Value(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}
