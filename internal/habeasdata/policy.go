package habeasdata

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Purpose is one finalidad a policy declares.
type Purpose struct {
	// Code names the purpose for the marketplace's services: snake_case,
	// stable across versions, such as "marketing_whatsapp".
	Code string `json:"code"`
	// Description is what the titular reads, in Spanish.
	Description string `json:"description"`
	// Sensitive marks purposes that process sensitive data (Ley 1581 art.
	// 5), biometrics included: their consent is separate and explicit.
	Sensitive bool `json:"sensitive"`
	// Required marks purposes without which the service cannot be given,
	// such as executing the purchase. A sensitive purpose is never required
	// (Decreto 1377 art. 6).
	Required bool `json:"required"`
}

// Digest fixes the purpose's meaning: a consent given to one wording does
// not carry over to another.
func (p Purpose) Digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%t\n", p.Code, p.Description, p.Sensitive)
	return hex.EncodeToString(h.Sum(nil))
}

// Policy is one published version of the privacy policy.
type Policy struct {
	ID          string    `json:"id"`
	Version     string    `json:"version"`
	Text        string    `json:"text"`
	TextSHA256  string    `json:"text_sha256"`
	Purposes    []Purpose `json:"purposes"`
	EffectiveAt time.Time `json:"effective_at"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// Purpose returns the purpose with the given code.
func (p Policy) Purpose(code string) (Purpose, bool) {
	for _, pp := range p.Purposes {
		if pp.Code == code {
			return pp, true
		}
	}
	return Purpose{}, false
}

// Limits on a policy. The text is the whole policy document, which the law
// requires to be complete (Decreto 1377 art. 13); 256 KiB holds any real one.
const (
	maxPolicyText     = 256 << 10
	maxVersionLen     = 40
	maxPurposes       = 64
	maxPurposeCodeLen = 64
	maxDescriptionLen = 2000
)

var (
	codePattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// NewPolicy is what an operator publishes.
type NewPolicy struct {
	Version     string    `json:"version"`
	Text        string    `json:"text"`
	Purposes    []Purpose `json:"purposes"`
	EffectiveAt time.Time `json:"effective_at"`
}

func (n NewPolicy) validate() error {
	if len(n.Version) > maxVersionLen || !versionPattern.MatchString(n.Version) {
		return invalid("/version", "must be 1-%d letters, digits, '.', '_' or '-'", maxVersionLen)
	}
	if strings.TrimSpace(n.Text) == "" {
		return invalid("/text", "is required: the full text of the policy")
	}
	if len(n.Text) > maxPolicyText || !utf8.ValidString(n.Text) {
		return invalid("/text", "must be valid UTF-8 of at most %d bytes", maxPolicyText)
	}
	if len(n.Purposes) == 0 || len(n.Purposes) > maxPurposes {
		return invalid("/purposes", "must declare 1-%d purposes", maxPurposes)
	}
	seen := map[string]bool{}
	for i, p := range n.Purposes {
		at := fmt.Sprintf("/purposes/%d", i)
		if len(p.Code) > maxPurposeCodeLen || !codePattern.MatchString(p.Code) {
			return invalid(at+"/code", "must be snake_case: a-z, 0-9 and '_', at most %d",
				maxPurposeCodeLen)
		}
		if seen[p.Code] {
			return invalid(at+"/code", "%q is declared twice", p.Code)
		}
		seen[p.Code] = true
		if d := strings.TrimSpace(p.Description); d == "" || len(p.Description) >
			maxDescriptionLen || !utf8.ValidString(p.Description) {
			return invalid(at+"/description", "must say what the data is used for, "+
				"at most %d bytes", maxDescriptionLen)
		}
		if p.Sensitive && p.Required {
			return invalid(at+"/required", "a sensitive purpose cannot be required: no "+
				"activity may depend on sensitive data (Decreto 1377 de 2013 art. 6)")
		}
	}
	return nil
}

// PublishPolicy stores a new version. EffectiveAt may be in the future; zero
// means now. Versions are immutable and their labels unique.
func (s *Service) PublishPolicy(ctx context.Context, n NewPolicy, by audit.Actor,
	meta audit.Event) (Policy, error) {
	if err := n.validate(); err != nil {
		return Policy{}, err
	}
	now := s.Clock.Now().UTC()
	if n.EffectiveAt.IsZero() {
		n.EffectiveAt = now
	}
	id, err := s.newID("pol_")
	if err != nil {
		return Policy{}, err
	}
	sum := sha256.Sum256([]byte(n.Text))
	p := Policy{ID: id, Version: n.Version, Text: n.Text,
		TextSHA256: hex.EncodeToString(sum[:]), Purposes: n.Purposes,
		EffectiveAt: n.EffectiveAt.UTC(), CreatedBy: by.ID, CreatedAt: now}
	purposes, err := json.Marshal(p.Purposes)
	if err != nil {
		return Policy{}, err
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.DB.Rebind(`INSERT INTO habeas_policies
			(id, version, text, text_sha256, purposes, effective_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), p.ID, p.Version, p.Text, p.TextSHA256,
			string(purposes), p.EffectiveAt, p.CreatedBy, p.CreatedAt)
		if err != nil {
			if storage.IsUniqueViolation(err) {
				return invalid("/version", "version %q is already published", n.Version)
			}
			return fmt.Errorf("publish policy: %w", err)
		}
		meta.Actor, meta.Action, meta.Outcome = by, "habeas_data.policy_published",
			audit.OutcomeSuccess
		meta.Target = audit.Target{Type: "privacy_policy", ID: p.ID}
		meta.Details = map[string]string{"version": p.Version,
			"effective_at": p.EffectiveAt.Format(time.RFC3339),
			"purposes":     fmt.Sprint(len(p.Purposes))}
		_, err = s.Audit.Append(ctx, tx, meta)
		return err
	})
	if err != nil {
		return Policy{}, err
	}
	return p, nil
}

const policyColumns = `id, version, text, text_sha256, purposes, effective_at, created_by,
	created_at`

func scanPolicy(row interface{ Scan(...any) error }) (Policy, error) {
	var p Policy
	var purposes string
	err := row.Scan(&p.ID, &p.Version, &p.Text, &p.TextSHA256, &purposes, &p.EffectiveAt,
		&p.CreatedBy, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Policy{}, ErrNotFound
	}
	if err != nil {
		return Policy{}, fmt.Errorf("load policy: %w", err)
	}
	if err := json.Unmarshal([]byte(purposes), &p.Purposes); err != nil {
		return Policy{}, fmt.Errorf("load policy %s: purposes: %w", p.ID, err)
	}
	p.EffectiveAt, p.CreatedAt = p.EffectiveAt.UTC(), p.CreatedAt.UTC()
	return p, nil
}

// CurrentPolicy returns the version in effect at the service's now: the
// latest whose effective date has come.
func (s *Service) CurrentPolicy(ctx context.Context) (Policy, error) {
	return s.policyAt(ctx, s.DB, s.Clock.Now())
}

func (s *Service) policyAt(ctx context.Context, q querier, at time.Time) (Policy, error) {
	p, err := scanPolicy(q.QueryRowContext(ctx, s.DB.Rebind(`SELECT `+policyColumns+`
		FROM habeas_policies WHERE effective_at <= ? ORDER BY effective_at DESC, created_at DESC
		LIMIT 1`), at.UTC()))
	if errors.Is(err, ErrNotFound) {
		return Policy{}, ErrNoPolicy
	}
	return p, err
}

// Policy returns one version by id.
func (s *Service) Policy(ctx context.Context, id string) (Policy, error) {
	return scanPolicy(s.DB.QueryRowContext(ctx, s.DB.Rebind(`SELECT `+policyColumns+`
		FROM habeas_policies WHERE id = ?`), id))
}

// Policies lists every version, newest effective first, without their texts.
func (s *Service) Policies(ctx context.Context) ([]Policy, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+policyColumns+` FROM habeas_policies
		ORDER BY effective_at DESC, created_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	defer rows.Close()
	var out []Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		p.Text = ""
		out = append(out, p)
	}
	return out, rows.Err()
}

// currentPurposes returns the policy in effect without its text, for the
// consent check. Versions never change, so each one's parsed purposes are
// kept after the first read; which version is in effect is read every time,
// so a version published on another node counts at once.
func (s *Service) currentPurposes(ctx context.Context) (Policy, error) {
	var p Policy
	err := s.DB.QueryRowContext(ctx, s.DB.Rebind(`SELECT id, version FROM habeas_policies
		WHERE effective_at <= ? ORDER BY effective_at DESC, created_at DESC LIMIT 1`),
		s.Clock.Now().UTC()).Scan(&p.ID, &p.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return Policy{}, ErrNoPolicy
	}
	if err != nil {
		return Policy{}, fmt.Errorf("load policy: %w", err)
	}
	if cached, ok := s.purposes.Load(p.ID); ok {
		p.Purposes = cached.([]Purpose)
		return p, nil
	}
	full, err := s.Policy(ctx, p.ID)
	if err != nil {
		return Policy{}, err
	}
	s.purposes.Store(p.ID, full.Purposes)
	p.Purposes = full.Purposes
	return p, nil
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
