package sms

import (
	"bufio"
	"context"
	"encoding/json"
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

var outboxTime = time.Date(2026, 12, 3, 15, 0, 10, 0, time.UTC)

func newTestOutbox(t *testing.T, maxBytes int64) (*Outbox, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	o, err := NewOutbox(dir, maxBytes, clock.NewFake(outboxTime))
	if err != nil {
		t.Fatal(err)
	}
	return o, dir
}

// readOutbox decodes every line of a file strictly.
func readOutbox(t *testing.T, path string) []OutboxEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []OutboxEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var e OutboxEntry
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOutboxWritesJSONLines(t *testing.T) {
	o, dir := newTestOutbox(t, 0)
	ctx := context.Background()
	second := Message{To: "+14155552671", Body: "línea 1\nlínea 2 \"citada\""}
	for _, m := range []Message{testMessage, second} {
		if err := o.Send(ctx, m); err != nil {
			t.Fatalf("send: %v", err)
		}
	}

	if o.Path() != filepath.Join(dir, OutboxFile) {
		t.Errorf("path %q, want it in %s", o.Path(), dir)
	}
	got := readOutbox(t, o.Path())
	want := []OutboxEntry{{outboxTime, testMessage.To, testMessage.Body},
		{outboxTime, second.To, second.Body}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700, o.Path(): 0o600} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, info.Mode().Perm(), want)
		}
	}
}

func TestOutboxTightensAWiderMode(t *testing.T) {
	o, _ := newTestOutbox(t, 0)
	if err := os.WriteFile(o.Path(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(o.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := o.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(o.Path())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
}

func TestOutboxRotatesAtTheCap(t *testing.T) {
	o, _ := newTestOutbox(t, minOutboxBytes)
	ctx := context.Background()
	line, _ := json.Marshal(OutboxEntry{outboxTime, testMessage.To, testMessage.Body})
	perFile := minOutboxBytes / (len(line) + 1)
	for range perFile + 1 {
		if err := o.Send(ctx, testMessage); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(readOutbox(t, o.Path()+".1")); n != perFile {
		t.Errorf("rotated file has %d lines, want %d", n, perFile)
	}
	if n := len(readOutbox(t, o.Path())); n != 1 {
		t.Errorf("new file has %d lines, want 1", n)
	}
}

func TestOutboxConcurrentSendsKeepLinesWhole(t *testing.T) {
	o, _ := newTestOutbox(t, 0)
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := Message{To: "+573001234567", Body: fmt.Sprintf("mensaje %d %s", i,
				strings.Repeat("x", 300))}
			if err := o.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := len(readOutbox(t, o.Path())); got != n {
		t.Errorf("got %d lines, want %d", got, n)
	}
}

func TestOutboxRefuses(t *testing.T) {
	o, dir := newTestOutbox(t, 0)

	if err := o.Send(context.Background(), Message{To: "300", Body: "x"}); !errors.Is(err,
		ErrInvalidMessage) {
		t.Errorf("invalid message: got %v, want ErrInvalidMessage", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, testMessage); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := os.Stat(o.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused messages created the file: %v", err)
	}

	outside := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(outside, filepath.Join(dir, OutboxFile)); err != nil {
		t.Fatal(err)
	}
	if err := o.Send(context.Background(), testMessage); err == nil {
		t.Error("symbolic link: got nil, want an error")
	}
	if _, err := os.Stat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was written: %v", err)
	}
}

func TestNewOutboxBounds(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		max int64
		ok  bool
	}{{0, true}, {minOutboxBytes, true}, {maxOutboxBytes, true}, {minOutboxBytes - 1, false},
		{maxOutboxBytes + 1, false}, {-1, false}} {
		_, err := NewOutbox(dir, tc.max, nil)
		if (err == nil) != tc.ok {
			t.Errorf("max %d: got %v, want ok=%v", tc.max, err, tc.ok)
		}
	}
	if _, err := NewOutbox("", 0, nil); err == nil {
		t.Error("no directory: got nil, want an error")
	}
}
