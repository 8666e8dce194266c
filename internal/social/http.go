package social

import (
	"net/http"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// Binding cookies: one for providers that come back with a top-level GET
// (SameSite=Lax is sent on it), one for those that come back with a
// cross-site POST (Apple's form_post), which only SameSite=None reaches.
const (
	CookieName         = "cerrojo_social"
	CookieNameFormPost = "cerrojo_social_fp"
	cookiePath         = "/v1/auth/social"
)

// SignInFunc answers for a person who passed the social first factor as a
// right password is answered (login.Handlers.CompleteFirstFactor).
type SignInFunc func(w http.ResponseWriter, r *http.Request, u accounts.User, amr []string,
	authTime time.Time) error

// AMR is the authentication method of a social sign-in. RFC 8176 defines
// no value for federation; "fed" is the one Microsoft Entra ID and others
// put in amr for a sign-in at another identity provider.
var AMR = []string{"fed"}

// Handlers serves social login.
type Handlers struct {
	Service *Service
	SignIn  SignInFunc
}

// Routes registers the public routes. requireSession and requireRecent
// guard the caller's identities; linking and unlinking change how the
// person signs in, so they need a recent authentication (OWASP ASVS 5.0
// 7.5.1).
func (h *Handlers) Routes(r *httpx.Router, requireSession,
	requireRecent func(http.Handler) http.Handler) {
	r.HandleFunc("GET /v1/auth/social/providers", h.providers)
	r.HandleFunc("GET /v1/auth/social/{provider}/start", h.start)
	r.HandleFunc("GET /v1/auth/social/{provider}/callback", h.callback)
	r.HandleFunc("POST /v1/auth/social/{provider}/callback", h.callback)
	r.HandleFunc("POST /v1/auth/social/result", h.result)

	recent := func(f httpx.HandlerFunc) http.Handler { return requireSession(requireRecent(f)) }
	r.Handle("GET /v1/me/identities", requireSession(httpx.HandlerFunc(h.list)))
	r.Handle("POST /v1/me/identities", recent(h.link))
	r.Handle("DELETE /v1/me/identities/{id}", recent(h.unlink))
}

func (h *Handlers) providers(w http.ResponseWriter, _ *http.Request) error {
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"providers": h.Service.Providers()})
}

func (h *Handlers) start(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if len(q["return_to"]) > 1 {
		return httpx.NewProblem(http.StatusBadRequest, httpx.CodeValidationFailed,
			"return_to is repeated")
	}
	name := r.PathValue("provider")
	p, err := h.Service.provider(name)
	if err != nil {
		return err
	}
	existing := ""
	if c, err := r.Cookie(cookieName(p.formPost)); err == nil {
		existing = c.Value
	}
	st, err := h.Service.Start(r.Context(), name, q.Get("return_to"), existing)
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(st.Cookie, st.FormPost))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.URL, http.StatusFound)
	return nil
}

func cookieName(formPost bool) string {
	if formPost {
		return CookieNameFormPost
	}
	return CookieName
}

// cookie is the browser binding of RFC 6749 section 10.12: random,
// HttpOnly, scoped to the social routes, living as long as a state.
// SameSite=Lax is sent on the provider's top-level redirect back but not
// on cross-site subrequests; form_post providers need SameSite=None, which
// browsers accept only with Secure, so those work over https (and
// http://localhost) only.
func (h *Handlers) cookie(value string, formPost bool) *http.Cookie {
	c := &http.Cookie{Name: cookieName(formPost), Value: value, Path: cookiePath,
		MaxAge: int(StateTTL / time.Second), HttpOnly: true, Secure: h.Service.secure,
		SameSite: http.SameSiteLaxMode}
	if formPost {
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	return c
}

func (h *Handlers) callback(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("provider")
	p, err := h.Service.provider(name)
	if err != nil {
		return err
	}
	if (r.Method == http.MethodPost) != p.formPost {
		w.Header().Set("Allow", map[bool]string{true: "POST", false: "GET"}[p.formPost])
		return httpx.NewProblem(http.StatusMethodNotAllowed, httpx.CodeMethodNotAllowed,
			"this provider's callback takes the other method")
	}
	values := r.URL.Query()
	if p.formPost {
		// Only the body: OAuth 2.0 Form Post Response Mode section 2.
		if err := r.ParseForm(); err != nil {
			return httpx.NewProblem(http.StatusBadRequest, "invalid_request",
				"the form could not be read")
		}
		values = r.PostForm
	}
	cp, err := ParseCallback(values)
	if err != nil {
		return err
	}
	cookie := ""
	if c, err := r.Cookie(cookieName(p.formPost)); err == nil {
		cookie = c.Value
	}
	loc, err := h.Service.Callback(r.Context(), name, cp, cookie, accounts.MetaOf(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	// The handle rides in the fragment, which browsers do not send to
	// servers: it stays out of access logs and Referer headers.
	w.Header().Set("Referrer-Policy", "no-referrer")
	// #nosec G710 -- loc is a path of this site, checked by checkReturnTo.
	http.Redirect(w, r, loc, http.StatusSeeOther)
	return nil
}

// ResultRequest is the body of POST /v1/auth/social/result.
type ResultRequest struct {
	Handle string `json:"handle"`
}

func (h *Handlers) result(w http.ResponseWriter, r *http.Request) error {
	var req ResultRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	out, err := h.Service.Result(r.Context(), req.Handle, accounts.MetaOf(r))
	if err != nil {
		return err
	}
	if out.Link != nil {
		w.Header().Set("Cache-Control", "no-store")
		return httpx.WriteJSON(w, http.StatusOK, out.Link)
	}
	return h.SignIn(w, r, out.User, AMR, out.AuthTime)
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	ses, _ := sessions.FromContext(r.Context())
	ids, err := h.Service.Identities(r.Context(), ses.UserID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"identities": ids})
}

type linkRequest struct {
	LinkToken string `json:"link_token"`
}

func (h *Handlers) link(w http.ResponseWriter, r *http.Request) error {
	var req linkRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	ses, _ := sessions.FromContext(r.Context())
	id, err := h.Service.Link(r.Context(), ses.UserID, req.LinkToken, accounts.MetaOf(r))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, id)
}

func (h *Handlers) unlink(w http.ResponseWriter, r *http.Request) error {
	ses, _ := sessions.FromContext(r.Context())
	if err := h.Service.Unlink(r.Context(), ses.UserID, r.PathValue("id"),
		accounts.MetaOf(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
