package audit

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config tunes the audit log. The zero value is safe and means: keep every
// record's personal part forever, no periodic checkpoints, no forwarding.
// DefaultConfig is what a node runs with.
type Config struct {
	// RetentionDays is how long a record's personal part is kept; after it,
	// Prune erases the personal part and keeps the public part and the
	// tree. 0 keeps everything. PCI DSS v4 requirement 10.5.1 asks for at
	// least 12 months; 12 months are at most 366 days, so the default is
	// 366 and never falls short in a leap year.
	RetentionDays int
	// CheckpointEvery is how often a checkpoint is signed when the tree has
	// grown; 0 disables the periodic checkpointer.
	CheckpointEvery time.Duration
	// KeyName names the checkpoint signing key in notes and verifier keys.
	KeyName string
	// Forward sends a copy of every record to an outside collector.
	Forward ForwardConfig
}

// ForwardConfig configures forwarding. Kind "" disables it.
type ForwardConfig struct {
	// Kind is "", "http" or "syslog".
	Kind string
	// URL is where the HTTP forwarder POSTs batches (http or https).
	URL string
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string
	// Network is "tcp" or "udp" for syslog.
	Network string
	// Address is the syslog collector's host:port.
	Address string
	// PersonalData includes each record's personal part and salt in the
	// copy. Off by default: the copy then proves what happened and in what
	// order but names nobody, and a later suppression request does not
	// have to reach the collector.
	PersonalData bool
	// BatchSize is how many records one delivery carries.
	BatchSize int
	// Timeout bounds one delivery attempt.
	Timeout time.Duration
}

// The defaults.
const (
	DefaultRetentionDays   = 366
	DefaultCheckpointEvery = time.Minute
	DefaultKeyName         = "cerrojo-audit"
	defaultBatchSize       = 100
	defaultForwardTimeout  = 10 * time.Second
	// minRetentionDays keeps a typo from erasing last week: below 30 days
	// there is too little history to investigate an incident.
	minRetentionDays = 30
	maxBatchSize     = 1000
)

// DefaultConfig is a node's configuration when nothing is set: 366 days of
// retention, a checkpoint every minute when the tree has grown (so at most a
// minute of records is unsigned at any time), no forwarding.
func DefaultConfig() Config {
	return Config{
		RetentionDays:   DefaultRetentionDays,
		CheckpointEvery: DefaultCheckpointEvery,
		KeyName:         DefaultKeyName,
		Forward:         ForwardConfig{BatchSize: defaultBatchSize, Timeout: defaultForwardTimeout},
	}
}

// Validate names the first bad field and its value.
func (c Config) Validate() error {
	if c.RetentionDays != 0 && c.RetentionDays < minRetentionDays {
		return fmt.Errorf("audit.retention_days: %d is below the minimum of %d (0 keeps "+
			"everything)", c.RetentionDays, minRetentionDays)
	}
	if c.CheckpointEvery < 0 || c.CheckpointEvery > 0 && c.CheckpointEvery < time.Second {
		return fmt.Errorf("audit.checkpoint_every: %s must be 0 (off) or at least 1s",
			c.CheckpointEvery)
	}
	if c.KeyName != "" && !validKeyName(c.KeyName) {
		return fmt.Errorf("audit.key_name: %q must be 1-64 characters of letters, digits, "+
			"'.', '_' or '-'", c.KeyName)
	}
	return c.Forward.validate()
}

func (f ForwardConfig) validate() error {
	if f.BatchSize < 0 || f.BatchSize > maxBatchSize {
		return fmt.Errorf("audit.forward.batch_size: %d must be between 1 and %d", f.BatchSize,
			maxBatchSize)
	}
	if f.Timeout < 0 {
		return fmt.Errorf("audit.forward.timeout: %s must not be negative", f.Timeout)
	}
	switch f.Kind {
	case "":
		return nil
	case "http":
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The URL may carry credentials: do not print it.
			return fmt.Errorf("audit.forward.url: must be an http or https URL")
		}
		return nil
	case "syslog":
		if f.Network != "tcp" && f.Network != "udp" {
			return fmt.Errorf("audit.forward.network: %q must be tcp or udp", f.Network)
		}
		if _, _, err := net.SplitHostPort(f.Address); err != nil {
			return fmt.Errorf("audit.forward.address: %q must be host:port", f.Address)
		}
		return nil
	default:
		return fmt.Errorf("audit.forward.kind: %q must be http, syslog or empty", f.Kind)
	}
}

// validKeyName keeps key names to a subset of what note accepts (no spaces,
// no '+') that reads well in a verifier key.
func validKeyName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.ContainsRune("._-", c)) {
			return false
		}
	}
	return true
}
