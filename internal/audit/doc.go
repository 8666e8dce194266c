// Package audit is cerrojo's tamper-evident audit log: every capability
// records what it did through one Recorder, and anyone holding an old
// checkpoint can check that the log only grew.
//
// # What it guarantees
//
//   - A record and the change it describes commit together. Append writes
//     in the caller's transaction; a rolled-back change leaves no record,
//     and a committed change cannot lack one.
//   - Records are the leaves of a Merkle tree with RFC 6962 hashing
//     (golang.org/x/mod/sumdb/tlog). Leaf indexes are dense and follow
//     commit order: appends take a lock on the tree head (one row) in the
//     caller's transaction.
//   - Checkpoints (tree size and root) are signed with Ed25519 as notes
//     (golang.org/x/mod/sumdb/note), periodically and on demand. A new
//     checkpoint is signed only if the tree extends the previous one.
//   - Inclusion proofs for any record and consistency proofs between any
//     two sizes are served, and check with tlog.CheckRecord and
//     tlog.CheckTree.
//   - Verify recomputes the tree from the stored records and names the
//     first record that was modified, deleted, inserted or reordered;
//     VerifyExport does the same offline for an export.
//   - Personal data can be erased (Redact for a data subject, Prune for
//     retention) without breaking verification: the leaf covers the
//     personal part only through a salted SHA-256 commitment, and erasing
//     the data and the salt keeps the commitment. Each erasure is itself a
//     record.
//   - Details never hold secrets: keys that name one (password, token,
//     code, ...) and unmasked email addresses are refused, and every field
//     has a bound (limits.go).
//
// # Threat model
//
// The log detects changes to history made by someone who can write to the
// database but does not hold the checkpoint signing key (sealed with the
// keyring) and cannot change copies kept elsewhere (checkpoints held by
// others, exports, forwarded records). Such a person can still:
//
//   - append plausible records, as the application can, until the records
//     are checkpointed or forwarded; and erase a record's personal part
//     while naming a real redaction record, which destroys information but
//     cannot change what the record says happened;
//   - rewrite records after the newest checkpoint, together with the stored
//     tree; forwarding and frequent checkpoints narrow that window;
//   - replace the verifier keys stored in the database: whoever verifies
//     should pin the keys (VerifyOptions.VerifierKeys).
//
// On PostgreSQL, triggers refuse every UPDATE and DELETE except the one
// redaction transition, for every role including the owner; the owner can
// drop them, so production should run migrations as one role and the
// application as another (docs/audit.md). On SQLite the same triggers stop
// mistakes, not an attacker with the file.
//
// # What the caller must do
//
// Call Append last in a transaction and commit promptly: the head lock
// serialises every append in the cluster while it is held. Put no personal
// data in Action, Target.Type or RequestID, which are kept forever; use
// MaskEmail and MaskDocument in Details. Serve AdminRoutes only to
// administrators. docs/audit.md describes the design in full.
package audit
