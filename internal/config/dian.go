package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DIANConfig sets the link with the DIAN for electronic invoicing
// (docs/dian.md): which environment the web service client calls, how it
// retries, and the codes the CUFE and CUDE are computed with by default.
// The certificate requests are signed with is not configured here: it is
// imported into the database, sealed (`cerrojo dian cert import`).
type DIANConfig struct {
	// Environment is habilitacion (the DIAN's test environment, TipoAmbiente
	// 2) or produccion (1).
	Environment string `yaml:"environment" env:"CERROJO_DIAN_ENVIRONMENT"`
	// Endpoint replaces the environment's web service URL (a proxy).
	Endpoint string `yaml:"endpoint" env:"CERROJO_DIAN_ENDPOINT"`
	// Timeout bounds each attempt of a call.
	Timeout Duration `yaml:"timeout" env:"CERROJO_DIAN_TIMEOUT"`
	// MaxAttempts bounds the attempts of a query (GetStatus, GetStatusZip,
	// GetNumberingRange), retried with exponential backoff.
	MaxAttempts int `yaml:"max_attempts" env:"CERROJO_DIAN_MAX_ATTEMPTS"`
	// RetryBackoff is the wait after the first failed attempt, doubled
	// after each further one (at most 16 times it).
	RetryBackoff Duration `yaml:"retry_backoff" env:"CERROJO_DIAN_RETRY_BACKOFF"`
	// MaxResponseBytes bounds an answer of the DIAN.
	MaxResponseBytes int64 `yaml:"max_response_bytes" env:"CERROJO_DIAN_MAX_RESPONSE_BYTES"`
	// SoftwareID is the identifier of the marketplace's invoicing software
	// registered with the DIAN (GetNumberingRange's softwareCode).
	SoftwareID string `yaml:"software_id" env:"CERROJO_DIAN_SOFTWARE_ID"`
	// SoftwarePIN is that software's PIN: the key of the CUDE of notes.
	SoftwarePIN Secret `yaml:"software_pin" env:"CERROJO_DIAN_SOFTWARE_PIN"`
	// TechnicalKey is the technical key (ClTec) of the numbering range
	// invoices use by default: the key of the CUFE.
	TechnicalKey Secret `yaml:"technical_key" env:"CERROJO_DIAN_TECHNICAL_KEY"`
}

// DefaultDIAN is the DIAN section's defaults: habilitación.
func DefaultDIAN() DIANConfig {
	return DIANConfig{Environment: "habilitacion", Timeout: Duration(30 * time.Second),
		MaxAttempts: 3, RetryBackoff: Duration(500 * time.Millisecond),
		MaxResponseBytes: 8 << 20}
}

var dianKey = regexp.MustCompile(`^[A-Za-z0-9]{0,128}$`)

func (d DIANConfig) validate() []error {
	var errs []error
	bad := func(key, env, value, reason string) {
		errs = append(errs, &KeyError{Key: "dian." + key, Env: "CERROJO_DIAN_" + env,
			Value: value, Reason: reason})
	}
	switch d.Environment {
	case "habilitacion", "produccion":
	default:
		bad("environment", "ENVIRONMENT", d.Environment, "must be habilitacion or produccion")
	}
	if d.Endpoint != "" {
		// Signed requests go over TLS; plain http only to this machine.
		if reason := checkBaseURL(d.Endpoint, false); reason != "" {
			bad("endpoint", "ENDPOINT", d.Endpoint, reason)
		}
	}
	if t := d.Timeout.D(); t < time.Second || t > 5*time.Minute {
		bad("timeout", "TIMEOUT", t.String(), "must be 1s to 5m")
	}
	if d.MaxAttempts < 1 || d.MaxAttempts > 10 {
		bad("max_attempts", "MAX_ATTEMPTS", fmt.Sprint(d.MaxAttempts), "must be 1 to 10")
	}
	if b := d.RetryBackoff.D(); b < 10*time.Millisecond || b > time.Minute {
		bad("retry_backoff", "RETRY_BACKOFF", b.String(), "must be 10ms to 1m")
	}
	if d.MaxResponseBytes < 64<<10 || d.MaxResponseBytes > 64<<20 {
		bad("max_response_bytes", "MAX_RESPONSE_BYTES", fmt.Sprint(d.MaxResponseBytes),
			"must be 65536 to 67108864")
	}
	if len(d.SoftwareID) > 64 || strings.ContainsFunc(d.SoftwareID, func(r rune) bool {
		return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		bad("software_id", "SOFTWARE_ID", d.SoftwareID, "must be the software's identifier "+
			"(letters, digits and '-')")
	}
	if !dianKey.MatchString(d.SoftwarePIN.Reveal()) {
		bad("software_pin", "SOFTWARE_PIN", d.SoftwarePIN.String(), "must be letters and digits")
	}
	if !dianKey.MatchString(d.TechnicalKey.Reveal()) {
		bad("technical_key", "TECHNICAL_KEY", d.TechnicalKey.String(),
			"must be letters and digits")
	}
	if d.Environment == "produccion" && d.Endpoint != "" && strings.Contains(d.Endpoint, "-hab.") {
		bad("endpoint", "ENDPOINT", d.Endpoint, "is a habilitación endpoint while the "+
			"environment is produccion")
	}
	return errs
}
