package passkeys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// begin stores the state of a ceremony begun and returns its challenge id.
// userID is "" for a discoverable login.
func (s *Service) begin(ctx context.Context, kind, userID string,
	session *webauthn.SessionData) (string, error) {
	data, err := json.Marshal(session)
	if err != nil {
		return "", fmt.Errorf("encode session data: %w", err)
	}
	id, err := s.newID("pkc_")
	if err != nil {
		return "", err
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	err = s.store.putChallenge(ctx, challenge{ID: id, UserID: userID, Kind: kind,
		Session: data, CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL)})
	if err != nil {
		return "", err
	}
	return id, nil
}

// session decodes the SessionData stored with a challenge, into a fresh
// value as go-webauthn asks.
func (c *challenge) session() (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Session, &sd); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("decode session data of challenge %s: %w",
			c.ID, err)
	}
	return sd, nil
}

// SweepChallenges deletes the challenges that expired at or before now and
// returns how many. Expired challenges are refused whether or not they
// were swept; sweeping only reclaims their rows. Run it every few minutes.
func (s *Service) SweepChallenges(ctx context.Context, now time.Time) (int64, error) {
	return s.store.sweep(ctx, now)
}

// reason is what the audit log records about a refused ceremony: what kind
// of refusal it was, or go-webauthn's short description of the failed
// check (its Details, not its DevInfo, which holds the values compared).
func reason(err error) string {
	switch {
	case errors.Is(err, ErrMalformed):
		return "malformed response"
	case errors.Is(err, ErrCloned):
		return "signature counter did not advance"
	case errors.Is(err, ErrAlreadyRegistered):
		return "credential already registered"
	case errors.Is(err, ErrTooMany):
		return "too many passkeys"
	}
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Details != "" {
		return auditText(perr.Details)
	}
	return "rejected"
}

// auditText makes a library's message fit for the audit log: printable
// ASCII only, no '@' (the log refuses what looks like an email address),
// at most 120 bytes. Some messages quote parts of the response.
func auditText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '@' {
			return '?'
		}
		return r
	}, s)
	return httpx.Clip(s, 120)
}

// refuse records a refused ceremony in the audit log and returns err. The
// log's own failure does not change the answer (the ceremony failed either
// way and nothing was granted); it is logged instead, so the missing
// record can be noticed.
func (s *Service) refuse(ctx context.Context, action string, actor audit.Actor,
	target audit.Target, details map[string]string, err error, m Meta) error {
	if details == nil {
		details = map[string]string{}
	}
	details["reason"] = reason(err)
	_, aerr := s.audit.Record(ctx, m.event(audit.Event{Actor: actor, Action: action,
		Outcome: audit.OutcomeFailure, Target: target, Details: details}))
	if aerr != nil {
		s.logger.ErrorContext(ctx, "audit passkey failure", "action", action,
			"request_id", m.RequestID, "error", aerr.Error())
	}
	return err
}

func person(id string) audit.Actor { return audit.Actor{Type: audit.ActorPerson, ID: id} }

func passkeyTarget(id string) audit.Target {
	if id == "" {
		return audit.Target{}
	}
	return audit.Target{Type: "passkey", ID: id}
}
