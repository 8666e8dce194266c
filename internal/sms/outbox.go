package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
)

// OutboxFile is the outbox's file name in the data directory; the rotated
// copy adds ".1".
const OutboxFile = "sms-outbox.jsonl"

// Outbox is the Sender of development setups with no gateway: it appends
// each message to a file in the data directory, one JSON object a line:
//
//	{"time":"2026-12-03T15:00:10Z","to":"+573001234567","body":"..."}
//
// Codes land there and nowhere else; this package never logs.
//
// The file is created with mode 0600 (and set to it if it was wider), as
// it holds live codes. When an append would take it past MaxBytes it is
// renamed to sms-outbox.jsonl.1, replacing the previous copy, so the
// outbox holds at most about twice MaxBytes.
//
// An Outbox is safe for concurrent use within one process. Two processes
// appending to the same file write whole lines (O_APPEND, one write per
// line), but their rotations could race; the embedded database allows one
// process per data directory anyway.
type Outbox struct {
	dir      string
	maxBytes int64
	clock    clock.Clock

	mu sync.Mutex // serialises appends and rotation
}

// NewOutbox returns an outbox in dir, creating dir (mode 0700) if needed.
// maxBytes is the size at which the file rotates; 0 means 10 MiB. A nil
// clock means the system's.
func NewOutbox(dir string, maxBytes int64, clk clock.Clock) (*Outbox, error) {
	if maxBytes == 0 {
		maxBytes = defaultOutboxBytes
	}
	if maxBytes < minOutboxBytes || maxBytes > maxOutboxBytes {
		return nil, fmt.Errorf("new sms outbox: sms.outbox_max_bytes: %d must be %d to %d",
			maxBytes, minOutboxBytes, maxOutboxBytes)
	}
	if dir == "" {
		return nil, errors.New("new sms outbox: no data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("new sms outbox: %w", err)
	}
	if clk == nil {
		clk = clock.System{}
	}
	return &Outbox{dir: dir, maxBytes: maxBytes, clock: clk}, nil
}

// Path returns the outbox file's path, for telling a developer where to
// look.
func (o *Outbox) Path() string { return filepath.Join(o.dir, OutboxFile) }

// OutboxEntry is one line of the outbox file.
type OutboxEntry struct {
	Time time.Time `json:"time"`
	To   string    `json:"to"`
	Body string    `json:"body"`
}

// Send appends m to the outbox file.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write sms outbox: %w", err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("write sms outbox: %w", err)
	}
	line, err := json.Marshal(OutboxEntry{Time: o.clock.Now().UTC(), To: m.To, Body: m.Body})
	if err != nil {
		return fmt.Errorf("write sms outbox: %w", err)
	}
	line = append(line, '\n')

	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.appendLine(line); err != nil {
		return fmt.Errorf("write sms outbox: %w", err)
	}
	return nil
}

func (o *Outbox) appendLine(line []byte) error {
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
	if size > 0 && size+int64(len(line)) > o.maxBytes {
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
	// One write per line: with O_APPEND and the mutex, lines never
	// interleave.
	if _, err := f.Write(line); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func fileSize(root *os.Root, name string) (int64, error) {
	info, err := root.Lstat(name)
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
