package password

import (
	"bytes"
	"context"
	"crypto/sha1" // #nosec G505 -- the Pwned Passwords range API is keyed by SHA-1
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// BreachChecker tells how often a password appears in known breaches.
type BreachChecker interface {
	// Breached returns the number of times pw appears in the breach
	// corpus, 0 if it does not. An error means no answer and wraps
	// ErrBreachCheckUnavailable.
	Breached(ctx context.Context, pw string) (int64, error)
}

// DefaultPwnedBaseURL is the Pwned Passwords service of Have I Been Pwned.
const DefaultPwnedBaseURL = "https://api.pwnedpasswords.com" // #nosec G101 -- a public URL

// PwnedConfig configures a PwnedClient. The zero value uses the public
// service with padding and a 3-second timeout.
type PwnedConfig struct {
	// BaseURL is the service root, without "/range"; "" means
	// DefaultPwnedBaseURL. It must be https, or http to a loopback address
	// (a local mirror or a test server).
	BaseURL string

	// Timeout bounds one request, including reading the body; 0 means 3
	// seconds, at most 30.
	Timeout time.Duration

	// NoPadding turns off the Add-Padding request header. With padding the
	// service adds random suffixes with count 0, so the response size does
	// not reveal which prefix was asked for.
	NoPadding bool

	// Client sends the requests; nil means a client with only Timeout set.
	Client *http.Client

	// UserAgent is sent with each request; "" means "cerrojo".
	UserAgent string
}

// PwnedClient checks passwords against the Pwned Passwords range API with
// k-anonymity: only the first 5 hex digits of the password's SHA-1 leave
// the process, and the match against the returned suffixes happens here.
type PwnedClient struct {
	base      string
	timeout   time.Duration
	padding   bool
	client    *http.Client
	userAgent string
}

// NewPwnedClient validates cfg and builds a client.
func NewPwnedClient(cfg PwnedConfig) (*PwnedClient, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultPwnedBaseURL
	}
	if err := checkBaseURL(base); err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = defaultPwnedTimeout
	}
	if timeout < 0 || timeout > maxPwnedTimeout {
		return nil, configError("pwned timeout", timeout, "0 to "+maxPwnedTimeout.String())
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "cerrojo"
	}
	return &PwnedClient{base: strings.TrimSuffix(base, "/"), timeout: timeout,
		padding: !cfg.NoPadding, client: client, userAgent: ua}, nil
}

// checkBaseURL accepts https URLs, and http ones to loopback hosts, with no
// user info, query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return configError("pwned base url", s, "an absolute URL without user, query or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return configError("pwned base url", s, "https, or http to a loopback address")
}

// Breached implements BreachChecker with one range request:
// GET {base}/range/{first 5 hex digits of SHA-1(Normalize(pw)), upper case}.
func (c *PwnedClient) Breached(ctx context.Context, pw string) (int64, error) {
	if len(pw) > MaxPasswordBytes {
		return 0, ErrPasswordTooLong
	}
	// SHA-1 is the API's index, not a protection: the service publishes
	// these digests, and only the prefix is sent.
	sum := sha1.Sum([]byte(Normalize(pw))) // #nosec G401 -- the API's index, as said above
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := digest[:5], digest[5:]

	body, err := c.fetch(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBreachCheckUnavailable, err)
	}
	entries, err := parseRange(body)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBreachCheckUnavailable, err)
	}
	for _, e := range entries {
		if e.suffix == suffix {
			return e.count, nil // a padding entry has count 0
		}
	}
	return 0, nil
}

// fetch GETs one range and returns its body, at most maxRangeBodyBytes.
func (c *PwnedClient) fetch(ctx context.Context, prefix string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/range/"+prefix, nil)
	if err != nil {
		return nil, fmt.Errorf("build range request: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.padding {
		req.Header.Set("Add-Padding", "true")
	}

	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("range request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("range request: status %d", resp.StatusCode)
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRangeBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read range response: %w", err)
	}
	if len(body) > maxRangeBodyBytes {
		return nil, fmt.Errorf("range response over %d bytes", maxRangeBodyBytes)
	}
	return body, nil
}

// rangeEntry is one line of a range response.
type rangeEntry struct {
	suffix string // 35 upper-case hex digits
	count  int64
}

// suffixLen is the SHA-1 hex digest less the 5-digit prefix.
const suffixLen = 40 - 5

// parseRange parses a range response strictly: lines "SUFFIX:COUNT"
// separated by CRLF (as the service sends) or LF, an optional final line
// break, no empty lines, SUFFIX exactly 35 upper-case hex digits, COUNT a
// canonical decimal of at most 10 digits, no suffix twice. On error it
// returns nil.
func parseRange(body []byte) ([]rangeEntry, error) {
	if len(body) > maxRangeBodyBytes {
		return nil, fmt.Errorf("range response over %d bytes", maxRangeBodyBytes)
	}
	body = bytes.TrimSuffix(body, []byte("\n"))
	if len(body) == 0 {
		return nil, nil
	}

	lines := bytes.Split(body, []byte("\n"))
	entries := make([]rangeEntry, 0, len(lines))
	seen := make(map[string]struct{}, len(lines))
	for i, line := range lines {
		line = bytes.TrimSuffix(line, []byte("\r"))
		e, ok := parseRangeLine(line)
		if !ok {
			return nil, fmt.Errorf("range response line %d is malformed", i+1)
		}
		if _, dup := seen[e.suffix]; dup {
			return nil, fmt.Errorf("range response line %d repeats a suffix", i+1)
		}
		seen[e.suffix] = struct{}{}
		entries = append(entries, e)
	}
	return entries, nil
}

// parseRangeLine parses one "SUFFIX:COUNT" line.
func parseRangeLine(line []byte) (rangeEntry, bool) {
	suffix, count, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(suffix) != suffixLen || len(count) > maxRangeCountDigits {
		return rangeEntry{}, false
	}
	for _, c := range suffix {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return rangeEntry{}, false
		}
	}
	n, ok := parseDecimal(string(count))
	if !ok {
		return rangeEntry{}, false
	}
	// #nosec G115 -- count has at most maxRangeCountDigits (10) digits, so n < 1e10.
	return rangeEntry{suffix: string(suffix), count: int64(n)}, true
}
