package mail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
)

func newTestOutbox(t *testing.T, maxBytes int64) *Outbox {
	t.Helper()
	cfg := DefaultConfig()
	if maxBytes != 0 {
		cfg.Outbox.MaxBytes = maxBytes
	}
	o, err := NewOutbox(t.TempDir(), cfg, clock.NewFake(eventTime))
	if err != nil {
		t.Fatalf("NewOutbox: %v", err)
	}
	return o
}

func readOutboxFile(t *testing.T, path string) []Message {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msgs, err := ReadOutbox(f)
	if err != nil {
		t.Fatalf("ReadOutbox: %v", err)
	}
	return msgs
}

func TestOutboxWritesReadableMessages(t *testing.T) {
	o := newTestOutbox(t, 0)
	tricky := Message{To: "beto@example.co", Subject: "Línea con From y >From",
		Text: "From here on, lines like this one\nFrom ahora\n>From quoted\n>>From twice\n" +
			"no newline at end",
		HTML: "<p>From</p>\n"}
	want := []Message{validMessage(), tricky}
	for _, m := range want {
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}

	got := readOutboxFile(t, o.Path())
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	raw, err := os.ReadFile(o.Path())
	if err != nil {
		t.Fatal(err)
	}
	// A developer reading the file sees the code and the accents as is.
	for _, s := range []string{"Subject: Su código de verificación", "Su código es 123456.",
		"To: ana@example.co", "\n>From here on", "\n>From ahora", "\n>>From quoted",
		"\n>>>From twice"} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("outbox file does not contain %q", s)
		}
	}
}

func TestOutboxFileMode(t *testing.T) {
	o := newTestOutbox(t, 0)
	// A file left behind with a wider mode is narrowed on the next write.
	if err := os.WriteFile(o.Path(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(o.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := o.Send(context.Background(), validMessage()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(o.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("got mode %o, want 600", got)
	}
}

func TestOutboxNewFileMode(t *testing.T) {
	o := newTestOutbox(t, 0)
	if err := o.Send(context.Background(), validMessage()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(o.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("got mode %o, want 600", got)
	}
}

func TestOutboxConcurrentAppendsStayWhole(t *testing.T) {
	o := newTestOutbox(t, 0)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := validMessage()
				m.Subject = fmt.Sprintf("mensaje %d-%d", w, i)
				m.Text = strings.Repeat(fmt.Sprintf("línea %d-%d\n", w, i), 200)
				if err := o.Send(context.Background(), m); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()

	got := readOutboxFile(t, o.Path())
	if len(got) != writers*each {
		t.Fatalf("got %d messages, want %d", len(got), writers*each)
	}
	seen := map[string]bool{}
	for _, m := range got {
		var w, i int
		if _, err := fmt.Sscanf(m.Subject, "mensaje %d-%d", &w, &i); err != nil {
			t.Fatalf("unexpected subject %q", m.Subject)
		}
		want := strings.Repeat(fmt.Sprintf("línea %d-%d\n", w, i), 200)
		if m.Text != want {
			t.Errorf("message %q has a body from another message", m.Subject)
		}
		seen[m.Subject] = true
	}
	if len(seen) != writers*each {
		t.Errorf("got %d distinct messages, want %d", len(seen), writers*each)
	}
}

func TestOutboxRotatesAtCap(t *testing.T) {
	const limit = minOutboxBytes
	o := newTestOutbox(t, limit)
	m := validMessage()
	m.Text = strings.Repeat("x", 100<<10) // about 100 KiB per entry

	for range 25 { // about 2.5 MiB in all
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{o.Path(), o.Path() + ".1"} {
			info, err := os.Stat(name)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.Size() > limit {
				t.Fatalf("%s is %d bytes, over the cap of %d", filepath.Base(name), info.Size(),
					limit)
			}
		}
	}

	current := readOutboxFile(t, o.Path())
	rotated := readOutboxFile(t, o.Path()+".1")
	if len(current) == 0 || len(rotated) == 0 {
		t.Fatalf("got %d current and %d rotated messages, want both non-empty", len(current),
			len(rotated))
	}
	entries, err := os.ReadDir(filepath.Dir(o.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("got %d files in the data directory, want the outbox and one rotated copy",
			len(entries))
	}
}

func TestOutboxRefusesInvalidMessages(t *testing.T) {
	o := newTestOutbox(t, 0)
	m := validMessage()
	m.Subject = "Hola\r\nBcc: todos@example.co"
	if err := o.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("got %v, want ErrInvalidMessage", err)
	}
	if _, err := os.Stat(o.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the outbox file exists after a refused message (err %v)", err)
	}
}

func TestOutboxHonoursCancelledContext(t *testing.T) {
	o := newTestOutbox(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, validMessage()); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestOutboxRefusesSymlinkOutOfDataDir(t *testing.T) {
	o := newTestOutbox(t, 0)
	outside := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(outside, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, o.Path()); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	if err := o.Send(context.Background(), validMessage()); err == nil {
		t.Error("got nil error writing through a symlink that leaves the data directory")
	}
	if data, _ := os.ReadFile(outside); len(data) != 0 {
		t.Error("the message was written outside the data directory")
	}
}

func TestNewSenderPicksOutboxWithoutHost(t *testing.T) {
	dir := t.TempDir()
	s, err := NewSender(DefaultConfig(), dir, clock.NewFake(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*Outbox); !ok {
		t.Errorf("got %T, want *Outbox", s)
	}
	cfg := smtpConfig()
	s, err = NewSender(cfg, dir, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*SMTPSender); !ok {
		t.Errorf("got %T, want *SMTPSender", s)
	}
	cfg.SMTP.Port = -1
	if s, err := NewSender(cfg, dir, clock.System{}); err == nil || s != nil {
		t.Errorf("bad config: got %v, %v; want nil and an error", s, err)
	}
}

func TestReadOutboxRejectsMalformed(t *testing.T) {
	good := string(encodeEntry(mustFrom(t), validMessage(), eventTime))
	tests := map[string]string{
		"no From line":       strings.TrimPrefix(good, "From "),
		"not multipart":      strings.Replace(good, "multipart/alternative", "text/plain", 1),
		"unterminated":       good[:strings.LastIndex(good, "--cerrojo")],
		"bad recipient":      strings.Replace(good, "To: ana@example.co", "To: ana", 1),
		"quoted-printable":   strings.Replace(good, "8bit", "quoted-printable", 1),
		"parts out of order": strings.Replace(good, "text/plain", "text/html", 1),
	}
	for name, input := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadOutbox(strings.NewReader(input)); !errors.Is(err, ErrMalformedOutbox) {
				t.Errorf("got %v, want ErrMalformedOutbox", err)
			}
		})
	}
	if msgs, err := ReadOutbox(strings.NewReader("")); err != nil || len(msgs) != 0 {
		t.Errorf("empty outbox: got %v, %v", msgs, err)
	}
}

func mustFrom(t *testing.T) *mailAddress {
	t.Helper()
	from, err := parseFrom(DefaultConfig().From)
	if err != nil {
		t.Fatal(err)
	}
	return from
}
