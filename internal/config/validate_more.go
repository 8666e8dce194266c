package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// applyProfile fills the keys a profile tightens, where the operator set
// no value of their own. Explicit values are kept and then checked by
// Validate, which refuses any that the profile forbids.
func applyProfile(c *Config, explicit map[string]string) {
	if c.Profile != ProfilePCIDSS {
		return
	}
	set := func(key string, apply func()) {
		if _, ok := explicit[key]; !ok {
			apply()
		}
	}
	// PCI DSS v4.0.1 8.3.6: at least 12 characters.
	set("password.min_length", func() { c.Password.MinLength = 12 })
	// PCI DSS v4.0.1 8.2.8: 15 minutes idle for administrative access.
	set("sessions.admin_idle_timeout", func() { c.Sessions.AdminIdleTimeout = Duration(15 * time.Minute) })
	// PCI DSS v4.0.1 8.4.1: MFA for all non-console administrative access.
	set("mfa.required_roles", func() { c.MFA.RequiredRoles = "admin,super_admin" })
}

// List splits a comma-separated setting into its trimmed, non-empty items.
func List(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// durationKey is a duration setting and its allowed range.
type durationKey struct {
	path, env string
	d         Duration
	min, max  time.Duration
	zeroOK    bool
}

func checkDurations(keys []durationKey) []error {
	var errs []error
	for _, k := range keys {
		if k.zeroOK && k.d == 0 {
			continue
		}
		if k.d.D() < k.min || k.d.D() > k.max {
			errs = append(errs, &KeyError{Key: k.path, Env: k.env, Value: k.d.String(),
				Reason: fmt.Sprintf("must be %s to %s", k.min, k.max)})
		}
	}
	return errs
}

type intKey struct {
	path, env string
	n         int
	min, max  int
}

func checkInts(keys []intKey) []error {
	var errs []error
	for _, k := range keys {
		if k.n < k.min || k.n > k.max {
			errs = append(errs, &KeyError{Key: k.path, Env: k.env, Value: strconv.Itoa(k.n),
				Reason: fmt.Sprintf("must be %d to %d", k.min, k.max)})
		}
	}
	return errs
}

const day = 24 * time.Hour

func (c Config) validateCapabilities() []error {
	var errs []error
	bad := func(path, env, value, reason string) {
		errs = append(errs, &KeyError{Key: path, Env: env, Value: value, Reason: reason})
	}

	if c.Profile != ProfileDefault && c.Profile != ProfilePCIDSS {
		bad("profile", "CERROJO_PROFILE", c.Profile, "must be default or pci-dss")
	}
	if err := checkBaseURL(c.PublicURL, true); err != "" {
		bad("public_url", "CERROJO_PUBLIC_URL", c.PublicURL, err)
	}
	if c.Accounts.LinkBaseURL != "" {
		if err := checkBaseURL(c.Accounts.LinkBaseURL, true); err != "" {
			bad("accounts.link_base_url", "CERROJO_ACCOUNTS_LINK_BASE_URL",
				c.Accounts.LinkBaseURL, err)
		}
	}
	if c.Password.PwnedURL != "" {
		if err := checkBaseURL(c.Password.PwnedURL, false); err != "" {
			bad("password.pwned_url", "CERROJO_PASSWORD_PWNED_URL", c.Password.PwnedURL, err)
		}
	}

	a, p, s := c.Accounts, c.Password, c.Sessions
	errs = append(errs, checkInts([]intKey{
		// At least 3 so typos do not lock people out; at most 100, beyond
		// which lockout stops slowing guessing.
		{"accounts.lockout_threshold", "CERROJO_ACCOUNTS_LOCKOUT_THRESHOLD", a.LockoutThreshold, 3, 100},
		{"accounts.ip_threshold", "CERROJO_ACCOUNTS_IP_THRESHOLD", a.IPThreshold, 10, 1000000},
		// NIST SP 800-63B: at least 8; 64 is the most any policy should ask.
		{"password.min_length", "CERROJO_PASSWORD_MIN_LENGTH", p.MinLength, 8, 64},
		// OWASP minimum 19 MiB; 1 GiB per hash is more than a node can give.
		{"password.argon2_memory_kib", "CERROJO_PASSWORD_ARGON2_MEMORY_KIB", p.Argon2MemoryKiB, 19456, 1 << 20},
		{"password.argon2_iterations", "CERROJO_PASSWORD_ARGON2_ITERATIONS", p.Argon2Iterations, 2, 20},
		{"password.argon2_parallelism", "CERROJO_PASSWORD_ARGON2_PARALLELISM", p.Argon2Parallelism, 1, 16},
		{"password.max_concurrent", "CERROJO_PASSWORD_MAX_CONCURRENT", p.MaxConcurrent, 0, 1024},
		{"sessions.max_per_user", "CERROJO_SESSIONS_MAX_PER_USER", s.MaxPerUser, 0, 1000},
		// Past 20 guesses per window the limit no longer protects a
		// six-digit code for long.
		{"mfa.max_failures", "CERROJO_MFA_MAX_FAILURES", c.MFA.MaxFailures, 1, 20},
		{"sms.http.max_attempts", "CERROJO_SMS_HTTP_MAX_ATTEMPTS", c.SMS.HTTP.MaxAttempts, 1, 10},
		// One admin, or two different ones (four eyes).
		{"vendors.required_approvals", "CERROJO_VENDORS_REQUIRED_APPROVALS",
			c.Vendors.RequiredApprovals, 1, 2},
		// A scanned certificate fits in a few MiB; the whole file is held in
		// memory while it is checked and sealed.
		{"vendors.max_document_bytes", "CERROJO_VENDORS_MAX_DOCUMENT_BYTES",
			c.Vendors.MaxDocumentBytes, 64 << 10, 32 << 20},
	})...)
	errs = append(errs, checkDurations([]durationKey{
		{"accounts.lockout_window", "CERROJO_ACCOUNTS_LOCKOUT_WINDOW", a.LockoutWindow, time.Minute, day, false},
		{"accounts.lockout_duration", "CERROJO_ACCOUNTS_LOCKOUT_DURATION", a.LockoutDuration, time.Minute, 7 * day, false},
		{"accounts.failure_delay", "CERROJO_ACCOUNTS_FAILURE_DELAY", a.FailureDelay, 0, 10 * time.Second, true},
		{"accounts.failure_delay_max", "CERROJO_ACCOUNTS_FAILURE_DELAY_MAX", a.FailureDelayMax, 0, time.Minute, true},
		{"sessions.idle_timeout", "CERROJO_SESSIONS_IDLE_TIMEOUT", s.IdleTimeout, time.Minute, 365 * day, false},
		{"sessions.absolute_timeout", "CERROJO_SESSIONS_ABSOLUTE_TIMEOUT", s.AbsoluteTimeout, time.Minute, 365 * day, false},
		{"sessions.admin_idle_timeout", "CERROJO_SESSIONS_ADMIN_IDLE_TIMEOUT", s.AdminIdleTimeout, time.Minute, 365 * day, true},
		{"sessions.refresh_idle", "CERROJO_SESSIONS_REFRESH_IDLE", s.RefreshIdle, time.Minute, 365 * day, false},
		{"sessions.refresh_family_lifetime", "CERROJO_SESSIONS_REFRESH_FAMILY_LIFETIME", s.RefreshFamilyLifetime, time.Minute, 365 * day, false},
		{"sessions.refresh_reuse_grace", "CERROJO_SESSIONS_REFRESH_REUSE_GRACE", s.RefreshReuseGrace, 0, time.Minute, true},
		{"sessions.revocation_poll", "CERROJO_SESSIONS_REVOCATION_POLL", s.RevocationPoll, time.Second, 10 * time.Minute, false},
		// 0 makes local deciders fetch bindings on every check; more than
		// 5 minutes would leave a revoked role honoured for too long.
		{"authz.bindings_max_age", "CERROJO_AUTHZ_BINDINGS_MAX_AGE", c.Authz.BindingsMaxAge, 0, 5 * time.Minute, true},
		{"authz.policy_max_age", "CERROJO_AUTHZ_POLICY_MAX_AGE", c.Authz.PolicyMaxAge, time.Second, time.Hour, false},
		// OWASP ASVS 5.0 7.5: long enough to finish a task, short enough
		// that an unattended session cannot change credentials.
		{"mfa.step_up_max_age", "CERROJO_MFA_STEP_UP_MAX_AGE", c.MFA.StepUpMaxAge, time.Minute, time.Hour, false},
		{"mfa.failure_window", "CERROJO_MFA_FAILURE_WINDOW", c.MFA.FailureWindow, time.Minute, day, false},
		// NIST SP 800-63B 5.1.3.1 / the issue: an out-of-band code lives at
		// most 10 minutes.
		{"mfa.code_ttl", "CERROJO_MFA_CODE_TTL", c.MFA.CodeTTL, time.Minute, 10 * time.Minute, false},
		{"sms.http.timeout", "CERROJO_SMS_HTTP_TIMEOUT", c.SMS.HTTP.Timeout, time.Second, time.Minute, false},
		{"vendors.invitation_ttl", "CERROJO_VENDORS_INVITATION_TTL", c.Vendors.InvitationTTL, time.Hour, 30 * day, false},
		{"oidc.auth_request_ttl", "CERROJO_OIDC_AUTH_REQUEST_TTL", c.OIDC.AuthRequestTTL, time.Minute, day, false},
		// RFC 6749 section 4.1.2: a code lives ten minutes at most.
		{"oidc.code_ttl", "CERROJO_OIDC_CODE_TTL", c.OIDC.CodeTTL, 10 * time.Second, 10 * time.Minute, false},
		{"oidc.id_token_ttl", "CERROJO_OIDC_ID_TOKEN_TTL", c.OIDC.IDTokenTTL, time.Minute, day, false},
	})...)
	errs = append(errs, c.validateMFA()...)
	for _, p := range List(c.Setup.AllowFrom) {
		if _, err := ParseProxy(p); err != nil {
			bad("setup.allow_from", "CERROJO_SETUP_ALLOW_FROM", c.Setup.AllowFrom,
				"must be a comma-separated list of addresses or ranges such as 10.0.0.0/8")
			break
		}
	}
	for _, o := range List(c.HTTP.CORSOrigins) {
		if err := checkBaseURL(o, true); err != "" || strings.Count(o, "/") > 2 {
			bad("http.cors_origins", "CERROJO_HTTP_CORS_ORIGINS", c.HTTP.CORSOrigins,
				"must be a comma-separated list of origins such as https://www.example.co")
			break
		}
	}
	for _, p := range List(c.HTTP.TrustedProxies) {
		if _, err := ParseProxy(p); err != nil {
			bad("http.trusted_proxies", "CERROJO_HTTP_TRUSTED_PROXIES", c.HTTP.TrustedProxies,
				"must be a comma-separated list of addresses or CIDR ranges such as 10.0.0.0/8")
			break
		}
	}
	if s.IdleTimeout > s.AbsoluteTimeout {
		bad("sessions.idle_timeout", "CERROJO_SESSIONS_IDLE_TIMEOUT", s.IdleTimeout.String(),
			"must not exceed sessions.absolute_timeout ("+s.AbsoluteTimeout.String()+")")
	}
	if s.RefreshIdle > s.RefreshFamilyLifetime {
		bad("sessions.refresh_idle", "CERROJO_SESSIONS_REFRESH_IDLE", s.RefreshIdle.String(),
			"must not exceed sessions.refresh_family_lifetime ("+s.RefreshFamilyLifetime.String()+")")
	}
	if s.AtLimit != "refuse" && s.AtLimit != "end_oldest" {
		bad("sessions.at_limit", "CERROJO_SESSIONS_AT_LIMIT", s.AtLimit, "must be refuse or end_oldest")
	}

	if c.Profile == ProfilePCIDSS {
		errs = append(errs, c.validatePCIDSS()...)
	}
	return errs
}

// validatePCIDSS refuses settings weaker than PCI DSS v4.0.1 asks.
func (c Config) validatePCIDSS() []error {
	var errs []error
	forbid := func(path, env, value, reason string) {
		errs = append(errs, &KeyError{Key: path, Env: env, Value: value,
			Reason: "the pci-dss profile requires " + reason})
	}
	if c.Password.MinLength < 12 {
		forbid("password.min_length", "CERROJO_PASSWORD_MIN_LENGTH",
			strconv.Itoa(c.Password.MinLength), "at least 12 (requirement 8.3.6)")
	}
	if c.Accounts.LockoutThreshold > 10 {
		forbid("accounts.lockout_threshold", "CERROJO_ACCOUNTS_LOCKOUT_THRESHOLD",
			strconv.Itoa(c.Accounts.LockoutThreshold), "at most 10 (requirement 8.3.4)")
	}
	if c.Accounts.LockoutDuration.D() < 30*time.Minute {
		forbid("accounts.lockout_duration", "CERROJO_ACCOUNTS_LOCKOUT_DURATION",
			c.Accounts.LockoutDuration.String(), "at least 30m (requirement 8.3.4)")
	}
	if c.Audit.RetentionDays != 0 && c.Audit.RetentionDays < 366 {
		forbid("audit.retention_days", "CERROJO_AUDIT_RETENTION_DAYS",
			strconv.Itoa(c.Audit.RetentionDays), "at least 366 days, or 0 (requirement 10.5.1)")
	}
	if c.Sessions.AdminIdleTimeout == 0 || c.Sessions.AdminIdleTimeout.D() > 15*time.Minute {
		forbid("sessions.admin_idle_timeout", "CERROJO_SESSIONS_ADMIN_IDLE_TIMEOUT",
			c.Sessions.AdminIdleTimeout.String(), "15m or less (requirement 8.2.8)")
	}
	roles := List(c.MFA.RequiredRoles)
	admins := slices.Contains(roles, "admin") && slices.Contains(roles, "super_admin")
	if !c.MFA.Required && !admins {
		forbid("mfa.required_roles", "CERROJO_MFA_REQUIRED_ROLES", c.MFA.RequiredRoles,
			"admin and super_admin among them, or mfa.required (requirement 8.4.1)")
	}
	return errs
}

// validateMFA checks the second-factor and text-message settings.
func (c Config) validateMFA() []error {
	var errs []error
	bad := func(path, env, value, reason string) {
		errs = append(errs, &KeyError{Key: path, Env: env, Value: value, Reason: reason})
	}
	for _, r := range List(c.MFA.RequiredRoles) {
		if !isRoleName(r) {
			bad("mfa.required_roles", "CERROJO_MFA_REQUIRED_ROLES", c.MFA.RequiredRoles,
				"must be a comma-separated list of role names such as admin,super_admin")
			break
		}
	}
	if strings.ContainsRune(c.MFA.Issuer, ':') || len(c.MFA.Issuer) > 64 {
		bad("mfa.issuer", "CERROJO_MFA_ISSUER", c.MFA.Issuer,
			"must be at most 64 bytes without a colon (authenticator apps split labels on it)")
	}
	id := c.MFA.WebAuthnRPID
	if id != "" && (strings.ContainsAny(id, ":/ ") || !strings.Contains(id, ".") && id != "localhost") {
		bad("mfa.webauthn_rp_id", "CERROJO_MFA_WEBAUTHN_RP_ID", id,
			"must be a domain name such as example.co, without scheme or port")
	}
	for _, o := range List(c.MFA.WebAuthnOrigins) {
		if err := checkBaseURL(o, true); err != "" || strings.Count(o, "/") > 2 {
			bad("mfa.webauthn_origins", "CERROJO_MFA_WEBAUTHN_ORIGINS", c.MFA.WebAuthnOrigins,
				"must be a comma-separated list of origins such as https://example.co")
			break
		}
	}

	switch c.SMS.Provider {
	case "outbox":
	case "http":
		h := c.SMS.HTTP
		if h.URL == "" {
			bad("sms.http.url", "CERROJO_SMS_HTTP_URL", "", "is required when sms.provider is http")
		} else if err := checkBaseURL(h.URL, false); err != "" {
			bad("sms.http.url", "CERROJO_SMS_HTTP_URL", h.URL, err)
		}
		if h.Token != "" && (h.Username != "" || h.Password != "") {
			bad("sms.http.token", "CERROJO_SMS_HTTP_TOKEN", h.Token.String(),
				"and sms.http.username/password are alternatives; set one")
		}
	default:
		bad("sms.provider", "CERROJO_SMS_PROVIDER", c.SMS.Provider, "must be outbox or http")
	}
	if c.SMS.OutboxMaxBytes < 1<<10 {
		bad("sms.outbox_max_bytes", "CERROJO_SMS_OUTBOX_MAX_BYTES",
			strconv.FormatInt(c.SMS.OutboxMaxBytes, 10), "must be at least 1024")
	}
	return errs
}

// ParseProxy reads one entry of http.trusted_proxies: an address (a
// single host) or a CIDR range.
func ParseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// isRoleName reports whether s looks like a policy role name.
func isRoleName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// checkBaseURL returns why s is not an acceptable base URL, or "". Plain
// http is accepted only for loopback hosts unless allowHTTP.
func checkBaseURL(s string, allowHTTP bool) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "must be an absolute URL such as https://cuenta.example.co, without query or credentials"
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if !allowHTTP && host != "localhost" && host != "127.0.0.1" && host != "::1" {
			return "must use https (http is accepted for localhost only)"
		}
	default:
		return "must be an http or https URL"
	}
	if strings.HasSuffix(u.Path, "/") && u.Path != "/" {
		return "must not end with a slash"
	}
	return ""
}
