package passkeys

import "time"

// Bounds on what a client sends and on what an account may hold, each with
// its reason. A test sits just past each one.
const (
	// ChallengeTTL is how long a ceremony may take between Begin and
	// Finish: the low end of the range WebAuthn Level 3 section 15.1
	// recommends for ceremony timeouts. The options carry it as the
	// client timeout, so the browser gives up when the server would.
	ChallengeTTL = 5 * time.Minute

	// MaxPasskeysPerUser caps an account's credentials. Every login with
	// a user id sends them all in allowCredentials and every registration
	// in excludeCredentials; twenty covers a person's phones, laptops and
	// security keys with room to spare and keeps those lists short.
	MaxPasskeysPerUser = 20

	// MaxResponseBytes caps the JSON a browser returns. A registration
	// with a full attestation certificate chain is a few kilobytes; 64 KiB
	// is far beyond any real response and bounds the parsing work.
	MaxResponseBytes = 64 << 10

	// MaxNameRunes caps a passkey's display name: enough for "Security key
	// in the office drawer", short enough for a list on a phone.
	MaxNameRunes = 64

	// maxJSONDepth caps nesting in a response. The deepest member of a
	// PublicKeyCredential JSON is four levels down (extension outputs);
	// sixteen leaves room for extensions yet unknown.
	maxJSONDepth = 16

	// maxTransports caps the transport hints kept per credential. Six are
	// defined (usb, nfc, ble, smart-card, hybrid, internal); a browser
	// sends at most a few.
	maxTransports = 8

	// maxTransportBytes caps one transport hint; the longest defined one,
	// "smart-card", has ten bytes.
	maxTransportBytes = 32

	// maxUserHandleBytes is the user handle limit of WebAuthn Level 3
	// section 5.4.3; a larger one cannot name any account of ours.
	maxUserHandleBytes = 64
)

// defaultName is the name a passkey gets when the person gives none.
const defaultName = "Passkey"
