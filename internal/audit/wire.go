package audit

import (
	"encoding/base64"
	"fmt"
	"time"
)

// RecordJSON is a record as the admin API, the export and the forwarders
// write it. Personal fields are omitted once redacted, and from forwarded
// copies that exclude personal data; Salt is present only with them, since
// a salt next to its commitment without the data would let anyone test
// guesses of the data.
type RecordJSON struct {
	Index      int64             `json:"index"`
	ID         string            `json:"id"`
	Time       string            `json:"time"`
	ActorType  ActorType         `json:"actor_type"`
	ActorID    *string           `json:"actor_id,omitempty"`
	Action     string            `json:"action"`
	TargetType string            `json:"target_type"`
	TargetID   *string           `json:"target_id,omitempty"`
	Outcome    Outcome           `json:"outcome"`
	IP         *string           `json:"ip,omitempty"`
	UserAgent  *string           `json:"user_agent,omitempty"`
	RequestID  string            `json:"request_id"`
	Details    map[string]string `json:"details,omitempty"`
	Commitment string            `json:"commitment"`
	Salt       string            `json:"salt,omitempty"`
	LeafHash   string            `json:"leaf_hash"`
	Redaction  *RedactionJSON    `json:"redaction,omitempty"`
}

// RedactionJSON is a Redaction on the wire.
type RedactionJSON struct {
	Reason string `json:"reason"`
	At     string `json:"at"`
	By     int64  `json:"by"`
}

// timeFormat writes times in UTC with exactly six fractional digits, the
// precision the log keeps.
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

// JSON returns the wire form of r; withPersonal false leaves out the
// personal part and the salt.
func (r *Record) JSON(withPersonal bool) RecordJSON {
	leaf := r.LeafHash()
	out := RecordJSON{
		Index:      r.Index,
		ID:         r.ID,
		Time:       r.Time.UTC().Format(timeFormat),
		ActorType:  r.Actor.Type,
		Action:     r.Action,
		TargetType: r.Target.Type,
		Outcome:    r.Outcome,
		RequestID:  r.RequestID,
		Commitment: base64.StdEncoding.EncodeToString(r.Commitment[:]),
		LeafHash:   base64.StdEncoding.EncodeToString(leaf[:]),
	}
	if r.Redaction != nil {
		out.Redaction = &RedactionJSON{Reason: r.Redaction.Reason,
			At: r.Redaction.At.UTC().Format(timeFormat), By: r.Redaction.By}
	}
	if withPersonal && !r.Redacted() {
		out.ActorID, out.TargetID = &r.Actor.ID, &r.Target.ID
		out.IP, out.UserAgent = &r.IP, &r.UserAgent
		out.Details = r.Details
		if out.Details == nil {
			out.Details = map[string]string{}
		}
		out.Salt = base64.StdEncoding.EncodeToString(r.Salt)
	}
	return out
}

// record rebuilds a Record from its wire form, checking every field as
// strictly as the log does when it appends. It is how the export parser
// turns untrusted lines into records.
func (j *RecordJSON) record() (*Record, error) {
	r := &Record{Index: j.Index, ID: j.ID}
	if j.Index < 0 {
		return nil, fmt.Errorf("index is negative")
	}
	if !validID(j.ID) {
		return nil, fmt.Errorf("id is not 32 lower-case hex digits")
	}
	t, err := time.Parse(time.RFC3339Nano, j.Time)
	if err != nil {
		return nil, fmt.Errorf("time is not an RFC 3339 time")
	}
	r.Time = time.UnixMicro(t.UnixMicro()).UTC()

	commitment, err := base64.StdEncoding.Strict().DecodeString(j.Commitment)
	if err != nil || len(commitment) != len(r.Commitment) {
		return nil, fmt.Errorf("commitment is not a base64 SHA-256 hash")
	}
	copy(r.Commitment[:], commitment)

	r.Event = Event{
		Actor:     Actor{Type: j.ActorType},
		Action:    j.Action,
		Target:    Target{Type: j.TargetType},
		Outcome:   j.Outcome,
		RequestID: j.RequestID,
	}
	personal := j.ActorID != nil || j.TargetID != nil || j.IP != nil || j.UserAgent != nil ||
		j.Details != nil || j.Salt != ""
	if personal {
		if j.ActorID == nil || j.TargetID == nil || j.IP == nil || j.UserAgent == nil ||
			j.Salt == "" {
			return nil, fmt.Errorf("personal part is incomplete")
		}
		r.Salt, err = base64.StdEncoding.Strict().DecodeString(j.Salt)
		if err != nil || len(r.Salt) != saltSize {
			return nil, fmt.Errorf("salt is not %d bytes of base64", saltSize)
		}
		r.Actor.ID, r.Target.ID = *j.ActorID, *j.TargetID
		r.IP, r.UserAgent, r.Details = *j.IP, *j.UserAgent, j.Details
	}
	if err := r.checkPublic(personal); err != nil {
		return nil, err
	}
	if j.Redaction != nil {
		at, err := time.Parse(time.RFC3339Nano, j.Redaction.At)
		if err != nil {
			return nil, fmt.Errorf("redaction time is not an RFC 3339 time")
		}
		r.Redaction = &Redaction{Reason: j.Redaction.Reason, At: at, By: j.Redaction.By}
	}
	return r, nil
}

// checkPublic applies the append-time rules to a record read back from an
// export: the public fields must be what the log could have written, or the
// leaf encoding could be made ambiguous. The personal part is checked only
// when present.
func (r *Record) checkPublic(personal bool) error {
	e := r.Event
	if !personal {
		// Stand-ins that pass the personal rules; they are not used.
		e.Actor.ID, e.Target.ID, e.IP, e.UserAgent, e.Details = "x", "", "", "", nil
	}
	n, err := e.normalize()
	if err != nil {
		return err
	}
	if personal && (n.IP != r.IP || n.UserAgent != r.UserAgent) {
		return fmt.Errorf("%w: ip or user_agent is not in canonical form", ErrInvalidEvent)
	}
	return nil
}
