package authorizer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

// Paths of cerrojo's authorization API, under BaseURL.
const (
	pathPolicy     = "/v1/authz/policy"
	pathSubjects   = "/v1/authz/subjects/"
	pathCheck      = "/v1/authz/check"
	pathCheckBatch = "/v1/authz/check/batch"
)

// clientConfig is what Local and Remote share: where cerrojo is and how to
// authenticate to it. name is the configuration type, for errors.
type clientConfig struct {
	name         string
	baseURL      string
	clientID     string
	clientSecret string
	allowHTTP    bool
	client       *http.Client
	timeout      time.Duration
}

// client calls cerrojo's authorization API as a confidential client. It
// holds the secret, inside the Authorization header value, so it is only
// ever reached through a pointer: fmt prints a nested pointer as an
// address, not as the fields behind it.
type client struct {
	base    string // scheme://host[/prefix], without a trailing slash
	auth    string
	http    *http.Client
	timeout time.Duration
}

func newClient(c clientConfig) (*client, error) {
	u, err := url.Parse(c.baseURL)
	// The URL is quoted only once known to carry no credentials.
	switch {
	case err != nil || u.Opaque != "":
		return nil, fmt.Errorf("authorizer: %s.BaseURL is not a URL", c.name)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("authorizer: %s.BaseURL must not carry credentials, a query "+
			"or a fragment", c.name)
	case u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return nil, fmt.Errorf("authorizer: %s.BaseURL %q is not an absolute http(s) URL",
			c.name, c.baseURL)
	case u.Scheme == "http" && !c.allowHTTP && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("authorizer: %s.BaseURL %q must use https (or set AllowHTTP)",
			c.name, c.baseURL)
	case c.clientID == "" || c.clientSecret == "":
		return nil, fmt.Errorf("authorizer: %s.ClientID and ClientSecret are required", c.name)
	case c.timeout < 0:
		return nil, fmt.Errorf("authorizer: %s.Timeout is %s, want 0 or more", c.name, c.timeout)
	}

	cl := &client{
		base: strings.TrimSuffix(u.String(), "/"),
		// RFC 6749 section 2.3.1: the id and secret are form-encoded
		// before they are joined for HTTP Basic (RFC 7617), so a colon in
		// either survives.
		auth: "Basic " + base64.StdEncoding.EncodeToString(
			[]byte(url.QueryEscape(c.clientID)+":"+url.QueryEscape(c.clientSecret))),
		http:    c.client,
		timeout: c.timeout,
	}
	if cl.timeout == 0 {
		cl.timeout = sdk.DefaultFetchTimeout
	}
	if cl.http == nil {
		cl.http = &http.Client{
			Timeout: cl.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("redirects are not followed")
			},
		}
	}
	return cl, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// get requests path, conditionally when etag is set (RFC 9110 section
// 13.1.2).
func (c *client) get(ctx context.Context, path, accept, etag string) (*http.Response, error) {
	// #nosec G704 -- c.base is the BaseURL New validated (absolute http(s), no
	// credentials or query, https unless AllowHTTP or loopback); path is one of this
	// package's endpoint paths, any subject in it url.PathEscape'd.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	return c.do(req)
}

// postJSON sends body to path.
func (c *client) postJSON(ctx context.Context, path string, body []byte) (*http.Response, error) {
	// #nosec G704 -- as in get: the validated BaseURL and this package's own paths.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path,
		bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return c.do(req)
}

// do sends req with the client credentials. A response from anywhere but
// the URL asked is refused: the default client follows no redirects, and
// one the caller supplies may, but the answer must come from cerrojo.
func (c *client) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", c.auth)
	resp, err := c.http.Do(req) // #nosec G704 -- req is built by get or postJSON
	if err != nil {
		return nil, err
	}
	if resp.Request != nil && resp.Request.URL.String() != req.URL.String() {
		_ = resp.Body.Close() // the answer is refused; the redirect error is returned
		return nil, errors.New("the response came through a redirect")
	}
	return resp, nil
}

// readBody reads a response body of at most limit bytes, and refuses a
// longer one after reading one byte past the limit.
func readBody(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, &tooLargeError{limit}
	}
	return body, nil
}

// tooLargeError is a body past its limit: a document refused, not a
// fetch that failed.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("response body is over %d bytes", e.limit)
}

// hasMediaType reports whether the response's Content-Type is one of want,
// ignoring parameters such as charset.
func hasMediaType(resp *http.Response, want ...string) bool {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	for _, w := range want {
		if mt == w {
			return true
		}
	}
	return false
}

// problemCodeRe is the shape of cerrojo's problem codes; anything else in
// the code member is not quoted back into an error.
var problemCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// problemCode reads the code of an RFC 9457 problem document, or "" when
// the body is not one. It reads the code alone, leniently: the document
// only says why a request failed, and a failure is reported either way.
func problemCode(resp *http.Response) string {
	if !hasMediaType(resp, "application/problem+json") {
		return ""
	}
	body, err := readBody(resp.Body, maxProblemBytes)
	if err != nil {
		return ""
	}
	var p struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(body, &p) != nil || !problemCodeRe.MatchString(p.Code) {
		return ""
	}
	return p.Code
}

// statusError explains a response whose status means no answer, with
// the code of its problem document. A 401 wraps ErrInvalidClient.
func statusError(status int, code string) error {
	if status == http.StatusUnauthorized {
		return fmt.Errorf("%w (status 401 %s)", ErrInvalidClient, code)
	}
	return fmt.Errorf("status %d %s", status, code)
}

// bindingsMaxAge reads max-age from a Cache-Control header (RFC 9111
// section 5.2.2.1). no-store and no-cache mean zero. ok is false when the
// header gives no age.
func bindingsMaxAge(cacheControl string) (time.Duration, bool) {
	age, ok := time.Duration(0), false
	for d := range strings.SplitSeq(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return 0, true
		case "max-age":
			secs, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err != nil || secs < 0 {
				continue
			}
			age = time.Duration(min(secs, int64(maxBindingsTTL/time.Second))) * time.Second
			ok = true
		}
	}
	return age, ok
}
