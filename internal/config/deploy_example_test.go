package config

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deployExample is the production configuration shipped in deploy/.
const deployExample = "../../deploy/cerrojo.yaml"

// deployEnv is what /etc/cerrojo/cerrojo.env gives a real node: the secrets
// the file leaves out.
var deployEnv = map[string]string{
	"CERROJO_DATABASE_URL": "postgres://cerrojo_app:s3cret@db.internal:5432/cerrojo" +
		"?sslmode=verify-full",
	"CERROJO_MAIL_SMTP_PASSWORD": "smtp-s3cret",
	"CERROJO_SMS_HTTP_TOKEN":     "sms-s3cret",
}

// TestDeployExampleLoads holds deploy/cerrojo.yaml to the configuration: it
// must load with the loader `cerrojo serve` uses, with the environment a
// real deployment sets, and keep its production settings.
func TestDeployExampleLoads(t *testing.T) {
	cfg, src, err := Load(deployExample, envOf(deployEnv))
	if err != nil {
		t.Fatalf("deploy/cerrojo.yaml does not load: %v", err)
	}

	if cfg.Profile != ProfilePCIDSS || cfg.Password.MinLength < 12 {
		t.Errorf("not under the pci-dss profile: %s, min length %d", cfg.Profile,
			cfg.Password.MinLength)
	}
	if u, err := url.Parse(cfg.PublicURL); err != nil || u.Scheme != "https" {
		t.Errorf("public_url %q is not https", cfg.PublicURL)
	}
	if cfg.Embedded() || cfg.Database.URL.Scheme() != "postgres" {
		t.Errorf("not on PostgreSQL: %q", cfg.Database.URL.Scheme())
	}
	if cfg.Database.MigrateOnStart {
		t.Errorf("migrate_on_start is on; migrations run first, as the owner role")
	}
	if cfg.Redis.URL.Scheme() != "rediss" {
		t.Errorf("redis.url scheme %q, want rediss (TLS)", cfg.Redis.URL.Scheme())
	}
	if cfg.Mail.SMTP.Host == "" || cfg.Mail.SMTP.TLS == "none" {
		t.Errorf("mail goes to %q with tls %q; want an SMTP server over TLS",
			cfg.Mail.SMTP.Host, cfg.Mail.SMTP.TLS)
	}
	if cfg.SMS.Provider != "http" {
		t.Errorf("sms.provider %q: production never runs on the outbox", cfg.SMS.Provider)
	}
	if cfg.HTTP.TrustedProxies == "" && cfg.HTTP.TLSCertFile == "" {
		t.Error("neither http.trusted_proxies nor http.tls_cert_file is set")
	}
	if cfg.Log.Level != "info" || cfg.Log.Format != "json" {
		t.Errorf("log %s/%s, want info/json", cfg.Log.Level, cfg.Log.Format)
	}
	if cfg.Audit.Forward.Kind != "syslog" || cfg.Audit.Forward.Address == "" {
		t.Errorf("audit records are not forwarded to syslog: %+v", cfg.Audit.Forward)
	}
	if cfg.Audit.RetentionDays != 0 && cfg.Audit.RetentionDays < 366 {
		t.Errorf("audit.retention_days %d is below 366", cfg.Audit.RetentionDays)
	}

	host, _, err := net.SplitHostPort(cfg.Admin.ListenAddr)
	if err != nil {
		t.Fatalf("admin.listen_addr %q: %v", cfg.Admin.ListenAddr, err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() ||
		!(ip.IsPrivate() || ip.IsLoopback()) {
		t.Errorf("admin.listen_addr %q is not on a private or loopback address",
			cfg.Admin.ListenAddr)
	}

	// The master key is a file that systemd's LoadCredential fills, never a
	// value in the file.
	if cfg.MasterKey.Value != "" ||
		cfg.MasterKey.File != "/run/credentials/cerrojo.service/master-key" {
		t.Errorf("master key: value set %t, file %q", cfg.MasterKey.Value != "",
			cfg.MasterKey.File)
	}

	// Secrets come from the environment, never from the file.
	for key, env := range map[string]string{
		"database.url":       "CERROJO_DATABASE_URL",
		"mail.smtp.password": "CERROJO_MAIL_SMTP_PASSWORD",
		"sms.http.token":     "CERROJO_SMS_HTTP_TOKEN",
	} {
		if got := src.Keys[key]; got != env {
			t.Errorf("%s comes from %q, want %s", key, got, env)
		}
	}
}

// TestDeployExampleTLSVariant checks that the commented built-in TLS variant
// of deploy/cerrojo.yaml loads once it is switched on as its comment says.
func TestDeployExampleTLSVariant(t *testing.T) {
	data, err := os.ReadFile(deployExample)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, r := range []struct{ old, new string }{
		{"\n  trusted_proxies:", "\n  # trusted_proxies:"},
		{"\n  # tls_cert_file:", "\n  tls_cert_file:"},
		{"\n  # tls_key_file:", "\n  tls_key_file:"},
		{"\nlisten_addr: 0.0.0.0:8080", "\nlisten_addr: 0.0.0.0:8443"},
	} {
		if !strings.Contains(text, r.old) {
			t.Fatalf("deploy/cerrojo.yaml no longer holds %q", r.old)
		}
		text = strings.Replace(text, r.old, r.new, 1)
	}
	path := filepath.Join(t.TempDir(), "cerrojo.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Load(path, envOf(deployEnv))
	if err != nil {
		t.Fatalf("the TLS variant does not load: %v", err)
	}
	if cfg.HTTP.TLSCertFile == "" || cfg.HTTP.TLSKeyFile == "" || cfg.HTTP.TrustedProxies != "" {
		t.Errorf("TLS variant: cert %q, key %q, trusted proxies %q", cfg.HTTP.TLSCertFile,
			cfg.HTTP.TLSKeyFile, cfg.HTTP.TrustedProxies)
	}
}
