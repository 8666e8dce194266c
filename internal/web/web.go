package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/sdk"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// MAC keys the CSRF tokens; keyring.Ring implements it.
type MAC interface {
	MAC(purpose string, data []byte) []byte
}

// TokenVerifier verifies access tokens as a resource server would;
// sdk.Verifier implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*sdk.Claims, error)
}

// Sessions is what the pages need of package sessions.
type Sessions interface {
	Check(ctx context.Context, sessionID string) (sessions.Session, error)
	Reissue(ctx context.Context, sessionID string) (sessions.Issued, error)
	End(ctx context.Context, userID, sessionID, reason string, m sessions.Meta) error
}

// Options are the pages' dependencies.
type Options struct {
	DB       *storage.DB
	Ring     MAC
	Verifier TokenVerifier
	Sessions Sessions
	// AuthRequests continues OpenID Connect authorization requests; nil
	// until the provider is wired, and then /ui/authorize answers 404.
	AuthRequests AuthRequests
	// PublicURL is cerrojo's public_url: its origin is the only one whose
	// POSTs are accepted, and an https one makes the cookies Secure.
	PublicURL string
	// SiteName is shown in page titles and headers (mail.site_name).
	SiteName string
	Clock    clock.Clock
	Logger   *slog.Logger
}

// Handlers serves the hosted pages.
type Handlers struct {
	Options
	store  *Store
	origin string // scheme://host[:port] of PublicURL
	secure bool
	pages  map[string]*template.Template
}

// Cookie names; with an https public_url they take the __Host- prefix,
// which browsers accept only on Secure, host-only cookies with Path=/
// (RFC 6265bis section 4.1.3.2), so no sibling subdomain can plant them.
const (
	sessionCookie = "cerrojo_ui"
	csrfCookie    = "cerrojo_csrf"
	hostPrefix    = "__Host-"
)

var pageNames = []string{"login", "signup", "verify-email", "reset", "account",
	"consent", "signed-out", "error"}

// New parses the templates and returns the handlers.
func New(o Options) (*Handlers, error) {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SiteName == "" {
		o.SiteName = "cerrojo"
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("web: public_url %q is not an absolute URL", o.PublicURL)
	}
	h := &Handlers{Options: o, store: NewStore(o.DB), origin: u.Scheme + "://" + u.Host,
		secure: u.Scheme == "https", pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html",
			"templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	return h, nil
}

func (h *Handlers) cookieName(base string) string {
	if h.secure {
		return hostPrefix + base
	}
	return base
}

// Routes registers the pages on the public router.
func (h *Handlers) Routes(r *httpx.Router) {
	r.HandleFunc("GET /ui/login", h.page("login", "login.js"))
	r.HandleFunc("GET /ui/signup", h.page("signup", "signup.js"))
	r.HandleFunc("GET /ui/verify-email", h.page("verify-email", "verify.js"))
	r.HandleFunc("GET /ui/confirm-email", h.page("verify-email", "verify.js"))
	r.HandleFunc("GET /ui/reset", h.page("reset", "reset.js"))
	r.HandleFunc("GET /ui/signed-out", h.page("signed-out"))
	r.HandleFunc("GET /ui/account", h.account)
	r.HandleFunc("GET /ui/authorize", h.authorize)
	r.HandleFunc("POST /ui/authorize", h.guard(h.authorizeAnswer))
	r.HandleFunc("POST /ui/session", h.guard(h.createSession))
	r.HandleFunc("POST /ui/token", h.guard(h.token))
	r.HandleFunc("POST /ui/logout", h.guard(h.logout))
	r.Handle("GET /ui/static/", http.StripPrefix("/ui/", h.static()))
	// The links in cerrojo's emails (package accounts) point at these paths
	// of accounts.link_base_url, which is public_url unless the marketplace
	// serves its own pages: send them to the hosted pages, token and all.
	r.HandleFunc("GET /verify-email", redirectTo("/ui/verify-email"))
	r.HandleFunc("GET /reset-password", redirectTo("/ui/reset"))
	r.HandleFunc("GET /confirm-email", redirectTo("/ui/confirm-email"))
}

func redirectTo(path string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		target := path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		// #nosec G710 -- a fixed path of this site; only the query is the
		// request's own.
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
}

func (h *Handlers) static() http.Handler {
	files := http.FileServerFS(staticFS) // embedded paths are static/...
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusNotFound, httpx.CodeNotFound,
				"no resource exists at this path"))
			return
		}
		// The files change only with a new build; an hour's caching is
		// safe, and they hold nothing personal.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// page is what every template receives.
type page struct {
	Lang    string
	Site    string
	CSRF    string
	Title   string
	Scripts []string
	// Query is the page's query, for links that keep ?lang and the sign-in
	// request, and for the token of a reset or verification link.
	Query    url.Values
	explicit bool // the language came from ?lang
	msgs     map[string]string

	// Page-specific data.
	Consent *consentData
	Problem string
}

// T returns the message key in the page's language.
func (p page) T(key string) string {
	if s, ok := p.msgs[key]; ok {
		return s
	}
	return key
}

// Link returns path with the page's ?lang, when the person chose it, and
// the OpenID request being continued, if any.
func (p page) Link(path string) string {
	q := url.Values{}
	if p.explicit {
		q.Set("lang", shortLang(p.Lang))
	}
	if id := p.Query.Get("auth_request"); id != "" && path != "/ui/signed-out" {
		q.Set("auth_request", id)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// OtherLang is the link to this page in the other language.
func (p page) OtherLang() string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	if p.Lang == langEN {
		q.Set("lang", "es")
	} else {
		q.Set("lang", "en")
	}
	return "?" + q.Encode()
}

// OtherLangName names the other language in itself.
func (p page) OtherLangName() string {
	if p.Lang == langEN {
		return "Español"
	}
	return "English"
}

// OtherLangCode is the BCP 47 tag of the other language (WCAG 2.2 3.1.2).
func (p page) OtherLangCode() string {
	if p.Lang == langEN {
		return langES
	}
	return langEN
}

// Msgs is the page's messages as JSON, for its script, in a data
// attribute (no inline script).
func (p page) Msgs() string { return messagesJSON(p.Lang) }

func (h *Handlers) newPage(w http.ResponseWriter, r *http.Request, title string,
	scripts ...string) (page, error) {
	lang, explicit := pickLang(r)
	csrf, err := h.csrfToken(w, r)
	if err != nil {
		return page{}, err
	}
	p := page{Lang: lang, Site: h.SiteName, CSRF: csrf, Scripts: scripts,
		Query: r.URL.Query(), explicit: explicit, msgs: messages[lang]}
	p.Title = p.T(title)
	return p, nil
}

func (h *Handlers) render(w http.ResponseWriter, status int, name string, p page) error {
	var b strings.Builder
	if err := h.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", p.Lang)
	hd.Add("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, err := w.Write([]byte(b.String()))
	return err
}

// page serves a page that needs no server-side data beyond the basics.
func (h *Handlers) page(name string, scripts ...string) httpx.HandlerFunc {
	scripts = append([]string{"common.js"}, scripts...)
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.newPage(w, r, name+"_title", scripts...)
		if err != nil {
			return err
		}
		return h.render(w, http.StatusOK, name, p)
	}
}

// account serves the account page to a signed-in browser and sends
// anyone else to sign in first.
func (h *Handlers) account(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.signedIn(r); err != nil {
		if errors.Is(err, errNoSession) {
			target := "/ui/login?next=" + url.QueryEscape("/ui/account")
			if lang, explicit := pickLang(r); explicit {
				target += "&lang=" + shortLang(lang)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return nil
		}
		return err
	}
	p, err := h.newPage(w, r, "account_title", "common.js", "account.js")
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "account", p)
}

// errorPage renders a page that explains a failure in words.
func (h *Handlers) errorPage(w http.ResponseWriter, r *http.Request, status int,
	key string) error {
	p, err := h.newPage(w, r, "error_title")
	if err != nil {
		return err
	}
	p.Problem = p.T(key)
	return h.render(w, status, "error", p)
}

// now is the handlers' clock in UTC.
func (h *Handlers) now() time.Time { return h.Clock.Now().UTC() }
