// Package config defines cerrojo's configuration: one struct, its defaults,
// how it is read (an optional YAML file, then environment variables, which
// win), and how it is checked.
//
// Guarantees:
//   - The zero-configuration start is safe: Default() listens on loopback
//     only and keeps its data in ./cerrojo-data.
//   - A bad value never starts the server: Validate names the key (both its
//     YAML path and its environment variable) and the offending value.
//   - Secrets (the master key, passwords inside database and Redis URLs)
//     never print: their types redact themselves in YAML, fmt and slog.
//
// Every key is listed in docs/configuration.md; a test keeps that file and
// this package in step.
package config

import (
	"time"
)

// Config is the whole of cerrojo's configuration.
type Config struct {
	// ListenAddr is the host:port the HTTP server listens on.
	ListenAddr string `yaml:"listen_addr" env:"CERROJO_LISTEN_ADDR"`
	// DataDir holds the embedded database and, unless another source is
	// configured, the master key file.
	DataDir string `yaml:"data_dir" env:"CERROJO_DATA_DIR"`
	// PublicURL is where people and clients reach cerrojo: the base of
	// links in emails and the default token issuer.
	PublicURL string `yaml:"public_url" env:"CERROJO_PUBLIC_URL"`
	// Profile is "default" or "pci-dss", which tightens the defaults and
	// refuses settings weaker than PCI DSS v4.0.1 asks.
	Profile string `yaml:"profile" env:"CERROJO_PROFILE"`

	Admin     AdminConfig     `yaml:"admin"`
	Log       LogConfig       `yaml:"log"`
	Database  DatabaseConfig  `yaml:"database"`
	Redis     RedisConfig     `yaml:"redis"`
	MasterKey MasterKeyConfig `yaml:"master_key"`
	HTTP      HTTPConfig      `yaml:"http"`
	Tokens    TokensConfig    `yaml:"tokens"`
	Accounts  AccountsConfig  `yaml:"accounts"`
	Password  PasswordConfig  `yaml:"password"`
	Sessions  SessionsConfig  `yaml:"sessions"`
	Mail      MailConfig      `yaml:"mail"`
	Audit     AuditConfig     `yaml:"audit"`
	Authz     AuthzConfig     `yaml:"authz"`
	MFA       MFAConfig       `yaml:"mfa"`
	SMS       SMSConfig       `yaml:"sms"`
	RateLimit RateLimitConfig `yaml:"ratelimit"`
	Vendors   VendorsConfig   `yaml:"vendors"`
	Social    SocialConfig    `yaml:"social"`
	Setup     SetupConfig     `yaml:"setup"`
	OIDC      OIDCConfig      `yaml:"oidc"`
	DIAN      DIANConfig      `yaml:"dian"`
}

// OIDCConfig sets the OpenID Connect provider's lifetimes (docs/oidc.md).
type OIDCConfig struct {
	// AuthRequestTTL is how long a person has to sign in and consent.
	AuthRequestTTL Duration `yaml:"auth_request_ttl" env:"CERROJO_OIDC_AUTH_REQUEST_TTL"`
	// CodeTTL is how long an authorization code lives.
	CodeTTL Duration `yaml:"code_ttl" env:"CERROJO_OIDC_CODE_TTL"`
	// IDTokenTTL is the lifetime of ID tokens.
	IDTokenTTL Duration `yaml:"id_token_ttl" env:"CERROJO_OIDC_ID_TOKEN_TTL"`
}

// SetupConfig bounds the first-run setup page.
type SetupConfig struct {
	// AllowFrom lists, comma-separated, the address ranges besides loopback
	// from which the first-run setup page is accepted.
	AllowFrom string `yaml:"allow_from" env:"CERROJO_SETUP_ALLOW_FROM"`
}

// VendorsConfig sets vendor onboarding (docs/vendors.md).
type VendorsConfig struct {
	// RequiredApprovals is how many different admins must approve a vendor:
	// 1, or 2 for four eyes.
	RequiredApprovals int `yaml:"required_approvals" env:"CERROJO_VENDORS_REQUIRED_APPROVALS"`
	// InvitationTTL is how long a staff invitation link stays valid.
	InvitationTTL Duration `yaml:"invitation_ttl" env:"CERROJO_VENDORS_INVITATION_TTL"`
	// MaxDocumentBytes caps one uploaded document.
	MaxDocumentBytes int `yaml:"max_document_bytes" env:"CERROJO_VENDORS_MAX_DOCUMENT_BYTES"`
	// DocumentsDir holds the encrypted documents; data_dir/documents when
	// empty.
	DocumentsDir string `yaml:"documents_dir" env:"CERROJO_VENDORS_DOCUMENTS_DIR"`
}

// RateLimitConfig sets the request rate limits (docs/security.md). Each
// limit is written "RATE/PERIOD burst BURST", such as "20/1m burst 10":
// RATE requests per PERIOD on average, BURST of them at once. Limits are
// per client address unless the key says otherwise.
type RateLimitConfig struct {
	// Enabled turns rate limiting on; turn it off only behind a gateway
	// that limits as strictly.
	Enabled      bool   `yaml:"enabled" env:"CERROJO_RATELIMIT_ENABLED"`
	Login        string `yaml:"login" env:"CERROJO_RATELIMIT_LOGIN"`
	LoginAccount string `yaml:"login_account" env:"CERROJO_RATELIMIT_LOGIN_ACCOUNT"`
	Registration string `yaml:"registration" env:"CERROJO_RATELIMIT_REGISTRATION"`
	Recovery     string `yaml:"recovery" env:"CERROJO_RATELIMIT_RECOVERY"`
	// RecoveryAccount limits messages sent to one person.
	RecoveryAccount string `yaml:"recovery_account" env:"CERROJO_RATELIMIT_RECOVERY_ACCOUNT"`
	Code            string `yaml:"code" env:"CERROJO_RATELIMIT_CODE"`
	CodeAccount     string `yaml:"code_account" env:"CERROJO_RATELIMIT_CODE_ACCOUNT"`
	Token           string `yaml:"token" env:"CERROJO_RATELIMIT_TOKEN"`
	Check           string `yaml:"check" env:"CERROJO_RATELIMIT_CHECK"`
	Default         string `yaml:"default" env:"CERROJO_RATELIMIT_DEFAULT"`
}

// MFAConfig sets when a second factor is asked for and how factors behave
// (docs/mfa.md).
type MFAConfig struct {
	// Required makes every account hold a second factor: a person without
	// one signs in to a restricted session that can only enrol one.
	Required bool `yaml:"required" env:"CERROJO_MFA_REQUIRED"`
	// RequiredRoles is a comma-separated list of roles whose holders must
	// have a second factor. The pci-dss profile sets and requires admin and
	// super_admin (requirement 8.4.1).
	RequiredRoles string `yaml:"required_roles" env:"CERROJO_MFA_REQUIRED_ROLES"`
	// StepUpMaxAge is how recent the last authentication must be for a
	// sensitive operation (changing the password, email, factors, granting
	// roles).
	StepUpMaxAge Duration `yaml:"step_up_max_age" env:"CERROJO_MFA_STEP_UP_MAX_AGE"`
	// Issuer names the service in authenticator apps; empty means
	// mail.site_name.
	Issuer string `yaml:"issuer" env:"CERROJO_MFA_ISSUER"`
	// MaxFailures wrong codes per person in FailureWindow stop code checks
	// until the window ends.
	MaxFailures   int      `yaml:"max_failures" env:"CERROJO_MFA_MAX_FAILURES"`
	FailureWindow Duration `yaml:"failure_window" env:"CERROJO_MFA_FAILURE_WINDOW"`
	// WebAuthnRPID is the passkeys' relying party id, a registrable domain;
	// empty means the host of public_url. Changing it orphans every
	// registered passkey.
	WebAuthnRPID string `yaml:"webauthn_rp_id" env:"CERROJO_MFA_WEBAUTHN_RP_ID"`
	// WebAuthnOrigins is a comma-separated list of the origins allowed to
	// run passkey ceremonies; empty means the origin of public_url.
	WebAuthnOrigins string `yaml:"webauthn_origins" env:"CERROJO_MFA_WEBAUTHN_ORIGINS"`
	// SMSCodes offers codes by text message as a second factor.
	SMSCodes bool `yaml:"sms_codes" env:"CERROJO_MFA_SMS_CODES"`
	// SMSRequiresStrongFactor accepts codes by text message only from people
	// who also hold an authenticator app or a passkey (OWASP ASVS 5.0
	// 6.6.1).
	SMSRequiresStrongFactor bool `yaml:"sms_requires_strong_factor" env:"CERROJO_MFA_SMS_REQUIRES_STRONG_FACTOR"`
	// EmailCodes offers codes by email as a second factor.
	EmailCodes bool `yaml:"email_codes" env:"CERROJO_MFA_EMAIL_CODES"`
	// CodeTTL is how long an emailed or texted code stays valid.
	CodeTTL Duration `yaml:"code_ttl" env:"CERROJO_MFA_CODE_TTL"`
}

// SMSConfig says how text messages leave cerrojo.
type SMSConfig struct {
	// Provider is outbox (a file in the data directory, for development)
	// or http (a gateway reached by HTTPS POST).
	Provider string `yaml:"provider" env:"CERROJO_SMS_PROVIDER"`
	// From is the sender id or number the gateway shows.
	From string `yaml:"from" env:"CERROJO_SMS_FROM"`
	// OutboxMaxBytes rotates the development outbox at this size.
	OutboxMaxBytes int64         `yaml:"outbox_max_bytes" env:"CERROJO_SMS_OUTBOX_MAX_BYTES"`
	HTTP           SMSHTTPConfig `yaml:"http"`
}

// SMSHTTPConfig is the HTTP gateway of sms.provider http. Token and
// Username/Password are alternatives.
type SMSHTTPConfig struct {
	URL         string   `yaml:"url" env:"CERROJO_SMS_HTTP_URL"`
	Token       Secret   `yaml:"token" env:"CERROJO_SMS_HTTP_TOKEN"`
	Username    string   `yaml:"username" env:"CERROJO_SMS_HTTP_USERNAME"`
	Password    Secret   `yaml:"password" env:"CERROJO_SMS_HTTP_PASSWORD"`
	Timeout     Duration `yaml:"timeout" env:"CERROJO_SMS_HTTP_TIMEOUT"`
	MaxAttempts int      `yaml:"max_attempts" env:"CERROJO_SMS_HTTP_MAX_ATTEMPTS"`
}

// AuthzConfig places the authorization policy and tunes the check API.
type AuthzConfig struct {
	// PolicyFile is a YAML policy document (docs/authorization.md); empty
	// means the default marketplace policy built into cerrojo. It is read
	// and validated at start-up: an invalid policy stops the node.
	PolicyFile string `yaml:"policy_file" env:"CERROJO_AUTHZ_POLICY_FILE"`
	// AuditAllowed writes an audit record for allowed checks too; denied
	// checks are always audited.
	AuditAllowed bool `yaml:"audit_allowed" env:"CERROJO_AUTHZ_AUDIT_ALLOWED"`
	// BindingsMaxAge is how long services deciding locally (the SDK
	// authorizer) may cache a person's role bindings: how late a revoked
	// role may still be honoured there. The check API never caches.
	BindingsMaxAge Duration `yaml:"bindings_max_age" env:"CERROJO_AUTHZ_BINDINGS_MAX_AGE"`
	// PolicyMaxAge is how often services deciding locally re-fetch the
	// policy document.
	PolicyMaxAge Duration `yaml:"policy_max_age" env:"CERROJO_AUTHZ_POLICY_MAX_AGE"`
}

// AuditConfig tunes the tamper-evident audit log; package audit validates
// it further (AuditConfig is copied into audit.Config at start-up).
type AuditConfig struct {
	// RetentionDays keeps each record's personal part this long; 0 keeps it
	// forever. The pci-dss profile requires at least 366 (10.5.1).
	RetentionDays int `yaml:"retention_days" env:"CERROJO_AUDIT_RETENTION_DAYS"`
	// CheckpointEvery signs a tree head this often when the log grew.
	CheckpointEvery Duration `yaml:"checkpoint_every" env:"CERROJO_AUDIT_CHECKPOINT_EVERY"`
	// KeyName names the checkpoint signing key.
	KeyName string             `yaml:"key_name" env:"CERROJO_AUDIT_KEY_NAME"`
	Forward AuditForwardConfig `yaml:"forward"`
}

// AuditForwardConfig sends a copy of every record to an outside collector.
type AuditForwardConfig struct {
	Kind         string        `yaml:"kind" env:"CERROJO_AUDIT_FORWARD_KIND"`
	URL          CredentialURL `yaml:"url" env:"CERROJO_AUDIT_FORWARD_URL"`
	Token        Secret        `yaml:"token" env:"CERROJO_AUDIT_FORWARD_TOKEN"`
	Network      string        `yaml:"network" env:"CERROJO_AUDIT_FORWARD_NETWORK"`
	Address      string        `yaml:"address" env:"CERROJO_AUDIT_FORWARD_ADDRESS"`
	PersonalData bool          `yaml:"personal_data" env:"CERROJO_AUDIT_FORWARD_PERSONAL_DATA"`
	BatchSize    int           `yaml:"batch_size" env:"CERROJO_AUDIT_FORWARD_BATCH_SIZE"`
	Timeout      Duration      `yaml:"timeout" env:"CERROJO_AUDIT_FORWARD_TIMEOUT"`
}

// MailConfig reaches the mail server. Package mail validates it further
// (MailConfig is copied into mail.Config at start-up).
type MailConfig struct {
	From       string         `yaml:"from" env:"CERROJO_MAIL_FROM"`
	SiteName   string         `yaml:"site_name" env:"CERROJO_MAIL_SITE_NAME"`
	SupportURL string         `yaml:"support_url" env:"CERROJO_MAIL_SUPPORT_URL"`
	SMTP       MailSMTPConfig `yaml:"smtp"`
	// OutboxMaxBytes rotates the development outbox (used when no SMTP
	// host is set) at this size.
	OutboxMaxBytes int64 `yaml:"outbox_max_bytes" env:"CERROJO_MAIL_OUTBOX_MAX_BYTES"`
}

// MailSMTPConfig is the SMTP server. An empty Host sends mail to the outbox
// file in the data directory instead.
type MailSMTPConfig struct {
	Host         string   `yaml:"host" env:"CERROJO_MAIL_SMTP_HOST"`
	Port         int      `yaml:"port" env:"CERROJO_MAIL_SMTP_PORT"`
	Username     string   `yaml:"username" env:"CERROJO_MAIL_SMTP_USERNAME"`
	Password     Secret   `yaml:"password" env:"CERROJO_MAIL_SMTP_PASSWORD"`
	TLS          string   `yaml:"tls" env:"CERROJO_MAIL_SMTP_TLS"`
	Timeout      Duration `yaml:"timeout" env:"CERROJO_MAIL_SMTP_TIMEOUT"`
	MaxAttempts  int      `yaml:"max_attempts" env:"CERROJO_MAIL_SMTP_MAX_ATTEMPTS"`
	RetryBackoff Duration `yaml:"retry_backoff" env:"CERROJO_MAIL_SMTP_RETRY_BACKOFF"`
}

// TokensConfig sets access tokens and their signing keys; package tokens
// validates it further at start-up.
type TokensConfig struct {
	// Issuer is the iss of every token; empty means public_url.
	Issuer string `yaml:"issuer" env:"CERROJO_TOKENS_ISSUER"`
	// Audience is the aud of tokens whose client names none.
	Audience         string   `yaml:"audience" env:"CERROJO_TOKENS_AUDIENCE"`
	AccessTokenTTL   Duration `yaml:"access_token_ttl" env:"CERROJO_TOKENS_ACCESS_TOKEN_TTL"`
	SigningAlgorithm string   `yaml:"signing_algorithm" env:"CERROJO_TOKENS_SIGNING_ALGORITHM"`
	RotationInterval Duration `yaml:"rotation_interval" env:"CERROJO_TOKENS_ROTATION_INTERVAL"`
	JWKSMaxAge       Duration `yaml:"jwks_max_age" env:"CERROJO_TOKENS_JWKS_MAX_AGE"`
}

// IssuerURL is the token issuer: tokens.issuer, or public_url.
func (c Config) IssuerURL() string {
	if c.Tokens.Issuer != "" {
		return c.Tokens.Issuer
	}
	return c.PublicURL
}

// AccountsConfig tunes login protection.
type AccountsConfig struct {
	// LockoutThreshold failed logins in LockoutWindow lock an account.
	LockoutThreshold int `yaml:"lockout_threshold" env:"CERROJO_ACCOUNTS_LOCKOUT_THRESHOLD"`
	// LockoutWindow is how long failures are remembered.
	LockoutWindow Duration `yaml:"lockout_window" env:"CERROJO_ACCOUNTS_LOCKOUT_WINDOW"`
	// LockoutDuration is how long a lock lasts.
	LockoutDuration Duration `yaml:"lockout_duration" env:"CERROJO_ACCOUNTS_LOCKOUT_DURATION"`
	// IPThreshold failed logins from one address in LockoutWindow block it.
	IPThreshold int `yaml:"ip_threshold" env:"CERROJO_ACCOUNTS_IP_THRESHOLD"`
	// FailureDelay delays the answer to the third failed login in a
	// window; each further failure doubles it, up to FailureDelayMax.
	FailureDelay    Duration `yaml:"failure_delay" env:"CERROJO_ACCOUNTS_FAILURE_DELAY"`
	FailureDelayMax Duration `yaml:"failure_delay_max" env:"CERROJO_ACCOUNTS_FAILURE_DELAY_MAX"`
	// LinkBaseURL is where links in emails point: the marketplace's web
	// app, which serves /verify-email, /reset-password and /confirm-email
	// and calls the API with the token. Empty means public_url.
	LinkBaseURL string `yaml:"link_base_url" env:"CERROJO_ACCOUNTS_LINK_BASE_URL"`
}

// PasswordConfig sets the password policy and hashing cost.
type PasswordConfig struct {
	// MinLength in characters; 8 by default, 12 in the pci-dss profile.
	MinLength int `yaml:"min_length" env:"CERROJO_PASSWORD_MIN_LENGTH"`
	// Argon2MemoryKiB, Argon2Iterations and Argon2Parallelism are the
	// Argon2id cost of new hashes (OWASP minimum: 19456, 2, 1).
	Argon2MemoryKiB   int `yaml:"argon2_memory_kib" env:"CERROJO_PASSWORD_ARGON2_MEMORY_KIB"`
	Argon2Iterations  int `yaml:"argon2_iterations" env:"CERROJO_PASSWORD_ARGON2_ITERATIONS"`
	Argon2Parallelism int `yaml:"argon2_parallelism" env:"CERROJO_PASSWORD_ARGON2_PARALLELISM"`
	// MaxConcurrent caps password hashes computed at once; 0 means one per
	// CPU.
	MaxConcurrent int `yaml:"max_concurrent" env:"CERROJO_PASSWORD_MAX_CONCURRENT"`
	// PwnedURL enables the breached-password check against a Pwned
	// Passwords range API (https://api.pwnedpasswords.com); empty disables.
	PwnedURL string `yaml:"pwned_url" env:"CERROJO_PASSWORD_PWNED_URL"`
	// Firebase holds the hash parameters of a Firebase Auth project whose
	// users were imported, so they can log in with their old passwords.
	Firebase FirebaseConfig `yaml:"firebase"`
}

// FirebaseConfig is a Firebase Auth project's password hash parameters, as
// the Firebase console shows them.
type FirebaseConfig struct {
	SignerKey     Secret `yaml:"signer_key" env:"CERROJO_PASSWORD_FIREBASE_SIGNER_KEY"`
	SaltSeparator string `yaml:"salt_separator" env:"CERROJO_PASSWORD_FIREBASE_SALT_SEPARATOR"`
	Rounds        int    `yaml:"rounds" env:"CERROJO_PASSWORD_FIREBASE_ROUNDS"`
	MemCost       int    `yaml:"mem_cost" env:"CERROJO_PASSWORD_FIREBASE_MEM_COST"`
}

// SessionsConfig tunes sessions and refresh tokens.
type SessionsConfig struct {
	IdleTimeout     Duration `yaml:"idle_timeout" env:"CERROJO_SESSIONS_IDLE_TIMEOUT"`
	AbsoluteTimeout Duration `yaml:"absolute_timeout" env:"CERROJO_SESSIONS_ABSOLUTE_TIMEOUT"`
	// AdminIdleTimeout applies to people holding admin or super_admin;
	// 0 means IdleTimeout. The pci-dss profile sets 15m.
	AdminIdleTimeout Duration `yaml:"admin_idle_timeout" env:"CERROJO_SESSIONS_ADMIN_IDLE_TIMEOUT"`
	// MaxPerUser caps a person's sessions; 0 means no cap.
	MaxPerUser int `yaml:"max_per_user" env:"CERROJO_SESSIONS_MAX_PER_USER"`
	// AtLimit is refuse or end_oldest.
	AtLimit string `yaml:"at_limit" env:"CERROJO_SESSIONS_AT_LIMIT"`
	// RefreshIdle is how long an unused refresh token lives.
	RefreshIdle Duration `yaml:"refresh_idle" env:"CERROJO_SESSIONS_REFRESH_IDLE"`
	// RefreshFamilyLifetime is the absolute life of a refresh-token chain.
	RefreshFamilyLifetime Duration `yaml:"refresh_family_lifetime" env:"CERROJO_SESSIONS_REFRESH_FAMILY_LIFETIME"`
	// RefreshReuseGrace tolerates a retried refresh; 0 (off) is safest.
	RefreshReuseGrace Duration `yaml:"refresh_reuse_grace" env:"CERROJO_SESSIONS_REFRESH_REUSE_GRACE"`
	// RevocationPoll is how often resource servers should poll the
	// revocation list.
	RevocationPoll Duration `yaml:"revocation_poll" env:"CERROJO_SESSIONS_REVOCATION_POLL"`
}

// AdminConfig places the admin API. Admin routes (audit search and export,
// and later user and role management) are served on their own listener so
// that the network can keep them private, as Ory Kratos and Hydra do; until
// token-based admin authorization exists this listener is their only
// protection, so it defaults to loopback.
type AdminConfig struct {
	// ListenAddr is the admin API's host:port; empty disables it.
	ListenAddr string `yaml:"listen_addr" env:"CERROJO_ADMIN_LISTEN_ADDR"`
}

// LogConfig controls the process log.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" env:"CERROJO_LOG_LEVEL"`
	// Format is json (for machines) or text (for people at a terminal).
	Format string `yaml:"format" env:"CERROJO_LOG_FORMAT"`
}

// DatabaseConfig selects and tunes the database.
type DatabaseConfig struct {
	// URL selects PostgreSQL (postgres:// or postgresql://). Empty selects
	// the embedded SQLite database in DataDir.
	URL CredentialURL `yaml:"url" env:"CERROJO_DATABASE_URL"`
	// MaxOpenConns caps the connections cerrojo opens to PostgreSQL.
	MaxOpenConns int `yaml:"max_open_conns" env:"CERROJO_DATABASE_MAX_OPEN_CONNS"`
	// MigrateOnStart applies pending migrations when `serve` starts.
	MigrateOnStart bool `yaml:"migrate_on_start" env:"CERROJO_DATABASE_MIGRATE_ON_START"`
}

// RedisConfig enables Redis for counters shared between instances.
type RedisConfig struct {
	// URL is redis://, rediss:// or unix://. Empty disables Redis and
	// cerrojo keeps its counters in process or in the database.
	URL CredentialURL `yaml:"url" env:"CERROJO_REDIS_URL"`
}

// MasterKeyConfig says where the master key comes from. At most one of Value
// and File may be set; when neither is, the key lives in DataDir/master.key
// and is created on first start.
type MasterKeyConfig struct {
	// Value is the key itself: 32 bytes, standard base64.
	Value Secret `yaml:"value" env:"CERROJO_MASTER_KEY"`
	// File is a path to a file holding the key in the same encoding.
	File string `yaml:"file" env:"CERROJO_MASTER_KEY_FILE"`
	// Previous are the master keys the current one replaced, comma-separated,
	// during a rotation: they open what they sealed and never seal. Remove
	// them once `cerrojo secrets rotate` reports nothing left under them.
	Previous Secret `yaml:"previous" env:"CERROJO_MASTER_KEY_PREVIOUS"`
}

// HTTPConfig bounds the HTTP server. Every timeout exists so that a slow or
// silent client cannot hold a connection, and a goroutine, forever.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading the request headers (slowloris).
	ReadHeaderTimeout Duration `yaml:"read_header_timeout" env:"CERROJO_HTTP_READ_HEADER_TIMEOUT"`
	// ReadTimeout bounds reading the whole request, body included.
	ReadTimeout Duration `yaml:"read_timeout" env:"CERROJO_HTTP_READ_TIMEOUT"`
	// WriteTimeout bounds handling and writing the response.
	WriteTimeout Duration `yaml:"write_timeout" env:"CERROJO_HTTP_WRITE_TIMEOUT"`
	// IdleTimeout bounds how long a keep-alive connection waits.
	IdleTimeout Duration `yaml:"idle_timeout" env:"CERROJO_HTTP_IDLE_TIMEOUT"`
	// ShutdownTimeout bounds how long a graceful shutdown waits for
	// requests in flight before closing their connections.
	ShutdownTimeout Duration `yaml:"shutdown_timeout" env:"CERROJO_HTTP_SHUTDOWN_TIMEOUT"`
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes" env:"CERROJO_HTTP_MAX_BODY_BYTES"`
	// MaxHeaderBytes caps the request line and headers together.
	MaxHeaderBytes int `yaml:"max_header_bytes" env:"CERROJO_HTTP_MAX_HEADER_BYTES"`
	// TrustedProxies is a comma-separated list of the addresses or CIDR
	// ranges of the proxies in front of cerrojo. Only a connection from one
	// of them may name the client in X-Forwarded-For or Forwarded; every
	// other connection is its own client. Empty trusts no header.
	TrustedProxies string `yaml:"trusted_proxies" env:"CERROJO_HTTP_TRUSTED_PROXIES"`
	// TLSCertFile and TLSKeyFile, both set, serve HTTPS (TLS 1.2 or
	// newer) on both listeners. The files are read again when they change,
	// so a renewed certificate needs no restart.
	// CORSOrigins is a comma-separated list of the web origins (scheme,
	// host and port, such as https://www.example.co) whose pages may call
	// the public API from a browser. Empty allows none.
	CORSOrigins string `yaml:"cors_origins" env:"CERROJO_HTTP_CORS_ORIGINS"`
	TLSCertFile string `yaml:"tls_cert_file" env:"CERROJO_HTTP_TLS_CERT_FILE"`
	TLSKeyFile  string `yaml:"tls_key_file" env:"CERROJO_HTTP_TLS_KEY_FILE"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		ListenAddr: "127.0.0.1:8080",
		DataDir:    "./cerrojo-data",
		PublicURL:  "http://127.0.0.1:8080",
		Profile:    ProfileDefault,
		Admin:      AdminConfig{ListenAddr: "127.0.0.1:8081"},
		Log:        LogConfig{Level: "info", Format: "json"},
		Database: DatabaseConfig{
			MaxOpenConns:   20,
			MigrateOnStart: true,
		},
		HTTP: HTTPConfig{
			ReadHeaderTimeout: Duration(5 * time.Second),
			ReadTimeout:       Duration(15 * time.Second),
			WriteTimeout:      Duration(30 * time.Second),
			IdleTimeout:       Duration(2 * time.Minute),
			ShutdownTimeout:   Duration(20 * time.Second),
			MaxBodyBytes:      1 << 20,
			MaxHeaderBytes:    64 << 10,
		},
		Tokens: TokensConfig{
			Audience:         "marketplace-api",
			AccessTokenTTL:   Duration(10 * time.Minute),
			SigningAlgorithm: "EdDSA",
			RotationInterval: Duration(24 * time.Hour),
			JWKSMaxAge:       Duration(15 * time.Minute),
		},
		Accounts: AccountsConfig{
			LockoutThreshold: 10,
			LockoutWindow:    Duration(30 * time.Minute),
			LockoutDuration:  Duration(30 * time.Minute),
			IPThreshold:      100,
			FailureDelay:     Duration(250 * time.Millisecond),
			FailureDelayMax:  Duration(8 * time.Second),
		},
		Password: PasswordConfig{
			MinLength:         8,
			Argon2MemoryKiB:   19456,
			Argon2Iterations:  2,
			Argon2Parallelism: 1,
		},
		Sessions: SessionsConfig{
			IdleTimeout:           Duration(7 * 24 * time.Hour),
			AbsoluteTimeout:       Duration(30 * 24 * time.Hour),
			AtLimit:               "end_oldest",
			RefreshIdle:           Duration(7 * 24 * time.Hour),
			RefreshFamilyLifetime: Duration(30 * 24 * time.Hour),
			RevocationPoll:        Duration(30 * time.Second),
		},
		Authz: AuthzConfig{
			BindingsMaxAge: Duration(5 * time.Second),
			PolicyMaxAge:   Duration(time.Minute),
		},
		OIDC: OIDCConfig{
			AuthRequestTTL: Duration(30 * time.Minute),
			CodeTTL:        Duration(time.Minute),
			IDTokenTTL:     Duration(time.Hour),
		},
		DIAN: DefaultDIAN(),
		Vendors: VendorsConfig{
			RequiredApprovals: 1,
			InvitationTTL:     Duration(7 * 24 * time.Hour),
			MaxDocumentBytes:  10 << 20,
		},
		MFA: MFAConfig{
			StepUpMaxAge:            Duration(15 * time.Minute),
			MaxFailures:             5,
			FailureWindow:           Duration(15 * time.Minute),
			SMSCodes:                true,
			SMSRequiresStrongFactor: true,
			EmailCodes:              true,
			CodeTTL:                 Duration(10 * time.Minute),
		},
		// #nosec G101 -- rate-limit specs ("20/1m burst 10") for the login and token
		// endpoints, not credentials.
		RateLimit: RateLimitConfig{
			Enabled:         true,
			Login:           "20/1m burst 10",
			LoginAccount:    "10/1m burst 5",
			Registration:    "30/1h burst 10",
			Recovery:        "20/1h burst 10",
			RecoveryAccount: "5/1h burst 3",
			Code:            "30/1m burst 10",
			CodeAccount:     "10/1m burst 5",
			Token:           "600/1m burst 100",
			Check:           "6000/1m burst 1000",
			Default:         "300/1m burst 100",
		},
		SMS: SMSConfig{
			Provider:       "outbox",
			OutboxMaxBytes: 10 << 20,
			HTTP:           SMSHTTPConfig{Timeout: Duration(10 * time.Second), MaxAttempts: 3},
		},
		Mail: MailConfig{
			From:     "cerrojo <no-reply@localhost>",
			SiteName: "cerrojo",
			SMTP: MailSMTPConfig{
				TLS:          "starttls",
				Timeout:      Duration(30 * time.Second),
				MaxAttempts:  3,
				RetryBackoff: Duration(time.Second),
			},
			OutboxMaxBytes: 10 << 20,
		},
		Audit: AuditConfig{
			RetentionDays:   366,
			CheckpointEvery: Duration(time.Minute),
			KeyName:         "cerrojo-audit",
			Forward: AuditForwardConfig{BatchSize: 100,
				Timeout: Duration(10 * time.Second)},
		},
	}
}

// The profiles.
const (
	ProfileDefault = "default"
	ProfilePCIDSS  = "pci-dss"
)

// Embedded reports whether the configuration selects the embedded SQLite
// database, that is, single-node mode.
func (c Config) Embedded() bool { return c.Database.URL == "" }
