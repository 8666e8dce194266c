package incidents

import (
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/calendar"
)

// SICTermBusinessDays is the term to report an incident to the SIC: 15
// business days from the moment the area in charge learned of it (SIC
// Circular Externa 003 de 2018, Circular Única Título V).
const SICTermBusinessDays = 15

// DefaultDueSoonDays is how many business days before SICDue an unreported
// incident counts as due soon.
const DefaultDueSoonDays = 3

// Category is which security property the incident broke.
type Category string

// The categories.
const (
	Confidentiality Category = "confidentiality"
	Integrity       Category = "integrity"
	Availability    Category = "availability"
)

func (c Category) valid() bool {
	return c == Confidentiality || c == Integrity || c == Availability
}

// Status is where an incident is in its life: open → contained → closed.
type Status string

// The statuses.
const (
	StatusOpen      Status = "open"
	StatusContained Status = "contained"
	StatusClosed    Status = "closed"
)

func (s Status) valid() bool {
	return s == StatusOpen || s == StatusContained || s == StatusClosed
}

// CloseReasons are the reasons accepted to close an incident that was not
// reported to the SIC, each with what it asserts.
var CloseReasons = map[string]string{
	"no_personal_data": "the incident did not involve personal data",
	"false_positive":   "on analysis, no security incident took place",
}

// Incident is one entry of the register.
type Incident struct {
	ID          string
	Title       string
	Description string
	Category    Category
	Status      Status
	DetectedAt  time.Time
	// NotifiedToAreaAt is when the person or area in charge learned of the
	// incident; the SIC term runs from it.
	NotifiedToAreaAt time.Time
	Databases        []string
	DataCategories   []string
	AffectedSubjects int64
	// SICDue is the last day of the term to report to the SIC.
	SICDue              calendar.Date
	SICReportedAt       time.Time // zero until reported
	SICReference        string
	TitularesNotifiedAt time.Time // zero until notified
	ContainedAt         time.Time
	ClosedAt            time.Time
	CloseReason         string
	CreatedBy           string
	CreatedAt           time.Time
	UpdatedAt           time.Time
	// Version counts changes; updates are conditional on it.
	Version int64
	// Timeline holds the notes, oldest first, when the incident was loaded
	// with Get.
	Timeline []Note
}

// NeedsSICReport reports whether the incident still has to be reported to
// the SIC: it was not reported and not closed with a reason that made a
// report unnecessary.
func (in Incident) NeedsSICReport() bool {
	return in.SICReportedAt.IsZero() && in.Status != StatusClosed
}

// Note is one entry of an incident's timeline.
type Note struct {
	ID         string
	IncidentID string
	Author     string
	Text       string
	CreatedAt  time.Time
}

// DeadlineState says where an incident stands against its SIC term on a
// given day.
type DeadlineState struct {
	// Required is false once reported or closed.
	Required bool
	// Overdue means the last day of the term has passed without a report.
	Overdue bool
	// DueSoon means the term ends within the due-soon window (and has not
	// passed).
	DueSoon bool
	// BusinessDaysLeft is the number of business days after today up to and
	// including SICDue: 0 on the last day, negative once overdue.
	BusinessDaysLeft int
}

// deadlineState computes the state of in on the civil date today.
func deadlineState(in Incident, today calendar.Date, dueSoonDays int) (DeadlineState, error) {
	left, err := calendar.BusinessDaysBetween(today, in.SICDue)
	if err != nil {
		return DeadlineState{}, fmt.Errorf("incident deadline: %w", err)
	}
	st := DeadlineState{Required: in.NeedsSICReport(), BusinessDaysLeft: left}
	if st.Required {
		st.Overdue = today.After(in.SICDue)
		st.DueSoon = !st.Overdue && left <= dueSoonDays
	}
	return st, nil
}

// Item is one line of a listing: an incident and its deadline state.
type Item struct {
	Incident
	Deadline DeadlineState
}

// Errors.
var (
	// ErrNotFound means no incident has the id.
	ErrNotFound = errors.New("incidents: not found")
	// ErrConflict is wrapped by every *ConflictError.
	ErrConflict = errors.New("incidents: conflict")
	// ErrInvalid is wrapped by every *ValidationError.
	ErrInvalid = errors.New("incidents: invalid input")
)

// ConflictError refuses a change the incident's state does not allow.
type ConflictError struct {
	// Code is stable, for clients: illegal_transition, already_reported,
	// already_notified, incident_closed, sic_report_required,
	// concurrent_update.
	Code    string
	Message string
}

func (e *ConflictError) Error() string { return "incidents: " + e.Message }

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

func conflict(code, format string, args ...any) error {
	return &ConflictError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError is one refused input field.
type FieldError struct {
	// Field is a JSON Pointer to the field, such as /detected_at.
	Field   string
	Code    string // required, invalid_value, too_long, in_future, ...
	Message string
}

// ValidationError lists what was wrong with an input.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return "incidents: invalid input"
	}
	return "incidents: " + e.Fields[0].Field[1:] + " " + e.Fields[0].Message
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func (e *ValidationError) add(field, code, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Code: code,
		Message: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}
