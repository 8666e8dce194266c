package socialtest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Browser follows a sign-in as a browser would: redirects, form_post
// pages, and the cookies of the site it started on (path-scoped; Secure
// cookies are sent to loopback, as browsers treat it as a secure
// context). It stops at the first answer that is not a redirect to the
// site or a provider, or at a redirect back to the site's pages.
type Browser struct {
	// Site is cerrojo's base URL; cookies are kept for it only.
	Site    string
	Cookies map[string]*http.Cookie
	Client  *http.Client
}

// NewBrowser returns a browser for site.
func NewBrowser(site string) *Browser {
	return &Browser{Site: site, Cookies: map[string]*http.Cookie{},
		Client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
}

// Step is one request the browser made and its answer.
type Step struct {
	Method, URL string
	Status      int
	Location    string
	Body        string
}

// Do sends one request, with the site's cookies when it goes to the site,
// and keeps the cookies the site sets.
func (b *Browser) Do(method, rawURL string, form url.Values) (Step, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		return Step{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	toSite := strings.HasPrefix(rawURL, b.Site+"/")
	if toSite {
		for _, c := range b.Cookies {
			if strings.HasPrefix(req.URL.Path, c.Path) {
				// #nosec G124 -- a request cookie in a test browser.
				req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
			}
		}
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		return Step{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if toSite {
		for _, c := range resp.Cookies() {
			b.Cookies[c.Name] = c
		}
	}
	return Step{Method: method, URL: rawURL, Status: resp.StatusCode,
		Location: resp.Header.Get("Location"), Body: string(raw)}, nil
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"/>`)
)

// SignIn starts at startURL and follows until cerrojo's callback answers;
// it returns every step, the last being the callback's answer.
func (b *Browser) SignIn(startURL string) ([]Step, error) {
	var steps []Step
	method, next, form := http.MethodGet, startURL, url.Values(nil)
	for range 10 {
		s, err := b.Do(method, next, form)
		if err != nil {
			return steps, err
		}
		steps = append(steps, s)
		if strings.Contains(s.URL, "/callback") {
			return steps, nil
		}
		switch {
		case s.Status >= 300 && s.Status < 400 && s.Location != "":
			u, err := url.Parse(s.URL)
			if err != nil {
				return steps, err
			}
			loc, err := u.Parse(s.Location)
			if err != nil {
				return steps, err
			}
			method, next, form = http.MethodGet, loc.String(), nil
		case s.Status == http.StatusOK && formAction.MatchString(s.Body):
			// OAuth 2.0 Form Post Response Mode: the page posts itself.
			action := html.UnescapeString(formAction.FindStringSubmatch(s.Body)[1])
			form = url.Values{}
			for _, m := range formInput.FindAllStringSubmatch(s.Body, -1) {
				form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
			}
			method, next = http.MethodPost, action
		default:
			return steps, fmt.Errorf("stopped at %s %s: %d %s", s.Method, s.URL, s.Status,
				s.Body)
		}
	}
	return steps, errors.New("too many redirects")
}

// Fragment returns the value of key in the fragment of a Location, such as
// social_result in /ui/login#social_result=...
func Fragment(location, key string) string {
	_, frag, ok := strings.Cut(location, "#")
	if !ok {
		return ""
	}
	v, err := url.ParseQuery(frag)
	if err != nil {
		return ""
	}
	return v.Get(key)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
