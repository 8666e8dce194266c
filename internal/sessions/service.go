package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// Minter signs access tokens; package tokens implements it. It fills iss,
// aud, iat, nbf, exp and jti.
type Minter interface {
	Mint(ctx context.Context, c tokens.Claims) (token string, exp time.Time, err error)
}

// Notifier tells a person about events on their sessions.
type Notifier interface {
	RefreshTokenReuse(ctx context.Context, userID, device string) error
}

// RolesFunc returns a person's role names, for access tokens and timeouts.
type RolesFunc func(ctx context.Context, userID string) ([]string, error)

// Options are a Service's dependencies.
type Options struct {
	DB        *storage.DB
	Minter    Minter
	AccessTTL time.Duration // the access token lifetime Minter uses
	Audit     audit.Recorder
	Notifier  Notifier  // optional
	Roles     RolesFunc // optional
	Clock     clock.Clock
	Rand      io.Reader
	Logger    *slog.Logger
	Config    Config
}

// Service manages sessions and refresh tokens.
type Service struct {
	Options
	store   *Store
	pending sync.WaitGroup
}

// New returns a service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Config.DefaultClientID == "" {
		o.Config = DefaultConfig()
	}
	return &Service{Options: o, store: NewStore(o.DB)}
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// Errors, written for clients.
var (
	// ErrInvalidGrant is a refresh token that is unknown, expired, revoked,
	// reused or presented by another client (RFC 6749 section 5.2).
	ErrInvalidGrant = errors.New("the refresh token is not valid")
	// ErrSessionLimit means the person has as many sessions as allowed and
	// the configuration refuses new ones.
	ErrSessionLimit = errors.New("too many active sessions; end one first")
	// ErrSessionEnded means the session behind an access token has ended.
	ErrSessionEnded = errors.New("the session has ended")
)

// Meta describes the request, for the audit log.
type Meta struct {
	IP, UserAgent, RequestID string
}

func (m Meta) event(e audit.Event) audit.Event {
	e.IP, e.UserAgent, e.RequestID = m.IP, m.UserAgent, m.RequestID
	return e
}

// CreateInput describes a successful authentication.
type CreateInput struct {
	UserID   string
	ClientID string // empty means Config.DefaultClientID
	Scope    string
	ACR      string   // authentication context, such as "pwd" or "mfa"
	AMR      []string // methods (RFC 8176): pwd, otp, hwk, ...
	AuthTime time.Time
}

// Issued is what a login or refresh hands the client.
type Issued struct {
	Session          Session
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
	Roles            []string
}

func (s *Service) id(prefix string) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.Rand, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// refreshPrefix marks cerrojo refresh tokens so secret scanners and people
// can recognise a leaked one.
const refreshPrefix = "crj_rt_"

func (s *Service) newRefreshSecret() (string, []byte, error) {
	b := make([]byte, 32) // 256 bits
	if _, err := io.ReadFull(s.Rand, b); err != nil {
		return "", nil, fmt.Errorf("random refresh token: %w", err)
	}
	tok := refreshPrefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok), nil
}

// hashToken is SHA-256: the token has 256 bits of entropy, so no salt or
// slow hash is needed to keep a copy of the table from revealing it.
func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// Create starts a session for a person who just authenticated, and issues
// its first access and refresh tokens.
func (s *Service) Create(ctx context.Context, in CreateInput, m Meta) (Issued, error) {
	if in.ClientID == "" {
		in.ClientID = s.Config.DefaultClientID
	}
	roles, err := s.roles(ctx, in.UserID)
	if err != nil {
		return Issued{}, err
	}
	now := s.Clock.Now().UTC()
	if in.AuthTime.IsZero() {
		in.AuthTime = now
	}
	limits := s.Config.timeoutsFor(roles)

	sesID, err := s.id("ses_")
	if err != nil {
		return Issued{}, err
	}
	ses := Session{ID: sesID, UserID: in.UserID, ClientID: in.ClientID,
		Device: DeviceName(m.UserAgent), IP: m.IP, ACR: in.ACR, AMR: in.AMR,
		AuthTime: in.AuthTime, CreatedAt: now, LastSeenAt: now, IdleTimeout: limits.Idle,
		AbsoluteExpiresAt: now.Add(limits.Absolute), Scope: in.Scope}
	rt, secret, err := s.newRefresh(ses, sesID, now)
	if err != nil {
		return Issued{}, err
	}

	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		st := s.store.Tx(tx)
		if err := s.enforceLimit(ctx, tx, st, in.UserID, now, m); err != nil {
			return err
		}
		if err := st.CreateSession(ctx, ses); err != nil {
			return err
		}
		if err := st.CreateRefreshToken(ctx, rt); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorPerson, ID: in.UserID}, Action: "session.create",
			Target: audit.Target{Type: "session", ID: ses.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"client_id": in.ClientID, "acr": in.ACR,
				"amr": strings.Join(in.AMR, " ")},
		}))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrSessionLimit) {
			return Issued{}, err
		}
		return Issued{}, fmt.Errorf("create session: %w", err)
	}
	return s.issue(ctx, ses, roles, secret, rt.ExpiresAt)
}

// newRefresh builds the next refresh token of a family. Its lifetime is the
// idle period, cut at the session's absolute end.
func (s *Service) newRefresh(ses Session, familyID string, now time.Time) (RefreshToken, string,
	error) {
	id, err := s.id("rt_")
	if err != nil {
		return RefreshToken{}, "", err
	}
	secret, hash, err := s.newRefreshSecret()
	if err != nil {
		return RefreshToken{}, "", err
	}
	exp := now.Add(s.Config.RefreshIdle)
	familyEnd := ses.CreatedAt.Add(s.Config.FamilyLifetime)
	exp = minTime(exp, minTime(familyEnd, ses.AbsoluteExpiresAt))
	return RefreshToken{ID: id, FamilyID: familyID, SessionID: ses.ID, ClientID: ses.ClientID,
		Hash: hash, CreatedAt: now, ExpiresAt: exp}, secret, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// enforceLimit applies MaxPerUser before a new session is added.
func (s *Service) enforceLimit(ctx context.Context, tx *sql.Tx, st *Store, userID string,
	now time.Time, m Meta) error {
	if s.Config.MaxPerUser == 0 {
		return nil
	}
	list, err := st.ActiveSessions(ctx, userID)
	if err != nil {
		return err
	}
	var active []Session
	for _, ses := range list {
		if ses.ActiveAt(now) {
			active = append(active, ses)
		}
	}
	if len(active) < s.Config.MaxPerUser {
		return nil
	}
	if s.Config.AtLimit == RefuseNew {
		return ErrSessionLimit
	}
	// Oldest by last use; the list is most recent first.
	for _, ses := range active[s.Config.MaxPerUser-1:] {
		if err := s.end(ctx, tx, ses, "session_limit", audit.Actor{Type: audit.ActorSystem,
			ID: "sessions"}, now, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) roles(ctx context.Context, userID string) ([]string, error) {
	if s.Roles == nil {
		return nil, nil
	}
	roles, err := s.Roles(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("load roles: %w", err)
	}
	return roles, nil
}

func (s *Service) issue(ctx context.Context, ses Session, roles []string,
	refresh string, refreshExp time.Time) (Issued, error) {
	tok, exp, err := s.Minter.Mint(ctx, tokens.Claims{
		Subject: ses.UserID, ClientID: ses.ClientID, Scopes: strings.Fields(ses.Scope),
		SessionID: ses.ID, AuthTime: ses.AuthTime, ACR: ses.ACR, AMR: ses.AMR, Roles: roles,
	})
	if err != nil {
		return Issued{}, fmt.Errorf("mint access token: %w", err)
	}
	return Issued{Session: ses, AccessToken: tok, AccessExpiresAt: exp, RefreshToken: refresh,
		RefreshExpiresAt: refreshExp, Roles: roles}, nil
}
