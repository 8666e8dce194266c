package habeasdata

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/keyring"
)

// Decision is what a titular decided about one purpose.
type Decision string

// The decisions. Revoked differs from refused in that it withdraws an
// earlier grant (Ley 1581 art. 8 lit. e).
const (
	Granted Decision = "granted"
	Refused Decision = "refused"
	Revoked Decision = "revoked"
)

// Channels through which consent is obtained (Decreto 1377 art. 7: in
// writing, orally, or by unequivocal conduct).
var channels = map[string]bool{"web": true, "app": true, "phone": true, "in_person": true}

// Representative is the legal representative who authorises for a minor
// (Ley 1581 art. 7; Decreto 1377 art. 12).
type Representative struct {
	Name           string `json:"name"`
	Relationship   string `json:"relationship"`
	DocumentNumber string `json:"document_number,omitempty"`
}

// Evidence is how a decision was obtained: what proves it (Decreto 1377
// art. 8). ShownText is the exact text the person saw; only its SHA-256 is
// kept, which the controller matches against its archived screens.
type Evidence struct {
	Channel         string
	IP              string
	UserAgent       string
	ShownText       string
	ShownTextSHA256 string
}

// Choice is one purpose's decision in a NewConsent.
type Choice struct {
	Purpose  string   `json:"purpose"`
	Decision Decision `json:"decision"`
}

// NewConsent records one or more decisions of one titular, made at once
// under the policy in effect.
type NewConsent struct {
	SubjectID string
	// PolicyVersion is the version the person was shown. It must be the one
	// in effect: a decision on a text that is no longer in force proves
	// nothing about the current one.
	PolicyVersion  string
	Choices        []Choice
	Evidence       Evidence
	Minor          bool
	Representative *Representative
}

// Consent is one row of the ledger.
type Consent struct {
	ID              string    `json:"id"`
	SubjectID       string    `json:"subject_id"`
	Purpose         string    `json:"purpose"`
	Decision        Decision  `json:"decision"`
	PolicyID        string    `json:"policy_id"`
	PolicyVersion   string    `json:"policy_version"`
	PurposeSHA256   string    `json:"purpose_sha256"`
	ShownTextSHA256 string    `json:"shown_text_sha256"`
	Channel         string    `json:"channel"`
	IP              string    `json:"ip,omitempty"`
	UserAgent       string    `json:"user_agent,omitempty"`
	RecordedByType  string    `json:"recorded_by_type"`
	RecordedBy      string    `json:"recorded_by"`
	Minor           bool      `json:"minor"`
	Representative  string    `json:"representative,omitempty"`
	RepRelationship string    `json:"representative_relationship,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

const (
	maxChoices        = 64
	maxSubjectIDLen   = 128
	maxShownText      = 256 << 10
	maxEvidenceField  = 512
	maxRepresentative = 200
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func validSubject(field, id string) error {
	if id == "" || len(id) > maxSubjectIDLen || !utf8.ValidString(id) ||
		strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return invalid(field, "must be an account id of 1-%d printable characters",
			maxSubjectIDLen)
	}
	return nil
}

func (n *NewConsent) validate(p Policy) error {
	if err := validSubject("/subject_id", n.SubjectID); err != nil {
		return err
	}
	if n.PolicyVersion == "" {
		return invalid("/policy_version", "is required: the version the person was shown")
	}
	if len(n.Choices) == 0 || len(n.Choices) > maxChoices {
		return invalid("/decisions", "must hold 1-%d decisions", maxChoices)
	}
	seen := map[string]bool{}
	for i, c := range n.Choices {
		at := fmt.Sprintf("/decisions/%d", i)
		if _, ok := p.Purpose(c.Purpose); !ok {
			return invalid(at+"/purpose", "policy %s declares no purpose %q", p.Version,
				httpx.Clip(c.Purpose, 64))
		}
		if seen[c.Purpose] {
			return invalid(at+"/purpose", "%q is decided twice", c.Purpose)
		}
		seen[c.Purpose] = true
		switch c.Decision {
		case Granted, Refused, Revoked:
		default:
			return invalid(at+"/decision", "must be granted, refused or revoked")
		}
	}
	e := &n.Evidence
	if !channels[e.Channel] {
		return invalid("/channel", "must be web, app, phone or in_person")
	}
	if len(e.IP) > maxEvidenceField || len(e.UserAgent) > maxEvidenceField ||
		!utf8.ValidString(e.UserAgent) {
		return invalid("/user_agent", "must be valid UTF-8 of at most %d bytes",
			maxEvidenceField)
	}
	switch {
	case e.ShownText != "" && e.ShownTextSHA256 != "":
		return invalid("/shown_text", "give the text shown or its SHA-256, not both")
	case e.ShownText != "":
		if len(e.ShownText) > maxShownText {
			return invalid("/shown_text", "must be at most %d bytes", maxShownText)
		}
		sum := sha256.Sum256([]byte(e.ShownText))
		e.ShownTextSHA256 = hex.EncodeToString(sum[:])
	case e.ShownTextSHA256 != "":
		if !sha256Hex.MatchString(e.ShownTextSHA256) {
			return invalid("/shown_text_sha256", "must be 64 lowercase hex digits")
		}
	default:
		return invalid("/shown_text", "is required: the exact text the person saw when "+
			"deciding, or its SHA-256 in shown_text_sha256")
	}
	if r := n.Representative; r != nil {
		if strings.TrimSpace(r.Name) == "" || len(r.Name) > maxRepresentative ||
			strings.TrimSpace(r.Relationship) == "" || len(r.Relationship) > maxRepresentative ||
			len(r.DocumentNumber) > 32 {
			return invalid("/representative", "needs a name and a relationship of at most "+
				"%d bytes, and a document number of at most 32", maxRepresentative)
		}
	}
	if n.Minor && n.Representative == nil {
		for _, c := range n.Choices {
			if c.Decision == Granted {
				return invalid("/representative", "the data of a minor needs the "+
					"authorization of their legal representative (Ley 1581 de 2012 art. 7)")
			}
		}
	}
	return nil
}

// ErrPolicyChanged means the decision was made on a version that is not the
// one in effect.
var ErrPolicyChanged = errors.New("habeas data: the policy version shown is not the one in effect")

// ErrNothingToRevoke means a revocation names a purpose the titular had not
// granted.
var ErrNothingToRevoke = errors.New("habeas data: the purpose is not granted")

// RecordConsent appends the decisions in n to the ledger, all or none, and
// audits each. by is who recorded them: the titular, a client acting for
// them, or an operator taking a decision given by phone or in person.
func (s *Service) RecordConsent(ctx context.Context, n NewConsent, by audit.Actor,
	meta audit.Event) ([]Consent, error) {
	now := s.Clock.Now().UTC()
	var out []Consent
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		p, err := s.policyAt(ctx, tx, now)
		if err != nil {
			return err
		}
		if err := n.validate(p); err != nil {
			return err
		}
		if n.PolicyVersion != p.Version {
			return ErrPolicyChanged
		}
		latest, err := s.latestDecisions(ctx, tx, n.SubjectID)
		if err != nil {
			return err
		}
		for _, c := range n.Choices {
			if c.Decision == Revoked && latest[c.Purpose].Decision != Granted {
				return fmt.Errorf("%w: %s", ErrNothingToRevoke, c.Purpose)
			}
			purpose, _ := p.Purpose(c.Purpose)
			rec, err := s.insertConsent(ctx, tx, n, c, p, purpose, by, now)
			if err != nil {
				return err
			}
			ev := meta
			ev.Actor, ev.Action, ev.Outcome = by, "habeas_data.consent_"+string(c.Decision),
				audit.OutcomeSuccess
			ev.Target = audit.Target{Type: "user", ID: n.SubjectID}
			ev.Details = map[string]string{"purpose": c.Purpose, "policy_version": p.Version,
				"channel": n.Evidence.Channel, "consent_id": rec.ID}
			if _, err := s.Audit.Append(ctx, tx, ev); err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) insertConsent(ctx context.Context, tx *sql.Tx, n NewConsent, c Choice,
	p Policy, purpose Purpose, by audit.Actor, now time.Time) (Consent, error) {
	id, err := s.newID("cns_")
	if err != nil {
		return Consent{}, err
	}
	rec := Consent{ID: id, SubjectID: n.SubjectID, Purpose: c.Purpose, Decision: c.Decision,
		PolicyID: p.ID, PolicyVersion: p.Version, PurposeSHA256: purpose.Digest(),
		ShownTextSHA256: n.Evidence.ShownTextSHA256, Channel: n.Evidence.Channel,
		IP: n.Evidence.IP, UserAgent: n.Evidence.UserAgent, RecordedByType: string(by.Type),
		RecordedBy: by.ID, Minor: n.Minor, CreatedAt: now}
	var sealed []byte
	if r := n.Representative; r != nil {
		rec.Representative, rec.RepRelationship = r.Name, r.Relationship
		if r.DocumentNumber != "" {
			sealed, err = s.Ring.Seal([]byte(r.DocumentNumber), []byte("habeas_consents:"+id))
			if err != nil {
				return Consent{}, err
			}
		}
	}
	_, err = tx.ExecContext(ctx, s.DB.Rebind(`INSERT INTO habeas_consents (id, subject_id,
		purpose, decision, policy_id, purpose_sha256, shown_text_sha256, channel, ip,
		user_agent, recorded_by_type, recorded_by, minor, representative_name,
		representative_relation, representative_doc_sealed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), rec.ID, rec.SubjectID,
		rec.Purpose, string(rec.Decision), rec.PolicyID, rec.PurposeSHA256, rec.ShownTextSHA256,
		rec.Channel, rec.IP, rec.UserAgent, rec.RecordedByType, rec.RecordedBy, rec.Minor,
		rec.Representative, rec.RepRelationship, sealed, rec.CreatedAt)
	if err != nil {
		return Consent{}, fmt.Errorf("record consent: %w", err)
	}
	return rec, nil
}

const consentColumns = `c.id, c.subject_id, c.purpose, c.decision, c.policy_id, p.version,
	c.purpose_sha256, c.shown_text_sha256, c.channel, c.ip, c.user_agent, c.recorded_by_type,
	c.recorded_by, c.minor, c.representative_name, c.representative_relation, c.created_at`

func scanConsents(rows *sql.Rows, err error) ([]Consent, error) {
	if err != nil {
		return nil, fmt.Errorf("load consents: %w", err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var decision string
		if err := rows.Scan(&c.ID, &c.SubjectID, &c.Purpose, &decision, &c.PolicyID,
			&c.PolicyVersion, &c.PurposeSHA256, &c.ShownTextSHA256, &c.Channel, &c.IP,
			&c.UserAgent, &c.RecordedByType, &c.RecordedBy, &c.Minor, &c.Representative,
			&c.RepRelationship, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("load consents: %w", err)
		}
		c.Decision, c.CreatedAt = Decision(decision), c.CreatedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// History returns a titular's ledger, oldest first.
func (s *Service) History(ctx context.Context, subjectID string) ([]Consent, error) {
	return s.history(ctx, s.DB, subjectID)
}

func (s *Service) history(ctx context.Context, q querier, subjectID string) ([]Consent, error) {
	return scanConsents(q.QueryContext(ctx, s.DB.Rebind(`SELECT `+consentColumns+`
		FROM habeas_consents c JOIN habeas_policies p ON p.id = c.policy_id
		WHERE c.subject_id = ? ORDER BY c.seq`), subjectID))
}

// latestDecisions returns the last decision per purpose.
func (s *Service) latestDecisions(ctx context.Context, q querier,
	subjectID string) (map[string]Consent, error) {
	list, err := s.history(ctx, q, subjectID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Consent, len(list))
	for _, c := range list {
		out[c.Purpose] = c
	}
	return out, nil
}

// The states of a purpose for one titular under the policy in effect.
const (
	StateGranted = "granted"
	StateRefused = "refused"
	StateRevoked = "revoked"
	// StateNotAsked: the titular never decided on this purpose. Continued
	// use of the service is not consent (Decreto 1377 art. 7).
	StateNotAsked = "not_asked"
	// StateWordingChanged: the titular decided on an earlier wording of the
	// purpose; they must be asked again.
	StateWordingChanged = "wording_changed"
)

// PurposeState is one purpose of the policy in effect, as it stands for one
// titular.
type PurposeState struct {
	Purpose
	State         string    `json:"state"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
	PolicyVersion string    `json:"decided_under_version,omitempty"`
}

// Status is where a titular stands under the policy in effect.
type Status struct {
	SubjectID     string         `json:"subject_id"`
	PolicyID      string         `json:"policy_id"`
	PolicyVersion string         `json:"policy_version"`
	Purposes      []PurposeState `json:"purposes"`
	// Pending lists the purposes to ask about: never asked, or reworded
	// since the titular's decision.
	Pending []string `json:"pending"`
	Minor   bool     `json:"minor"`
	// ReclamoEnTramite is set while a complete reclamo of the titular is
	// being decided (Ley 1581 art. 15 num. 2).
	ReclamoEnTramite bool `json:"reclamo_en_tramite"`
}

func stateOf(p Purpose, c Consent, ok bool) string {
	switch {
	case !ok:
		return StateNotAsked
	case c.PurposeSHA256 != p.Digest():
		return StateWordingChanged
	default:
		return string(c.Decision)
	}
}

// Status returns the titular's state for every purpose of the policy in
// effect.
func (s *Service) Status(ctx context.Context, subjectID string) (Status, error) {
	p, err := s.CurrentPolicy(ctx)
	if err != nil {
		return Status{}, err
	}
	latest, err := s.latestDecisions(ctx, s.DB, subjectID)
	if err != nil {
		return Status{}, err
	}
	st := Status{SubjectID: subjectID, PolicyID: p.ID, PolicyVersion: p.Version,
		Pending: []string{}}
	for _, c := range latest {
		st.Minor = st.Minor || c.Minor
	}
	for _, pp := range p.Purposes {
		c, ok := latest[pp.Code]
		ps := PurposeState{Purpose: pp, State: stateOf(pp, c, ok)}
		if ok {
			ps.DecidedAt, ps.PolicyVersion = c.CreatedAt, c.PolicyVersion
		}
		if ps.State == StateNotAsked || ps.State == StateWordingChanged {
			st.Pending = append(st.Pending, pp.Code)
		}
		st.Purposes = append(st.Purposes, ps)
	}
	st.ReclamoEnTramite, err = s.reclamoEnTramite(ctx, subjectID)
	return st, err
}

// SealedColumns lists the ledger's sealed values for master key rotation.
func SealedColumns() []keyring.Column {
	return []keyring.Column{{Table: "habeas_consents", Column: "representative_doc_sealed",
		Keys: []string{"id"}, AAD: func(k []string) []byte {
			return []byte("habeas_consents:" + k[0])
		}}}
}
