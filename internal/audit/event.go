package audit

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// ActorType says what kind of party did something.
type ActorType string

// The actor types.
const (
	// ActorPerson is a customer, vendor, vendor staff member or admin; ID is
	// their user id.
	ActorPerson ActorType = "person"
	// ActorClient is an OAuth2 client or another service; ID is its client id.
	ActorClient ActorType = "client"
	// ActorSystem is cerrojo itself (a scheduled job, start-up); ID, if any,
	// names the component.
	ActorSystem ActorType = "system"
)

// Actor is who did something.
type Actor struct {
	Type ActorType `json:"type"`
	ID   string    `json:"id"`
}

// Target is what something was done to: a type such as "user", "role",
// "consent" or "signing_key", and its id. Both may be empty when an action
// has no object (a failed login for an unknown account).
type Target struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Outcome is how an action ended.
type Outcome string

// The outcomes.
const (
	OutcomeSuccess Outcome = "success"
	// OutcomeFailure means the action was attempted and did not happen
	// (a wrong password, an expired code).
	OutcomeFailure Outcome = "failure"
	// OutcomeDenied means authorization refused the action.
	OutcomeDenied Outcome = "denied"
)

// Event is what a capability reports. The log stamps the time and the
// record id; everything else comes from the caller.
//
// Actor.ID, Target.ID, IP, UserAgent and Details are the record's personal
// part: they can later be erased (Redact, Prune) without breaking the
// tree. Action, Target.Type, Outcome and RequestID are public and kept for
// as long as the log exists, so they must never hold personal data.
type Event struct {
	Actor     Actor
	Action    string
	Target    Target
	Outcome   Outcome
	IP        string
	UserAgent string
	RequestID string
	// Details is a flat map of short strings saying what changed. Keys are
	// snake_case; keys that name a secret (password, token, otp, code, ...)
	// are refused, and so is any value that looks like an unmasked email
	// address. Use MaskEmail and MaskDocument for personal identifiers.
	Details map[string]string
}

// FromRequest returns e with the client's IP, User-Agent and request id
// taken from r, as httpx's middleware recorded them.
func (e Event) FromRequest(r *http.Request) Event {
	e.IP = httpx.RemoteIP(r.Context())
	e.UserAgent = r.UserAgent()
	e.RequestID = httpx.RequestID(r.Context())
	return e
}

// Validate reports whether the log would accept e, with the error Append
// would return. Capabilities' tests use it through audittest.
func (e Event) Validate() error {
	_, err := e.normalize()
	return err
}

// ErrInvalidEvent is wrapped by every error about an event's content; the
// error names the field and the rule it broke, never the value.
var ErrInvalidEvent = errors.New("invalid audit event")

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrInvalidEvent, field, fmt.Sprintf(format, args...))
}

// normalize checks e and returns the form that is stored and hashed: the IP
// in canonical form, the User-Agent stripped of control characters and cut
// at maxUserAgentLen. It is the validation step before any hashing or
// storage.
func (e Event) normalize() (Event, error) {
	switch e.Actor.Type {
	case ActorPerson, ActorClient:
		if e.Actor.ID == "" {
			return Event{}, invalid("actor.id", "is required for a %s", e.Actor.Type)
		}
	case ActorSystem:
	default:
		return Event{}, invalid("actor.type", "must be person, client or system")
	}
	if err := checkText("actor.id", e.Actor.ID, maxIDLen); err != nil {
		return Event{}, err
	}
	if !isName(e.Action, maxActionLen) || e.Action == "" {
		return Event{}, invalid("action", "must be 1-%d characters of a-z, 0-9, '.', '_' or '-'",
			maxActionLen)
	}
	if !isName(e.Target.Type, maxTypeLen) {
		return Event{}, invalid("target.type", "must be at most %d characters of a-z, 0-9, "+
			"'.', '_' or '-'", maxTypeLen)
	}
	if err := checkText("target.id", e.Target.ID, maxIDLen); err != nil {
		return Event{}, err
	}
	if e.Target.ID != "" && e.Target.Type == "" {
		return Event{}, invalid("target.type", "is required when target.id is set")
	}
	switch e.Outcome {
	case OutcomeSuccess, OutcomeFailure, OutcomeDenied:
	default:
		return Event{}, invalid("outcome", "must be success, failure or denied")
	}
	if e.IP != "" {
		addr, err := netip.ParseAddr(e.IP)
		if err != nil || addr.Zone() != "" {
			return Event{}, invalid("ip", "is not an IP address")
		}
		e.IP = addr.Unmap().String()
	}
	e.UserAgent = cleanUserAgent(e.UserAgent)
	if !validRequestID(e.RequestID) {
		return Event{}, invalid("request_id", "must be at most %d characters of letters, "+
			"digits, '-', '_', '.' or ':'", maxRequestIDLen)
	}
	details, err := checkDetails(e.Details)
	if err != nil {
		return Event{}, err
	}
	e.Details = details
	return e, nil
}

// isName reports whether s is at most max bytes of a-z, 0-9, '.', '_', '-'.
// Names are public fields of the leaf, one per line: the character set
// keeps the encoding unambiguous.
func isName(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkText accepts valid UTF-8 without control characters, up to max bytes.
func checkText(field, s string, max int) error {
	if len(s) > max {
		return invalid(field, "is longer than %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return invalid(field, "is not valid UTF-8")
	}
	if strings.IndexFunc(s, isControl) >= 0 {
		return invalid(field, "contains control characters")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// validRequestID applies httpx's rule for request ids; empty is allowed for
// events that do not come from a request.
func validRequestID(id string) bool { return id == "" || httpx.ValidRequestID(id) }

// cleanUserAgent drops control characters and invalid UTF-8 and cuts the
// result at maxUserAgentLen bytes on a character boundary. A User-Agent is
// whatever the client sent; it is recorded, not trusted.
func cleanUserAgent(ua string) string {
	ua = strings.ToValidUTF8(ua, "")
	ua = strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, ua)
	if len(ua) <= maxUserAgentLen {
		return ua
	}
	cut := maxUserAgentLen
	for cut > 0 && !utf8.RuneStart(ua[cut]) {
		cut--
	}
	return ua[:cut]
}
