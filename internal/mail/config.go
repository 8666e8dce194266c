package mail

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/config"
)

// TLSMode says how the SMTP connection is protected.
type TLSMode string

// The TLS modes. There is no opportunistic mode: a mode that falls back to
// plain text when STARTTLS is missing lets anyone on the path strip it and
// read the codes and links in transit.
const (
	// TLSStartTLS connects in plain text and requires the server to
	// upgrade with STARTTLS (RFC 3207) before anything else is sent. A
	// server that does not offer it is refused. Usual port: 587.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (RFC 8314 section 3.3).
	// Usual port: 465.
	TLSImplicit TLSMode = "tls"
	// TLSNone sends everything in plain text, credentials included. It is
	// accepted only when the host is localhost or a loopback address, for
	// a development mail catcher or a local relay.
	TLSNone TLSMode = "none"
)

// Config is the mail configuration. Field names in Validate's errors are the
// configuration keys under mail., such as mail.smtp.port.
type Config struct {
	// From is the sender shown to recipients: an address, optionally with
	// a display name ("Mercado Ejemplo <no-reply@mercado.example>").
	From string
	// SiteName is the marketplace's name as the emails show it.
	SiteName string
	// SupportURL, when set, is where the notices send people who need
	// help. It must pass the same checks as every link in an email.
	SupportURL string
	// LinkHosts, when not empty, lists the only hosts that links in emails
	// may point to. It is not a configuration key: the application derives
	// it from the URLs it serves.
	LinkHosts []string

	SMTP   SMTPConfig
	Outbox OutboxConfig
}

// SMTPConfig reaches the mail server. An empty Host means no SMTP server is
// configured; NewSender then writes to the outbox.
type SMTPConfig struct {
	// Host is the server's name or IP address.
	Host string
	// Port is the server's TCP port; 0 picks the usual port of the TLS
	// mode: 587 for starttls, 465 for tls, 25 for none.
	Port int
	// Username and Password authenticate to the server; both or neither.
	Username string
	Password config.Secret
	// TLS is the TLS mode; empty means starttls.
	TLS TLSMode
	// Timeout bounds one whole attempt: connecting, TLS, authentication
	// and the transfer.
	Timeout time.Duration
	// MaxAttempts is how many times a temporary failure is tried in all.
	MaxAttempts int
	// RetryBackoff is the wait before the second attempt; it doubles
	// before each later one.
	RetryBackoff time.Duration
	// RootCAs verifies the server's certificate; nil means the system's
	// roots. Not a configuration key: tests and private CAs set it.
	RootCAs *x509.CertPool
}

// OutboxConfig bounds the development outbox.
type OutboxConfig struct {
	// MaxBytes is the size at which the outbox file is rotated: it is
	// renamed with a ".1" suffix (replacing the previous one) and a new
	// file is started.
	MaxBytes int64
}

// DefaultConfig returns the configuration used when nothing is set: no SMTP
// server, so mail goes to the outbox.
func DefaultConfig() Config {
	return Config{
		From:     "cerrojo <no-reply@localhost>",
		SiteName: "cerrojo",
		SMTP: SMTPConfig{
			TLS:          TLSStartTLS,
			Timeout:      30 * time.Second,
			MaxAttempts:  3,
			RetryBackoff: time.Second,
		},
		Outbox: OutboxConfig{MaxBytes: 10 << 20},
	}
}

// FieldError is one bad setting.
type FieldError struct {
	Field  string // the configuration key, such as mail.smtp.port
	Value  string // the value as given, secrets redacted
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %q %s", e.Field, e.Value, e.Reason)
}

// Validate checks every setting and returns all problems found, each a
// *FieldError naming the key and the value.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, value, reason string) {
		errs = append(errs, &FieldError{Field: field, Value: value, Reason: reason})
	}

	if _, err := parseFrom(c.From); err != nil {
		bad("mail.from", c.From, err.Error())
	}
	if err := checkSiteName(c.SiteName); err != nil {
		bad("mail.site_name", c.SiteName, err.Error())
	}
	if c.SupportURL != "" {
		if err := checkLink(c.SupportURL, c.LinkHosts); err != nil {
			bad("mail.support_url", c.SupportURL, err.Error())
		}
	}
	if c.Outbox.MaxBytes < minOutboxBytes || c.Outbox.MaxBytes > maxOutboxBytes {
		bad("mail.outbox.max_bytes", strconv.FormatInt(c.Outbox.MaxBytes, 10),
			fmt.Sprintf("must be %d to %d", minOutboxBytes, maxOutboxBytes))
	}
	c.SMTP.validate(bad)
	return errors.Join(errs...)
}

func (s SMTPConfig) validate(bad func(field, value, reason string)) {
	if s.Host == "" {
		// Settings that only matter with a server are a sign that the
		// host was forgotten; mail would silently go to the outbox.
		if s.Username != "" || s.Password != "" {
			bad("mail.smtp.host", "", "must be set when mail.smtp.username or "+
				"mail.smtp.password is set")
		}
		return
	}

	if err := checkHost(s.Host); err != nil {
		bad("mail.smtp.host", s.Host, err.Error())
	}
	if s.Port < 0 || s.Port > 65535 {
		bad("mail.smtp.port", strconv.Itoa(s.Port), "must be 1 to 65535, or 0 for the "+
			"usual port of the TLS mode")
	}
	switch s.tlsMode() {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopbackHost(s.Host) {
			bad("mail.smtp.tls", string(s.TLS), "is allowed only when mail.smtp.host is "+
				"localhost or a loopback address; anywhere else codes, links and the "+
				"password would cross the network in plain text")
		}
	default:
		bad("mail.smtp.tls", string(s.TLS), "must be starttls, tls or none")
	}
	if (s.Username == "") != (s.Password == "") {
		bad("mail.smtp.username", s.Username, "and mail.smtp.password must be set together")
	}
	if strings.ContainsFunc(s.Username, unicode.IsControl) {
		bad("mail.smtp.username", s.Username, "must not contain control characters")
	}
	if s.Timeout < minTimeout || s.Timeout > maxTimeout {
		bad("mail.smtp.timeout", s.Timeout.String(),
			fmt.Sprintf("must be %s to %s", minTimeout, maxTimeout))
	}
	if s.MaxAttempts < 1 || s.MaxAttempts > maxAttempts {
		bad("mail.smtp.max_attempts", strconv.Itoa(s.MaxAttempts),
			fmt.Sprintf("must be 1 to %d", maxAttempts))
	}
	if s.RetryBackoff < minBackoff || s.RetryBackoff > maxBackoff {
		bad("mail.smtp.retry_backoff", s.RetryBackoff.String(),
			fmt.Sprintf("must be %s to %s", minBackoff, maxBackoff))
	}
}

// tlsMode returns the configured mode, starttls when unset.
func (s SMTPConfig) tlsMode() TLSMode {
	if s.TLS == "" {
		return TLSStartTLS
	}
	return s.TLS
}

// port returns the configured port or the usual one for the TLS mode.
func (s SMTPConfig) port() int {
	if s.Port != 0 {
		return s.Port
	}
	switch s.tlsMode() {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}

// checkHost accepts a DNS name or an IP address, nothing that could carry
// a port, a path or a scheme.
func checkHost(host string) error {
	if net.ParseIP(host) != nil {
		return nil
	}
	if len(host) > 253 {
		return errors.New("must be a host name of at most 253 bytes or an IP address")
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("must be a host name (letters, digits, hyphens and dots) " +
				"or an IP address, without a port or a scheme")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return errors.New("must be a host name (letters, digits, hyphens and dots) " +
					"or an IP address, without a port or a scheme")
			}
		}
	}
	return nil
}

// isLoopbackHost reports whether host names this machine without asking
// DNS: "localhost" or a loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseFrom accepts one address with an optional display name.
func parseFrom(from string) (*mail.Address, error) {
	if strings.ContainsFunc(from, isControlOrBidi) {
		return nil, errors.New("must not contain control characters")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, errors.New(`must be an address such as no-reply@example.co or ` +
			`"Name <no-reply@example.co>"`)
	}
	if err := CheckAddress(addr.Address); err != nil {
		return nil, errors.New("must hold a plain address: " + strings.TrimPrefix(err.Error(),
			ErrInvalidMessage.Error()+": "))
	}
	return addr, nil
}

func checkSiteName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("must not be empty")
	case !utf8.ValidString(name):
		return errors.New("must be valid UTF-8")
	case utf8.RuneCountInString(name) > maxSiteNameRunes:
		return fmt.Errorf("must be at most %d characters", maxSiteNameRunes)
	case strings.ContainsFunc(name, isControlOrBidi):
		return errors.New("must not contain control characters")
	}
	return nil
}
