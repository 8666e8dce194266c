package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Checkpoint is a signed tree head: the size and root hash of the tree,
// signed with the log's Ed25519 key as a note (golang.org/x/mod/sumdb/note).
// The note's text is tlog.FormatTree's three lines followed by one line
// "time <RFC 3339 UTC>" saying when it was signed, which tlog.ParseTree
// ignores.
type Checkpoint struct {
	Size int64
	Root tlog.Hash
	// Note is the signed note, verifiable with the log's verifier key.
	Note []byte
	// Time is when it was signed.
	Time time.Time
}

// aadPrivate binds a sealed signing key to its row.
func aadPrivate(name string) []byte { return []byte("audit_signing_keys.private:" + name) }

// loadSigner returns the checkpoint signer, creating and storing the key on
// first use. Nodes that start together agree on one key: the first insert
// wins and every node then reads it back.
func (l *Log) loadSigner(ctx context.Context) (note.Signer, error) {
	l.signerMu.Lock()
	defer l.signerMu.Unlock()
	if l.signer != nil {
		return l.signer, nil
	}
	if l.ring == nil {
		return nil, ErrNoSigner
	}

	name := l.cfg.KeyName
	if name == "" {
		name = DefaultKeyName
	}
	sealed, vkey, err := l.readSigningKey(ctx, name)
	if errors.Is(err, sql.ErrNoRows) {
		err = l.createSigningKey(ctx, name)
		if err == nil {
			sealed, vkey, err = l.readSigningKey(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load audit signing key: %w", err)
	}

	skey, err := l.ring.Open(sealed, aadPrivate(name))
	if err != nil {
		return nil, fmt.Errorf("open audit signing key: %w", err)
	}
	signer, err := note.NewSigner(string(skey))
	if err != nil {
		return nil, fmt.Errorf("open audit signing key: %w", err)
	}
	// The stored verifier key is what verifiers are given; it must be the
	// private key's own, or every checkpoint would fail to verify.
	derived, err := verifierKeyOf(string(skey))
	if err != nil || derived != vkey {
		return nil, errors.New("open audit signing key: the stored verifier key does not " +
			"match the private key")
	}
	l.signer, l.verifier = signer, vkey
	return signer, nil
}

func (l *Log) readSigningKey(ctx context.Context, name string) ([]byte, string, error) {
	var sealed []byte
	var vkey string
	err := l.db.QueryRowContext(ctx, l.db.Rebind(
		"SELECT private_sealed, verifier_key FROM audit_signing_keys WHERE name = ?"), name).
		Scan(&sealed, &vkey)
	return sealed, vkey, err
}

func (l *Log) createSigningKey(ctx context.Context, name string) error {
	skey, vkey, err := note.GenerateKey(l.rand, name)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	sealed, err := l.ring.Seal([]byte(skey), aadPrivate(name))
	if err != nil {
		return err
	}
	_, err = l.db.ExecContext(ctx, l.db.Rebind("INSERT INTO audit_signing_keys "+
		"(name, verifier_key, private_sealed, created_us) VALUES (?, ?, ?, ?) "+
		"ON CONFLICT (name) DO NOTHING"), name, vkey, sealed, l.clock.Now().UnixMicro())
	return err
}

// verifierKeyOf derives the verifier key of a note signer key
// ("PRIVATE+KEY+name+hash+base64(0x01 || seed)").
func verifierKeyOf(skey string) (string, error) {
	// The key's base64 may itself hold '+': split off the four fields
	// before it only.
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("malformed signer key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("malformed signer key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// VerifierKeys returns the verifier keys of every checkpoint signing key
// the database holds. Whoever relies on checkpoints should keep these
// outside the database and pass them to verification: keys read from the
// database are only as trustworthy as the database.
func (l *Log) VerifierKeys(ctx context.Context) ([]string, error) {
	return verifierKeys(ctx, l.db)
}

func verifierKeys(ctx context.Context, db *storage.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx,
		"SELECT verifier_key FROM audit_signing_keys ORDER BY created_us, name")
	if err != nil {
		return nil, fmt.Errorf("load audit verifier keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("load audit verifier keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Checkpoint signs the current tree head, unless the newest checkpoint is
// already of this size, and returns the newest checkpoint. Before signing
// it checks that the tree extends the previous checkpoint (an RFC 6962
// consistency proof, checked with tlog.CheckTree) and refuses with
// ErrInconsistent when it does not: a log that was rewritten is never
// signed over.
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	signer, err := l.loadSigner(ctx)
	if err != nil {
		return nil, err
	}

	size, err := l.Size(ctx)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, ErrEmptyLog
	}
	reader := hashReader(ctx, l.db, l.db)
	root, err := tlog.TreeHash(size, reader)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}

	prev, err := l.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, ErrNoCheckpoint):
	case err != nil:
		return nil, err
	case prev.Size == size:
		if prev.Root != root {
			return nil, ErrInconsistent
		}
		return prev, nil
	case prev.Size > size:
		// Another node may have appended and signed since we read the size;
		// only a head that is still behind the checkpoint is an alteration.
		now, err := l.Size(ctx)
		if err != nil {
			return nil, err
		}
		if now < prev.Size {
			return nil, ErrInconsistent
		}
		return prev, nil
	default:
		proof, err := tlog.ProveTree(size, prev.Size, reader)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if tlog.CheckTree(proof, size, root, prev.Size, prev.Root) != nil {
			return nil, ErrInconsistent
		}
	}

	now := l.clock.Now().UTC()
	text := string(tlog.FormatTree(tlog.Tree{N: size, Hash: root})) +
		"time " + now.Format(time.RFC3339) + "\n"
	signed, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: sign: %w", err)
	}
	_, err = l.db.ExecContext(ctx, l.db.Rebind("INSERT INTO audit_checkpoints "+
		"(size, root_hash, key_name, note, created_us) VALUES (?, ?, ?, ?, ?) "+
		"ON CONFLICT (size) DO NOTHING"), size, root[:], signer.Name(), string(signed),
		now.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("checkpoint: store: %w", err)
	}
	// Another node may have signed the same size first; return what is
	// stored, which is then the same tree.
	return l.LatestCheckpoint(ctx)
}

// LatestCheckpoint returns the newest stored checkpoint, checked against
// the database's own verifier keys, or ErrNoCheckpoint.
func (l *Log) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	keys, err := l.VerifierKeys(ctx)
	if err != nil {
		return nil, err
	}
	var text string
	var created int64
	err = l.db.QueryRowContext(ctx,
		"SELECT note, created_us FROM audit_checkpoints ORDER BY size DESC LIMIT 1").
		Scan(&text, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoCheckpoint
	}
	if err != nil {
		return nil, fmt.Errorf("load audit checkpoint: %w", err)
	}
	c, err := OpenCheckpoint([]byte(text), keys)
	if err != nil {
		return nil, fmt.Errorf("load audit checkpoint: %w", err)
	}
	return c, nil
}

// OpenCheckpoint checks a signed checkpoint note against verifier keys and
// returns what it says. At least one of the keys must have signed it; a
// signature by an unknown key is ignored, a bad one by a known key refused.
func OpenCheckpoint(signed []byte, verifierKeys []string) (*Checkpoint, error) {
	if len(signed) > maxNoteBytes {
		return nil, errors.New("checkpoint note is too long")
	}
	var vs []note.Verifier
	for _, k := range verifierKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("verifier key: %w", err)
		}
		vs = append(vs, v)
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	if err != nil {
		return nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return nil, fmt.Errorf("checkpoint text: %w", err)
	}
	c := &Checkpoint{Size: tree.N, Root: tree.Hash, Note: signed}
	// Line 4 is ours: "time <RFC 3339>".
	lines := strings.SplitN(n.Text, "\n", 5)
	if len(lines) >= 4 {
		if ts, ok := strings.CutPrefix(lines[3], "time "); ok {
			c.Time, _ = time.Parse(time.RFC3339, ts)
		}
	}
	return c, nil
}

// RunCheckpointer signs a checkpoint every interval while the tree grows,
// until ctx ends. Failures are logged and retried at the next tick; an
// ErrInconsistent failure is logged at error level, because it means the
// stored log was altered.
func (l *Log) RunCheckpointer(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("audit checkpointer: interval %s must be positive", every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		_, err := l.Checkpoint(ctx)
		switch {
		case err == nil, errors.Is(err, ErrEmptyLog), ctx.Err() != nil:
		case errors.Is(err, ErrInconsistent):
			l.logger.ErrorContext(ctx, "audit log no longer extends its last checkpoint; "+
				"run cerrojo audit verify", "error", err.Error())
		default:
			l.logger.WarnContext(ctx, "audit checkpoint failed", "error", err.Error())
		}
	}
}

// SealedColumns lists the log's sealed values for master key rotation.
func SealedColumns() []keyring.Column {
	return []keyring.Column{{Table: "audit_signing_keys", Column: "private_sealed",
		Keys: []string{"name"}, AAD: func(k []string) []byte { return aadPrivate(k[0]) }}}
}
