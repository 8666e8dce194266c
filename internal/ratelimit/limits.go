package ratelimit

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limit is a GCRA limit: after a quiet spell a key may make Burst requests
// at once, and Rate requests per Period on average after that. Denied
// requests consume nothing.
type Limit struct {
	// Rate is how many requests one key may make per Period.
	Rate int
	// Period is the window Rate is counted over, in whole seconds.
	Period time.Duration
	// Burst is how many requests one key may make at once, at most Rate.
	Burst int
}

// Bounds of a Limit, each with its reason.
const (
	// maxRate: a million requests per period is past anything a rate limit
	// is meant to express; it also keeps the emission interval (Period /
	// Rate) at a microsecond or more, well inside Redis's float precision.
	maxRate = 1_000_000
	// minPeriod: RateLimit-Policy's window is whole seconds
	// (draft-ietf-httpapi-ratelimit-headers-09 section 3.1.3), so the
	// period must be too.
	minPeriod = time.Second
	// maxPeriod: limits over longer windows are quotas, which this package
	// does not keep; a day also bounds how long a key lives in Redis.
	maxPeriod = 24 * time.Hour
)

// Validate says what is wrong with l, naming the bad value.
func (l Limit) Validate() error {
	switch {
	case l.Rate < 1 || l.Rate > maxRate:
		return fmt.Errorf("rate must be between 1 and %d, got %d", maxRate, l.Rate)
	case l.Period < minPeriod || l.Period > maxPeriod:
		return fmt.Errorf("period must be between %s and %s, got %s", minPeriod, maxPeriod,
			l.Period)
	case l.Period%time.Second != 0:
		return fmt.Errorf("period must be whole seconds, got %s", l.Period)
	case l.Burst < 1 || l.Burst > l.Rate:
		// A burst above the rate would advertise more remaining requests
		// than the RateLimit-Policy quota; a longer period with a higher
		// rate expresses the same thing.
		return fmt.Errorf("burst must be between 1 and the rate (%d), got %d", l.Rate, l.Burst)
	}
	return nil
}

// String formats l as ParseLimit reads it, such as "10/1m burst 5".
func (l Limit) String() string {
	return fmt.Sprintf("%d/%s burst %d", l.Rate, formatPeriod(l.Period), l.Burst)
}

func formatPeriod(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d > 0 && d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// maxLimitText caps what ParseLimit reads: "1000000/24h burst 1000000" is
// 25 bytes, so 64 leaves room for spaces and rejects nonsense early.
const maxLimitText = 64

// ParseLimit reads a limit written as "<rate>/<period>" with an optional
// " burst <n>", such as "20/1m burst 10" or "6000/1m". The period is a Go
// duration ("30s", "1m", "1h"); without a burst, the burst is the rate.
func ParseLimit(s string) (Limit, error) {
	if len(s) > maxLimitText {
		return Limit{}, fmt.Errorf("limit is longer than %d bytes", maxLimitText)
	}
	rate, rest, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Limit{}, fmt.Errorf("limit %q: want <rate>/<period> [burst <n>]", s)
	}
	fields := strings.Fields(rest)
	if len(fields) != 1 && (len(fields) != 3 || fields[1] != "burst") {
		return Limit{}, fmt.Errorf("limit %q: want <rate>/<period> [burst <n>]", s)
	}

	var l Limit
	var err error
	if l.Rate, err = parseCount(rate); err != nil {
		return Limit{}, fmt.Errorf("limit %q: rate: %w", s, err)
	}
	if l.Period, err = time.ParseDuration(fields[0]); err != nil {
		return Limit{}, fmt.Errorf("limit %q: period: %w", s, err)
	}
	l.Burst = l.Rate
	if len(fields) == 3 {
		if l.Burst, err = parseCount(fields[2]); err != nil {
			return Limit{}, fmt.Errorf("limit %q: burst: %w", s, err)
		}
	}
	if err := l.Validate(); err != nil {
		return Limit{}, fmt.Errorf("limit %q: %w", s, err)
	}
	return l, nil
}

// parseCount accepts decimal digits only: no sign, no spaces, no
// underscores, so that a limit has one spelling.
func parseCount(s string) (int, error) {
	if s == "" || len(s) > 7 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a whole number up to %d", s, maxRate)
	}
	return strconv.Atoi(s)
}

// Class names a family of routes that share limits.
type Class string

// The route classes. Each has its own limits because each protects
// something different: CPU spent on password hashes, inboxes and phones
// that receive messages, guessable codes, or plain capacity.
const (
	// ClassLogin: password and passkey sign-in.
	ClassLogin Class = "login"
	// ClassRegistration: account creation.
	ClassRegistration Class = "registration"
	// ClassRecovery: everything that sends an email or a text to an
	// address the client names: password reset, verification resend,
	// second-factor codes sent on request.
	ClassRecovery Class = "recovery"
	// ClassCode: checking codes someone types (TOTP, recovery, emailed or
	// texted codes, reset and verification tokens).
	ClassCode Class = "code"
	// ClassToken: the OAuth token, introspection and revocation endpoints.
	ClassToken Class = "token"
	// ClassCheck: the authorization check API that marketplace services
	// call.
	ClassCheck Class = "check"
	// ClassDefault: every other route.
	ClassDefault Class = "default"
)

// Classes lists the route classes.
func Classes() []Class {
	return []Class{ClassLogin, ClassRegistration, ClassRecovery, ClassCode, ClassToken,
		ClassCheck, ClassDefault}
}

func (c Class) known() bool { return slices.Contains(Classes(), c) }

// Per names the limit of class c for keys of kind k, such as
// "login.account". A Limits entry under that name overrides the class's
// own entry for that kind of key.
func (c Class) Per(k Kind) Class { return c + "." + Class(k) }

// Kind names what a key identifies.
type Kind string

// The kinds of key this package builds. Callers may use others that match
// [a-z][a-z0-9_-]*, up to 32 bytes.
const (
	// KindIP is a client address: an IPv4 address, or the /64 an IPv6
	// address belongs to.
	KindIP Kind = "ip"
	// KindAccount is an account, named by a MAC of its identifier.
	KindAccount Kind = "account"
	// KindClient is an OAuth client id.
	KindClient Kind = "client"
)

// maxKindLen bounds a kind: it is part of every stored key.
const maxKindLen = 32

func (k Kind) valid() bool {
	if k == "" || len(k) > maxKindLen || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// Limits maps a class, or a class and a kind of key (Class.Per), to its
// limit. A key of kind k in class c gets the entry c.Per(k) when there is
// one, else c's entry, else ClassDefault's.
type Limits map[Class]Limit

// DefaultLimits returns the limits cerrojo starts with. Each class's own
// entry applies per client address unless the comment says otherwise.
func DefaultLimits() Limits {
	return Limits{
		// Per address: mobile carriers in Colombia put many phones behind
		// one address (carrier-grade NAT), so the limit leaves room for a
		// busy shared address: ten at once, one every three seconds. A
		// single source of credential stuffing is held to 1,200 tries an
		// hour, and the accounts package's lockout and per-address failure
		// count do the rest.
		ClassLogin: {Rate: 20, Period: time.Minute, Burst: 10},
		// Per account: a person who mistypes tries a few times; ten a
		// minute bounds the password hashes one account can cost however
		// many addresses an attacker spreads over.
		ClassLogin.Per(KindAccount): {Rate: 10, Period: time.Minute, Burst: 5},
		// Each registration hashes a password and sends an email. A shared
		// address seldom sees more than one sign-up every two minutes; a
		// bot farm on one address is held to 720 accounts a day.
		ClassRegistration: {Rate: 30, Period: time.Hour, Burst: 10},
		// Each request sends a message, which costs money (texts) and
		// sender reputation (emails).
		ClassRecovery: {Rate: 20, Period: time.Hour, Burst: 10},
		// Per account: three at once covers "it did not arrive, send it
		// again" twice; five an hour stops anyone from flooding one
		// person's inbox or phone.
		ClassRecovery.Per(KindAccount): {Rate: 5, Period: time.Hour, Burst: 3},
		// Codes are short, so guesses must be few; the mfa package also
		// counts wrong codes per person (5 per 15 minutes).
		ClassCode: {Rate: 30, Period: time.Minute, Burst: 10},
		// Per account: someone typing codes from an app or a text needs a
		// handful a minute.
		ClassCode.Per(KindAccount): {Rate: 10, Period: time.Minute, Burst: 5},
		// Per address: browsers behind one shared address refresh tokens
		// every few minutes each; no password is hashed here, so the limit
		// is about capacity, not guessing.
		ClassToken: {Rate: 600, Period: time.Minute, Burst: 100},
		// Per authenticated client: a marketplace backend exchanges codes
		// for every person who signs in; 50 a second with a 600 burst
		// covers a sale-day peak.
		ClassToken.Per(KindClient): {Rate: 3000, Period: time.Minute, Burst: 600},
		// Per client (and per address): services check permissions on
		// their own hot paths, 100 a second sustained with bursts of a
		// thousand; the SDK's local checks take most of the load off.
		ClassCheck: {Rate: 6000, Period: time.Minute, Burst: 1000},
		// Everything else, per address: a page makes a handful of API
		// calls, so five a second with a hundred at once serves a shared
		// address while keeping one scraper from flooding the service.
		ClassDefault: {Rate: 300, Period: time.Minute, Burst: 100},
	}
}

// Validate checks every entry: its name must be a class, or a class and a
// kind joined by a dot, and its limit must be valid.
func (ls Limits) Validate() error {
	for _, name := range slices.Sorted(maps.Keys(ls)) {
		class, kind, hasKind := strings.Cut(string(name), ".")
		if !Class(class).known() {
			return fmt.Errorf("limit %q: unknown class %q", name, class)
		}
		if hasKind && !Kind(kind).valid() {
			return fmt.Errorf("limit %q: malformed key kind %q", name, kind)
		}
		if err := ls[name].Validate(); err != nil {
			return fmt.Errorf("limit %q: %w", name, err)
		}
	}
	return nil
}

// ParseLimits reads limits from configuration: names such as "login" or
// "login.account", each with a limit that ParseLimit reads.
func ParseLimits(raw map[string]string) (Limits, error) {
	ls := make(Limits, len(raw))
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		l, err := ParseLimit(raw[name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ls[Class(name)] = l
	}
	if err := ls.Validate(); err != nil {
		return nil, err
	}
	return ls, nil
}

// over returns a copy of base with every entry of ls put over it.
func (ls Limits) over(base Limits) Limits {
	out := maps.Clone(base)
	maps.Copy(out, ls)
	return out
}

// lookup returns the name and limit that apply to a key of kind k in
// class c.
func (ls Limits) lookup(c Class, k Kind) (Class, Limit) {
	if l, ok := ls[c.Per(k)]; ok {
		return c.Per(k), l
	}
	if l, ok := ls[c]; ok {
		return c, l
	}
	return ClassDefault, ls[ClassDefault]
}
