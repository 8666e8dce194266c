package vendors

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/docid"
	"github.com/cerrojo/cerrojo/internal/filestore"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Statuses of a vendor.
const (
	StatusDraft     = "draft"
	StatusSubmitted = "submitted"
	StatusInReview  = "in_review"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
	StatusSuspended = "suspended"
)

// Vendor-scoped roles.
const (
	RoleOwner   = "vendor_owner"
	RoleStaff   = "vendor_staff"
	RoleManager = "vendor_manager"
)

// Review outcomes sent to the Notifier.
const (
	OutcomeApproved  = "approved"
	OutcomeRejected  = "rejected"
	OutcomeSuspended = "suspended"
)

// Notifier emails the vendor's owner and invited staff. It is called after
// the change commits; an error is logged, not returned.
type Notifier interface {
	Reviewed(ctx context.Context, ownerUserID, storeName string, outcome string,
		reasons []string) error
	StaffInvited(ctx context.Context, email, storeName, acceptLink string,
		expires time.Time) error
}

// Roles grants and revokes vendor-scoped role bindings inside the
// service's transaction.
type Roles interface {
	Grant(ctx context.Context, tx *sql.Tx, userID, role, vendorID string) error
	Revoke(ctx context.Context, tx *sql.Tx, userID, role, vendorID string) error
}

// SessionEnder ends every session of a person (except the one named, if
// any) inside the service's transaction.
type SessionEnder interface {
	EndAllSessions(ctx context.Context, tx *sql.Tx, userID, except, reason string) error
}

// Defaults for Options.
const (
	DefaultInvitationTTL    = 7 * 24 * time.Hour
	DefaultMaxDocumentBytes = 10 << 20
)

// Options configure a Service. DB, Ring, Audit, Vault, Roles and Sessions
// are required.
type Options struct {
	DB       *storage.DB
	Ring     *keyring.Ring
	Audit    *audit.Log
	Vault    *filestore.Vault
	Roles    Roles
	Sessions SessionEnder
	// Notifier may be nil: nothing is sent.
	Notifier Notifier
	Clock    clock.Clock
	Logger   *slog.Logger
	// Rand supplies ids and invitation tokens; crypto/rand by default.
	Rand io.Reader
	// RequiredApprovals is 1 or 2 (four eyes: two different reviewers);
	// 0 means 1.
	RequiredApprovals int
	// InvitationTTL is how long a staff invitation can be accepted;
	// DefaultInvitationTTL when zero.
	InvitationTTL time.Duration
	// MaxDocumentBytes caps an upload's body; DefaultMaxDocumentBytes when
	// zero.
	MaxDocumentBytes int64
	// AcceptURL is the link sent in invitations; the token is appended to
	// it, so it usually ends in "?token=".
	AcceptURL string
}

// Service runs vendor onboarding.
type Service struct {
	opts Options
	wg   sync.WaitGroup
}

// New returns a Service.
func New(opts Options) (*Service, error) {
	switch {
	case opts.DB == nil, opts.Ring == nil, opts.Audit == nil, opts.Vault == nil,
		opts.Roles == nil, opts.Sessions == nil:
		return nil, errors.New("vendors: DB, Ring, Audit, Vault, Roles and Sessions are required")
	case opts.RequiredApprovals < 0 || opts.RequiredApprovals > 2:
		return nil, errors.New("vendors: RequiredApprovals must be 1 or 2")
	}
	if opts.RequiredApprovals == 0 {
		opts.RequiredApprovals = 1
	}
	if opts.InvitationTTL <= 0 {
		opts.InvitationTTL = DefaultInvitationTTL
	}
	if opts.MaxDocumentBytes <= 0 {
		opts.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Service{opts: opts}, nil
}

// Wait blocks until the notices sent in the background are done.
func (s *Service) Wait() { s.wg.Wait() }

// Vendor is a vendor as shown to its owner and to operators: the identity
// number and bank account number are masked.
type Vendor struct {
	ID                  string         `json:"id"`
	OwnerUserID         string         `json:"owner_user_id"`
	LegalName           string         `json:"legal_name"`
	TradeName           string         `json:"trade_name"`
	PersonType          string         `json:"person_type"`
	Identification      MaskedID       `json:"identification"`
	TaxResponsibilities []string       `json:"tax_responsibilities"`
	Contact             Contact        `json:"contact"`
	Address             Address        `json:"address"`
	Bank                MaskedBank     `json:"bank_account"`
	Status              string         `json:"status"`
	Reasons             []string       `json:"reasons"`
	ReviewRound         int            `json:"review_round"`
	Approvals           int            `json:"approvals"`
	RequiredApprovals   int            `json:"required_approvals"`
	Documents           []DocumentInfo `json:"documents"`
	CreatedAt           time.Time      `json:"created_at"`
	UpdatedAt           time.Time      `json:"updated_at"`
	SubmittedAt         *time.Time     `json:"submitted_at,omitempty"`
	sealed              sealedColumns
}

// MaskedID is an identification with the number masked.
type MaskedID struct {
	Type   int    `json:"type"`
	Masked string `json:"number_masked"`
}

// MaskedBank is a bank account with the number masked to its last 4.
type MaskedBank struct {
	BankName string `json:"bank_name"`
	Type     string `json:"account_type"`
	Masked   string `json:"number_masked"`
}

type sealedColumns struct {
	id, bank []byte
}

// FullIdentification is the identification in clear, for operators.
type FullIdentification struct {
	Type      int    `json:"type"`
	Number    string `json:"number"`
	Formatted string `json:"formatted"`
}

// AAD contexts of the sealed columns.
func aadID(id string) []byte   { return []byte("vendors.id_number_sealed:" + id) }
func aadBank(id string) []byte { return []byte("vendors.bank_account_sealed:" + id) }

const blindIndexPurpose = "cerrojo vendor id v1"

// blindIndex is the keyed index of a normalized identity number.
func (s *Service) blindIndex(d docid.Document) string {
	return hex.EncodeToString(s.opts.Ring.MAC(blindIndexPurpose,
		[]byte(strconv.Itoa(int(d.Code()))+":"+d.Number())))
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.opts.Rand, b); err != nil {
		return "", fmt.Errorf("vendors: random: %w", err)
	}
	return strings.ToLower(idEncoding.EncodeToString(b)), nil
}

func (s *Service) newID(prefix string) (string, error) {
	r, err := s.random(16)
	if err != nil {
		return "", err
	}
	return prefix + r, nil
}

func (s *Service) now() time.Time { return s.opts.Clock.Now().UTC() }

// event completes an audit event with the request's metadata.
func event(meta audit.Event, by audit.Actor, action, vendorID string,
	details map[string]string) audit.Event {
	meta.Actor, meta.Action, meta.Outcome = by, action, audit.OutcomeSuccess
	meta.Target = audit.Target{Type: "vendor", ID: vendorID}
	meta.Details = details
	return meta
}

func (s *Service) append(ctx context.Context, tx *sql.Tx, e audit.Event) error {
	if _, err := s.opts.Audit.Append(ctx, tx, e); err != nil {
		return fmt.Errorf("vendors: audit %s: %w", e.Action, err)
	}
	return nil
}

// Create registers a draft vendor owned by ownerID, who also gets the
// vendor_owner binding.
func (s *Service) Create(ctx context.Context, ownerID string, in Input,
	meta audit.Event) (*Vendor, error) {
	v, err := validate(in)
	if err != nil {
		return nil, err
	}
	id, err := s.newID("vnd_")
	if err != nil {
		return nil, err
	}
	idSealed, err := s.opts.Ring.Seal([]byte(v.doc.Number()), aadID(id))
	if err != nil {
		return nil, fmt.Errorf("vendors: seal: %w", err)
	}
	bankSealed, err := s.opts.Ring.Seal([]byte(v.bank), aadBank(id))
	if err != nil {
		return nil, fmt.Errorf("vendors: seal: %w", err)
	}
	now := s.now()
	by := audit.Actor{Type: audit.ActorPerson, ID: ownerID}
	err = s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.opts.DB.Rebind(`INSERT INTO vendors (id,
			owner_user_id, legal_name, trade_name, person_type, id_type, id_number_sealed,
			id_index, id_hint, tax_responsibilities, contact_email, contact_phone,
			address_line, departamento, municipio, bank_name, bank_account_type,
			bank_account_sealed, bank_account_last4, status, status_reasons, review_round,
			created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', 0, ?, ?)`),
			id, ownerID, v.LegalName, v.TradeName, v.PersonType, int(v.doc.Code()), idSealed,
			s.blindIndex(v.doc), audit.MaskDocument(v.doc.Number()),
			strings.Join(v.TaxResponsibilities, ","), v.Contact.Email, v.Contact.Phone,
			v.Address.Line, v.Address.Departamento, v.Address.Municipio, v.Bank.BankName,
			v.Bank.Type, bankSealed, last4(v.bank), StatusDraft, now, now)
		if storage.IsUniqueViolation(err) {
			return ErrAlreadyRegistered
		}
		if err != nil {
			return fmt.Errorf("vendors: insert: %w", err)
		}
		if err := s.opts.Roles.Grant(ctx, tx, ownerID, RoleOwner, id); err != nil {
			return fmt.Errorf("vendors: grant owner: %w", err)
		}
		return s.append(ctx, tx, event(meta, by, "vendor.created", id, map[string]string{
			"person_type": v.PersonType, "id_type": strconv.Itoa(int(v.doc.Code())),
			"id_number": audit.MaskDocument(v.doc.Number()), "status": StatusDraft,
		}))
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, id)
}

// Get returns the vendor if ownerID owns it, else ErrNotFound.
func (s *Service) Get(ctx context.Context, ownerID, vendorID string) (*Vendor, error) {
	v, err := s.get(ctx, vendorID)
	if err != nil {
		return nil, err
	}
	if v.OwnerUserID != ownerID {
		return nil, ErrNotFound
	}
	return v, nil
}

// AdminGet returns any vendor.
func (s *Service) AdminGet(ctx context.Context, vendorID string) (*Vendor, error) {
	return s.get(ctx, vendorID)
}

// Status returns the vendor's status, or ErrNotFound.
func (s *Service) Status(ctx context.Context, vendorID string) (string, error) {
	var st string
	err := s.opts.DB.QueryRowContext(ctx, s.opts.DB.Rebind(
		`SELECT status FROM vendors WHERE id = ?`), vendorID).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("vendors: status: %w", err)
	}
	return st, nil
}

const vendorColumns = `id, owner_user_id, legal_name, trade_name, person_type, id_type,
	id_number_sealed, id_hint, tax_responsibilities, contact_email, contact_phone,
	address_line, departamento, municipio, bank_name, bank_account_type,
	bank_account_sealed, bank_account_last4, status, status_reasons, review_round,
	created_at, updated_at, submitted_at`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type scanner interface{ Scan(dest ...any) error }

func scanVendor(sc scanner) (*Vendor, error) {
	var v Vendor
	var tax, reasons, hint, last string
	var submitted sql.NullTime
	err := sc.Scan(&v.ID, &v.OwnerUserID, &v.LegalName, &v.TradeName, &v.PersonType,
		&v.Identification.Type, &v.sealed.id, &hint, &tax, &v.Contact.Email,
		&v.Contact.Phone, &v.Address.Line, &v.Address.Departamento, &v.Address.Municipio,
		&v.Bank.BankName, &v.Bank.Type, &v.sealed.bank, &last, &v.Status, &reasons,
		&v.ReviewRound, &v.CreatedAt, &v.UpdatedAt, &submitted)
	if err != nil {
		return nil, err
	}
	v.Identification.Masked = hint
	v.Bank.Masked = "****" + last
	v.TaxResponsibilities = []string{}
	if tax != "" {
		v.TaxResponsibilities = strings.Split(tax, ",")
	}
	v.Reasons = []string{}
	if err := json.Unmarshal([]byte(reasons), &v.Reasons); err != nil {
		return nil, fmt.Errorf("vendors: reasons of %s: %w", v.ID, err)
	}
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	if submitted.Valid {
		t := submitted.Time.UTC()
		v.SubmittedAt = &t
	}
	return &v, nil
}

// load reads a vendor row, without documents, through q.
func (s *Service) load(ctx context.Context, q querier, id string) (*Vendor, error) {
	v, err := scanVendor(q.QueryRowContext(ctx, s.opts.DB.Rebind(
		`SELECT `+vendorColumns+` FROM vendors WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("vendors: load: %w", err)
	}
	return v, nil
}

// lock takes the vendor's row for the rest of tx (PostgreSQL locks the row
// on update; SQLite has one writer) and reads it.
func (s *Service) lock(ctx context.Context, tx *sql.Tx, id string) (*Vendor, error) {
	res, err := tx.ExecContext(ctx, s.opts.DB.Rebind(
		`UPDATE vendors SET review_round = review_round WHERE id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("vendors: lock: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	return s.load(ctx, tx, id)
}

// get reads a vendor with its documents and approvals of the current round.
func (s *Service) get(ctx context.Context, id string) (*Vendor, error) {
	v, err := s.load(ctx, s.opts.DB, id)
	if err != nil {
		return nil, err
	}
	if err := s.complete(ctx, s.opts.DB, v); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Service) complete(ctx context.Context, q querier, v *Vendor) error {
	docs, err := s.documents(ctx, q, v.ID)
	if err != nil {
		return err
	}
	v.Documents = docs
	v.RequiredApprovals = s.opts.RequiredApprovals
	err = q.QueryRowContext(ctx, s.opts.DB.Rebind(`SELECT COUNT(*) FROM vendor_approvals
		WHERE vendor_id = ? AND review_round = ?`), v.ID, v.ReviewRound).Scan(&v.Approvals)
	if err != nil {
		return fmt.Errorf("vendors: approvals: %w", err)
	}
	return nil
}

// input recovers the vendor's input, numbers in clear, for an edit.
func (s *Service) input(v *Vendor) (Input, error) {
	num, err := s.opts.Ring.Open(v.sealed.id, aadID(v.ID))
	if err != nil {
		return Input{}, fmt.Errorf("vendors: open identification: %w", err)
	}
	bank, err := s.opts.Ring.Open(v.sealed.bank, aadBank(v.ID))
	if err != nil {
		return Input{}, fmt.Errorf("vendors: open bank account: %w", err)
	}
	return Input{LegalName: v.LegalName, TradeName: v.TradeName, PersonType: v.PersonType,
		Identification:      Identification{Type: v.Identification.Type, Number: string(num)},
		TaxResponsibilities: v.TaxResponsibilities, Contact: v.Contact, Address: v.Address,
		Bank: BankAccount{BankName: v.Bank.BankName, Type: v.Bank.Type,
			Number: string(bank)}}, nil
}

// editable reports whether the owner may change the vendor's data and
// documents.
func editable(status string) bool { return status == StatusDraft || status == StatusRejected }

// Update applies a patch to the owner's draft or rejected vendor.
func (s *Service) Update(ctx context.Context, ownerID, vendorID string, p Patch,
	meta audit.Event) (*Vendor, error) {
	by := audit.Actor{Type: audit.ActorPerson, ID: ownerID}
	err := s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lock(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if cur.OwnerUserID != ownerID {
			return ErrNotFound
		}
		if !editable(cur.Status) {
			return &StateError{Status: cur.Status, Action: "edit"}
		}
		old, err := s.input(cur)
		if err != nil {
			return err
		}
		v, err := validate(old.apply(p))
		if err != nil {
			return err
		}
		idSealed, err := s.opts.Ring.Seal([]byte(v.doc.Number()), aadID(vendorID))
		if err != nil {
			return fmt.Errorf("vendors: seal: %w", err)
		}
		bankSealed, err := s.opts.Ring.Seal([]byte(v.bank), aadBank(vendorID))
		if err != nil {
			return fmt.Errorf("vendors: seal: %w", err)
		}
		_, err = tx.ExecContext(ctx, s.opts.DB.Rebind(`UPDATE vendors SET legal_name = ?,
			trade_name = ?, person_type = ?, id_type = ?, id_number_sealed = ?, id_index = ?,
			id_hint = ?, tax_responsibilities = ?, contact_email = ?, contact_phone = ?,
			address_line = ?, departamento = ?, municipio = ?, bank_name = ?,
			bank_account_type = ?, bank_account_sealed = ?, bank_account_last4 = ?,
			updated_at = ? WHERE id = ?`),
			v.LegalName, v.TradeName, v.PersonType, int(v.doc.Code()), idSealed,
			s.blindIndex(v.doc), audit.MaskDocument(v.doc.Number()),
			strings.Join(v.TaxResponsibilities, ","), v.Contact.Email, v.Contact.Phone,
			v.Address.Line, v.Address.Departamento, v.Address.Municipio, v.Bank.BankName,
			v.Bank.Type, bankSealed, last4(v.bank), s.now(), vendorID)
		if storage.IsUniqueViolation(err) {
			return ErrAlreadyRegistered
		}
		if err != nil {
			return fmt.Errorf("vendors: update: %w", err)
		}
		return s.append(ctx, tx, event(meta, by, "vendor.updated", vendorID,
			map[string]string{"fields": strings.Join(p.fields(), ","), "status": cur.Status}))
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, vendorID)
}

// fields names the patched fields, for the audit record.
func (p Patch) fields() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(p.LegalName != nil, "legal_name")
	add(p.TradeName != nil, "trade_name")
	add(p.PersonType != nil, "person_type")
	add(p.Identification != nil, "identification")
	add(p.TaxResponsibilities != nil, "tax_responsibilities")
	add(p.Contact != nil, "contact")
	add(p.Address != nil, "address")
	add(p.Bank != nil, "bank_account")
	return out
}

// RequiredDocuments lists the document kinds a vendor of personType must
// upload before submitting.
func RequiredDocuments(personType string) []string {
	if personType == Juridica {
		return []string{DocRUT, DocCamaraComercio, DocIdentity, DocBankCertificate}
	}
	return []string{DocRUT, DocIdentity, DocBankCertificate}
}

// Submit sends the owner's draft or rejected vendor to review; every
// required document must be uploaded.
func (s *Service) Submit(ctx context.Context, ownerID, vendorID string,
	meta audit.Event) (*Vendor, error) {
	by := audit.Actor{Type: audit.ActorPerson, ID: ownerID}
	err := s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lock(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if cur.OwnerUserID != ownerID {
			return ErrNotFound
		}
		if !editable(cur.Status) {
			return &StateError{Status: cur.Status, Action: "submit"}
		}
		docs, err := s.documents(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, d := range docs {
			have[d.Kind] = true
		}
		var missing []string
		for _, k := range RequiredDocuments(cur.PersonType) {
			if !have[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return &MissingDocumentsError{Kinds: missing}
		}
		now := s.now()
		_, err = tx.ExecContext(ctx, s.opts.DB.Rebind(`UPDATE vendors SET status = ?,
			status_reasons = '[]', review_round = review_round + 1, submitted_at = ?,
			updated_at = ? WHERE id = ?`), StatusSubmitted, now, now, vendorID)
		if err != nil {
			return fmt.Errorf("vendors: submit: %w", err)
		}
		return s.append(ctx, tx, event(meta, by, "vendor.submitted", vendorID,
			map[string]string{"status_from": cur.Status, "status_to": StatusSubmitted,
				"review_round": strconv.Itoa(cur.ReviewRound + 1)}))
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, vendorID)
}

// notify runs fn in the background after a commit; a failure is logged.
func (s *Service) notify(what, vendorID string, fn func(ctx context.Context) error) {
	if s.opts.Notifier == nil {
		return
	}
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.opts.Logger.Error("vendors: notice not sent", "notice", what,
				"vendor_id", vendorID, "error", err)
		}
	})
}

// SealedColumns lists the vendors' sealed values for master key rotation.
// The documents are sealed too, outside the database: ResealDocuments
// covers them.
func SealedColumns() []keyring.Column {
	return []keyring.Column{
		{Table: "vendors", Column: "id_number_sealed", Keys: []string{"id"},
			AAD: func(k []string) []byte { return aadID(k[0]) }},
		{Table: "vendors", Column: "bank_account_sealed", Keys: []string{"id"},
			AAD: func(k []string) []byte { return aadBank(k[0]) }},
	}
}

// ResealDocuments seals again, under the ring's primary key, every stored
// document that another key sealed, for master key rotation. It returns
// how many it resealed and how many it found under the primary key.
func (s *Service) ResealDocuments(ctx context.Context) (resealed, current int64, err error) {
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT storage_key FROM vendor_documents
		ORDER BY storage_key`)
	if err != nil {
		return 0, 0, err
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return 0, 0, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	store, ring := s.opts.Vault.Store, s.opts.Ring
	for _, k := range keys {
		blob, err := store.Get(ctx, k)
		if errors.Is(err, filestore.ErrNotFound) {
			continue // replaced since it was listed
		}
		if err != nil {
			return resealed, current, err
		}
		if id, ok := keyring.SealedKeyID(blob); ok && id == ring.PrimaryID() {
			current++
			continue
		}
		plain, err := ring.Open(blob, filestore.AAD(k))
		if err != nil {
			return resealed, current, fmt.Errorf("document %s: %w", k, err)
		}
		fresh, err := ring.Seal(plain, filestore.AAD(k))
		clear(plain)
		if err != nil {
			return resealed, current, err
		}
		if err := store.Put(ctx, k, fresh); err != nil {
			return resealed, current, err
		}
		resealed++
	}
	return resealed, current, nil
}
