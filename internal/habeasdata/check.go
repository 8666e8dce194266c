package habeasdata

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Reasons Check gives, besides the decision states.
const (
	ReasonUnknownPurpose = "unknown_purpose"
	ReasonSuppressed     = "suppressed"
)

// Answer says whether a titular's data may be used for a purpose now.
type Answer struct {
	SubjectID     string    `json:"subject_id"`
	Purpose       string    `json:"purpose"`
	Allowed       bool      `json:"allowed"`
	Reason        string    `json:"reason"`
	PolicyVersion string    `json:"policy_version"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
	// ReclamoEnTramite is the legend of Ley 1581 art. 15 num. 2: show it
	// with the titular's data while it is set.
	ReclamoEnTramite bool           `json:"reclamo_en_tramite"`
	Contact          *ContactAnswer `json:"contact,omitempty"`
}

// Check answers whether subjectID's data may be used for purpose now: only
// when the titular's last decision on the purpose, in the wording of the
// policy in effect, is a grant. When contactChannel is not empty it also
// applies the contact rules of Ley 2300 de 2023 for a message through it.
func (s *Service) Check(ctx context.Context, subjectID, purpose,
	contactChannel string) (Answer, error) {
	if err := validSubject("/subject_id", subjectID); err != nil {
		return Answer{}, err
	}
	p, err := s.currentPurposes(ctx)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{SubjectID: subjectID, Purpose: purpose, PolicyVersion: p.Version}
	pp, ok := p.Purpose(purpose)
	if !ok {
		a.Reason = ReasonUnknownPurpose
		return a, nil
	}

	// One round trip: the latest decision and the reclamo legend.
	var c Consent
	var open int
	var decision sql.NullString
	var at sql.NullTime
	var digest sql.NullString
	err = s.DB.QueryRowContext(ctx, s.DB.Rebind(`SELECT c.decision, c.purpose_sha256,
		c.created_at, (SELECT COUNT(*) FROM habeas_requests r WHERE r.subject_id = ? AND
		r.kind = 'reclamo' AND r.status = 'open')
		FROM (SELECT 1 AS one) x LEFT JOIN (SELECT decision, purpose_sha256, created_at
		FROM habeas_consents WHERE subject_id = ? AND purpose = ? ORDER BY seq DESC LIMIT 1)
		c ON TRUE`), subjectID, subjectID, purpose).Scan(&decision, &digest, &at, &open)
	if err != nil {
		return Answer{}, fmt.Errorf("check consent: %w", err)
	}
	a.ReclamoEnTramite = open > 0
	if !decision.Valid {
		suppressed, err := s.suppressed(ctx, subjectID)
		if err != nil {
			return Answer{}, err
		}
		a.Reason = StateNotAsked
		if suppressed {
			a.Reason = ReasonSuppressed
		}
		return a, nil
	}
	c.Decision, c.PurposeSHA256 = Decision(decision.String), digest.String
	a.Reason, a.DecidedAt = stateOf(pp, c, true), at.Time.UTC()
	a.Allowed = a.Reason == StateGranted
	if contactChannel != "" {
		if !codePattern.MatchString(contactChannel) || len(contactChannel) > 32 {
			return Answer{}, invalid("/contact_channel", "must be a snake_case channel name")
		}
		history, err := s.contacts(ctx, subjectID)
		if err != nil {
			return Answer{}, err
		}
		ca := ContactRule(s.Clock.Now(), contactChannel, history)
		a.Contact = &ca
	}
	return a, nil
}

// suppressed reports whether subjectID's data was suppressed: records
// under its pseudonym exist.
func (s *Service) suppressed(ctx context.Context, subjectID string) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, s.DB.Rebind(`SELECT COUNT(*) FROM habeas_requests
		WHERE subject_id = ? AND suppressed_at IS NOT NULL`), s.Pseudonym(subjectID)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check suppression: %w", err)
	}
	return n > 0, nil
}
