package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// errAuditInconsistent is returned, after the report is printed, when
// verification found something wrong: the exit status is then 1.
var errAuditInconsistent = errors.New("the audit log is inconsistent; see the report above")

func runAudit(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		auditUsage(env)
		if len(args) == 0 {
			return usageError{"say verify or checkpoint, or export"}
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(ctx, env, args[1:])
	case "checkpoint":
		return runAuditCheckpoint(ctx, env, args[1:])
	case "export":
		return runAuditExport(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say verify, checkpoint or export",
		args[0])}
}

func auditUsage(env Env) {
	fmt.Fprintln(env.Stderr, "usage: cerrojo audit verify [--config FILE] [--json] "+
		"[--key VKEY]... [--export FILE]")
	fmt.Fprintln(env.Stderr, "       cerrojo audit checkpoint [--config FILE] [--json]")
	fmt.Fprintln(env.Stderr, "       cerrojo audit export [--config FILE] [--from TIME] "+
		"[--to TIME] [--out FILE] ...")
	fmt.Fprintln(env.Stderr)
	fmt.Fprintln(env.Stderr, "verify recomputes the audit log's Merkle tree from the stored "+
		"records (or from an")
	fmt.Fprintln(env.Stderr, "export file) and checks every checkpoint; it names the first bad "+
		"record and exits 1")
	fmt.Fprintln(env.Stderr, "when anything is wrong. checkpoint signs the current tree head now.")
	fmt.Fprintln(env.Stderr, "export writes records with their inclusion proofs against a fresh "+
		"checkpoint, as")
	fmt.Fprintln(env.Stderr, "JSON Lines; `cerrojo audit verify --export FILE` checks it offline.")
}

// keyList collects repeated --key flags.
type keyList []string

func (k *keyList) String() string { return strings.Join(*k, ",") }

func (k *keyList) Set(v string) error {
	*k = append(*k, v)
	return nil
}

func runAuditVerify(ctx context.Context, env Env, args []string) error {
	fs := newFlags("audit verify", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	exportPath := fs.String("export", "",
		"verify this export `file` offline instead of the database")
	var keys keyList
	fs.Var(&keys, "key", "trusted checkpoint verifier `key` (repeatable); without it the keys "+
		"stored in the log are used")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"verify takes no arguments"}
	}
	opts := audit.VerifyOptions{VerifierKeys: keys}

	if *exportPath != "" {
		f, err := os.Open(*exportPath)
		if err != nil {
			return fmt.Errorf("open export: %w", err)
		}
		defer f.Close()
		rep, err := audit.VerifyExport(f, opts)
		if err != nil {
			return fmt.Errorf("read export %s: %w", *exportPath, err)
		}
		return printAuditReport(env, *asJSON, rep, &rep.Report,
			fmt.Sprintf("export verified: %d records (%d redacted) against a checkpoint of "+
				"size %d", rep.Records, rep.Redacted, rep.TreeSize))
	}

	cfg, _, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	db, err := openAuditDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := audit.Verify(ctx, db, opts)
	if err != nil {
		return err
	}
	return printAuditReport(env, *asJSON, rep, rep,
		fmt.Sprintf("audit log verified: %d records (%d redacted), %d checkpoints, the latest "+
			"of size %d", rep.Records, rep.Redacted, rep.Checkpoints, rep.LatestCheckpoint))
}

// printAuditReport prints v (a report) as JSON or as text, and turns a
// failed verification into errAuditInconsistent.
func printAuditReport(env Env, asJSON bool, v any, rep *audit.Report, okText string) error {
	if asJSON {
		if err := writeJSON(env, v); err != nil {
			return err
		}
	} else if rep.OK() {
		fmt.Fprintln(env.Stdout, okText)
	} else {
		fmt.Fprintf(env.Stdout, "audit log inconsistent: %s\n", rep.Problem)
	}
	if !asJSON && rep.KeysFromLog {
		fmt.Fprintln(env.Stderr, "warning: checkpoints were checked with verifier keys read "+
			"from the log itself; pass the keys you trust with --key")
	}
	if !rep.OK() {
		return errAuditInconsistent
	}
	return nil
}

func runAuditCheckpoint(ctx context.Context, env Env, args []string) error {
	fs := newFlags("audit checkpoint", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the checkpoint as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"checkpoint takes no arguments"}
	}

	cfg, _, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	db, err := openAuditDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	key, _, err := keyring.LoadMasterKey(cfg, rand.Reader)
	if err != nil {
		return err
	}
	ring, err := keyring.NewFromConfig(rand.Reader, key, cfg)
	if err != nil {
		return err
	}
	if err := keyring.VerifyDatabase(ctx, ring, keyring.NewSQLStore(db),
		clock.System{}.Now()); err != nil {
		return err
	}

	l, err := audit.New(audit.Options{DB: db, Ring: ring, Config: app.AuditConfig(cfg.Audit)})
	if err != nil {
		return err
	}
	c, err := l.Checkpoint(ctx)
	if errors.Is(err, audit.ErrEmptyLog) {
		return errors.New("the audit log is empty; there is nothing to sign")
	}
	if err != nil {
		return err
	}
	keys, err := l.VerifierKeys(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, struct {
			Size         int64    `json:"size"`
			RootHash     string   `json:"root_hash"`
			Note         string   `json:"note"`
			VerifierKeys []string `json:"verifier_keys"`
			SignedAt     string   `json:"signed_at"`
		}{c.Size, base64.StdEncoding.EncodeToString(c.Root[:]), string(c.Note), keys,
			c.Time.UTC().Format(time.RFC3339)})
	}
	fmt.Fprintf(env.Stdout, "checkpoint of size %d\n\n%s\nverifier keys:\n", c.Size, c.Note)
	for _, k := range keys {
		fmt.Fprintf(env.Stdout, "  %s\n", k)
	}
	return nil
}

// openAuditDatabase opens the configured database and refuses one whose
// migrations (the audit tables among them) are not all applied.
func openAuditDatabase(ctx context.Context, cfg config.Config) (*storage.DB, error) {
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pending, err := db.HasPendingMigrations(ctx)
	if err != nil {
		_ = db.Close() // the migration check's error is the one returned
		return nil, err
	}
	if pending {
		_ = db.Close() // refused; a close error would not change that
		return nil, errors.New("the database has pending migrations; run `cerrojo migrate up` " +
			"first")
	}
	return db, nil
}

func runAuditExport(ctx context.Context, env Env, args []string) error {
	fs := newFlags("audit export", env)
	configPath := configFlag(fs)
	from := fs.String("from", "", "export records from this `time` on (RFC 3339, inclusive)")
	to := fs.String("to", "", "export records before this `time` (RFC 3339, exclusive)")
	out := fs.String("out", "", "write to this new `file` (mode 0600) instead of stdout")
	limit := fs.Int("limit", 0, fmt.Sprintf("export at most `n` records (default 10000, at "+
		"most %d)", audit.MaxExportLimit))
	cursor := fs.String("cursor", "", "continue from a previous export's next_cursor")
	noPersonal := fs.Bool("no-personal", false, "leave out every record's personal part")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo audit export [flags]")
		fs.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nWrites the records, oldest first, with their inclusion "+
			"proofs against a checkpoint\nsigned for the occasion, as JSON Lines. Check it "+
			"offline with\n`cerrojo audit verify --export FILE --key VKEY`. An export cut at "+
			"--limit ends with a\nnext_cursor; pass it as --cursor for the next file.")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"export takes no arguments"}
	}
	opts := audit.ExportOptions{WithoutPersonal: *noPersonal}
	var err error
	if opts.From, err = exportTime("from", *from); err != nil {
		return err
	}
	if opts.To, err = exportTime("to", *to); err != nil {
		return err
	}
	if !opts.From.IsZero() && !opts.To.IsZero() && !opts.From.Before(opts.To) {
		return usageError{"--from must be before --to"}
	}
	if *limit < 0 || *limit > audit.MaxExportLimit {
		return usageError{fmt.Sprintf("--limit must be between 1 and %d", audit.MaxExportLimit)}
	}
	opts.Limit, opts.Cursor = *limit, *cursor

	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	size, err := a.Audit.Size(ctx)
	if err != nil {
		return err
	}
	if size == 0 {
		return errors.New("the audit log is empty; there is nothing to export")
	}

	if *out == "" {
		tail := &tailWriter{}
		if err := a.Audit.Export(ctx, io.MultiWriter(env.Stdout, tail), opts); err != nil {
			return err
		}
		noteNextCursor(env, tail.last())
		return nil
	}
	// O_EXCL: an existing file, perhaps an earlier export, is never
	// overwritten.
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists; refusing to overwrite it", *out)
	}
	if err != nil {
		return err
	}
	tail := &tailWriter{}
	err = a.Audit.Export(ctx, io.MultiWriter(f, tail), opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(*out) // an incomplete export is of no use; the error says why
		return err
	}
	var end struct {
		Records int64 `json:"records"`
	}
	_ = json.Unmarshal(tail.last(), &end) // the count is only informative
	fmt.Fprintf(env.Stdout, "exported %d records to %s; check it with "+
		"`cerrojo audit verify --export %s`\n", end.Records, *out, *out)
	noteNextCursor(env, tail.last())
	return nil
}

func exportTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--%s must be an RFC 3339 time such as "+
			"2025-01-31T00:00:00Z", name)}
	}
	return t, nil
}

// noteNextCursor tells, on stderr, how to continue an export that stopped
// at its limit. end is the export's last line.
func noteNextCursor(env Env, end []byte) {
	var e struct {
		NextCursor string `json:"next_cursor"`
	}
	if json.Unmarshal(end, &e) == nil && e.NextCursor != "" {
		fmt.Fprintf(env.Stderr, "the export stopped at its limit; continue with --cursor %s\n",
			e.NextCursor)
	}
}

// tailWriter keeps the last line written through it: an export's end line.
type tailWriter struct{ buf []byte }

const maxTail = 4096

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > maxTail {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-maxTail:]...)
	}
	return len(p), nil
}

func (t *tailWriter) last() []byte {
	b := bytes.TrimRight(t.buf, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return b
}
