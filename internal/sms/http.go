package sms

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// ErrTemporary is wrapped by a send error whose last attempt failed in a
// way that may pass later: a network error, a timeout, or a 408, 429 or
// 5xx answer.
var ErrTemporary = errors.New("sms: temporary failure")

// ErrRejected is wrapped by a send error when the gateway refused the
// message for good (any other 4xx): sending it again unchanged fails
// again. Wrong credentials end here.
var ErrRejected = errors.New("sms: rejected by the gateway")

// HTTPConfig reaches a text-message gateway over HTTP. Error messages name
// the fields by their configuration keys under sms.http.
type HTTPConfig struct {
	// URL is the endpoint messages are POSTed to. It must be https, except
	// on localhost or a loopback address, and may not carry credentials.
	URL string
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token config.Secret
	// Username and Password, when set, are sent with HTTP basic
	// authentication (RFC 7617). They are an alternative to Token: setting
	// both kinds is an error.
	Username string
	Password config.Secret
	// From is the sender the gateway shows: an E.164 number or an
	// alphanumeric sender id of at most 11 characters. Empty leaves it to
	// the gateway's account settings.
	From string
	// Timeout bounds one attempt, from connecting to reading the answer;
	// 0 means 10 seconds.
	Timeout time.Duration
	// MaxAttempts is how many times a temporary failure is tried in all;
	// 0 means 3.
	MaxAttempts int
	// RetryBackoff is the wait before the second attempt; it doubles
	// before each later one. 0 means 500ms. Not a configuration key.
	RetryBackoff time.Duration
	// RootCAs verifies the gateway's certificate; nil means the system's
	// roots. Not a configuration key: tests and private CAs set it.
	RootCAs *x509.CertPool
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = defaultAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = defaultBackoff
	}
	return c
}

// Validate checks every setting, after defaults, and returns all problems
// found, each naming its configuration key and, unless it is a secret,
// the value.
func (c HTTPConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("sms.http."+key+": "+format, args...))
	}

	if reason := checkEndpoint(c.URL); reason != "" {
		bad("url", "%q %s", clipURL(c.URL), reason)
	}
	basic := c.Username != "" || c.Password != ""
	switch {
	case c.Token != "" && basic:
		bad("token", "and sms.http.username/password are alternatives; set one")
	case basic && (c.Username == "" || c.Password == ""):
		bad("username", "and sms.http.password must be set together")
	}
	if err := checkCredential(c.Token.Reveal()); err != "" {
		bad("token", "%s", err)
	}
	if err := checkCredential(c.Password.Reveal()); err != "" {
		bad("password", "%s", err)
	}
	if err := checkCredential(c.Username); err != "" {
		bad("username", "%s", err)
	} else if strings.ContainsRune(c.Username, ':') {
		bad("username", "must not contain a colon (RFC 7617 section 2)")
	}
	if c.From != "" && !validSender(c.From) {
		bad("from", "%q must be an E.164 number or 1 to %d ASCII letters, digits and "+
			"spaces with at least one letter", c.From, maxSenderIDBytes)
	}
	if c.Timeout < minTimeout || c.Timeout > maxTimeout {
		bad("timeout", "%s must be %s to %s", c.Timeout, minTimeout, maxTimeout)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > maxAttempts {
		bad("max_attempts", "%d must be 1 to %d", c.MaxAttempts, maxAttempts)
	}
	if c.RetryBackoff < minBackoff || c.RetryBackoff > maxBackoff {
		bad("retry_backoff", "%s must be %s to %s", c.RetryBackoff, minBackoff, maxBackoff)
	}
	return errors.Join(errs...)
}

// checkEndpoint returns why s is not an acceptable gateway URL, or "".
func checkEndpoint(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > maxURLBytes {
		return fmt.Sprintf("is longer than %d bytes", maxURLBytes)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return "must be an absolute URL such as https://sms.example.co/send"
	case u.User != nil:
		return "must not carry credentials; use sms.http.token or username/password"
	case u.Fragment != "":
		return "must not have a fragment"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "must use https (http is accepted for localhost and loopback " +
				"addresses only); the token and the codes would cross the network in clear"
		}
	default:
		return "must be an https URL"
	}
	return ""
}

// clipURL is how a URL is quoted in an error: without user information or
// a query, which some gateways use for keys, and cut short.
func clipURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		return httpx.Clip(u.String(), 200)
	}
	if i := strings.IndexAny(s, "?#@"); i >= 0 {
		s = s[:i]
	}
	return httpx.Clip(s, 200)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkCredential returns why a token, user name or password cannot go
// into a header, or "".
func checkCredential(s string) string {
	switch {
	case len(s) > maxCredentialBytes:
		return fmt.Sprintf("is longer than %d bytes", maxCredentialBytes)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "must not contain control characters"
	}
	return ""
}

// validSender reports whether s is an E.164 number or an alphanumeric
// sender id: 1 to maxSenderIDBytes ASCII letters, digits and spaces, with
// at least one letter.
func validSender(s string) bool {
	if isE164(s) {
		return true
	}
	if len(s) > maxSenderIDBytes || strings.TrimSpace(s) != s {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9' || c == ' ':
		default:
			return false
		}
	}
	return letter
}

// HTTPSender posts messages to a gateway. It is safe for concurrent use.
type HTTPSender struct {
	cfg    HTTPConfig
	client *http.Client
	// sleep waits between attempts; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewHTTPSender checks cfg and returns a sender.
func NewHTTPSender(cfg HTTPConfig) (*HTTPSender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new sms sender: %w", err)
	}
	cfg = cfg.withDefaults()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	client := &http.Client{Transport: tr,
		// A redirect would re-send the message, and perhaps the
		// credentials, somewhere the configuration did not name.
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	return &HTTPSender{cfg: cfg, client: client, sleep: sleepCtx}, nil
}

// payload is the JSON document posted for each message.
type payload struct {
	To   string `json:"to"`
	From string `json:"from,omitempty"`
	Body string `json:"body"`
}

// Send posts m to the gateway, trying temporary failures again up to
// MaxAttempts. A 2xx answer means the gateway took the message.
func (s *HTTPSender) Send(ctx context.Context, m Message) error {
	// 1. Validate.
	if err := m.Validate(); err != nil {
		return fmt.Errorf("send sms: %w", err)
	}
	body, err := json.Marshal(payload{To: m.To, From: s.cfg.From, Body: m.Body})
	if err != nil {
		return fmt.Errorf("send sms: %w", err)
	}

	// 2. Try, waiting longer after each temporary failure.
	wait := s.cfg.RetryBackoff
	attempt := 1
	for ; ; attempt++ {
		retryAfter, err := s.attempt(ctx, body)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrTemporary) || attempt == s.cfg.MaxAttempts {
			return &sendError{attempts: attempt, cause: err}
		}
		if retryAfter > maxRetryAfter {
			return &sendError{attempts: attempt, cause: fmt.Errorf(
				"%w (the gateway asked for a pause of %s)", err, retryAfter)}
		}
		if err := s.sleep(ctx, max(wait, retryAfter)); err != nil {
			return &sendError{attempts: attempt, cause: err}
		}
		wait *= 2
	}
}

// attempt posts body once. It returns the gateway's Retry-After, when it
// sent one, and an error wrapping ErrTemporary when trying again may help.
func (s *HTTPSender) attempt(ctx context.Context, body []byte) (time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, s.cfg.URL,
		bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cerrojo")
	switch {
	case s.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+s.cfg.Token.Reveal())
	case s.cfg.Username != "":
		req.SetBasicAuth(s.cfg.Username, s.cfg.Password.Reveal())
	}

	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up: not the gateway's failure, and no retry.
			return 0, ctx.Err()
		}
		if isTLSFailure(err) {
			// Configuration or an attack in progress; neither goes away
			// by itself.
			return 0, errors.New(describeNetError(err))
		}
		return 0, fmt.Errorf("%w: %s", ErrTemporary, describeNetError(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return 0, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests ||
		code >= 500:
		return retryAfter(resp.Header.Get("Retry-After")),
			fmt.Errorf("%w: the gateway answered %d%s", ErrTemporary, code, snippet(answer))
	case code >= 300 && code < 400:
		return 0, fmt.Errorf("the gateway answered %d, a redirect, which is not followed; "+
			"set sms.http.url to the final endpoint", code)
	default:
		return 0, fmt.Errorf("%w: the gateway answered %d%s", ErrRejected, code, snippet(answer))
	}
}

// describeNetError names a transport failure without its URL, which
// url.Error would repeat.
func describeNetError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the attempt timed out"
	}
	return err.Error()
}

// isTLSFailure reports a failed certificate check or TLS handshake.
func isTLSFailure(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var badCert x509.CertificateInvalidError
	var alert tls.AlertError
	var record tls.RecordHeaderError
	return errors.As(err, &certErr) || errors.As(err, &unknownCA) ||
		errors.As(err, &badHost) || errors.As(err, &badCert) || errors.As(err, &alert) ||
		errors.As(err, &record)
}

// retryAfter reads a Retry-After header in its delay-seconds form (RFC
// 9110 section 10.2.3); the date form and anything else count as absent.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n < 0 {
		return 0
	}
	if n > int(time.Hour/time.Second) {
		n = int(time.Hour / time.Second)
	}
	return time.Duration(n) * time.Second
}

// snippet is what an error quotes of a gateway's answer: at most
// maxErrorSnippetBytes, on one line, with long digit runs hidden, or
// nothing when the answer was empty.
func snippet(answer []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, string(answer))
	s = strings.TrimSpace(hideDigitRuns(s))
	if s == "" {
		return ""
	}
	clipped := httpx.Clip(s, maxErrorSnippetBytes)
	if len(clipped) < len(s) {
		clipped += "…"
	}
	return ": " + clipped
}

// hideDigitRuns replaces every run of maxVisibleDigits or more ASCII
// digits with "[digits]", so that neither a code nor a phone number a
// gateway echoes reaches a log.
func hideDigitRuns(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		switch {
		case j-i >= maxVisibleDigits:
			b.WriteString("[digits]")
			i = j
		case j > i:
			b.WriteString(s[i:j])
			i = j
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// sendError is what HTTPSender.Send returns when it gives up.
type sendError struct {
	attempts int
	cause    error
}

func (e *sendError) Error() string {
	times := "attempt"
	if e.attempts > 1 {
		times = "attempts"
	}
	return fmt.Sprintf("send sms: gave up after %d %s: %v", e.attempts, times, e.cause)
}

func (e *sendError) Unwrap() error { return e.cause }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
