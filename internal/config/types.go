package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

const redacted = "[redacted]"

// Secret is a string that never prints. Use Reveal to read it.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns a placeholder, so that fmt and %v never show the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the value from %#v too.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML hides the value from `cerrojo config check`.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// CredentialURL is a URL that may carry a password, in its user information
// or in a query parameter. It prints with those parts redacted.
type CredentialURL string

// Reveal returns the URL as configured, credentials included.
func (u CredentialURL) Reveal() string { return string(u) }

// String returns the URL with any password replaced by a placeholder.
func (u CredentialURL) String() string { return redactURL(string(u)) }

// GoString hides the credentials from %#v too.
func (u CredentialURL) GoString() string { return `config.CredentialURL("` + u.String() + `")` }

// LogValue hides the credentials from log/slog.
func (u CredentialURL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// MarshalYAML hides the credentials from `cerrojo config check`.
func (u CredentialURL) MarshalYAML() (any, error) { return u.String(), nil }

// Scheme returns the URL's scheme in lower case, or "" when it has none.
func (u CredentialURL) Scheme() string {
	parsed, err := url.Parse(string(u))
	if err != nil {
		return ""
	}
	return strings.ToLower(parsed.Scheme)
}

// sensitiveParams are query parameters that libpq, pgx and go-redis accept
// and that carry credentials.
var sensitiveParams = []string{"password", "sslpassword", "sslkey"}

func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" || (u.Host == "" && u.Path == "") {
		// Not a URL we can take apart (a libpq key=value string, a URL
		// without its scheme): it may hold a password anywhere, so say
		// nothing of its contents.
		return redacted
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	changed := false
	for _, p := range sensitiveParams {
		if q.Has(p) {
			q.Set(p, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Duration is a time.Duration written as Go writes durations ("15s", "2m").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration as Go does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes the duration as a string such as "15s".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// parseDuration accepts only Go duration syntax; a bare number is refused
// because "30" could mean seconds or nanoseconds.
func parseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("not a duration (write it like 15s, 2m or 1h30m)")
	}
	return Duration(d), nil
}
