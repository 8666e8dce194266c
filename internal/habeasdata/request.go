package habeasdata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/calendar"
)

// Request kinds, as Ley 1581 título V names them.
const (
	KindConsulta = "consulta"
	KindReclamo  = "reclamo"
)

// Request types: what the titular asks for. A consulta asks to see the data
// (art. 14); a reclamo asks to correct, update or suppress it, to revoke the
// authorization, or complains that the law was broken (art. 15).
var requestTypes = map[string]string{
	"access":       KindConsulta,
	"correction":   KindReclamo,
	"update":       KindReclamo,
	"suppression":  KindReclamo,
	"revocation":   KindReclamo,
	"infringement": KindReclamo,
}

// Request statuses.
const (
	// StatusOpen: received and complete; its term runs.
	StatusOpen = "open"
	// StatusIncomplete: a reclamo waiting for what the titular was asked to
	// add (art. 15 num. 1); its term does not run.
	StatusIncomplete = "incomplete"
	StatusAnswered   = "answered"
	// StatusWithdrawn: the titular did not complete the reclamo within two
	// months of being asked (desistimiento, art. 15 num. 1).
	StatusWithdrawn = "withdrawn"
)

// Message is one entry of a request's conversation.
type Message struct {
	ID         string    `json:"id"`
	AuthorType string    `json:"author_type"`
	AuthorID   string    `json:"author_id"`
	Kind       string    `json:"kind"`
	Text       string    `json:"text"`
	CreatedAt  time.Time `json:"created_at"`
}

// Message kinds.
const (
	MsgNote       = "note"
	MsgMissing    = "missing_information"
	MsgExtension  = "extension"
	MsgAnswer     = "answer"
	MsgWithdrawal = "withdrawal"
)

// Request is one consulta or reclamo.
type Request struct {
	ID              string    `json:"id"`
	SubjectID       string    `json:"subject_id"`
	Kind            string    `json:"kind"`
	Type            string    `json:"type"`
	Status          string    `json:"status"`
	Description     string    `json:"description"`
	Channel         string    `json:"channel"`
	FiledByType     string    `json:"filed_by_type"`
	FiledBy         string    `json:"filed_by"`
	Assignee        string    `json:"assignee"`
	ReceivedAt      time.Time `json:"received_at"`
	ReceivedDate    string    `json:"received_date"`
	DueDate         string    `json:"due_date"`
	ExtendedDueDate string    `json:"extended_due_date,omitempty"`
	ExtensionReason string    `json:"extension_reason,omitempty"`
	CompleteByDate  string    `json:"complete_by_date,omitempty"`
	IncompleteAt    time.Time `json:"incomplete_at,omitzero"`
	WithdrawalDate  string    `json:"withdrawal_date,omitempty"`
	Answer          string    `json:"answer,omitempty"`
	AnsweredAt      time.Time `json:"answered_at,omitzero"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// The term as it stands today; set by Get and List.
	EffectiveDueDate string    `json:"effective_due_date"`
	BusinessDaysLeft *int      `json:"business_days_left,omitempty"`
	Overdue          bool      `json:"overdue"`
	Messages         []Message `json:"messages,omitempty"`
}

// NewRequest is a request being filed.
type NewRequest struct {
	SubjectID   string
	Type        string
	Description string
	Channel     string
}

const (
	maxRequestText = 16 << 10
	maxAssigneeLen = 200
)

func checkText(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return invalid(field, "is required")
	}
	if len(s) > maxRequestText || !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8 of at most %d bytes", maxRequestText)
	}
	return nil
}

// Notice is what a titular is told about their request.
type Notice struct {
	RequestID string
	Kind      string // consulta or reclamo
	Event     string // received, incomplete, extended, answered, withdrawn
	DueDate   string // the date the answer is due, when it still runs
	Text      string // the answer, what is missing, or the extension's reason
	// To, when set, is the address to write to: a suppression removes the
	// account's address before the answer is sent.
	To     string
	Locale string
}

// File records a new request. Its terms run from now, the server's instant
// of receipt (calendar.HabeasData).
func (s *Service) File(ctx context.Context, n NewRequest, by audit.Actor,
	meta audit.Event) (Request, error) {
	if err := validSubject("/subject_id", n.SubjectID); err != nil {
		return Request{}, err
	}
	kind, ok := requestTypes[n.Type]
	if !ok {
		return Request{}, invalid("/type", "must be access (a consulta), or correction, "+
			"update, suppression, revocation or infringement (a reclamo)")
	}
	if err := checkText("/description", n.Description, true); err != nil {
		return Request{}, err
	}
	if n.Channel == "" {
		n.Channel = "web"
	}
	if !channels[n.Channel] && n.Channel != "email" {
		return Request{}, invalid("/channel", "must be web, app, phone, in_person or email")
	}
	now := s.Clock.Now().UTC()
	ck := calendar.Consulta
	if kind == KindReclamo {
		ck = calendar.Reclamo
	}
	terms, err := calendar.HabeasData(ck, now)
	if err != nil {
		return Request{}, err
	}
	id, err := s.newID("hdr_")
	if err != nil {
		return Request{}, err
	}
	r := Request{ID: id, SubjectID: n.SubjectID, Kind: kind, Type: n.Type, Status: StatusOpen,
		Description: n.Description, Channel: n.Channel, FiledByType: string(by.Type),
		FiledBy: by.ID, ReceivedAt: now, ReceivedDate: terms.Received.String(),
		DueDate: terms.Due.String(), CompleteByDate: dateOrEmpty(terms.CompleteBy),
		CreatedAt: now, UpdatedAt: now}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.DB.Rebind(`INSERT INTO habeas_requests (id, subject_id,
			kind, type, status, description, channel, filed_by_type, filed_by, received_at,
			received_date, due_date, complete_by_date, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), r.ID, r.SubjectID, r.Kind,
			r.Type, r.Status, r.Description, r.Channel, r.FiledByType, r.FiledBy, r.ReceivedAt,
			r.ReceivedDate, r.DueDate, r.CompleteByDate, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			return fmt.Errorf("file request: %w", err)
		}
		return s.auditRequest(ctx, tx, meta, by, "habeas_data.request_filed", r,
			map[string]string{"due_date": r.DueDate})
	})
	if err != nil {
		return Request{}, err
	}
	s.notify(r.SubjectID, Notice{RequestID: r.ID, Kind: r.Kind, Event: "received",
		DueDate: r.DueDate})
	return s.decorate(r), nil
}

func dateOrEmpty(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func (s *Service) auditRequest(ctx context.Context, tx *sql.Tx, meta audit.Event,
	by audit.Actor, action string, r Request, details map[string]string) error {
	meta.Actor, meta.Action, meta.Outcome = by, action, audit.OutcomeSuccess
	meta.Target = audit.Target{Type: "habeas_data_request", ID: r.ID}
	if details == nil {
		details = map[string]string{}
	}
	details["kind"], details["type"], details["user_id"] = r.Kind, r.Type, r.SubjectID
	meta.Details = details
	_, err := s.Audit.Append(ctx, tx, meta)
	return err
}

// notify sends a notice in the background; a failure is logged.
func (s *Service) notify(subjectID string, n Notice) {
	if s.Notifier == nil {
		return
	}
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.Notifier.RequestNotice(ctx, subjectID, n); err != nil {
			s.Logger.Warn("habeas data notice not sent", "request_id", n.RequestID,
				"event", n.Event, "error", err.Error())
		}
	})
}

const requestColumns = `id, subject_id, kind, type, status, description, channel,
	filed_by_type, filed_by, assignee, received_at, received_date, due_date,
	extended_due_date, extension_reason, complete_by_date, incomplete_at, withdrawal_date,
	answer, answered_at, created_at, updated_at`

func scanRequests(rows *sql.Rows, err error) ([]Request, error) {
	if err != nil {
		return nil, fmt.Errorf("load requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var r Request
		var incomplete, answered sql.NullTime
		if err := rows.Scan(&r.ID, &r.SubjectID, &r.Kind, &r.Type, &r.Status, &r.Description,
			&r.Channel, &r.FiledByType, &r.FiledBy, &r.Assignee, &r.ReceivedAt,
			&r.ReceivedDate, &r.DueDate, &r.ExtendedDueDate, &r.ExtensionReason,
			&r.CompleteByDate, &incomplete, &r.WithdrawalDate, &r.Answer, &answered,
			&r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("load requests: %w", err)
		}
		r.IncompleteAt, r.AnsweredAt = incomplete.Time.UTC(), answered.Time.UTC()
		r.ReceivedAt, r.CreatedAt, r.UpdatedAt = r.ReceivedAt.UTC(), r.CreatedAt.UTC(),
			r.UpdatedAt.UTC()
		if !incomplete.Valid {
			r.IncompleteAt = time.Time{}
		}
		if !answered.Valid {
			r.AnsweredAt = time.Time{}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// effectiveDue is the last day of the term: the extended one if any.
func (r *Request) effectiveDue() string {
	if r.ExtendedDueDate != "" {
		return r.ExtendedDueDate
	}
	return r.DueDate
}

// decorate adds the term as it stands today.
func (s *Service) decorate(r Request) Request {
	r.EffectiveDueDate = r.effectiveDue()
	if r.Status != StatusOpen {
		return r
	}
	due, err1 := calendar.ParseDate(r.EffectiveDueDate)
	today := calendar.DateOf(s.Clock.Now())
	left, err2 := calendar.BusinessDaysBetween(today, due)
	if err1 == nil && err2 == nil {
		r.BusinessDaysLeft = &left
		r.Overdue = today.After(due)
	}
	return r
}

// Get returns one request with its messages.
func (s *Service) Get(ctx context.Context, id string) (Request, error) {
	r, err := s.get(ctx, s.DB, id)
	if err != nil {
		return Request{}, err
	}
	if r.Messages, err = s.messages(ctx, id); err != nil {
		return Request{}, err
	}
	return s.decorate(r), nil
}

func (s *Service) get(ctx context.Context, q querier, id string) (Request, error) {
	list, err := scanRequests(q.QueryContext(ctx, s.DB.Rebind(`SELECT `+requestColumns+`
		FROM habeas_requests WHERE id = ?`), id))
	if err != nil {
		return Request{}, err
	}
	if len(list) == 0 {
		return Request{}, ErrNotFound
	}
	return list[0], nil
}

func (s *Service) messages(ctx context.Context, requestID string) ([]Message, error) {
	rows, err := s.DB.QueryContext(ctx, s.DB.Rebind(`SELECT id, author_type, author_id, kind,
		text, created_at FROM habeas_request_messages WHERE request_id = ? ORDER BY seq`),
		requestID)
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.AuthorType, &m.AuthorID, &m.Kind, &m.Text,
			&m.CreatedAt); err != nil {
			return nil, fmt.Errorf("load messages: %w", err)
		}
		m.CreatedAt = m.CreatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// TrailEntry is one audit record about a request.
type TrailEntry struct {
	Index   int64             `json:"index"`
	Time    time.Time         `json:"time"`
	Action  string            `json:"action"`
	Actor   audit.Actor       `json:"actor"`
	Details map[string]string `json:"details,omitempty"`
}

// Trail returns the audit records of a request, oldest first: the steps it
// went through, as the tamper-evident log holds them.
func (s *Service) Trail(ctx context.Context, id string) ([]TrailEntry, error) {
	page, err := s.Audit.Search(ctx, audit.Query{TargetID: id, Limit: audit.MaxSearchLimit})
	if err != nil {
		return nil, err
	}
	out := make([]TrailEntry, 0, len(page.Records))
	for i := len(page.Records) - 1; i >= 0; i-- {
		r := page.Records[i]
		out = append(out, TrailEntry{Index: r.Index, Time: r.Time, Action: r.Action,
			Actor: r.Actor, Details: r.Details})
	}
	return out, nil
}

// Filter selects requests for List.
type Filter struct {
	SubjectID string
	Status    string
	// Overdue keeps only open requests past their term; DueWithin keeps
	// only open requests due within that many business days (overdue ones
	// included). Zero and false select everything.
	Overdue   bool
	DueWithin int
	Limit     int
}

// maxList bounds one listing.
const maxList = 500

// List returns requests, those due soonest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Request, error) {
	q := `SELECT ` + requestColumns + ` FROM habeas_requests WHERE 1 = 1`
	var args []any
	if f.SubjectID != "" {
		q += ` AND subject_id = ?`
		args = append(args, f.SubjectID)
	}
	if f.Overdue || f.DueWithin > 0 {
		f.Status = StatusOpen
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.Limit <= 0 || f.Limit > maxList {
		f.Limit = maxList
	}
	q += ` ORDER BY CASE WHEN extended_due_date <> '' THEN extended_due_date ELSE due_date END,
		created_at LIMIT ?`
	args = append(args, f.Limit)
	list, err := scanRequests(s.DB.QueryContext(ctx, s.DB.Rebind(q), args...))
	if err != nil {
		return nil, err
	}
	out := make([]Request, 0, len(list))
	for _, r := range list {
		r = s.decorate(r)
		if f.Overdue && !r.Overdue {
			continue
		}
		if f.DueWithin > 0 && (r.BusinessDaysLeft == nil || *r.BusinessDaysLeft > f.DueWithin) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// reclamoEnTramite reports whether a complete reclamo of the titular is
// being decided.
func (s *Service) reclamoEnTramite(ctx context.Context, subjectID string) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, s.DB.Rebind(`SELECT COUNT(*) FROM habeas_requests
		WHERE subject_id = ? AND kind = 'reclamo' AND status = 'open'`), subjectID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reclamo en tramite: %w", err)
	}
	return n > 0, nil
}

// change loads a request in a transaction, lets fn change it, saves it and
// audits the change. fn returns the message to append (nil for none) and
// the audit details, or an error that aborts everything.
func (s *Service) change(ctx context.Context, id string, by audit.Actor, meta audit.Event,
	action string, fn func(r *Request, now time.Time) (*Message, map[string]string,
		error)) (Request, error) {
	now := s.Clock.Now().UTC()
	var r Request
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		msg, details, err := fn(&r, now)
		if err != nil {
			return err
		}
		r.UpdatedAt = now
		var incomplete, answered any
		if !r.IncompleteAt.IsZero() {
			incomplete = r.IncompleteAt
		}
		if !r.AnsweredAt.IsZero() {
			answered = r.AnsweredAt
		}
		_, err = tx.ExecContext(ctx, s.DB.Rebind(`UPDATE habeas_requests SET status = ?,
			assignee = ?, received_at = ?, received_date = ?, due_date = ?,
			extended_due_date = ?, extension_reason = ?, complete_by_date = ?,
			incomplete_at = ?, withdrawal_date = ?, answer = ?, answered_at = ?,
			updated_at = ? WHERE id = ?`), r.Status, r.Assignee, r.ReceivedAt, r.ReceivedDate,
			r.DueDate, r.ExtendedDueDate, r.ExtensionReason, r.CompleteByDate, incomplete,
			r.WithdrawalDate, r.Answer, answered, r.UpdatedAt, r.ID)
		if err != nil {
			return fmt.Errorf("update request: %w", err)
		}
		if msg != nil {
			if err := s.addMessage(ctx, tx, r.ID, by, msg, now); err != nil {
				return err
			}
		}
		return s.auditRequest(ctx, tx, meta, by, action, r, details)
	})
	if err != nil {
		return Request{}, err
	}
	return s.decorate(r), nil
}

func (s *Service) addMessage(ctx context.Context, tx *sql.Tx, requestID string,
	by audit.Actor, m *Message, now time.Time) error {
	id, err := s.newID("hdm_")
	if err != nil {
		return err
	}
	m.ID, m.AuthorType, m.AuthorID, m.CreatedAt = id, string(by.Type), by.ID, now
	_, err = tx.ExecContext(ctx, s.DB.Rebind(`INSERT INTO habeas_request_messages
		(id, request_id, author_type, author_id, kind, text, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), m.ID, requestID, m.AuthorType, m.AuthorID, m.Kind,
		m.Text, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("add message: %w", err)
	}
	return nil
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

// Assign gives the request to an operator.
func (s *Service) Assign(ctx context.Context, id, assignee string, by audit.Actor,
	meta audit.Event) (Request, error) {
	if strings.TrimSpace(assignee) == "" || len(assignee) > maxAssigneeLen {
		return Request{}, invalid("/assignee", "must name who handles the request, at most %d "+
			"bytes", maxAssigneeLen)
	}
	return s.change(ctx, id, by, meta, "habeas_data.request_assigned",
		func(r *Request, _ time.Time) (*Message, map[string]string, error) {
			if r.Status == StatusAnswered || r.Status == StatusWithdrawn {
				return nil, nil, conflict("the request is %s", r.Status)
			}
			r.Assignee = assignee
			return nil, nil, nil
		})
}

// Reply adds a message from the titular or an operator. A titular's reply
// to an incomplete reclamo completes it: its 15 business days run again
// from this receipt (art. 15 num. 1 and 3).
func (s *Service) Reply(ctx context.Context, id, text string, byTitular bool, by audit.Actor,
	meta audit.Event) (Request, error) {
	if err := checkText("/text", text, true); err != nil {
		return Request{}, err
	}
	completed := false
	r, err := s.change(ctx, id, by, meta, "habeas_data.request_message",
		func(r *Request, now time.Time) (*Message, map[string]string, error) {
			if r.Status == StatusAnswered || r.Status == StatusWithdrawn {
				return nil, nil, conflict("the request is %s", r.Status)
			}
			if byTitular && r.Status == StatusIncomplete {
				terms, err := calendar.HabeasData(calendar.Reclamo, now)
				if err != nil {
					return nil, nil, err
				}
				r.Status, r.ReceivedAt = StatusOpen, now
				r.ReceivedDate, r.DueDate = terms.Received.String(), terms.Due.String()
				r.CompleteByDate, r.WithdrawalDate = "", ""
				r.IncompleteAt = time.Time{}
				completed = true
			}
			return &Message{Kind: MsgNote, Text: text},
				map[string]string{"completed": fmt.Sprint(completed)}, nil
		})
	if err == nil && completed {
		s.notify(r.SubjectID, Notice{RequestID: r.ID, Kind: r.Kind, Event: "received",
			DueDate: r.DueDate})
	}
	return r, err
}

// MarkIncomplete asks the titular for what a reclamo lacks. The law allows
// it within five business days of receipt (art. 15 num. 1); after that the
// reclamo must be decided as it is.
func (s *Service) MarkIncomplete(ctx context.Context, id, missing string, by audit.Actor,
	meta audit.Event) (Request, error) {
	if err := checkText("/missing", missing, true); err != nil {
		return Request{}, err
	}
	r, err := s.change(ctx, id, by, meta, "habeas_data.request_incomplete",
		func(r *Request, now time.Time) (*Message, map[string]string, error) {
			if r.Kind != KindReclamo || r.Status != StatusOpen {
				return nil, nil, conflict("only an open reclamo can be marked incomplete")
			}
			today := calendar.DateOf(now)
			by, err := calendar.ParseDate(r.CompleteByDate)
			if err != nil {
				return nil, nil, err
			}
			if today.After(by) {
				return nil, nil, conflict("the term to ask for what is missing ended on %s "+
					"(Ley 1581 de 2012 art. 15 num. 1)", r.CompleteByDate)
			}
			withdrawal, err := calendar.WithdrawalDate(today)
			if err != nil {
				return nil, nil, err
			}
			r.Status, r.IncompleteAt = StatusIncomplete, now
			r.WithdrawalDate = withdrawal.String()
			return &Message{Kind: MsgMissing, Text: missing},
				map[string]string{"withdrawal_date": r.WithdrawalDate}, nil
		})
	if err == nil {
		s.notify(r.SubjectID, Notice{RequestID: r.ID, Kind: r.Kind, Event: "incomplete",
			DueDate: r.WithdrawalDate, Text: missing})
	}
	return r, err
}

// Extend extends the term once, by 5 business days for a consulta and 8 for
// a reclamo counted from the day after the first term, telling the titular
// why and the new date. The notice must come before the first term ends
// (art. 14 and 15 num. 3), so it is refused after the due date.
func (s *Service) Extend(ctx context.Context, id, reason string, by audit.Actor,
	meta audit.Event) (Request, error) {
	if err := checkText("/reason", reason, true); err != nil {
		return Request{}, err
	}
	r, err := s.change(ctx, id, by, meta, "habeas_data.request_extended",
		func(r *Request, now time.Time) (*Message, map[string]string, error) {
			if r.Status != StatusOpen {
				return nil, nil, conflict("only an open request can be extended")
			}
			if r.ExtendedDueDate != "" {
				return nil, nil, conflict("the term was already extended, to %s; the law "+
					"allows one extension", r.ExtendedDueDate)
			}
			due, err := calendar.ParseDate(r.DueDate)
			if err != nil {
				return nil, nil, err
			}
			if calendar.DateOf(now).After(due) {
				return nil, nil, conflict("the term ended on %s: an extension must be "+
					"announced before it ends", r.DueDate)
			}
			days := calendar.ConsultaExtensionDays
			if r.Kind == KindReclamo {
				days = calendar.ReclamoExtensionDays
			}
			ext, err := calendar.AddBusinessDays(due, days)
			if err != nil {
				return nil, nil, err
			}
			r.ExtendedDueDate, r.ExtensionReason = ext.String(), reason
			return &Message{Kind: MsgExtension, Text: reason},
				map[string]string{"extended_due_date": r.ExtendedDueDate}, nil
		})
	if err == nil {
		s.notify(r.SubjectID, Notice{RequestID: r.ID, Kind: r.Kind, Event: "extended",
			DueDate: r.ExtendedDueDate, Text: reason})
	}
	return r, err
}

// AnswerRequest records the answer to an open request and sends it to the
// titular.
func (s *Service) AnswerRequest(ctx context.Context, id, answer string, by audit.Actor,
	meta audit.Event) (Request, error) {
	if err := checkText("/answer", answer, true); err != nil {
		return Request{}, err
	}
	r, err := s.change(ctx, id, by, meta, "habeas_data.request_answered", answerFn(answer))
	if err == nil {
		s.notify(r.SubjectID, Notice{RequestID: r.ID, Kind: r.Kind, Event: "answered",
			Text: answer})
	}
	return r, err
}

func answerFn(answer string) func(r *Request, now time.Time) (*Message,
	map[string]string, error) {
	return func(r *Request, now time.Time) (*Message, map[string]string, error) {
		if r.Status != StatusOpen {
			return nil, nil, conflict("only an open request can be answered; this one is %s",
				r.Status)
		}
		r.Status, r.Answer, r.AnsweredAt = StatusAnswered, answer, now
		late := "false"
		if due, err := calendar.ParseDate(r.effectiveDue()); err == nil &&
			calendar.DateOf(now).After(due) {
			late = "true"
		}
		return &Message{Kind: MsgAnswer, Text: answer}, map[string]string{"late": late}, nil
	}
}

// SweepWithdrawn closes the incomplete reclamos whose two months to be
// completed have passed (desistimiento, art. 15 num. 1). It returns how many
// it closed.
func (s *Service) SweepWithdrawn(ctx context.Context) (int, error) {
	today := calendar.DateOf(s.Clock.Now()).String()
	list, err := scanRequests(s.DB.QueryContext(ctx, s.DB.Rebind(`SELECT `+requestColumns+`
		FROM habeas_requests WHERE status = 'incomplete' AND withdrawal_date < ?
		ORDER BY created_at LIMIT ?`), today, maxList))
	if err != nil {
		return 0, err
	}
	system := audit.Actor{Type: audit.ActorSystem, ID: "habeas_data"}
	n := 0
	for _, r := range list {
		const text = "El reclamo se entiende desistido: no se completó dentro de los dos " +
			"meses siguientes al requerimiento (Ley 1581 de 2012, art. 15)."
		_, err := s.change(ctx, r.ID, system, audit.Event{}, "habeas_data.request_withdrawn",
			func(r *Request, now time.Time) (*Message, map[string]string, error) {
				if r.Status != StatusIncomplete {
					return nil, nil, conflict("no longer incomplete")
				}
				r.Status = StatusWithdrawn
				return &Message{Kind: MsgWithdrawal, Text: text}, nil, nil
			})
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
		s.notify(r.SubjectID, Notice{RequestID: r.ID, Kind: r.Kind, Event: "withdrawn",
			Text: text})
	}
	return n, nil
}
