package mail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cerrojo/cerrojo/internal/clock"
)

// OutboxFile is the outbox's file name in the data directory; the rotated
// copy adds ".1".
const OutboxFile = "outbox.mbox"

// Outbox is the Sender of development setups with no SMTP server: it
// appends each message, whole and readable, to an mbox file in the data
// directory. Codes and links land there and nowhere else; this package
// never logs.
//
// The file is created with mode 0600 (and set to it if it was wider), as
// it holds live codes and links. When an append would take it past
// MaxBytes it is renamed to outbox.mbox.1, replacing the previous copy,
// so the outbox never holds more than twice MaxBytes.
//
// An Outbox is safe for concurrent use within one process. Two processes
// appending to the same file write whole entries (O_APPEND), but their
// rotations could race; the embedded database allows one process per data
// directory anyway.
type Outbox struct {
	dir      string
	from     *mail.Address
	maxBytes int64
	clock    clock.Clock

	mu sync.Mutex // serialises appends and rotation
}

// NewOutbox checks cfg and returns an outbox in dir, creating dir (mode
// 0700) if needed.
func NewOutbox(dir string, cfg Config, clk clock.Clock) (*Outbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new outbox: %w", err)
	}
	from, err := parseFrom(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("new outbox: mail.from %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("new outbox: %w", err)
	}
	return &Outbox{dir: dir, from: from, maxBytes: cfg.Outbox.MaxBytes, clock: clk}, nil
}

// Path returns the outbox file's path, for telling a developer where to
// look.
func (o *Outbox) Path() string { return filepath.Join(o.dir, OutboxFile) }

// Send appends m to the outbox file.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	entry := encodeEntry(o.from, m, o.clock.Now())

	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.appendEntry(entry); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	return nil
}

func (o *Outbox) appendEntry(entry []byte) error {
	// os.Root keeps every file operation inside the data directory, even
	// if someone replaces the outbox with a symbolic link pointing out.
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return err
	}
	defer root.Close()

	size, err := fileSize(root, OutboxFile)
	if err != nil {
		return err
	}
	if size > 0 && size+int64(len(entry)) > o.maxBytes {
		if err := root.Rename(OutboxFile, OutboxFile+".1"); err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
	}

	f, err := root.OpenFile(OutboxFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err := restrictMode(f); err != nil {
		_ = f.Close()
		return err
	}
	// One write per entry: with O_APPEND and the mutex, entries never
	// interleave.
	if _, err := f.Write(entry); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func fileSize(root *os.Root, name string) (int64, error) {
	info, err := root.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if !info.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", name)
	}
	return info.Size(), nil
}

// restrictMode sets the file to 0600 if it was created earlier with wider
// permissions (by hand, or under another umask).
func restrictMode(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Mode().Perm()&^0o600 != 0 {
		return f.Chmod(0o600)
	}
	return nil
}

// NewSender returns the sender the configuration asks for: SMTP when
// mail.smtp.host is set, otherwise the outbox in dataDir. The outbox is
// for development; see docs/email.md.
func NewSender(cfg Config, dataDir string, clk clock.Clock) (Sender, error) {
	if strings.TrimSpace(cfg.SMTP.Host) != "" {
		s, err := NewSMTPSender(cfg, clk)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	o, err := NewOutbox(dataDir, cfg, clk)
	if err != nil {
		return nil, err
	}
	return o, nil
}
