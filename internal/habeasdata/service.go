package habeasdata

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/randid"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Errors the service returns; the HTTP layer maps each to a problem.
var (
	ErrNotFound = errors.New("habeas data: not found")
	ErrNoPolicy = errors.New("habeas data: no privacy policy is in effect")
	ErrConflict = errors.New("habeas data: not allowed in the request's current state")
)

// InvalidError says which field of an input is wrong and why.
type InvalidError struct {
	Field   string // JSON Pointer, such as /purposes/0/code
	Message string
}

func (e *InvalidError) Error() string { return "habeas data: " + e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Notifier tells a titular what happened to their request: that it was
// received, that it is incomplete, that its term was extended, that it was
// answered or deemed withdrawn. The email is the notice that art. 14 and 15
// require before an extension; a failure to send is logged, and the request
// keeps its state.
type Notifier interface {
	RequestNotice(ctx context.Context, subjectID string, n Notice) error
}

// Source adds one section to a person's export: its name and a function that
// returns the section's JSON-encodable content for subjectID.
type Source struct {
	Name string
	Load func(ctx context.Context, subjectID string) (any, error)
}

// Eraser removes a person's data held by another capability, inside the
// suppression's transaction; Name says what, in the answer to the titular.
// Before, when set, runs first, outside the transaction: for work that has
// its own, such as ending sessions so that their tokens are revoked.
type Eraser struct {
	Name   string
	Before func(ctx context.Context, subjectID string) error
	Erase  func(ctx context.Context, tx *sql.Tx, subjectID string) error
}

// BlockedError is what an Eraser's Before returns when the titular's data
// cannot be suppressed yet, and why, in words for the operator.
type BlockedError struct{ Reason string }

func (e *BlockedError) Error() string { return "habeas data: suppression blocked: " + e.Reason }

// Options configure a Service.
type Options struct {
	DB     *storage.DB
	Ring   *keyring.Ring
	Audit  *audit.Log
	Clock  clock.Clock
	Logger *slog.Logger
	Rand   io.Reader // crypto/rand when nil
	// Notifier sends request notices; none are sent when nil.
	Notifier Notifier
	// Sources are the export's sections from other capabilities (profile,
	// sessions, factors, roles, audit records).
	Sources []Source
	// Erasers delete the person's data held by other capabilities when the
	// person's data is suppressed; the account itself comes last.
	Erasers []Eraser
}

// Service is the Habeas Data ledger.
type Service struct {
	Options
	ids *randid.Source
	wg  sync.WaitGroup
	// purposes caches each policy version's purposes by id; versions are
	// immutable.
	purposes sync.Map
}

// New returns a service.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Options: o, ids: randid.NewSource(o.Rand)}
}

// Wait blocks until notices queued in the background are sent.
func (s *Service) Wait() { s.wg.Wait() }

// newID returns a prefixed id with 128 random bits.
func (s *Service) newID(prefix string) (string, error) { return s.ids.ID(prefix) }

// pseudonymPurpose separates the pseudonym MAC from every other use of the
// key ring's MAC key.
const pseudonymPurpose = "cerrojo habeas data pseudonym v1"

// Pseudonym is what replaces a subject's id in the records kept after a
// suppression. It is keyed, so it cannot be reversed or recomputed without
// the master key, and stable, so the controller can still answer "did this
// person consent?" for an id it is given.
func (s *Service) Pseudonym(subjectID string) string {
	mac := s.Ring.MAC(pseudonymPurpose, []byte(subjectID))
	return "pseudo_" + hex.EncodeToString(mac[:16])
}
