package social

import "time"

// Lifetimes and bounds of social login; docs/limits.md lists them.
const (
	// StateTTL is how long an authorization request may take: the
	// person signs in at the provider (a password, maybe a second factor)
	// in that time.
	StateTTL = 10 * time.Minute
	// ResultTTL is how long a result handle may wait for the page that
	// collects it: the redirect lands on that page at once.
	ResultTTL = 2 * time.Minute
	// LinkTTL is how long a link token works: enough to sign in with the
	// password and a second factor, then link.
	LinkTTL = 10 * time.Minute
	// MaxParamBytes caps each callback parameter (state, code, error,
	// iss); real codes are a few hundred bytes.
	MaxParamBytes = 2048
	// MaxAppleUserBytes caps the user JSON Apple posts at first sign-in.
	MaxAppleUserBytes = 4096
	// MaxUserInfoBytes caps what is read from a provider's userinfo or
	// Graph API answer.
	MaxUserInfoBytes = 64 << 10
	// MaxReturnToBytes caps return_to.
	MaxReturnToBytes = 512
	// providerTimeout bounds each call to a provider.
	providerTimeout = 10 * time.Second
	// secretBytes is the randomness of states, cookies, handles and link
	// tokens: 256 bits.
	secretBytes = 32
)
