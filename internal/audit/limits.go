package audit

// Bounds on what a record may hold and on what the API and the export
// parser accept, kept together so each can be reviewed with its reason.
// Tests exercise the value at and just past each bound.
const (
	// maxActionLen bounds an action name such as "role.grant": a dotted
	// verb phrase, never free text.
	maxActionLen = 64

	// maxTypeLen bounds a target type such as "role" or "signing_key".
	maxTypeLen = 32

	// maxIDLen bounds actor and target ids. cerrojo's own ids are UUIDs or
	// 32 hex digits; 128 leaves room for a partner's client id or a key id
	// without letting one record carry a document.
	maxIDLen = 128

	// maxUserAgentLen is where a User-Agent is cut. Real ones are under 256
	// bytes; the tail of a longer one identifies nothing and is the easiest
	// place for a client to stuff data into the log.
	maxUserAgentLen = 256

	// maxRequestIDLen matches httpx's bound on client request ids.
	maxRequestIDLen = 64

	// maxDetails, maxDetailKeyLen, maxDetailValueLen and maxDetailsBytes
	// bound the details map. Details say what changed ("role": "vendor_admin",
	// "email": "j***@example.com"); they are not a place for payloads, and
	// every byte of them is personal data kept for a year.
	maxDetails        = 32
	maxDetailKeyLen   = 64
	maxDetailValueLen = 512
	maxDetailsBytes   = 8 << 10

	// MaxSearchLimit caps one page of search results: each record is up to
	// about 10 KiB, so a page stays within a few megabytes.
	MaxSearchLimit = 500
	// defaultSearchLimit is a page when the client does not say.
	defaultSearchLimit = 50

	// MaxExportLimit caps the records of one export. Each carries an
	// inclusion proof of up to 64 hashes read from the database; larger
	// exports are taken in several requests, following next_cursor.
	MaxExportLimit = 100_000
	// defaultExportLimit is an export's size when the client does not say.
	defaultExportLimit = 10_000

	// maxQueryBytes caps the raw query string of the audit routes, checked
	// before it is parsed. The longest legitimate one (every filter at its
	// bound) is under 1 KiB.
	maxQueryBytes = 2 << 10

	// maxCursorLen bounds an opaque cursor; ours are under 32 bytes.
	maxCursorLen = 64

	// maxExportLineBytes bounds one line of an export file: a record at its
	// bounds with its proof is under 20 KiB, a checkpoint under 1 KiB.
	maxExportLineBytes = 64 << 10

	// maxProofHashes bounds a proof read from an export: a tree of 2^63
	// leaves needs at most 63 hashes for an inclusion proof and twice that
	// for a consistency proof.
	maxProofHashes = 128

	// maxVerifierKeys bounds the verifier keys named in an export header.
	maxVerifierKeys = 16

	// maxNoteBytes bounds a signed checkpoint note read from an export.
	maxNoteBytes = 4 << 10
)
