package audit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Record is one entry of the log: an Event with the index, id and time the
// log gave it.
type Record struct {
	// Index is the record's leaf index in the Merkle tree, dense from 0.
	Index int64
	// ID is 32 lower-case hex digits, random.
	ID string
	// Time is when the log received the event, in UTC, to the microsecond.
	Time time.Time
	Event
	// Redaction is set when the personal part has been erased.
	Redaction *Redaction
	// Commitment is the salted hash of the personal part that the leaf
	// covers in its place.
	Commitment [sha256.Size]byte
	// Salt is the commitment's random salt, nil once redacted.
	Salt []byte
}

// Redaction says when and why a record's personal part was erased.
type Redaction struct {
	// Reason is "subject" (a data subject's suppression request) or
	// "retention" (the record outlived the retention period).
	Reason string
	At     time.Time
	// By is the index of the audit.redact or audit.prune record that did it.
	By int64
}

// The redaction reasons.
const (
	RedactedForSubject   = "subject"
	RedactedForRetention = "retention"
)

// Actions the log itself records.
const (
	ActionRedact = "audit.redact"
	ActionPrune  = "audit.prune"
)

// saltSize is the commitment salt: 256 bits, so that erasing it leaves the
// commitment as hiding as SHA-256 is, however guessable the personal data
// (an IP address has only 32 bits).
const saltSize = 32

// leafVersion opens every leaf. A future encoding gets a new first line.
const leafVersion = "cerrojo audit record v1"

// personalDomain separates commitment inputs from every other SHA-256 input.
const personalDomain = "cerrojo audit personal v1\n"

// LeafText is the record's leaf: the data whose RFC 6962 leaf hash
// (tlog.RecordHash) is the record's node in the tree. Each line holds one
// public field; every public field is validated to a character set without
// spaces or newlines, so the encoding is unambiguous:
//
//	cerrojo audit record v1
//	id <32 hex digits>
//	time <microseconds since 1970-01-01 UTC>
//	actor_type <person|client|system>
//	action <action>
//	target_type <type, may be empty>
//	outcome <success|failure|denied>
//	request_id <id, may be empty>
//	personal <base64 of the commitment to the personal part>
func (r *Record) LeafText() []byte {
	b := make([]byte, 0, 256)
	b = append(b, leafVersion+"\n"...)
	b = append(b, "id "+r.ID+"\n"...)
	b = append(b, "time "+strconv.FormatInt(r.Time.UnixMicro(), 10)+"\n"...)
	b = append(b, "actor_type "+string(r.Actor.Type)+"\n"...)
	b = append(b, "action "+r.Action+"\n"...)
	b = append(b, "target_type "+r.Target.Type+"\n"...)
	b = append(b, "outcome "+string(r.Outcome)+"\n"...)
	b = append(b, "request_id "+r.RequestID+"\n"...)
	b = append(b, "personal "+base64.StdEncoding.EncodeToString(r.Commitment[:])+"\n"...)
	return b
}

// LeafHash is tlog.RecordHash of LeafText: SHA-256(0x00 || leaf), RFC 6962
// section 2.1.
func (r *Record) LeafHash() tlog.Hash { return tlog.RecordHash(r.LeafText()) }

// Redacted reports whether the personal part has been erased.
func (r *Record) Redacted() bool { return r.Salt == nil }

// commit computes the commitment to the personal part under salt:
//
//	SHA-256("cerrojo audit personal v1\n" || salt || field...)
//
// where each field (actor id, target id, IP, User-Agent, then the number of
// details and each key and value in key order) is a 4-byte big-endian
// length and its bytes.
func commit(salt []byte, e *Event) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(personalDomain))
	h.Write(salt)
	var n [4]byte
	field := func(s string) {
		// #nosec G115 -- normalize caps every field of a new event at a few hundred
		// bytes, and records checked again come from rows written that way or from
		// export lines of at most maxExportLineBytes (64 KiB).
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(e.Actor.ID)
	field(e.Target.ID)
	field(e.IP)
	field(e.UserAgent)
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// #nosec G115 -- normalize allows at most maxDetails (32) details.
	binary.BigEndian.PutUint32(n[:], uint32(len(keys)))
	h.Write(n[:])
	for _, k := range keys {
		field(k)
		field(e.Details[k])
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// checkPersonal reports whether the stored personal part still matches the
// commitment. A redacted record has nothing left to check.
func (r *Record) checkPersonal() bool {
	if r.Redacted() {
		return true
	}
	return commit(r.Salt, &r.Event) == r.Commitment
}

// validID reports whether id has the form the log gives record ids.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && id == lowerHex(id)
}

func lowerHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// String identifies the record without any of its personal data.
func (r *Record) String() string {
	return fmt.Sprintf("audit record %d (%s, %s)", r.Index, r.ID, r.Action)
}
