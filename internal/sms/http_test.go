package sms

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/config"
)

var testMessage = Message{To: "+573001234567", Body: "Cerrojo: su código es 123456."}

// gateway is a local HTTP server standing in for an SMS provider. Each
// request is checked by check, which returns the status to answer.
type gateway struct {
	srv      *httptest.Server
	requests atomic.Int32
}

func newGateway(t *testing.T, h func(n int32, w http.ResponseWriter, r *http.Request)) *gateway {
	t.Helper()
	g := &gateway{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(g.requests.Add(1), w, r)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// sender returns an HTTPSender for g with fast retries.
func (g *gateway) sender(t *testing.T, edit func(*HTTPConfig)) *HTTPSender {
	t.Helper()
	cfg := HTTPConfig{URL: g.srv.URL + "/v1/messages", Token: "tok-123", From: "Cerrojo",
		MaxAttempts: 3, RetryBackoff: minBackoff}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewHTTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHTTPSenderPostsTheMessage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(*HTTPConfig)
		wantAuth func(r *http.Request) bool
		wantFrom string
	}{
		{"bearer token", nil, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer tok-123"
		}, "Cerrojo"},
		{"basic credentials", func(c *HTTPConfig) {
			c.Token, c.Username, c.Password = "", "cuenta", "clave secreta"
		}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "cuenta" && p == "clave secreta"
		}, "Cerrojo"},
		{"no credentials and no sender", func(c *HTTPConfig) { c.Token, c.From = "", "" },
			func(r *http.Request) bool { return r.Header.Get("Authorization") == "" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var problems []string
			g := newGateway(t, func(_ int32, w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
					problems = append(problems, "request "+r.Method+" "+r.URL.Path)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					problems = append(problems, "content type "+ct)
				}
				if !tc.wantAuth(r) {
					problems = append(problems, "authorization "+r.Header.Get("Authorization"))
				}
				dec := json.NewDecoder(r.Body)
				dec.DisallowUnknownFields()
				var got map[string]string
				if err := dec.Decode(&got); err != nil {
					problems = append(problems, "body: "+err.Error())
				}
				want := map[string]string{"to": testMessage.To, "body": testMessage.Body}
				if tc.wantFrom != "" {
					want["from"] = tc.wantFrom
				}
				if len(got) != len(want) {
					problems = append(problems, "body fields")
				}
				for k, v := range want {
					if got[k] != v {
						problems = append(problems, "body "+k+" = "+got[k])
					}
				}
				w.WriteHeader(http.StatusAccepted)
			})
			if err := g.sender(t, tc.edit).Send(context.Background(), testMessage); err != nil {
				t.Fatalf("send: %v", err)
			}
			if n := g.requests.Load(); n != 1 {
				t.Errorf("got %d requests, want 1", n)
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

func TestHTTPSenderRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int // answered in turn; the last repeats
		wantErr  error
		wantReqs int32
	}{
		{"5xx then success", []int{503, 500, 200}, nil, 3},
		{"429 then success", []int{429, 201}, nil, 2},
		{"408 then success", []int{408, 204}, nil, 2},
		{"gives up after max attempts", []int{502}, ErrTemporary, 3},
		{"400 is not retried", []int{400}, ErrRejected, 1},
		{"401 is not retried", []int{401}, ErrRejected, 1},
		{"404 is not retried", []int{404}, ErrRejected, 1},
		{"422 after a 503 is final", []int{503, 422}, ErrRejected, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t, func(n int32, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.statuses[min(int(n), len(tc.statuses))-1])
			})
			err := g.sender(t, nil).Send(context.Background(), testMessage)
			if tc.wantErr == nil && err != nil ||
				tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			if n := g.requests.Load(); n != tc.wantReqs {
				t.Errorf("got %d requests, want %d", n, tc.wantReqs)
			}
		})
	}
}

func TestHTTPSenderRetriesNetworkErrors(t *testing.T) {
	g := newGateway(t, func(n int32, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			// Drop the connection without an answer.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	if err := g.sender(t, nil).Send(context.Background(), testMessage); err != nil {
		t.Fatalf("send: %v", err)
	}
	if n := g.requests.Load(); n != 2 {
		t.Errorf("got %d requests, want 2", n)
	}
}

func TestHTTPSenderHonoursRetryAfter(t *testing.T) {
	var waits []time.Duration
	g := newGateway(t, func(n int32, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	s := g.sender(t, nil)
	s.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(waits) != 1 || waits[0] != 2*time.Second {
		t.Errorf("got waits %v, want [2s]", waits)
	}
}

func TestHTTPSenderDoesNotWaitLongRetryAfter(t *testing.T) {
	g := newGateway(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	err := g.sender(t, nil).Send(context.Background(), testMessage)
	if !errors.Is(err, ErrTemporary) {
		t.Errorf("got %v, want ErrTemporary", err)
	}
	if n := g.requests.Load(); n != 1 {
		t.Errorf("got %d requests, want 1", n)
	}
}

func TestHTTPSenderBacksOffDoubling(t *testing.T) {
	var waits []time.Duration
	g := newGateway(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	s := g.sender(t, func(c *HTTPConfig) { c.MaxAttempts, c.RetryBackoff = 4, time.Second })
	s.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	if err := s.Send(context.Background(), testMessage); !errors.Is(err, ErrTemporary) {
		t.Fatalf("got %v, want ErrTemporary", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if len(waits) != len(want) || waits[0] != want[0] || waits[1] != want[1] ||
		waits[2] != want[2] {
		t.Errorf("got waits %v, want %v", waits, want)
	}
}

func TestHTTPSenderTimesOut(t *testing.T) {
	g := newGateway(t, func(_ int32, w http.ResponseWriter, r *http.Request) {
		// With the body read, the server notices the client hanging up.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	s := g.sender(t, func(c *HTTPConfig) { c.Timeout, c.MaxAttempts = minTimeout, 1 })
	err := s.Send(context.Background(), testMessage)
	if !errors.Is(err, ErrTemporary) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("got %v, want a timeout wrapping ErrTemporary", err)
	}
}

func TestHTTPSenderStopsWhenTheCallerCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := newGateway(t, func(_ int32, w http.ResponseWriter, r *http.Request) {
		cancel()
		// With the body read, the server notices the client hanging up.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	err := g.sender(t, nil).Send(ctx, testMessage)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if n := g.requests.Load(); n != 1 {
		t.Errorf("got %d requests, want 1", n)
	}
}

func TestHTTPSenderDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	g := newGateway(t, func(_ int32, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
	})
	err := g.sender(t, nil).Send(context.Background(), testMessage)
	if err == nil || errors.Is(err, ErrTemporary) {
		t.Errorf("got %v, want a permanent error", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
	if n := g.requests.Load(); n != 1 {
		t.Errorf("got %d requests, want 1", n)
	}
}

func TestHTTPSenderErrorsHideWhatTheGatewayEchoes(t *testing.T) {
	echo := `{"error":"invalid destination +573001234567","code":21211,"message":"` +
		`Cerrojo: su código es 123456.` + strings.Repeat(" padding", 200) + "\r\n" + `"}`
	g := newGateway(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(echo))
	})
	err := g.sender(t, nil).Send(context.Background(), testMessage)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("got %v, want ErrRejected", err)
	}
	text := err.Error()
	for _, secret := range []string{"3001234567", "123456", "tok-123", "\r", "\n"} {
		if strings.Contains(text, secret) {
			t.Errorf("error %q contains %q", text, secret)
		}
	}
	if !strings.Contains(text, "400") || !strings.Contains(text, "21211") {
		t.Errorf("error %q should name the status and the gateway's error number", text)
	}
	if len(text) > 300 {
		t.Errorf("error is %d bytes long, want it clipped", len(text))
	}
}

func TestHTTPSenderRefusesInvalidMessages(t *testing.T) {
	g := newGateway(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {})
	err := g.sender(t, nil).Send(context.Background(), Message{To: "3001234567", Body: "x"})
	if !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("got %v, want ErrInvalidMessage", err)
	}
	if n := g.requests.Load(); n != 0 {
		t.Errorf("got %d requests, want 0", n)
	}
}

func TestHTTPSenderVerifiesCertificates(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter,
		*http.Request) {
		requests.Add(1)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	cfg := HTTPConfig{URL: srv.URL, Token: "tok-123", RetryBackoff: minBackoff}

	s, err := NewHTTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), testMessage)
	if err == nil || errors.Is(err, ErrTemporary) {
		t.Errorf("unknown authority: got %v, want a permanent error", err)
	}

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	cfg.RootCAs = pool
	if s, err = NewHTTPSender(cfg); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Errorf("trusted certificate: %v", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("got %d requests, want 1", n)
	}
}

func TestHTTPConfigValidate(t *testing.T) {
	type cfg = HTTPConfig
	ok := cfg{URL: "https://sms.example.co/v1/messages", Token: "Zq9-secret"}
	for _, tc := range []struct {
		name    string
		edit    func(*cfg)
		wantKey string // under sms.http; "" when valid
	}{
		{"https", func(*cfg) {}, ""},
		{"http on 127.0.0.1", func(c *cfg) { c.URL = "http://127.0.0.1:8080/send" }, ""},
		{"http on localhost", func(c *cfg) { c.URL = "http://localhost/send" }, ""},
		{"http on ::1", func(c *cfg) { c.URL = "http://[::1]:9000/send" }, ""},
		{"query is kept", func(c *cfg) { c.URL += "?account=7" }, ""},
		{"basic credentials", func(c *cfg) { c.Token, c.Username, c.Password = "", "u", "p" }, ""},
		{"no credentials", func(c *cfg) { c.Token = "" }, ""},
		{"E.164 sender", func(c *cfg) { c.From = "+573001234567" }, ""},
		{"11-character sender id", func(c *cfg) { c.From = "Mercado Eje" }, ""},
		{"bounds", func(c *cfg) {
			c.Timeout, c.MaxAttempts, c.RetryBackoff = maxTimeout, maxAttempts, maxBackoff
		}, ""},
		{"no URL", func(c *cfg) { c.URL = "" }, "url"},
		{"http elsewhere", func(c *cfg) { c.URL = "http://sms.example.co/send" }, "url"},
		{"http on a private address", func(c *cfg) { c.URL = "http://10.0.0.5/send" }, "url"},
		{"other scheme", func(c *cfg) { c.URL = "ftp://sms.example.co/" }, "url"},
		{"relative", func(c *cfg) { c.URL = "/send" }, "url"},
		{"user info", func(c *cfg) { c.URL = "https://u:Zq9-secret@sms.example.co/" },
			"url"},
		{"fragment", func(c *cfg) { c.URL += "#x" }, "url"},
		{"too long", func(c *cfg) { c.URL += strings.Repeat("a", maxURLBytes) }, "url"},
		{"token and basic", func(c *cfg) { c.Username, c.Password = "u", "p" }, "token"},
		{"user without password", func(c *cfg) { c.Token, c.Username = "", "u" }, "username"},
		{"password without user", func(c *cfg) { c.Token, c.Password = "", "p" }, "username"},
		{"colon in user", func(c *cfg) {
			c.Token, c.Username, c.Password = "", "a:b", "p"
		}, "username"},
		{"newline in token", func(c *cfg) { c.Token = "tok\r\nX-Evil: 1" }, "token"},
		{"token too long", func(c *cfg) {
			c.Token = config.Secret(strings.Repeat("t", maxCredentialBytes+1))
		}, "token"},
		{"12-character sender id", func(c *cfg) { c.From = "Mercado Ejem" }, "from"},
		{"digits-only sender id", func(c *cfg) { c.From = "12345" }, "from"},
		{"sender id with symbols", func(c *cfg) { c.From = "Tienda!" }, "from"},
		{"timeout too short", func(c *cfg) { c.Timeout = minTimeout - 1 }, "timeout"},
		{"timeout too long", func(c *cfg) { c.Timeout = maxTimeout + 1 }, "timeout"},
		{"negative attempts", func(c *cfg) { c.MaxAttempts = -1 }, "max_attempts"},
		{"too many attempts", func(c *cfg) { c.MaxAttempts = maxAttempts + 1 }, "max_attempts"},
		{"backoff too short", func(c *cfg) { c.RetryBackoff = minBackoff - 1 }, "retry_backoff"},
		{"backoff too long", func(c *cfg) { c.RetryBackoff = maxBackoff + 1 }, "retry_backoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.wantKey == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "sms.http."+tc.wantKey+":") {
				t.Errorf("got %v, want an error naming %s", err, tc.wantKey)
			}
			if err != nil && strings.Contains(err.Error(), c.Token.Reveal()) && c.Token != "" {
				t.Errorf("error %q reveals the token", err)
			}
		})
	}
}

func TestHTTPConfigErrorsHideTheQuery(t *testing.T) {
	err := HTTPConfig{URL: "http://sms.example.co/send?key=s3cr3t"}.Validate()
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("got %v, want an error without the query", err)
	}
}
