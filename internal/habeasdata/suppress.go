package habeasdata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/calendar"
)

// Hold is a legal duty to keep some of a titular's data, which suppression
// respects (Decreto 1377 de 2013 art. 11: data is kept as long as a legal or
// contractual duty requires). An example: the marketplace's sales records,
// which Código de Comercio art. 60 and Ley 962 de 2005 art. 28 require to
// keep for ten years.
type Hold struct {
	ID          string    `json:"id"`
	SubjectID   string    `json:"subject_id"`
	Category    string    `json:"category"`
	Basis       string    `json:"basis"`
	Description string    `json:"description"`
	Until       string    `json:"until"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewHold is a hold being registered.
type NewHold struct {
	SubjectID   string `json:"subject_id"`
	Category    string `json:"category"`
	Basis       string `json:"basis"`
	Description string `json:"description"`
	Until       string `json:"until"`
}

// AddHold registers a legal hold on a titular's data.
func (s *Service) AddHold(ctx context.Context, n NewHold, by audit.Actor,
	meta audit.Event) (Hold, error) {
	if err := validSubject("/subject_id", n.SubjectID); err != nil {
		return Hold{}, err
	}
	if !codePattern.MatchString(n.Category) || len(n.Category) > 64 {
		return Hold{}, invalid("/category", "must be snake_case, such as commercial_records")
	}
	if strings.TrimSpace(n.Basis) == "" || len(n.Basis) > 500 {
		return Hold{}, invalid("/basis", "must name the legal duty, such as \"Código de "+
			"Comercio art. 60\", at most 500 bytes")
	}
	if err := checkText("/description", n.Description, true); err != nil {
		return Hold{}, err
	}
	until, err := calendar.ParseDate(n.Until)
	if err != nil {
		return Hold{}, invalid("/until", "must be a date, YYYY-MM-DD")
	}
	if !until.After(calendar.DateOf(s.Clock.Now())) {
		return Hold{}, invalid("/until", "must be in the future")
	}
	id, err := s.newID("hold_")
	if err != nil {
		return Hold{}, err
	}
	h := Hold{ID: id, SubjectID: n.SubjectID, Category: n.Category, Basis: n.Basis,
		Description: n.Description, Until: until.String(), CreatedBy: by.ID,
		CreatedAt: s.Clock.Now().UTC()}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.DB.Rebind(`INSERT INTO habeas_legal_holds (id,
			subject_id, category, basis, description, until_date, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), h.ID, h.SubjectID, h.Category, h.Basis,
			h.Description, h.Until, h.CreatedBy, h.CreatedAt)
		if err != nil {
			return fmt.Errorf("add hold: %w", err)
		}
		meta.Actor, meta.Action, meta.Outcome = by, "habeas_data.hold_added",
			audit.OutcomeSuccess
		meta.Target = audit.Target{Type: "user", ID: h.SubjectID}
		meta.Details = map[string]string{"category": h.Category, "until": h.Until,
			"hold_id": h.ID}
		_, err = s.Audit.Append(ctx, tx, meta)
		return err
	})
	if err != nil {
		return Hold{}, err
	}
	return h, nil
}

// Holds lists a titular's holds, current and past.
func (s *Service) Holds(ctx context.Context, subjectID string) ([]Hold, error) {
	return s.holds(ctx, s.DB, subjectID)
}

func (s *Service) holds(ctx context.Context, q querier, subjectID string) ([]Hold, error) {
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT id, subject_id, category, basis,
		description, until_date, created_by, created_at FROM habeas_legal_holds
		WHERE subject_id = ? ORDER BY until_date, id`), subjectID)
	if err != nil {
		return nil, fmt.Errorf("load holds: %w", err)
	}
	defer rows.Close()
	out := []Hold{}
	for rows.Next() {
		var h Hold
		if err := rows.Scan(&h.ID, &h.SubjectID, &h.Category, &h.Basis, &h.Description,
			&h.Until, &h.CreatedBy, &h.CreatedAt); err != nil {
			return nil, fmt.Errorf("load holds: %w", err)
		}
		h.CreatedAt = h.CreatedAt.UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}

// Kept is a part of the titular's data that suppression keeps, and why.
type Kept struct {
	Category    string `json:"category"`
	Basis       string `json:"basis"`
	Description string `json:"description"`
	Until       string `json:"until,omitempty"`
}

// SuppressionReport says what a suppression did. It becomes the answer to
// the reclamo.
type SuppressionReport struct {
	RequestID string `json:"request_id"`
	// Pseudonym replaces the titular's id in what is kept.
	Pseudonym string   `json:"pseudonym"`
	Deleted   []string `json:"deleted"`
	// AuditRecords is how many audit records had their personal part
	// erased; the records stay, so the log still verifies.
	AuditRecords int64  `json:"audit_records_pseudonymised"`
	Kept         []Kept `json:"kept"`
}

// RecipientFinder is implemented by a Notifier that can say where a notice
// to a titular would go, so that the answer to a suppression reaches the
// address the suppression deletes.
type RecipientFinder interface {
	Recipient(ctx context.Context, subjectID string) (address, locale string, err error)
}

// ErrNotSuppression means Suppress was called for a request that is not an
// open suppression reclamo.
var ErrNotSuppression = errors.New("habeas data: not an open suppression reclamo")

// Suppress carries out an open suppression reclamo (Ley 1581 art. 8 lit. e,
// art. 15; Decreto 1377 art. 9): every Eraser deletes what its capability
// holds of the titular, the account last; the consent ledger, the titular's
// requests and legal holds are kept under a pseudonym, without the evidence
// that names the person, because they prove that the controller obtained
// authorization and answered (Decreto 1377 art. 8); audit records have
// their personal part erased and stay, so the log still verifies; holds
// still in force are kept and explained. All of it commits together with
// the answer to the reclamo, which is then sent to the titular.
func (s *Service) Suppress(ctx context.Context, requestID string, by audit.Actor,
	meta audit.Event) (SuppressionReport, error) {
	r, err := s.get(ctx, s.DB, requestID)
	if err != nil {
		return SuppressionReport{}, err
	}
	if r.Type != "suppression" || r.Status != StatusOpen {
		return SuppressionReport{}, ErrNotSuppression
	}
	subject := r.SubjectID
	var to, locale string
	if f, ok := s.Notifier.(RecipientFinder); ok {
		if to, locale, err = f.Recipient(ctx, subject); err != nil {
			s.Logger.Warn("habeas data: no address for the suppression's answer",
				"request_id", r.ID, "error", err.Error())
		}
	}

	for _, e := range s.Erasers {
		if e.Before != nil {
			if err := e.Before(ctx, subject); err != nil {
				return SuppressionReport{}, fmt.Errorf("suppress %s: %w", e.Name, err)
			}
		}
	}
	now := s.Clock.Now().UTC()
	pseudo := s.Pseudonym(subject)
	rep := SuppressionReport{RequestID: r.ID, Pseudonym: pseudo, Deleted: []string{},
		Kept: []Kept{}}
	var answered Request
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		holds, err := s.holds(ctx, tx, subject)
		if err != nil {
			return err
		}
		today := calendar.DateOf(now).String()
		for _, h := range holds {
			if h.Until >= today {
				rep.Kept = append(rep.Kept, Kept{Category: h.Category, Basis: h.Basis,
					Description: h.Description, Until: h.Until})
			}
		}
		for _, e := range s.Erasers {
			if e.Erase == nil {
				continue // only a check, in Before
			}
			if err := e.Erase(ctx, tx, subject); err != nil {
				return fmt.Errorf("suppress %s: %w", e.Name, err)
			}
			rep.Deleted = append(rep.Deleted, e.Name)
		}
		if err := s.pseudonymise(ctx, tx, subject, pseudo, now); err != nil {
			return err
		}
		rep.Deleted = append(rep.Deleted, "registro de contactos comerciales")
		rep.Kept = append(rep.Kept, keptByCerrojo...)

		redact := meta
		redact.Actor = by
		if rep.AuditRecords, err = s.Audit.Redact(ctx, tx, subject, redact); err != nil {
			return fmt.Errorf("suppress audit records: %w", err)
		}
		answer := rep.answer()
		if answered, err = s.get(ctx, tx, r.ID); err != nil {
			return err
		}
		msg, _, err := answerFn(answer)(&answered, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.DB.Rebind(`UPDATE habeas_requests SET status = ?,
			answer = ?, answered_at = ?, updated_at = ? WHERE id = ?`), answered.Status,
			answered.Answer, now, now, r.ID); err != nil {
			return fmt.Errorf("answer suppression: %w", err)
		}
		if err := s.addMessage(ctx, tx, r.ID, by, msg, now); err != nil {
			return err
		}
		meta.Actor, meta.Action, meta.Outcome = by, "habeas_data.suppressed",
			audit.OutcomeSuccess
		// The record names the pseudonym, never the titular.
		meta.Target = audit.Target{Type: "habeas_data_request", ID: r.ID}
		meta.Details = map[string]string{"pseudonym": pseudo,
			"deleted":       fmt.Sprint(len(rep.Deleted)),
			"audit_records": fmt.Sprint(rep.AuditRecords), "kept": fmt.Sprint(len(rep.Kept))}
		_, err = s.Audit.Append(ctx, tx, meta)
		return err
	})
	if err != nil {
		return SuppressionReport{}, err
	}
	s.notify(pseudo, Notice{RequestID: r.ID, Kind: r.Kind, Event: "answered",
		Text: answered.Answer, To: to, Locale: locale})
	return rep, nil
}

// keptByCerrojo are the records cerrojo itself keeps after a suppression.
var keptByCerrojo = []Kept{
	{Category: "consent_ledger", Basis: "Decreto 1377 de 2013 art. 8 (Decreto 1074 de " +
		"2015 art. 2.2.2.25.2.5): prueba de la autorización",
		Description: "Las decisiones sobre cada finalidad, con la versión de la política y " +
			"la fecha, bajo un seudónimo; sin IP, navegador ni datos del representante."},
	{Category: "habeas_data_requests", Basis: "Ley 1581 de 2012 arts. 14, 15 y 17 lit. j: " +
		"prueba del trámite de consultas y reclamos",
		Description: "Las solicitudes y sus respuestas, bajo un seudónimo; el texto escrito " +
			"por el titular se borra."},
	{Category: "audit_log", Basis: "PCI DSS v4.0.1 req. 10.5.1 e integridad del registro " +
		"de auditoría",
		Description: "Los registros de auditoría se conservan sin la parte personal (sin " +
			"identificadores, IP ni navegador); el registro sigue verificable."},
}

// pseudonymise replaces the subject in the Habeas Data tables and erases
// what names them.
func (s *Service) pseudonymise(ctx context.Context, tx *sql.Tx, subject, pseudo string,
	now time.Time) error {
	stmts := []struct {
		q    string
		args []any
	}{
		// The ledger's triggers allow this one update per row.
		{`UPDATE habeas_consents SET subject_id = ?, ip = '', user_agent = '',
			representative_name = '', representative_doc_sealed = NULL, suppressed_at = ?,
			recorded_by = CASE WHEN recorded_by = ? THEN ? ELSE recorded_by END
			WHERE subject_id = ? AND suppressed_at IS NULL`,
			[]any{pseudo, now, subject, pseudo, subject}},
		{`UPDATE habeas_request_messages SET text = '', author_id = ?
			WHERE author_id = ? AND request_id IN
			(SELECT id FROM habeas_requests WHERE subject_id = ?)`,
			[]any{pseudo, subject, subject}},
		{`UPDATE habeas_requests SET subject_id = ?, description = '',
			filed_by = CASE WHEN filed_by = ? THEN ? ELSE filed_by END, suppressed_at = ?,
			updated_at = ? WHERE subject_id = ?`, []any{pseudo, subject, pseudo, now, now,
			subject}},
		{`UPDATE habeas_legal_holds SET subject_id = ? WHERE subject_id = ?`,
			[]any{pseudo, subject}},
		{`DELETE FROM habeas_contacts WHERE subject_id = ?`, []any{subject}},
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, s.DB.Rebind(st.q), st.args...); err != nil {
			return fmt.Errorf("pseudonymise: %w", err)
		}
	}
	return nil
}

// answer is the reclamo's answer in Spanish: what was deleted, and what is
// kept, why and until when.
func (r SuppressionReport) answer() string {
	var b strings.Builder
	b.WriteString("Suprimimos sus datos personales. ")
	deleted := append([]string(nil), r.Deleted...)
	sort.Strings(deleted)
	fmt.Fprintf(&b, "Se borró: %s. ", strings.Join(deleted, ", "))
	if r.AuditRecords > 0 {
		fmt.Fprintf(&b, "Se quitó la parte personal de %d registros de auditoría. ",
			r.AuditRecords)
	}
	b.WriteString("Conservamos, restringido a ese fin, lo que una obligación legal exige:")
	for _, k := range r.Kept {
		fmt.Fprintf(&b, "\n- %s (%s): %s", k.Category, k.Basis, k.Description)
		if k.Until != "" {
			fmt.Fprintf(&b, " Hasta el %s.", k.Until)
		}
	}
	return b.String()
}
