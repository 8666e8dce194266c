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

	Admin     AdminConfig     `yaml:"admin"`
	Log       LogConfig       `yaml:"log"`
	Database  DatabaseConfig  `yaml:"database"`
	Redis     RedisConfig     `yaml:"redis"`
	MasterKey MasterKeyConfig `yaml:"master_key"`
	HTTP      HTTPConfig      `yaml:"http"`
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
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		ListenAddr: "127.0.0.1:8080",
		DataDir:    "./cerrojo-data",
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
	}
}

// Embedded reports whether the configuration selects the embedded SQLite
// database, that is, single-node mode.
func (c Config) Embedded() bool { return c.Database.URL == "" }
