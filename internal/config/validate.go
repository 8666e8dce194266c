package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// MasterKeySize is the length of the master key in bytes (AES-256).
const MasterKeySize = 32

// Bounds on numeric settings, each with the reason it exists.
const (
	// minBodyBytes: below 1 KiB no JSON request of the API fits.
	minBodyBytes = 1 << 10
	// maxBodyBytes: no request of the API needs more than 64 MiB (document
	// uploads are streamed separately); more invites memory exhaustion.
	maxBodyBytes = 64 << 20
	// minHeaderBytes: browsers send 1-4 KiB of headers with cookies.
	minHeaderBytes = 4 << 10
	// maxHeaderBytes: Go's own default is 1 MiB; more only helps attackers.
	maxHeaderBytes = 1 << 20
	// maxOpenConns: PostgreSQL's default max_connections is 100; a single
	// node asking for more than 1000 is a typo.
	maxOpenConns = 1000
	// maxTimeout: a request that needs more than 10 minutes is a bug or an
	// attack; shutdown waiting longer than that blocks deployments.
	maxTimeout = 10 * time.Minute
)

// Validate checks every key and returns all problems found, each naming the
// key, its environment variable and the value.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, env, value, reason string) {
		errs = append(errs, &KeyError{Key: path, Env: env, Value: value, Reason: reason})
	}

	if err := checkListenAddr(c.ListenAddr); err != nil {
		bad("listen_addr", "CERROJO_LISTEN_ADDR", c.ListenAddr, err.Error())
	}
	if c.Admin.ListenAddr != "" {
		if err := checkListenAddr(c.Admin.ListenAddr); err != nil {
			bad("admin.listen_addr", "CERROJO_ADMIN_LISTEN_ADDR", c.Admin.ListenAddr, err.Error())
		} else if c.Admin.ListenAddr == c.ListenAddr {
			bad("admin.listen_addr", "CERROJO_ADMIN_LISTEN_ADDR", c.Admin.ListenAddr,
				"must differ from listen_addr")
		}
	}
	if c.DataDir == "" {
		bad("data_dir", "CERROJO_DATA_DIR", c.DataDir, "must not be empty")
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "CERROJO_LOG_LEVEL", c.Log.Level, "must be debug, info, warn or error")
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		bad("log.format", "CERROJO_LOG_FORMAT", c.Log.Format, "must be json or text")
	}

	switch c.Database.URL.Scheme() {
	case "postgres", "postgresql":
	default:
		if c.Database.URL != "" {
			bad("database.url", "CERROJO_DATABASE_URL", c.Database.URL.String(),
				"must be a postgres:// or postgresql:// URL, or empty for the embedded database")
		}
	}
	if c.Database.MaxOpenConns < 1 || c.Database.MaxOpenConns > maxOpenConns {
		bad("database.max_open_conns", "CERROJO_DATABASE_MAX_OPEN_CONNS",
			strconv.Itoa(c.Database.MaxOpenConns), fmt.Sprintf("must be 1 to %d", maxOpenConns))
	}

	switch c.Redis.URL.Scheme() {
	case "redis", "rediss", "unix":
	default:
		if c.Redis.URL != "" {
			bad("redis.url", "CERROJO_REDIS_URL", c.Redis.URL.String(),
				"must be a redis://, rediss:// or unix:// URL, or empty to run without Redis")
		}
	}

	errs = append(errs, c.MasterKey.validate()...)
	errs = append(errs, c.HTTP.validate()...)
	errs = append(errs, c.validateCapabilities()...)
	errs = append(errs, c.Social.validate()...)
	errs = append(errs, c.DIAN.validate()...)
	return errors.Join(errs...)
}

func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port, such as 127.0.0.1:8080 or :8080")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("port must be a number from 0 to 65535")
	}
	return nil
}

func (m MasterKeyConfig) validate() []error {
	if m.Value != "" && m.File != "" {
		return []error{errors.New("CERROJO_MASTER_KEY (master_key.value) and " +
			"CERROJO_MASTER_KEY_FILE (master_key.file) are both set; set only one of them")}
	}
	if m.Value != "" {
		if _, err := DecodeMasterKey(m.Value.Reveal()); err != nil {
			return []error{&KeyError{Key: "master_key.value", Env: "CERROJO_MASTER_KEY",
				Value: m.Value.String(), Reason: err.Error()}}
		}
	}
	if _, err := m.PreviousKeys(); err != nil {
		return []error{&KeyError{Key: "master_key.previous", Env: "CERROJO_MASTER_KEY_PREVIOUS",
			Value: m.Previous.String(), Reason: err.Error()}}
	}
	return nil
}

// PreviousKeys decodes master_key.previous: master keys in the same
// encoding, separated by commas.
func (m MasterKeyConfig) PreviousKeys() ([][]byte, error) {
	var out [][]byte
	for i, s := range List(m.Previous.Reveal()) {
		key, err := DecodeMasterKey(s)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		out = append(out, key)
	}
	return out, nil
}

// DecodeMasterKey decodes a master key written in standard base64. Only the
// canonical encoding of exactly MasterKeySize bytes is accepted.
func DecodeMasterKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("must be %d bytes in standard base64 (as `openssl rand -base64 32` "+
			"prints); it is not valid base64", MasterKeySize)
	}
	if len(key) != MasterKeySize {
		return nil, fmt.Errorf("must be %d bytes in standard base64; it decodes to %d bytes",
			MasterKeySize, len(key))
	}
	return key, nil
}

func (h HTTPConfig) validate() []error {
	var errs []error
	timeouts := []struct {
		path, env string
		d         Duration
	}{
		{"http.read_header_timeout", "CERROJO_HTTP_READ_HEADER_TIMEOUT", h.ReadHeaderTimeout},
		{"http.read_timeout", "CERROJO_HTTP_READ_TIMEOUT", h.ReadTimeout},
		{"http.write_timeout", "CERROJO_HTTP_WRITE_TIMEOUT", h.WriteTimeout},
		{"http.idle_timeout", "CERROJO_HTTP_IDLE_TIMEOUT", h.IdleTimeout},
		{"http.shutdown_timeout", "CERROJO_HTTP_SHUTDOWN_TIMEOUT", h.ShutdownTimeout},
	}
	for _, t := range timeouts {
		if t.d <= 0 || t.d.D() > maxTimeout {
			errs = append(errs, &KeyError{Key: t.path, Env: t.env, Value: t.d.String(),
				Reason: fmt.Sprintf("must be more than 0s and at most %s", maxTimeout)})
		}
	}
	if h.ReadHeaderTimeout > h.ReadTimeout && h.ReadTimeout > 0 {
		errs = append(errs, &KeyError{Key: "http.read_header_timeout",
			Env: "CERROJO_HTTP_READ_HEADER_TIMEOUT", Value: h.ReadHeaderTimeout.String(),
			Reason: "must not exceed http.read_timeout (" + h.ReadTimeout.String() + ")"})
	}
	if h.MaxBodyBytes < minBodyBytes || h.MaxBodyBytes > maxBodyBytes {
		errs = append(errs, &KeyError{Key: "http.max_body_bytes",
			Env:    "CERROJO_HTTP_MAX_BODY_BYTES",
			Value:  strconv.FormatInt(h.MaxBodyBytes, 10),
			Reason: fmt.Sprintf("must be %d to %d", minBodyBytes, maxBodyBytes)})
	}
	if h.MaxHeaderBytes < minHeaderBytes || h.MaxHeaderBytes > maxHeaderBytes {
		errs = append(errs, &KeyError{Key: "http.max_header_bytes",
			Env: "CERROJO_HTTP_MAX_HEADER_BYTES", Value: strconv.Itoa(h.MaxHeaderBytes),
			Reason: fmt.Sprintf("must be %d to %d", minHeaderBytes, maxHeaderBytes)})
	}
	if (h.TLSCertFile == "") != (h.TLSKeyFile == "") {
		errs = append(errs, &KeyError{Key: "http.tls_cert_file", Env: "CERROJO_HTTP_TLS_CERT_FILE",
			Value:  h.TLSCertFile,
			Reason: "and http.tls_key_file go together: set both, or neither"})
	}
	return errs
}
