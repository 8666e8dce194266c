package sessions

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

// Handlers serves sessions over HTTP.
type Handlers struct {
	Service *Service
	// RevocationPoll is how often resource servers are told to poll the
	// revocation list (its Cache-Control max-age).
	RevocationPoll time.Duration
}

// Routes registers the public routes; requireSession guards those that
// act for the signed-in person.
func (h *Handlers) Routes(r *httpx.Router, requireSession func(http.Handler) http.Handler) {
	r.Handle("GET /v1/me/sessions", requireSession(httpx.HandlerFunc(h.list)))
	r.Handle("DELETE /v1/me/sessions/{id}", requireSession(httpx.HandlerFunc(h.endOne)))
	r.Handle("POST /v1/me/sessions/end-others", requireSession(httpx.HandlerFunc(h.endOthers)))
	r.HandleFunc("GET /v1/sessions/revocations", h.revocations)
}

// AdminRoutes registers the admin listener's routes.
func (h *Handlers) AdminRoutes(r *httpx.Router) {
	r.HandleFunc("GET /v1/admin/users/{id}/sessions", h.adminList)
	r.HandleFunc("POST /v1/admin/users/{id}/sessions/end", h.adminEndAll)
}

// SessionJSON is what the API shows of a session.
type SessionJSON struct {
	ID         string   `json:"id"`
	Device     string   `json:"device"`
	IP         string   `json:"ip"`
	ClientID   string   `json:"client_id"`
	ACR        string   `json:"acr"`
	AMR        []string `json:"amr"`
	CreatedAt  string   `json:"created_at"`
	LastSeenAt string   `json:"last_seen_at"`
	ExpiresAt  string   `json:"expires_at"`
	Current    bool     `json:"current"`
}

func render(list []Session, current string) []SessionJSON {
	out := make([]SessionJSON, 0, len(list))
	for _, s := range list {
		out = append(out, SessionJSON{ID: s.ID, Device: s.Device, IP: s.IP, ClientID: s.ClientID,
			ACR: s.ACR, AMR: s.AMR, CreatedAt: rfc3339(s.CreatedAt),
			LastSeenAt: rfc3339(s.LastSeenAt),
			ExpiresAt:  rfc3339(minTime(s.AbsoluteExpiresAt, s.LastSeenAt.Add(s.IdleTimeout))),
			Current:    s.ID == current})
	}
	return out
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func metaOf(r *http.Request) Meta {
	return Meta{IP: httpx.RemoteIP(r.Context()), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestID(r.Context())}
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	me, _ := FromContext(r.Context())
	list, err := h.Service.List(r.Context(), me.UserID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"sessions": render(list, me.ID)})
}

func (h *Handlers) endOne(w http.ResponseWriter, r *http.Request) error {
	me, _ := FromContext(r.Context())
	err := h.Service.End(r.Context(), me.UserID, r.PathValue("id"), "ended_by_user", metaOf(r))
	if errors.Is(err, ErrNotFound) {
		return httpx.NewProblem(http.StatusNotFound, "session_not_found",
			"you have no session with this id")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) endOthers(w http.ResponseWriter, r *http.Request) error {
	me, _ := FromContext(r.Context())
	if err := h.Service.EndAll(r.Context(), me.UserID, me.ID, "ended_by_user"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) adminList(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Service.List(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"sessions": render(list, "")})
}

func (h *Handlers) adminEndAll(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.EndAll(r.Context(), r.PathValue("id"), "", "ended_by_admin"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RevocationList is the document resource servers poll: the sessions that
// ended while access tokens issued in them may still be alive. Each entry
// stays until the last such token has expired.
type RevocationList struct {
	Sessions []RevokedSession `json:"sessions"`
	// PollSeconds is how often to poll; together with the access token
	// lifetime it bounds how long an ended session's token is accepted.
	PollSeconds int64 `json:"poll_seconds"`
}

// RevokedSession is one entry of the list.
type RevokedSession struct {
	SessionID string `json:"sid"`
	RevokedAt string `json:"revoked_at"`
	ExpiresAt string `json:"expires_at"`
}

// revocations serves the list with an ETag so that pollers that send
// If-None-Match get a 304 with no body while nothing changed. The list
// holds only opaque session ids and times, so it is public, like the JWKS.
func (h *Handlers) revocations(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Service.Store().Revocations(r.Context(), h.Service.Clock.Now())
	if err != nil {
		return err
	}
	doc := RevocationList{Sessions: make([]RevokedSession, 0, len(list)),
		PollSeconds: int64(h.RevocationPoll / time.Second)}
	for _, rv := range list {
		doc.Sessions = append(doc.Sessions, RevokedSession{SessionID: rv.SessionID,
			RevokedAt: rfc3339(rv.RevokedAt), ExpiresAt: rfc3339(rv.ExpiresAt)})
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`

	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "public, max-age="+strconv.FormatInt(doc.PollSeconds, 10))
	if httpx.NotModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(append(body, '\n'))
	return err
}
