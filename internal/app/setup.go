package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/password"
)

// First run: while no super admin exists, a node makes a one-time setup
// token and `cerrojo serve` prints a link with it (never into the log,
// which may be shipped elsewhere). The link opens a page, served only to
// loopback addresses unless setup.allow_from says otherwise, where the
// first super admin is created; super_admin always requires a second
// factor, so their first sign-in can do nothing but enrol one. The token
// is single use and lives in this process only: a restart makes a new one
// while there is still no super admin, and `cerrojo admin bootstrap` does
// the same from the command line.

// ErrSuperAdminExists means the first super admin was already made.
var ErrSuperAdminExists = errors.New("a super admin exists already")

// PasswordError lists why a password was refused.
type PasswordError struct{ Codes []string }

func (e *PasswordError) Error() string {
	return "the password is not acceptable: " + strings.Join(e.Codes, ", ")
}

// CreateFirstSuperAdmin makes an account with a verified email and the
// global super_admin role, unless a super admin exists. It is what both
// the setup page and `cerrojo admin bootstrap` do.
func (a *App) CreateFirstSuperAdmin(ctx context.Context, email, name, pw string,
	by authz.Actor, requestID string) (accounts.User, error) {
	n, err := a.Authz.Store().CountHolders(ctx, "super_admin", a.Clock.Now())
	if err != nil {
		return accounts.User{}, err
	}
	if n > 0 {
		return accounts.User{}, ErrSuperAdminExists
	}
	if _, err := accounts.ParseEmail(email); err != nil {
		return accounts.User{}, fmt.Errorf("email: %w", err)
	}
	if strings.TrimSpace(name) == "" {
		return accounts.User{}, errors.New("a name is required")
	}
	if v := a.Accounts.Policy.Check(pw, password.Context{Email: email, Name: name}); len(v) > 0 {
		codes := make([]string, len(v))
		for i, x := range v {
			codes[i] = string(x.Code)
		}
		return accounts.User{}, &PasswordError{Codes: codes}
	}
	hash, err := a.Accounts.Hasher.Hash(ctx, pw)
	if err != nil {
		return accounts.User{}, err
	}
	line, err := json.Marshal(accounts.ImportRecord{Email: email, Name: name,
		Kind: accounts.KindCustomer, EmailVerified: true, PasswordHash: hash})
	if err != nil {
		return accounts.User{}, err
	}
	rep, err := a.Accounts.Import(ctx, strings.NewReader(string(line)+"\n"),
		accounts.Meta{RequestID: requestID})
	if err != nil {
		return accounts.User{}, err
	}
	if rep.Imported != 1 {
		return accounts.User{}, fmt.Errorf("the account was not created: %v", rep.Failed)
	}
	e, _ := accounts.ParseEmail(email)
	u, err := a.Accounts.Store.UserByEmail(ctx, e.Normalized)
	if err != nil {
		return accounts.User{}, err
	}
	if _, _, err := a.Authz.Grant(ctx, by, authz.GrantInput{UserID: u.ID,
		Role: "super_admin"}, authz.Meta{RequestID: requestID}); err != nil {
		return accounts.User{}, err
	}
	return u, nil
}

// setup holds this process's setup token.
type setup struct {
	mu    sync.Mutex
	hash  [sha256.Size]byte // of the token; zero once used
	live  bool
	allow []netip.Prefix
}

// SetupLink returns the first-run link when no super admin exists yet, or
// "" when one does. The token is made on the first call.
func (a *App) SetupLink(ctx context.Context) (string, error) {
	n, err := a.Authz.Store().CountHolders(ctx, "super_admin", a.Clock.Now())
	if err != nil || n > 0 {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	a.setup.mu.Lock()
	a.setup.hash, a.setup.live = sha256.Sum256([]byte(token)), true
	a.setup.mu.Unlock()
	return strings.TrimRight(a.Config.PublicURL, "/") + "/setup?token=" + token, nil
}

// setupAllowed reports whether the client may use the setup page: from a
// loopback address, or from setup.allow_from.
func (a *App) setupAllowed(r *http.Request) bool {
	ip, err := netip.ParseAddr(httpx.RemoteIP(r.Context()))
	if err != nil {
		return false
	}
	if ip.Unmap().IsLoopback() {
		return true
	}
	for _, p := range a.setup.allow {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// tokenMatches compares in constant time against the live token.
func (a *App) tokenMatches(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return a.setup.live && subtle.ConstantTimeCompare(sum[:], a.setup.hash[:]) == 1
}

func (a *App) setupRoutes(r *httpx.Router) {
	for _, p := range config.List(a.Config.Setup.AllowFrom) {
		if prefix, err := config.ParseProxy(p); err == nil { // Validate has checked it
			a.setup.allow = append(a.setup.allow, prefix)
		}
	}
	r.Handle("GET /setup", http.HandlerFunc(a.setupPage))
	r.Handle("POST /setup", http.HandlerFunc(a.setupSubmit))
}

// maxSetupForm bounds the form: an email, a name and a password fit in a
// small fraction of it.
const maxSetupForm = 16 << 10

// setupPolicy lets the form post to this origin and nothing else load.
const setupPolicy = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; " +
	"base-uri 'none'"

var setupTemplate = template.Must(template.New("setup").Parse(`<!DOCTYPE html>
<html lang="es-CO">
<head><meta charset="utf-8"><title>cerrojo: primera configuración</title></head>
<body>
<h1>Primera configuración / First-time setup</h1>
{{if .Done}}<p>Listo: {{.Email}} es super administrador. Ingrese con ese correo; lo primero
será registrar un segundo factor. / Done: sign in as {{.Email}}; you will enrol a second
factor first.</p>
{{else if .Closed}}<p>{{.Message}}</p>
{{else}}<p>Cree el primer super administrador. Este enlace sirve una vez. / Create the first
super admin. This link works once.</p>
{{if .Message}}<p role="alert"><strong>{{.Message}}</strong></p>{{end}}
<form method="post" action="/setup">
<input type="hidden" name="token" value="{{.Token}}">
<p><label>Correo / Email <input type="email" name="email" value="{{.Email}}" required
autocomplete="username"></label></p>
<p><label>Nombre / Name <input name="name" value="{{.Name}}" required></label></p>
<p><label>Contraseña / Password <input type="password" name="password" required
autocomplete="new-password"></label></p>
<p><button type="submit">Crear / Create</button></p>
</form>
{{end}}
</body>
</html>
`))

type setupView struct {
	Token, Email, Name, Message string
	Done, Closed                bool
}

func (a *App) renderSetup(w http.ResponseWriter, status int, v setupView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", setupPolicy)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = setupTemplate.Execute(w, v) // the status is sent; a broken connection has no one to tell
}

// setupGate answers the requests that may not see the form, and reports
// whether it did.
func (a *App) setupGate(w http.ResponseWriter, r *http.Request, token string) bool {
	if !a.setupAllowed(r) {
		a.renderSetup(w, http.StatusForbidden, setupView{Closed: true,
			Message: "La configuración inicial solo se hace desde la misma máquina " +
				"(setup.allow_from). / Setup is only accepted from this machine."})
		return true
	}
	n, err := a.Authz.Store().CountHolders(r.Context(), "super_admin", a.Clock.Now())
	if err != nil || n > 0 {
		a.renderSetup(w, http.StatusGone, setupView{Closed: true,
			Message: "Ya existe un super administrador. / A super admin exists already."})
		return true
	}
	if !a.tokenMatches(token) {
		a.renderSetup(w, http.StatusNotFound, setupView{Closed: true,
			Message: "Enlace inválido o ya usado; reinicie cerrojo para obtener otro. / " +
				"Invalid or used link; restart cerrojo for a new one."})
		return true
	}
	return false
}

func (a *App) setupPage(w http.ResponseWriter, r *http.Request) {
	a.setup.mu.Lock()
	defer a.setup.mu.Unlock()
	token := r.URL.Query().Get("token")
	if a.setupGate(w, r, token) {
		return
	}
	a.renderSetup(w, http.StatusOK, setupView{Token: token})
}

// setupSubmit creates the super admin. The token in the form is what makes
// the post trustworthy: a page of another origin does not know it. The
// lock makes the check and the use one step, so the token works once.
func (a *App) setupSubmit(w http.ResponseWriter, r *http.Request) {
	a.setup.mu.Lock()
	defer a.setup.mu.Unlock()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt !=
		"application/x-www-form-urlencoded" {
		a.renderSetup(w, http.StatusUnsupportedMediaType, setupView{Closed: true,
			Message: "Envíe el formulario. / Send the form."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSetupForm)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if errors.As(err, new(*http.MaxBytesError)) {
			status = http.StatusRequestEntityTooLarge
		}
		a.renderSetup(w, status, setupView{Closed: true,
			Message: "Formulario inválido. / Invalid form."})
		return
	}
	token := r.PostForm.Get("token")
	if a.setupGate(w, r, token) {
		return
	}
	email, name := r.PostForm.Get("email"), r.PostForm.Get("name")
	_, err := a.CreateFirstSuperAdmin(r.Context(), email, name, r.PostForm.Get("password"),
		authz.Actor{System: "setup"}, httpx.RequestID(r.Context()))
	var pwErr *PasswordError
	switch {
	case errors.As(err, &pwErr):
		a.renderSetup(w, http.StatusBadRequest, setupView{Token: token, Email: email,
			Name: name, Message: "Contraseña no aceptada / Password refused: " +
				strings.Join(pwErr.Codes, ", ")})
		return
	case err != nil && !errors.Is(err, ErrSuperAdminExists):
		a.Logger.Warn("first-run setup failed", "error", err.Error())
		a.renderSetup(w, http.StatusBadRequest, setupView{Token: token, Email: email,
			Name: name, Message: "No se pudo crear la cuenta / The account was not created: " +
				err.Error()})
		return
	}
	a.setup.hash, a.setup.live = [sha256.Size]byte{}, false
	a.renderSetup(w, http.StatusCreated, setupView{Done: true, Email: email})
}
