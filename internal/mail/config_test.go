package mail

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func smtpConfig() Config {
	cfg := DefaultConfig()
	cfg.From = "Mercado Ejemplo <no-reply@mercado.example>"
	cfg.SMTP.Host = "smtp.mercado.example"
	cfg.SMTP.Username = "cerrojo"
	cfg.SMTP.Password = "s3creto-de-prueba"
	return cfg
}

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	if err := smtpConfig().Validate(); err != nil {
		t.Fatalf("SMTP config: %v", err)
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		field  string
	}{
		{"from missing", func(c *Config) { c.From = "" }, "mail.from"},
		{"from with CRLF", func(c *Config) { c.From = "a@b.co\r\nBcc: x@y.co" }, "mail.from"},
		{"from with two addresses", func(c *Config) { c.From = "a@b.co, c@d.co" }, "mail.from"},
		{"site name empty", func(c *Config) { c.SiteName = "" }, "mail.site_name"},
		{"support URL over http", func(c *Config) { c.SupportURL = "http://ayuda.example" },
			"mail.support_url"},
		{"outbox below the floor", func(c *Config) { c.Outbox.MaxBytes = minOutboxBytes - 1 },
			"mail.outbox.max_bytes"},
		{"outbox past the cap", func(c *Config) { c.Outbox.MaxBytes = maxOutboxBytes + 1 },
			"mail.outbox.max_bytes"},
		{"host with port", func(c *Config) { c.SMTP.Host = "smtp.example:587" }, "mail.smtp.host"},
		{"host with scheme", func(c *Config) { c.SMTP.Host = "smtp://smtp.example" },
			"mail.smtp.host"},
		{"unix socket host", func(c *Config) { c.SMTP.Host = "unix:///run/smtp.sock" },
			"mail.smtp.host"},
		{"port negative", func(c *Config) { c.SMTP.Port = -1 }, "mail.smtp.port"},
		{"port too large", func(c *Config) { c.SMTP.Port = 65536 }, "mail.smtp.port"},
		{"unknown TLS mode", func(c *Config) { c.SMTP.TLS = "opportunistic" }, "mail.smtp.tls"},
		{"plain text to a remote host", func(c *Config) { c.SMTP.TLS = TLSNone }, "mail.smtp.tls"},
		{"plain text to a look-alike host", func(c *Config) {
			c.SMTP.TLS, c.SMTP.Host = TLSNone, "localhost.evil.example"
		}, "mail.smtp.tls"},
		{"password without username", func(c *Config) { c.SMTP.Username = "" },
			"mail.smtp.username"},
		{"username without password", func(c *Config) { c.SMTP.Password = "" },
			"mail.smtp.username"},
		{"timeout too short", func(c *Config) { c.SMTP.Timeout = minTimeout - 1 },
			"mail.smtp.timeout"},
		{"timeout too long", func(c *Config) { c.SMTP.Timeout = maxTimeout + time.Second },
			"mail.smtp.timeout"},
		{"no attempts", func(c *Config) { c.SMTP.MaxAttempts = 0 }, "mail.smtp.max_attempts"},
		{"too many attempts", func(c *Config) { c.SMTP.MaxAttempts = maxAttempts + 1 },
			"mail.smtp.max_attempts"},
		{"backoff too short", func(c *Config) { c.SMTP.RetryBackoff = minBackoff - 1 },
			"mail.smtp.retry_backoff"},
		{"backoff too long", func(c *Config) { c.SMTP.RetryBackoff = maxBackoff + 1 },
			"mail.smtp.retry_backoff"},
		{"credentials without host", func(c *Config) { c.SMTP.Host = "" }, "mail.smtp.host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smtpConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FieldError", err)
			}
			if fe.Field != tc.field {
				t.Errorf("got field %q, want %q (error: %v)", fe.Field, tc.field, err)
			}
		})
	}
}

func TestConfigAllowsPlainTextOnLoopback(t *testing.T) {
	for _, host := range []string{"localhost", "LOCALHOST", "127.0.0.1", "127.0.0.53", "::1"} {
		cfg := smtpConfig()
		cfg.SMTP.Host, cfg.SMTP.TLS = host, TLSNone
		if err := cfg.Validate(); err != nil {
			t.Errorf("host %s: %v", host, err)
		}
	}
}

func TestConfigPortDefaults(t *testing.T) {
	for mode, want := range map[TLSMode]int{"": 587, TLSStartTLS: 587, TLSImplicit: 465,
		TLSNone: 25} {
		if got := (SMTPConfig{TLS: mode}).port(); got != want {
			t.Errorf("mode %q: got port %d, want %d", mode, got, want)
		}
	}
	if got := (SMTPConfig{TLS: TLSImplicit, Port: 2465}).port(); got != 2465 {
		t.Errorf("explicit port: got %d, want 2465", got)
	}
}

func TestConfigNeverPrintsThePassword(t *testing.T) {
	cfg := smtpConfig()
	cfg.SMTP.Timeout = 0 // force an error that prints values
	secret := cfg.SMTP.Password.Reveal()
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		fmt.Sprint(cfg.Validate())} {
		if strings.Contains(s, secret) {
			t.Errorf("password printed in %q", s)
		}
	}
}
