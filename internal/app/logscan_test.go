package app

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/cerrojo/cerrojo/internal/scrub"
	"github.com/cerrojo/cerrojo/internal/testutil"
)

// The end-to-end tests of this package hand out real secrets: passwords,
// access and refresh tokens, sign-in challenges, recovery codes, TOTP
// seeds, client secrets. Every node's log is kept, every secret an answer
// carried is noted, and after the whole run TestMain fails it if any
// secret, any token-shaped string or any card number appears in any log.

var (
	seenMu  sync.Mutex
	seenLog []*testutil.SyncBuffer
	secrets = map[string]bool{}
)

// keepLog registers a node's log for the scan.
func keepLog(b *testutil.SyncBuffer) {
	seenMu.Lock()
	defer seenMu.Unlock()
	seenLog = append(seenLog, b)
}

// noteSecret records a value that must never be logged.
func noteSecret(s string) {
	if len(s) < 6 {
		return
	}
	seenMu.Lock()
	defer seenMu.Unlock()
	secrets[s] = true
}

// secretFields are the members of answers whose values are secrets.
var secretFields = map[string]bool{"access_token": true, "refresh_token": true,
	"mfa_token": true, "secret": true, "client_secret": true, "recovery_codes": true,
	"otpauth_uri": true}

// noteSecrets walks a decoded JSON answer for secret members.
func noteSecrets(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if secretFields[k] {
				switch x := x.(type) {
				case string:
					noteSecret(x)
				case []any:
					for _, c := range x {
						if s, ok := c.(string); ok {
							noteSecret(s)
						}
					}
				}
			}
			noteSecrets(x)
		}
	case []any:
		for _, x := range v {
			noteSecrets(x)
		}
	}
}

// The passwords the tests sign in with.
var testPasswords = []string{journeyPassword, "clave correcta y larga 1",
	"naranjas y limones del valle 7", "mi tienda de café 2026", "otra clave bastante larga 7"}

var (
	tokenShape = regexp.MustCompile(`crj_[a-z]{1,8}_[A-Za-z0-9_-]{12,}|` +
		`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)
	cardShape = regexp.MustCompile(`\b4111[ -]?1111[ -]?1111[ -]?1111\b|\b5555555555554444\b`)
)

// scanLogs returns what it found in the kept logs, or nothing.
func scanLogs() []string {
	seenMu.Lock()
	defer seenMu.Unlock()
	for _, p := range testPasswords {
		secrets[p] = true
	}
	var found []string
	for i, b := range seenLog {
		text := b.String()
		for s := range secrets {
			if strings.Contains(text, s) {
				found = append(found, fmt.Sprintf("log %d holds a secret an answer carried: %.12s…",
					i, s))
			}
		}
		if m := tokenShape.FindString(text); m != "" {
			found = append(found, fmt.Sprintf("log %d holds a token: %.16s…", i, m))
		}
		if m := cardShape.FindString(text); m != "" {
			found = append(found, fmt.Sprintf("log %d holds a card number", i))
		}
	}
	return found
}

func TestMain(m *testing.M) {
	// The OpenID library logs through slog's default logger, as the
	// command makes it the node's (internal/cli); here it is scanned too.
	process := &testutil.SyncBuffer{}
	keepLog(process)
	slog.SetDefault(slog.New(slog.NewJSONHandler(process,
		&slog.HandlerOptions{ReplaceAttr: scrub.ReplaceAttr})))
	code := m.Run()
	if found := scanLogs(); len(found) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: secrets in the logs of this package's test run:")
		for _, f := range found {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		code = 1
	}
	os.Exit(code)
}

// TestLogScanFindsSecrets checks the scan itself: a log that holds a noted
// secret, a token or a card number is caught.
func TestLogScanFindsSecrets(t *testing.T) {
	seenMu.Lock()
	saved, savedSecrets := seenLog, secrets
	seenLog, secrets = nil, map[string]bool{}
	seenMu.Unlock()
	defer func() {
		seenMu.Lock()
		seenLog, secrets = saved, savedSecrets
		seenMu.Unlock()
	}()

	var body map[string]any
	json.Unmarshal([]byte(`{"refresh_token":"opaque-refresh-value-123"}`), &body)
	noteSecrets(body)
	for _, line := range []string{`{"msg":"x","v":"opaque-refresh-value-123"}`,
		`{"msg":"crj_mfa_AAAAAAAAAAAAAAAAAAAA"}`, `{"msg":"card 4111111111111111"}`} {
		b := &testutil.SyncBuffer{}
		b.Write([]byte(line))
		keepLog(b)
	}
	if found := scanLogs(); len(found) != 3 {
		t.Fatalf("the scan found %q, want the three planted secrets", found)
	}
}
