package incidents

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/randid"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Limits on input, to keep rows and listings small.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 20000
	MaxNoteLen        = 20000
	MaxListItems      = 100 // databases, data_categories
	MaxListItemLen    = 200
	MaxReferenceLen   = 100
)

// Options are a Service's dependencies.
type Options struct {
	DB    *storage.DB
	Audit audit.Recorder
	// Clock gives now, for defaults, the future check and deadlines;
	// clock.System when nil.
	Clock clock.Clock
	// Rand supplies ids; crypto/rand when nil.
	Rand io.Reader
	// DueSoonDays is the due-soon window in business days;
	// DefaultDueSoonDays when zero.
	DueSoonDays int
}

// Service keeps the register.
type Service struct {
	Options
	store *Store
	ids   *randid.Source
}

// New returns a service over o.DB, whose migrations must have been applied.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.DueSoonDays == 0 {
		o.DueSoonDays = DefaultDueSoonDays
	}
	return &Service{Options: o, store: NewStore(o.DB), ids: randid.NewSource(o.Rand)}
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// Meta describes the request, for the audit log.
type Meta struct {
	IP, UserAgent, RequestID string
}

func (m Meta) event(e audit.Event) audit.Event {
	e.IP, e.UserAgent, e.RequestID = m.IP, m.UserAgent, m.RequestID
	return e
}

// actorName is how an actor is written in created_by and note authors:
// "person:usr_...", "system:admin_api".
func actorName(a audit.Actor) string {
	if a.ID == "" {
		return string(a.Type)
	}
	return string(a.Type) + ":" + a.ID
}

// newID returns a prefixed random id with 128 bits of randomness.
func (s *Service) newID(prefix string) (string, error) { return s.ids.ID(prefix) }

// OpenInput describes a new incident.
type OpenInput struct {
	Title       string
	Description string
	Category    Category
	// DetectedAt defaults to now; it must not be in the future.
	DetectedAt time.Time
	// NotifiedToAreaAt defaults to DetectedAt; it must not be before
	// DetectedAt nor in the future.
	NotifiedToAreaAt time.Time
	Databases        []string
	DataCategories   []string
	AffectedSubjects int64
}

// Validate checks in against now, filling the defaults, and returns the
// input to store with its SIC due date, or a *ValidationError.
func (in OpenInput) Validate(now time.Time) (OpenInput, calendar.Date, error) {
	var v ValidationError
	in.Title = strings.TrimSpace(in.Title)
	checkText(&v, "/title", in.Title, MaxTitleLen, true, false)
	checkText(&v, "/description", in.Description, MaxDescriptionLen, false, true)
	if in.Category == "" {
		v.add("/category", "required", "is required: confidentiality, integrity or availability")
	} else if !in.Category.valid() {
		v.add("/category", "invalid_value", "must be confidentiality, integrity or availability")
	}
	if in.AffectedSubjects < 0 {
		v.add("/affected_subjects", "invalid_value", "must be zero or more")
	}
	in.Databases = checkList(&v, "/databases", in.Databases)
	in.DataCategories = checkList(&v, "/data_categories", in.DataCategories)
	if in.DetectedAt.IsZero() {
		in.DetectedAt = now
	} else if in.DetectedAt.After(now) {
		v.add("/detected_at", "in_future", "must not be in the future")
	}
	if in.NotifiedToAreaAt.IsZero() {
		in.NotifiedToAreaAt = in.DetectedAt
	} else if in.NotifiedToAreaAt.After(now) {
		v.add("/notified_to_area_at", "in_future", "must not be in the future")
	} else if in.NotifiedToAreaAt.Before(in.DetectedAt) {
		v.add("/notified_to_area_at", "before_detection", "must not be before detected_at")
	}
	if err := v.err(); err != nil {
		return OpenInput{}, calendar.Date{}, err
	}
	due, err := calendar.Deadline(in.NotifiedToAreaAt, SICTermBusinessDays)
	if err != nil {
		field := "/notified_to_area_at"
		if in.NotifiedToAreaAt.Equal(in.DetectedAt) {
			field = "/detected_at"
		}
		v.add(field, "out_of_range", "is outside the years whose holidays are known "+
			"(%d to %d)", calendar.MinYear, calendar.MaxYear)
		return OpenInput{}, calendar.Date{}, v.err()
	}
	return in, due, nil
}

// checkText refuses text that is missing (when required), too long, not
// UTF-8 or holds control characters (newlines and tabs only when multiline).
func checkText(v *ValidationError, field, s string, max int, required, multiline bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.add(field, "required", "is required")
	case len(s) > max:
		v.add(field, "too_long", "must be at most %d bytes", max)
	case !utf8.ValidString(s):
		v.add(field, "invalid_value", "must be valid UTF-8")
	default:
		for _, r := range s {
			if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
				v.add(field, "invalid_value", "must not hold control characters")
				return
			}
		}
	}
}

func checkList(v *ValidationError, field string, list []string) []string {
	if len(list) > MaxListItems {
		v.add(field, "too_long", "must have at most %d items", MaxListItems)
		return nil
	}
	out := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for i, item := range list {
		item = strings.TrimSpace(item)
		f := field + "/" + strconv.Itoa(i)
		n := len(v.Fields)
		checkText(v, f, item, MaxListItemLen, true, false)
		if len(v.Fields) > n {
			continue
		}
		if !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out
}

// Open records a new incident, status open, and computes its SIC due date.
func (s *Service) Open(ctx context.Context, in OpenInput, by audit.Actor, m Meta) (Incident,
	error) {
	now := s.Clock.Now().UTC()
	in, due, err := in.Validate(now)
	if err != nil {
		return Incident{}, err
	}
	id, err := s.newID("inc_")
	if err != nil {
		return Incident{}, err
	}
	inc := Incident{ID: id, Title: in.Title, Description: in.Description, Category: in.Category,
		Status: StatusOpen, DetectedAt: in.DetectedAt.UTC(),
		NotifiedToAreaAt: in.NotifiedToAreaAt.UTC(), Databases: in.Databases,
		DataCategories: in.DataCategories, AffectedSubjects: in.AffectedSubjects, SICDue: due,
		CreatedBy: actorName(by), CreatedAt: now, UpdatedAt: now, Version: 1}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.store.Tx(tx).Create(ctx, inc); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "incident.opened", inc, m, map[string]string{
			"category":          string(inc.Category),
			"affected_subjects": strconv.FormatInt(inc.AffectedSubjects, 10),
			"sic_due":           due.String(),
		})
	})
	if err != nil {
		return Incident{}, err
	}
	inc.Timeline = []Note{}
	return inc, nil
}

func (s *Service) audit(ctx context.Context, tx *sql.Tx, by audit.Actor, action string,
	inc Incident, m Meta, details map[string]string) error {
	if details == nil {
		details = map[string]string{}
	}
	details["status"] = string(inc.Status)
	_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{Actor: by, Action: action,
		Target: audit.Target{Type: "incident", ID: inc.ID}, Outcome: audit.OutcomeSuccess,
		Details: details}))
	if err != nil {
		return fmt.Errorf("%s: audit: %w", action, err)
	}
	return nil
}

// Get loads an incident with its timeline.
func (s *Service) Get(ctx context.Context, id string) (Incident, error) {
	inc, err := s.store.Incident(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	if inc.Timeline, err = s.store.Notes(ctx, id); err != nil {
		return Incident{}, err
	}
	return inc, nil
}

// Deadline returns where inc stands against its SIC term today.
func (s *Service) Deadline(inc Incident) (DeadlineState, error) {
	return deadlineState(inc, calendar.DateOf(s.Clock.Now()), s.DueSoonDays)
}

// List returns the incidents with the given status (all when empty), most
// recently detected first, each with its deadline state today.
func (s *Service) List(ctx context.Context, status Status) ([]Item, error) {
	if status != "" && !status.valid() {
		var v ValidationError
		v.add("/status", "invalid_value", "must be open, contained or closed")
		return nil, v.err()
	}
	list, err := s.store.List(ctx, status)
	if err != nil {
		return nil, err
	}
	today := calendar.DateOf(s.Clock.Now())
	out := make([]Item, 0, len(list))
	for _, inc := range list {
		st, err := deadlineState(inc, today, s.DueSoonDays)
		if err != nil {
			return nil, err
		}
		out = append(out, Item{Incident: inc, Deadline: st})
	}
	return out, nil
}

// AddNote appends text to the incident's timeline. Notes may be added in
// any status, closed included.
func (s *Service) AddNote(ctx context.Context, id, text string, by audit.Actor,
	m Meta) (Note, error) {
	var v ValidationError
	checkText(&v, "/text", text, MaxNoteLen, true, true)
	if err := v.err(); err != nil {
		return Note{}, err
	}
	var note Note
	_, err := s.update(ctx, id, by, m, func(tx *sql.Tx, inc *Incident,
		now time.Time) (string, map[string]string, error) {
		var err error
		note, err = s.note(ctx, tx, inc, text, by, now)
		if err != nil {
			return "", nil, err
		}
		return "incident.note_added", map[string]string{"note_id": note.ID}, nil
	})
	return note, err
}

func (s *Service) note(ctx context.Context, tx *sql.Tx, inc *Incident, text string,
	by audit.Actor, now time.Time) (Note, error) {
	id, err := s.newID("note_")
	if err != nil {
		return Note{}, err
	}
	n := Note{ID: id, IncidentID: inc.ID, Author: actorName(by), Text: text, CreatedAt: now}
	return n, s.store.Tx(tx).AddNote(ctx, n, inc.Version)
}

// update runs fn on the current state of incident id in a transaction,
// then stores the incident (bumping its version) and audits fn's action
// with its details, all in that transaction. It returns the incident as
// stored.
func (s *Service) update(ctx context.Context, id string, by audit.Actor, m Meta,
	fn func(tx *sql.Tx, inc *Incident, now time.Time) (string, map[string]string,
		error)) (Incident, error) {
	var out Incident
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		st := s.store.Tx(tx)
		inc, err := st.Incident(ctx, id)
		if err != nil {
			return err
		}
		now := s.Clock.Now().UTC()
		action, details, err := fn(tx, &inc, now)
		if err != nil {
			return err
		}
		inc.UpdatedAt = now
		if err := st.Update(ctx, inc); err != nil {
			return err
		}
		inc.Version++
		out = inc
		return s.audit(ctx, tx, by, action, inc, m, details)
	})
	return out, err
}

// MarkContained moves an open incident to contained.
func (s *Service) MarkContained(ctx context.Context, id string, by audit.Actor,
	m Meta) (Incident, error) {
	return s.update(ctx, id, by, m, func(_ *sql.Tx, inc *Incident, now time.Time) (string,
		map[string]string, error) {
		if inc.Status != StatusOpen {
			return "", nil, conflict("illegal_transition",
				"only an open incident can be marked contained; this one is %s", inc.Status)
		}
		inc.Status, inc.ContainedAt = StatusContained, now
		return "incident.contained", nil, nil
	})
}

// SICReportInput records a report filed with the SIC through the RNBD.
type SICReportInput struct {
	// Reference is the filing number the RNBD gave; required.
	Reference string
	// ReportedAt is when the report was filed; now when zero. It must not be
	// in the future nor before the incident was detected.
	ReportedAt time.Time
}

// RecordSICReport records that the incident was reported to the SIC. It is
// refused once reported, and once closed.
func (s *Service) RecordSICReport(ctx context.Context, id string, in SICReportInput,
	by audit.Actor, m Meta) (Incident, error) {
	var v ValidationError
	in.Reference = strings.TrimSpace(in.Reference)
	checkText(&v, "/reference", in.Reference, MaxReferenceLen, true, false)
	if err := v.err(); err != nil {
		return Incident{}, err
	}
	return s.update(ctx, id, by, m, func(_ *sql.Tx, inc *Incident, now time.Time) (string,
		map[string]string, error) {
		if inc.Status == StatusClosed {
			return "", nil, conflict("incident_closed", "the incident is closed")
		}
		if !inc.SICReportedAt.IsZero() {
			return "", nil, conflict("already_reported",
				"the incident was already reported to the SIC")
		}
		at, err := pastInstant("/reported_at", in.ReportedAt, now, inc.DetectedAt)
		if err != nil {
			return "", nil, err
		}
		st, err := deadlineState(*inc, calendar.DateOf(at), 0)
		if err != nil {
			return "", nil, err
		}
		inc.SICReportedAt, inc.SICReference = at, in.Reference
		return "incident.reported_to_sic", map[string]string{
			"sic_reference": in.Reference,
			"sic_due":       inc.SICDue.String(),
			"late":          strconv.FormatBool(st.Overdue),
		}, nil
	})
}

// pastInstant returns at, or now when at is zero, refusing an instant in
// the future of now or before notBefore.
func pastInstant(field string, at, now, notBefore time.Time) (time.Time, error) {
	if at.IsZero() {
		return now, nil
	}
	var v ValidationError
	if at.After(now) {
		v.add(field, "in_future", "must not be in the future")
	} else if at.Before(notBefore) {
		v.add(field, "before_detection", "must not be before the incident was detected")
	}
	return at.UTC(), v.err()
}

// RecordTitularesNotified records that the titulares affected were told of
// the incident, at at (now when zero). It is refused once recorded, and
// once closed.
func (s *Service) RecordTitularesNotified(ctx context.Context, id string, at time.Time,
	by audit.Actor, m Meta) (Incident, error) {
	return s.update(ctx, id, by, m, func(_ *sql.Tx, inc *Incident, now time.Time) (string,
		map[string]string, error) {
		if inc.Status == StatusClosed {
			return "", nil, conflict("incident_closed", "the incident is closed")
		}
		if !inc.TitularesNotifiedAt.IsZero() {
			return "", nil, conflict("already_notified",
				"the titulares' notification was already recorded")
		}
		t, err := pastInstant("/notified_at", at, now, inc.DetectedAt)
		if err != nil {
			return "", nil, err
		}
		inc.TitularesNotifiedAt = t
		return "incident.titulares_notified", nil, nil
	})
}

// CloseInput closes an incident.
type CloseInput struct {
	// Reason is required when the incident was not reported to the SIC and
	// must then be a key of CloseReasons; it is stored when given.
	Reason string
	// Note, when not empty, is appended to the timeline in the same
	// transaction.
	Note string
}

// Close moves a contained incident to closed. An incident not reported to
// the SIC closes only with a reason from CloseReasons.
func (s *Service) Close(ctx context.Context, id string, in CloseInput, by audit.Actor,
	m Meta) (Incident, error) {
	var v ValidationError
	if in.Reason != "" {
		if _, ok := CloseReasons[in.Reason]; !ok {
			v.add("/reason", "invalid_value", "must be one of: %s", reasonList())
		}
	}
	if in.Note != "" {
		checkText(&v, "/note", in.Note, MaxNoteLen, true, true)
	}
	if err := v.err(); err != nil {
		return Incident{}, err
	}
	return s.update(ctx, id, by, m, func(tx *sql.Tx, inc *Incident, now time.Time) (string,
		map[string]string, error) {
		switch inc.Status {
		case StatusClosed:
			return "", nil, conflict("incident_closed", "the incident is already closed")
		case StatusOpen:
			return "", nil, conflict("illegal_transition",
				"an open incident must be marked contained before it is closed")
		}
		if inc.SICReportedAt.IsZero() && in.Reason == "" {
			return "", nil, conflict("sic_report_required", "the incident was not reported "+
				"to the SIC: record the report first, or give a reason why none was needed "+
				"(%s)", reasonList())
		}
		details := map[string]string{"reported_to_sic": strconv.FormatBool(
			!inc.SICReportedAt.IsZero())}
		if in.Reason != "" {
			details["reason"] = in.Reason
		}
		if in.Note != "" {
			n, err := s.note(ctx, tx, inc, in.Note, by, now)
			if err != nil {
				return "", nil, err
			}
			details["note_id"] = n.ID
		}
		inc.Status, inc.ClosedAt, inc.CloseReason = StatusClosed, now, in.Reason
		return "incident.closed", details, nil
	})
}

func reasonList() string {
	keys := make([]string, 0, len(CloseReasons))
	for k := range CloseReasons {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
