package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// validKey is a syntactically valid master key used only in tests.
const validKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsAreValidAndSafe(t *testing.T) {
	cfg, _, err := Load("", envOf(nil))
	if err != nil {
		t.Fatalf("load defaults: %v", err)
	}
	if cfg.ListenAddr != "127.0.0.1:8080" {
		t.Errorf("got listen_addr %q, want loopback 127.0.0.1:8080", cfg.ListenAddr)
	}
	if cfg.DataDir != "./cerrojo-data" {
		t.Errorf("got data_dir %q, want ./cerrojo-data", cfg.DataDir)
	}
	if !cfg.Embedded() {
		t.Errorf("default configuration is not embedded")
	}
	if !cfg.Database.MigrateOnStart {
		t.Errorf("default does not migrate on start")
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	cfg, src, err := Load("", envOf(map[string]string{
		"CERROJO_DATA_DIR":                  "/var/lib/cerrojo",
		"CERROJO_DATABASE_URL":              "postgres://u@db/x",
		"CERROJO_REDIS_URL":                 "redis://localhost:6379/0",
		"CERROJO_HTTP_READ_TIMEOUT":         "45s",
		"CERROJO_HTTP_MAX_BODY_BYTES":       "2048",
		"CERROJO_DATABASE_MIGRATE_ON_START": "false",
	}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if cfg.DataDir != "/var/lib/cerrojo" || cfg.Embedded() || cfg.Redis.URL == "" {
		t.Errorf("got %+v, want the environment's values", cfg)
	}
	if cfg.HTTP.ReadTimeout.D() != 45*time.Second || cfg.HTTP.MaxBodyBytes != 2048 {
		t.Errorf("got read timeout %s, body %d; want 45s, 2048", cfg.HTTP.ReadTimeout,
			cfg.HTTP.MaxBodyBytes)
	}
	if cfg.Database.MigrateOnStart {
		t.Errorf("got migrate_on_start true, want false")
	}
	if got := src.Keys["http.read_timeout"]; got != "CERROJO_HTTP_READ_TIMEOUT" {
		t.Errorf("got source %q, want CERROJO_HTTP_READ_TIMEOUT", got)
	}
}

func TestBadValuesNameKeyAndValue(t *testing.T) {
	tests := []struct {
		name, env, value string
		want             []string
	}{
		{"duration that is not one", "CERROJO_HTTP_READ_TIMEOUT", "abc",
			[]string{"http.read_timeout", "CERROJO_HTTP_READ_TIMEOUT", `"abc"`, "not a duration"}},
		{"bare number as duration", "CERROJO_HTTP_IDLE_TIMEOUT", "30",
			[]string{"http.idle_timeout", `"30"`}},
		{"zero timeout", "CERROJO_HTTP_WRITE_TIMEOUT", "0s",
			[]string{"http.write_timeout", `"0s"`, "more than 0s"}},
		{"listen address without port", "CERROJO_LISTEN_ADDR", "localhost",
			[]string{"listen_addr", "CERROJO_LISTEN_ADDR", `"localhost"`}},
		{"port out of range", "CERROJO_LISTEN_ADDR", ":70000", []string{"listen_addr", "65535"}},
		{"unknown log level", "CERROJO_LOG_LEVEL", "loud", []string{"log.level", `"loud"`}},
		{"unknown log format", "CERROJO_LOG_FORMAT", "xml", []string{"log.format", `"xml"`}},
		{"database that is not postgres", "CERROJO_DATABASE_URL", "mysql://u@h/db",
			[]string{"database.url", "CERROJO_DATABASE_URL", "mysql://u@h/db"}},
		{"redis with a wrong scheme", "CERROJO_REDIS_URL", "http://h", []string{"redis.url"}},
		{"body cap below the minimum", "CERROJO_HTTP_MAX_BODY_BYTES", "5",
			[]string{"http.max_body_bytes", `"5"`, "1024"}},
		{"body cap that is not a number", "CERROJO_HTTP_MAX_BODY_BYTES", "1MB",
			[]string{"http.max_body_bytes", `"1MB"`, "whole number"}},
		{"bool that is not one", "CERROJO_DATABASE_MIGRATE_ON_START", "yes",
			[]string{"database.migrate_on_start", "true or false"}},
		{"too many connections", "CERROJO_DATABASE_MAX_OPEN_CONNS", "5000",
			[]string{"database.max_open_conns", `"5000"`}},
		{"master key of the wrong length", "CERROJO_MASTER_KEY", "c2hvcnQ=",
			[]string{"master_key.value", "CERROJO_MASTER_KEY", "decodes to 5 bytes"}},
		{"master key that is not base64", "CERROJO_MASTER_KEY", "not base64!",
			[]string{"master_key.value", "not valid base64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load("", envOf(map[string]string{tc.env: tc.value}))
			if err == nil {
				t.Fatalf("got no error, want one")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestMasterKeyErrorsNeverShowTheKey(t *testing.T) {
	almost := validKey[:len(validKey)-4] // valid base64, wrong length
	_, _, err := Load("", envOf(map[string]string{"CERROJO_MASTER_KEY": almost}))
	if err == nil {
		t.Fatal("got no error for a short key")
	}
	if strings.Contains(err.Error(), almost) {
		t.Errorf("error %q shows the key", err)
	}
}

func TestBothMasterKeySourcesIsAnError(t *testing.T) {
	_, _, err := Load("", envOf(map[string]string{
		"CERROJO_MASTER_KEY":      validKey,
		"CERROJO_MASTER_KEY_FILE": "/run/secrets/key",
	}))
	if err == nil {
		t.Fatal("got no error, want one naming both sources")
	}
	for _, w := range []string{"CERROJO_MASTER_KEY ", "CERROJO_MASTER_KEY_FILE"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got %q, want it to name %s", err, w)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cerrojo.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFile(t *testing.T) {
	t.Run("values are read and the environment wins", func(t *testing.T) {
		path := writeFile(t, "listen_addr: 0.0.0.0:9000\nhttp:\n  read_timeout: 20s\n"+
			"database:\n  url:\n")
		cfg, src, err := Load(path, envOf(map[string]string{"CERROJO_LISTEN_ADDR": ":9100"}))
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if cfg.ListenAddr != ":9100" {
			t.Errorf("got listen_addr %q, want the environment's :9100", cfg.ListenAddr)
		}
		if cfg.HTTP.ReadTimeout.D() != 20*time.Second {
			t.Errorf("got read_timeout %s, want the file's 20s", cfg.HTTP.ReadTimeout)
		}
		if !strings.Contains(src.Keys["http.read_timeout"], "line 3") {
			t.Errorf("got source %q, want the file's line 3", src.Keys["http.read_timeout"])
		}
	})

	bad := []struct {
		name, content string
		want          []string
	}{
		{"unknown key", "http:\n  read_timout: 5s\n", []string{`"http.read_timout"`, "line 2"}},
		{"unknown top-level key", "listen: x\n", []string{`"listen"`, "line 1"}},
		{"bad duration", "http:\n  idle_timeout: soon\n",
			[]string{"http.idle_timeout", `"soon"`, "line 2"}},
		{"section that is not a mapping", "http: 5\n", []string{"http must be a mapping"}},
		{"list where a value belongs", "listen_addr: [a, b]\n", []string{"listen_addr", "single value"}},
		{"duplicate key", "listen_addr: a:1\nlisten_addr: b:2\n", []string{"already defined"}},
		{"not yaml", "listen_addr: [\n", []string{"cerrojo.yaml"}},
	}
	for _, tc := range bad {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, _, err := Load(writeFile(t, tc.content), envOf(nil))
			if err == nil {
				t.Fatal("got no error, want one")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}

	t.Run("an empty file sets nothing", func(t *testing.T) {
		cfg, _, err := Load(writeFile(t, ""), envOf(nil))
		if err != nil || cfg.ListenAddr != Default().ListenAddr {
			t.Fatalf("got %v, %q; want defaults", err, cfg.ListenAddr)
		}
	})
	t.Run("a missing file is an error", func(t *testing.T) {
		if _, _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), envOf(nil)); err == nil {
			t.Fatal("got no error for a missing file")
		}
	})
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg := Default()
	cfg.MasterKey.Value = validKey
	cfg.Database.URL = "postgres://app:hunter2@db:5432/cerrojo?sslmode=require&password=alsosecret"
	cfg.Redis.URL = "redis://:redispass@cache:6379/0"

	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("cfg", "key", cfg.MasterKey.Value,
		"db", cfg.Database.URL, "redis", cfg.Redis.URL)
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	printed := map[string]string{
		"yaml": string(out),
		"fmt":  fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg),
		"slog": logBuf.String(),
	}
	for where, text := range printed {
		for _, secret := range []string{validKey, "hunter2", "alsosecret", "redispass"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s output contains %q", where, secret)
			}
		}
	}
	if !strings.Contains(string(out), "app:xxxxx@db:5432") {
		t.Errorf("yaml does not show the redacted URL's shape:\n%s", out)
	}
	if cfg.MasterKey.Value.Reveal() != validKey {
		t.Errorf("Reveal does not return the value")
	}
}

// TestDocumentationListsEveryKey keeps docs/configuration.md true: every key
// must appear there with its YAML path and its environment variable.
func TestDocumentationListsEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatalf("read docs/configuration.md: %v", err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(doc), "`"+k.Path+"`") {
			t.Errorf("docs/configuration.md does not list the key `%s`", k.Path)
		}
		if !strings.Contains(string(doc), "`"+k.Env+"`") {
			t.Errorf("docs/configuration.md does not list the variable `%s`", k.Env)
		}
	}
}

func TestEveryKeyHasAnEnvironmentVariable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		if !strings.HasPrefix(k.Env, "CERROJO_") {
			t.Errorf("key %s has variable %q, want a CERROJO_ name", k.Path, k.Env)
		}
		if seen[k.Env] {
			t.Errorf("variable %s is used twice", k.Env)
		}
		seen[k.Env] = true
	}
}

func TestPCIDSSProfile(t *testing.T) {
	t.Run("tightens the defaults", func(t *testing.T) {
		cfg, _, err := Load("", envOf(map[string]string{"CERROJO_PROFILE": "pci-dss"}))
		if err != nil {
			t.Fatal(err)
		}
		if got := List(cfg.MFA.RequiredRoles); !slices.Equal(got, []string{"admin", "super_admin"}) {
			t.Errorf("mfa.required_roles is %q, want admin and super_admin (8.4.1)", got)
		}
		if cfg.Password.MinLength != 12 || cfg.Sessions.AdminIdleTimeout.D() != 15*time.Minute {
			t.Errorf("got min length %d, admin idle %s; want 12 and 15m", cfg.Password.MinLength,
				cfg.Sessions.AdminIdleTimeout)
		}
	})
	t.Run("keeps stricter explicit values", func(t *testing.T) {
		cfg, _, err := Load("", envOf(map[string]string{"CERROJO_PROFILE": "pci-dss",
			"CERROJO_PASSWORD_MIN_LENGTH": "16", "CERROJO_SESSIONS_ADMIN_IDLE_TIMEOUT": "10m"}))
		if err != nil || cfg.Password.MinLength != 16 || cfg.Sessions.AdminIdleTimeout.D() != 10*time.Minute {
			t.Fatalf("got %v, %d, %s", err, cfg.Password.MinLength, cfg.Sessions.AdminIdleTimeout)
		}
	})
	weaker := []struct{ env, value, key string }{
		{"CERROJO_PASSWORD_MIN_LENGTH", "10", "password.min_length"},
		{"CERROJO_ACCOUNTS_LOCKOUT_THRESHOLD", "11", "accounts.lockout_threshold"},
		{"CERROJO_ACCOUNTS_LOCKOUT_DURATION", "29m", "accounts.lockout_duration"},
		{"CERROJO_SESSIONS_ADMIN_IDLE_TIMEOUT", "16m", "sessions.admin_idle_timeout"},
		{"CERROJO_MFA_REQUIRED_ROLES", "admin", "mfa.required_roles"},
	}
	for _, w := range weaker {
		t.Run("refuses weaker "+w.key, func(t *testing.T) {
			_, _, err := Load("", envOf(map[string]string{"CERROJO_PROFILE": "pci-dss", w.env: w.value}))
			if err == nil || !strings.Contains(err.Error(), w.key) ||
				!strings.Contains(err.Error(), "pci-dss profile requires") {
				t.Fatalf("got %v, want a pci-dss refusal naming %s", err, w.key)
			}
			if _, _, err := Load("", envOf(map[string]string{w.env: w.value})); err != nil {
				t.Fatalf("the default profile refuses %s=%s: %v", w.env, w.value, err)
			}
		})
	}
	if _, _, err := Load("", envOf(map[string]string{"CERROJO_PROFILE": "strict"})); err == nil {
		t.Error("an unknown profile is accepted")
	}
}

func TestCapabilitySettings(t *testing.T) {
	bad := map[string]string{
		"CERROJO_PUBLIC_URL":                   "ftp://x",
		"CERROJO_PASSWORD_PWNED_URL":           "http://pwned.example.com",
		"CERROJO_PASSWORD_ARGON2_MEMORY_KIB":   "1024",
		"CERROJO_SESSIONS_IDLE_TIMEOUT":        "2000h",
		"CERROJO_SESSIONS_AT_LIMIT":            "whatever",
		"CERROJO_SESSIONS_REFRESH_REUSE_GRACE": "5m",
		"CERROJO_ACCOUNTS_LOCKOUT_THRESHOLD":   "1",
		"CERROJO_MFA_STEP_UP_MAX_AGE":          "2h",
		"CERROJO_MFA_CODE_TTL":                 "11m",
		"CERROJO_MFA_MAX_FAILURES":             "50",
		"CERROJO_MFA_REQUIRED_ROLES":           "admin, Super Admin",
		"CERROJO_MFA_ISSUER":                   "Mercado: Ejemplo",
		"CERROJO_MFA_WEBAUTHN_RP_ID":           "https://example.co",
		"CERROJO_MFA_WEBAUTHN_ORIGINS":         "https://example.co/login",
		"CERROJO_SMS_PROVIDER":                 "carrier-pigeon",
		"CERROJO_HTTP_TLS_CERT_FILE":           "/etc/cerrojo/tls.crt",
		"CERROJO_HTTP_CORS_ORIGINS":            "https://www.ejemplo.co/app",
		"CERROJO_HTTP_TRUSTED_PROXIES":         "10.0.0.0/8, proxy.internal",
	}
	for env, value := range bad {
		if _, _, err := Load("", envOf(map[string]string{env: value})); err == nil ||
			!strings.Contains(err.Error(), env) {
			t.Errorf("%s=%s: got %v, want an error naming it", env, value, err)
		}
	}
	_, _, err := Load("", envOf(map[string]string{"CERROJO_SMS_PROVIDER": "http"}))
	if err == nil || !strings.Contains(err.Error(), "sms.http.url") {
		t.Errorf("http provider without a URL: got %v", err)
	}
	_, _, err = Load("", envOf(map[string]string{"CERROJO_SMS_PROVIDER": "http",
		"CERROJO_SMS_HTTP_URL": "https://sms.example.co/send", "CERROJO_SMS_HTTP_TOKEN": "t",
		"CERROJO_SMS_HTTP_USERNAME": "u"}))
	if err == nil || !strings.Contains(err.Error(), "alternatives") || strings.Contains(err.Error(), "=t") {
		t.Errorf("token and basic auth together: got %v", err)
	}
	cfg, _, err := Load("", envOf(map[string]string{"CERROJO_MFA_REQUIRED_ROLES": " admin ,vendor_owner,",
		"CERROJO_MFA_WEBAUTHN_ORIGINS": "https://example.co, https://vendedores.example.co"}))
	if err != nil || !slices.Equal(List(cfg.MFA.RequiredRoles), []string{"admin", "vendor_owner"}) {
		t.Errorf("valid MFA lists: got %v, %q", err, List(cfg.MFA.RequiredRoles))
	}
	_, _, err = Load("", envOf(map[string]string{"CERROJO_SESSIONS_IDLE_TIMEOUT": "48h",
		"CERROJO_SESSIONS_ABSOLUTE_TIMEOUT": "24h"}))
	if err == nil || !strings.Contains(err.Error(), "must not exceed sessions.absolute_timeout") {
		t.Errorf("idle above absolute: got %v", err)
	}
}
