package tokens

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

// Claims is what the caller decides about an access token; Mint adds iss,
// iat, nbf, exp and jti. Sessions and the OAuth endpoints build these.
type Claims struct {
	// Subject is the user id, or the client id for a client-credentials
	// token. Required.
	Subject string
	// ClientID is the OAuth client the token is issued to. Required.
	ClientID string
	// Audience names the resource servers; empty means Config.Audience.
	Audience []string
	// Scopes become the space-separated scope claim (RFC 6749 section 3.3
	// characters only).
	Scopes []string
	// SessionID is the session the token belongs to (sid), so that ending
	// the session can revoke it.
	SessionID string
	// AuthTime, ACR and AMR say when and how the user authenticated.
	AuthTime time.Time
	ACR      string
	AMR      []string
	// Roles and PolicyVersion serve local authorization checks.
	Roles         []string
	PolicyVersion int64
	// TTL shortens the token's life below Config.AccessTokenTTL; zero
	// means the configured lifetime. A longer one is refused: the retire
	// window of keys is computed from the configured lifetime.
	TTL time.Duration
}

// ErrInvalidClaims means Mint was given claims it will not sign.
var ErrInvalidClaims = errors.New("tokens: invalid claims")

// Mint signs an access token (RFC 9068) with the current key and returns
// it with its expiry.
func (s *Service) Mint(ctx context.Context, c Claims) (string, time.Time, error) {
	ttl, err := s.checkClaims(c)
	if err != nil {
		return "", time.Time{}, err
	}
	set, err := s.keys.Set()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("mint access token: %w", err)
	}
	key := set.Current()
	if key == nil {
		return "", time.Time{}, errors.New("mint access token: there is no current signing key")
	}

	now := s.clock.Now().Truncate(time.Second)
	exp := now.Add(ttl)
	aud := c.Audience
	if len(aud) == 0 {
		aud = []string{s.cfg.Audience}
	}
	wire := sdk.Claims{
		Issuer:        s.cfg.Issuer,
		Subject:       c.Subject,
		Audience:      aud,
		Expiry:        sdk.NewNumericDate(exp),
		IssuedAt:      sdk.NewNumericDate(now),
		NotBefore:     sdk.NewNumericDate(now),
		ID:            newTokenID(),
		ClientID:      c.ClientID,
		Scope:         strings.Join(c.Scopes, " "),
		SessionID:     c.SessionID,
		ACR:           c.ACR,
		AMR:           c.AMR,
		Roles:         c.Roles,
		PolicyVersion: c.PolicyVersion,
	}
	if !c.AuthTime.IsZero() {
		wire.AuthTime = sdk.NewNumericDate(c.AuthTime)
	}

	payload, err := json.Marshal(wire)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("mint access token: %w", err)
	}
	token, err := key.sign(payload)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("mint access token: %w", err)
	}
	if len(token) > sdk.MaxTokenBytes {
		return "", time.Time{}, fmt.Errorf("%w: the token would have %d bytes, more than the "+
			"%d verifiers accept", ErrInvalidClaims, len(token), sdk.MaxTokenBytes)
	}
	return token, exp, nil
}

// checkClaims validates c before anything is signed, and returns the
// token's lifetime.
func (s *Service) checkClaims(c Claims) (time.Duration, error) {
	bad := func(format string, args ...any) (time.Duration, error) {
		return 0, fmt.Errorf("%w: "+format, append([]any{ErrInvalidClaims}, args...)...)
	}
	if c.Subject == "" || c.ClientID == "" {
		return bad("subject and client id are required")
	}
	for name, v := range map[string]string{"subject": c.Subject, "client id": c.ClientID,
		"session id": c.SessionID, "acr": c.ACR} {
		if len(v) > maxClaimLen {
			return bad("%s is longer than %d bytes", name, maxClaimLen)
		}
	}
	for name, list := range map[string][]string{"audience": c.Audience, "scopes": c.Scopes,
		"amr": c.AMR, "roles": c.Roles} {
		if len(list) > maxClaimList {
			return bad("more than %d %s", maxClaimList, name)
		}
		for _, v := range list {
			if v == "" || len(v) > maxClaimLen {
				return bad("%s has an empty value or one over %d bytes", name, maxClaimLen)
			}
		}
	}
	for _, sc := range c.Scopes {
		if !scopeToken(sc) {
			return bad("scope %q has characters RFC 6749 section 3.3 does not allow", sc)
		}
	}
	if c.PolicyVersion < 0 {
		return bad("negative policy version")
	}
	if c.TTL < 0 || c.TTL > s.cfg.AccessTokenTTL {
		return bad("lifetime %s is outside 0 to %s", c.TTL, s.cfg.AccessTokenTTL)
	}
	if c.TTL == 0 {
		return s.cfg.AccessTokenTTL, nil
	}
	return c.TTL, nil
}

// scopeToken reports whether s is a scope-token: %x21 / %x23-5B / %x5D-7E
// (RFC 6749 section 3.3), which also keeps the space-separated list
// unambiguous.
func scopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// newTokenID returns a jti: 128 random bits, base64url, so that ids never
// repeat (RFC 7519 section 4.1.7) and name no one.
func newTokenID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
