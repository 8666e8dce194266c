package socialtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// FacebookUser is who the Facebook-like server signs in.
type FacebookUser struct {
	ID, Name, Email string
}

// Facebook is a Facebook-like OAuth 2.0 server with the Graph API's /me:
// a dialog that approves at once, a token endpoint that checks the app
// secret, the code, the redirect URI and PKCE when a challenge was sent,
// and /me, which checks the access token and appsecret_proof.
type Facebook struct {
	URL                   string
	AppID, AppSecret      string
	AuthURL, TokenURL, Me string

	mu     sync.Mutex
	user   FacebookUser
	codes  map[string]grant
	tokens map[string]FacebookUser
}

// NewFacebook starts the server; it stops when the test ends.
func NewFacebook(t testing.TB, appID, appSecret string) *Facebook {
	t.Helper()
	f := &Facebook{AppID: appID, AppSecret: appSecret, codes: map[string]grant{},
		tokens: map[string]FacebookUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dialog/oauth", f.dialog)
	mux.HandleFunc("POST /oauth/access_token", f.token)
	mux.HandleFunc("GET /me", f.me)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	f.AuthURL, f.TokenURL, f.Me = srv.URL+"/dialog/oauth", srv.URL+"/oauth/access_token",
		srv.URL+"/me"
	return f
}

// SetUser sets the person the next dialog approves.
func (f *Facebook) SetUser(u FacebookUser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user = u
}

func (f *Facebook) dialog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != f.AppID || q.Get("redirect_uri") == "" {
		http.Error(w, "unknown app", http.StatusBadRequest)
		return
	}
	code := randomString()
	f.mu.Lock()
	f.codes[code] = grant{redirectURI: q.Get("redirect_uri"),
		challenge: q.Get("code_challenge")}
	f.mu.Unlock()
	// #nosec G710 -- a test provider standing in for Facebook's dialog.
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code},
		"state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (f *Facebook) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	p := r.PostForm
	if p.Get("client_id") != f.AppID || p.Get("client_secret") != f.AppSecret {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"type": "OAuthException", "message": "bad client"}})
		return
	}
	f.mu.Lock()
	g, ok := f.codes[p.Get("code")]
	delete(f.codes, p.Get("code"))
	user := f.user
	f.mu.Unlock()
	if !ok || g.redirectURI != p.Get("redirect_uri") {
		tokenError(w, "invalid_grant")
		return
	}
	if g.challenge != "" {
		sum := sha256.Sum256([]byte(p.Get("code_verifier")))
		if b64(sum[:]) != g.challenge {
			tokenError(w, "invalid_grant")
			return
		}
	}
	at := "fb." + randomString()
	f.mu.Lock()
	f.tokens[at] = user
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": at, "token_type": "bearer",
		"expires_in": 5183944})
}

func (f *Facebook) me(w http.ResponseWriter, r *http.Request) {
	at, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	u, ok := f.tokens[at]
	f.mu.Unlock()
	mac := hmac.New(sha256.New, []byte(f.AppSecret))
	mac.Write([]byte(at))
	proof := hex.EncodeToString(mac.Sum(nil))
	if !ok || !hmac.Equal([]byte(r.URL.Query().Get("appsecret_proof")), []byte(proof)) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"type": "OAuthException", "message": "invalid token or proof"}})
		return
	}
	out := map[string]string{}
	for _, field := range strings.Split(r.URL.Query().Get("fields"), ",") {
		switch field {
		case "id":
			out["id"] = u.ID
		case "name":
			out["name"] = u.Name
		case "email":
			if u.Email != "" {
				out["email"] = u.Email
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}
