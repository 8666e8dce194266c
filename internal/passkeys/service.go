package passkeys

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/randid"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Options configures a Service.
type Options struct {
	DB    *storage.DB
	Audit audit.Recorder
	// Clock decides challenge expiry and stamps passkeys; clock.System
	// when nil.
	Clock clock.Clock
	// Logger receives only the failures of recording a failed ceremony in
	// the audit log, which have no other way out (the caller gets the
	// ceremony's error). slog.Default when nil.
	Logger *slog.Logger
	// RPID is the relying party id ("RP ID" in WebAuthn Level 3 section
	// 4): the host of the public URL, or a registrable suffix of it,
	// without scheme or port, such as "cuenta.ejemplo.co". Passkeys are
	// bound to it: changing it makes every registered passkey unusable.
	RPID string
	// RPDisplayName is the name the browser shows, such as "Ejemplo".
	RPDisplayName string
	// Origins are the origins pages run the ceremonies from, such as
	// "https://cuenta.ejemplo.co": https, or http only for localhost, no
	// path; each host must be RPID or a subdomain of it.
	Origins []string
	// Rand supplies passkey and challenge ids; crypto/rand when nil. The
	// WebAuthn challenges themselves always come from crypto/rand, inside
	// go-webauthn.
	Rand io.Reader
}

// Validate reports the first field of o that cannot work, naming it and
// the bad value.
func (o Options) Validate() error {
	if o.DB == nil {
		return errors.New("passkeys: DB is required")
	}
	if o.Audit == nil {
		return errors.New("passkeys: Audit is required")
	}
	if o.RPDisplayName == "" {
		return errors.New("passkeys: RPDisplayName is required")
	}
	if err := protocol.ValidateRPID(o.RPID); err != nil || o.RPID != strings.ToLower(o.RPID) {
		return fmt.Errorf("passkeys: RPID %q is not a lower-case domain name", o.RPID)
	}
	if len(o.Origins) == 0 {
		return errors.New("passkeys: Origins needs at least one origin")
	}
	for _, origin := range o.Origins {
		if err := checkOrigin(origin, o.RPID); err != nil {
			return fmt.Errorf("passkeys: Origins: %q %v", origin, err)
		}
	}
	return nil
}

// checkOrigin applies the rule of WebAuthn Level 3 (the "RP ID" term of
// section 4) that the RP ID is the origin's effective domain or a
// registrable suffix of it. It
// cannot tell a public suffix ("co", "com.co") from a registrable domain:
// browsers refuse an RP ID that is a public suffix, and so every ceremony
// would fail, which the first test of a deployment shows.
func checkOrigin(origin, rpID string) error {
	u, err := url.Parse(origin)
	if err != nil {
		return errors.New("is not a URL")
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "http" && host == "localhost":
	case u.Scheme != "https":
		return errors.New("must use https (http only for localhost)")
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || host == "" ||
		u.Opaque != "" {
		return errors.New("must be scheme://host[:port] and nothing more")
	}
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return fmt.Errorf("is not on the RP ID %q or a subdomain of it", rpID)
	}
	return nil
}

// Service runs passkey registration, login and management. It is safe for
// concurrent use, and several nodes may share one database.
type Service struct {
	db     *storage.DB
	store  *store
	audit  audit.Recorder
	clock  clock.Clock
	logger *slog.Logger
	rp     *webauthn.WebAuthn
	ids    *randid.Source
}

// New returns a service, or an error naming the option that is wrong.
func New(o Options) (*Service, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID:          o.RPID,
		RPDisplayName: o.RPDisplayName,
		RPOrigins:     append([]string(nil), o.Origins...),
		// Attestation is not asked for: see the package documentation.
		AttestationPreference: protocol.PreferNoAttestation,
		// The server enforces ChallengeTTL with its own clock; these only
		// tell the browser how long to wait.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
			Registration: webauthn.TimeoutConfig{Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: configure webauthn: %w", err)
	}
	return &Service{db: o.DB, store: &store{db: o.DB}, audit: o.Audit, clock: o.Clock,
		logger: o.Logger, rp: rp, ids: randid.NewSource(o.Rand)}, nil
}

// algorithms are the public key algorithms offered at registration, most
// preferred first (WebAuthn Level 3 section 5.4, pubKeyCredParams): ES256,
// which every authenticator supports; Ed25519; and RS256, which Windows
// Hello on older TPMs needs. An authenticator whose key uses another is
// refused by go-webauthn at registration.
var algorithms = []protocol.CredentialParameter{
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgEdDSA},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgRS256},
}

// Meta describes the request an operation comes from, for the audit log.
type Meta struct {
	IP, UserAgent, RequestID string
}

func (m Meta) event(e audit.Event) audit.Event {
	e.IP, e.UserAgent, e.RequestID = m.IP, m.UserAgent, m.RequestID
	return e
}

// anonymous is the audit actor of a discoverable login whose response
// names no account of ours.
var anonymous = audit.Actor{Type: audit.ActorPerson, ID: "anonymous"}

// newID returns a prefixed random id with 128 bits of randomness.
func (s *Service) newID(prefix string) (string, error) { return s.ids.ID(prefix) }

// account is a person as go-webauthn sees them (webauthn.User).
type account struct {
	id, email, name string
	creds           []webauthn.Credential
}

// WebAuthnID is the user handle: the account id, at most 64 bytes and
// never reused. Section 14.6.1 of WebAuthn Level 3 (user handle contents)
// forbids personal data in it and recommends 64 random bytes kept with the
// account. The account id is random (128 bits) and derived from nothing
// personal, so it meets the rule; but it is also the subject of the
// account's tokens, so someone holding both a lost authenticator and a
// token can tell they belong together. That link is accepted here to
// avoid a second identifier per account.
func (a *account) WebAuthnID() []byte { return []byte(a.id) }

// WebAuthnName is the account's email, which the browser shows to tell
// accounts apart.
func (a *account) WebAuthnName() string { return a.email }

// WebAuthnDisplayName is the account's name.
func (a *account) WebAuthnDisplayName() string { return a.name }

// WebAuthnCredentials are the account's registered passkeys.
func (a *account) WebAuthnCredentials() []webauthn.Credential { return a.creds }

func (a *account) descriptors() []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(a.creds))
	for i := range a.creds {
		out[i] = a.creds[i].Descriptor()
	}
	return out
}
