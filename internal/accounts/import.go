package accounts

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/password"
)

// ImportRecord is one line of a `cerrojo users import` file: a person from
// another system, with the password hash that system made. Exactly one of
// PasswordHash and FirebaseHash is set.
type ImportRecord struct {
	Email         string `json:"email"`
	Name          string `json:"name"`
	Phone         string `json:"phone"`
	Kind          Kind   `json:"kind"`
	Locale        string `json:"locale"`
	EmailVerified bool   `json:"email_verified"`
	// PasswordHash is a bcrypt, scrypt, PBKDF2 (passlib or Django) or
	// Argon2i/id (PHC) hash, as package password reads them.
	PasswordHash string `json:"password_hash"`
	// FirebaseHash and FirebaseSalt are a Firebase Auth export's
	// passwordHash and salt; the project's parameters are configuration.
	FirebaseHash string `json:"firebase_hash"`
	FirebaseSalt string `json:"firebase_salt"`
}

// maxImportLine bounds one line: a record is a few hundred bytes.
const maxImportLine = 64 << 10

// ImportReport says what an import did.
type ImportReport struct {
	Imported int
	Failed   []LineError
}

// LineError is a line that was not imported, and why.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Import reads JSON Lines from r and creates an account for each good line;
// bad lines are reported with their numbers and the rest are kept. Imported
// people log in with their old password, which is then re-hashed with
// Argon2id. Each account is created in its own transaction with its audit
// record, so an interrupted import leaves whole accounts only.
func (s *Service) Import(ctx context.Context, r io.Reader, m Meta) (ImportReport, error) {
	var rep ImportReport
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxImportLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if err := s.importLine(ctx, []byte(text), m); err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			rep.Failed = append(rep.Failed, LineError{Line: line, Err: err})
			continue
		}
		rep.Imported++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			rep.Failed = append(rep.Failed, LineError{Line: line + 1,
				Err: fmt.Errorf("longer than %d bytes; the rest of the file was not read",
					maxImportLine)})
			return rep, nil
		}
		return rep, fmt.Errorf("read import file: %w", err)
	}
	return rep, nil
}

// decodeImport decodes one line strictly, as API bodies are decoded.
func decodeImport(text []byte, rec *ImportRecord) error {
	if err := httpx.DecodeJSONBytes(text, rec); err != nil {
		var p *httpx.Problem
		if errors.As(err, &p) {
			return errors.New(p.Detail)
		}
		return err
	}
	return nil
}

func (s *Service) importLine(ctx context.Context, text []byte, m Meta) error {
	var rec ImportRecord
	if err := decodeImport(text, &rec); err != nil {
		return err
	}
	u, err := s.ParseImport(rec)
	if err != nil {
		return err
	}

	err = s.Store.DB().InTx(ctx, func(tx *sql.Tx) error {
		if err := s.Store.Tx(tx).CreateUser(ctx, u); err != nil {
			return err
		}
		scheme, _ := s.Hasher.Identify(u.PasswordHash)
		_, err := s.Audit.Append(ctx, tx, m.event(audit.Event{
			Actor: audit.Actor{Type: audit.ActorSystem, ID: "import"}, Action: "account.import",
			Target: audit.Target{Type: "user", ID: u.ID}, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"hash_scheme": string(scheme), "kind": string(u.Kind)},
		}))
		return err
	})
	if errors.Is(err, ErrEmailTaken) {
		return errors.New("email: an account with this address exists")
	}
	return err
}

// ParseImport checks an import record and builds the account it describes.
func (s *Service) ParseImport(rec ImportRecord) (User, error) {
	email, err := ParseEmail(rec.Email)
	if err != nil {
		return User{}, errors.New("email: not a valid address")
	}
	name, err := CleanName(rec.Name)
	if err != nil {
		return User{}, errors.New("name: required, without control characters")
	}
	var phone string
	if rec.Phone != "" {
		if phone, err = ParsePhone(rec.Phone); err != nil {
			return User{}, errors.New("phone: not a valid number")
		}
	}
	kind := rec.Kind
	if kind == "" {
		kind = KindCustomer
	}
	if kind != KindCustomer && kind != KindVendor {
		return User{}, errors.New(`kind: must be "customer" or "vendor"`)
	}
	locale := rec.Locale
	if locale == "" {
		locale = "es-CO"
	}
	if locale != "es-CO" && locale != "en" {
		return User{}, errors.New(`locale: must be "es-CO" or "en"`)
	}

	hash := rec.PasswordHash
	switch {
	case hash != "" && rec.FirebaseHash != "":
		return User{}, errors.New("give password_hash or firebase_hash, not both")
	case rec.FirebaseHash != "":
		if hash, err = password.FirebaseImport(rec.FirebaseHash, rec.FirebaseSalt); err != nil {
			return User{}, fmt.Errorf("firebase_hash: %w", err)
		}
	case hash == "":
		return User{}, errors.New("password_hash: required (or firebase_hash)")
	}
	// A hash that cannot be read now would lock its owner out later.
	if _, err := s.Hasher.Identify(hash); err != nil {
		return User{}, fmt.Errorf("password hash: %w", err)
	}

	id, err := s.newID("usr_")
	if err != nil {
		return User{}, err
	}
	now := s.Clock.Now().UTC()
	return User{ID: id, Email: email, EmailVerified: rec.EmailVerified, Phone: phone, Name: name,
		Kind: kind, State: StateActive, PasswordHash: hash, PasswordChangedAt: now,
		Locale: locale, CreatedAt: now, UpdatedAt: now}, nil
}
