package audit

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// sampleExport returns an unfiltered export of 12 records and the log's
// verifier keys.
func sampleExport(t testing.TB) ([]byte, []string) {
	t.Helper()
	env := newTestLog(t, storagetest.SQLite(t))
	env.appendN(t, 12)
	var buf bytes.Buffer
	if err := env.log.Export(context.Background(), &buf, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	keys, _ := env.log.VerifierKeys(context.Background())
	return buf.Bytes(), keys
}

func TestVerifyExportNamesTheFirstBadRecord(t *testing.T) {
	export, keys := sampleExport(t)
	lines := strings.SplitAfter(string(export), "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	// lines[0] is the checkpoint, lines[1+i] record i, lines[13] the end.
	join := func(ls ...string) string { return strings.Join(ls, "") }
	without := func(i int) []string {
		return append(append([]string{}, lines[:i]...), lines[i+1:]...)
	}
	otherKey := func() []string {
		env := newTestLog(t, storagetest.SQLite(t))
		env.log.cfg.KeyName = "someone-else"
		env.appendN(t, 1)
		env.log.Checkpoint(context.Background())
		k, _ := env.log.VerifierKeys(context.Background())
		return k
	}

	tests := []struct {
		name  string
		file  string
		keys  []string
		kind  FindingKind
		index int64
	}{
		{"an action changed",
			join(append(append([]string{}, lines[:5]...), append([]string{
				strings.Replace(lines[5], `"action":"auth.login"`, `"action":"role.grant"`, 1)},
				lines[6:]...)...)...), keys, Modified, 4},
		{"an ip changed",
			join(append(append([]string{}, lines[:4]...), append([]string{
				strings.Replace(lines[4], `"ip":"192.0.2.3"`, `"ip":"192.0.2.99"`, 1)},
				lines[5:]...)...)...), keys, Modified, 3},
		{"a record line deleted", join(without(6)...), keys, Deleted, 5},
		{"two record lines swapped",
			join(append(append(append([]string{}, lines[:3]...), lines[4], lines[3]),
				lines[5:]...)...), keys, Reordered, 2},
		{"a record line repeated",
			join(append(append([]string{}, lines[:4]...), lines[3:]...)...), keys, Inserted, 2},
		{"the end cut off", join(lines[:10]...), keys, Deleted, 9},
		{"the last records and the end cut off, a new end written",
			join(append(append([]string{}, lines[:11]...), `{"type":"end","records":10}`+"\n")...),
			keys, Deleted, 10},
		{"the end line's count changed",
			join(append(append([]string{}, lines[:13]...),
				strings.Replace(lines[13], `"records":12`, `"records":13`, 1))...),
			keys, Deleted, -1},
		{"a line after the end", join(append(append([]string{}, lines...), lines[1])...),
			keys, Inserted, -1},
		{"signed by another key", string(export), otherKey(), BadCheckpoint, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.file == string(export) && tc.kind != BadCheckpoint {
				t.Fatal("the tampering did not change the file")
			}
			rep, err := VerifyExport(strings.NewReader(tc.file), VerifyOptions{VerifierKeys: tc.keys})
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if rep.OK() || rep.Problem.Kind != tc.kind || rep.Problem.Index != tc.index {
				t.Fatalf("got %+v, want %s at %d", rep.Problem, tc.kind, tc.index)
			}
		})
	}

	t.Run("the untouched export verifies, and says when keys came from it", func(t *testing.T) {
		rep, err := VerifyExport(bytes.NewReader(export), VerifyOptions{})
		if err != nil || !rep.OK() || !rep.KeysFromLog || rep.Records != 12 {
			t.Fatalf("got %+v, %v", rep, err)
		}
	})

	unreadable := []struct{ name, file string }{
		{"empty", ""},
		{"not JSON", "hello\n"},
		{"another format", `{"type":"checkpoint","format":"x","note":"","verifier_keys":[],` +
			`"contiguous":true,"first":0}` + "\n"},
		{"an unknown field", strings.Replace(string(export), `"type":"record",`,
			`"type":"record","extra":1,`, 1)},
		{"a duplicate key", strings.Replace(string(export), `"type":"record",`,
			`"type":"record","type":"record",`, 1)},
		{"a line too long", lines[0] + strings.Repeat("x", maxExportLineBytes+1) + "\n"},
	}
	for _, tc := range unreadable {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := VerifyExport(strings.NewReader(tc.file), VerifyOptions{VerifierKeys: keys})
			if err == nil {
				t.Fatal("read without error")
			}
		})
	}
}
