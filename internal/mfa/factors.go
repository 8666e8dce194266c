package mfa

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/keyring"
)

// KindTOTP is the kind of a TOTP factor.
const KindTOTP = "totp"

// Factor is a second factor as its owner may see it. It never holds the
// seed, phone number or address.
type Factor struct {
	ID string
	// Kind is KindTOTP, KindSMS or KindEmail.
	Kind string
	// Name is the person's label for it; empty until they give one.
	Name string
	// Hint shows where a text or email factor's codes go, masked, such as
	// "+57 300 ••• ••67"; empty for TOTP.
	Hint      string
	CreatedAt time.Time
	// ActivatedAt is zero while the factor waits for its first code.
	ActivatedAt time.Time
	// LastUsedAt is when a code was last accepted; zero if never.
	LastUsedAt time.Time
}

// Active reports whether the factor has been activated.
func (f Factor) Active() bool { return !f.ActivatedAt.IsZero() }

// EnrollInput is what a person gives to enrol a TOTP factor.
type EnrollInput struct {
	// Account is the label the authenticator app shows beside the issuer,
	// usually the person's email address. It may not contain a colon.
	Account string
	// Name is the person's own label for the factor; it may be empty.
	Name string
}

// Enrollment is a pending TOTP factor and what the person needs to add it
// to an app. Secret, URI and QRPNG all carry the seed: show them to the
// person once and never store or log them. The type prints as redacted.
type Enrollment struct {
	FactorID string
	// Secret is the seed in base32, for typing into an app by hand.
	Secret string
	// URI is the otpauth:// key URI the QR code holds.
	URI string
	// QRPNG is the QR code of URI as a PNG image.
	QRPNG []byte
	// ExpiresAt is when the enrolment can no longer be activated.
	ExpiresAt time.Time
}

// String implements fmt.Stringer without the seed.
func (e Enrollment) String() string {
	return "mfa.Enrollment{FactorID: " + e.FactorID + ", Secret: [redacted]}"
}

// GoString implements fmt.GoStringer without the seed.
func (e Enrollment) GoString() string { return e.String() }

// LogValue implements slog.LogValuer without the seed.
func (e Enrollment) LogValue() slog.Value {
	return slog.GroupValue(slog.String("factor_id", e.FactorID))
}

// seedAAD binds a sealed seed to its row: moved to another factor or
// another person, it does not open. A factor id has no colon, so the
// concatenation is unambiguous.
func seedAAD(factorID, userID string) []byte {
	return []byte("mfa_factors.secret_sealed:" + factorID + ":" + userID)
}

func (s *Service) openSeed(f factorRow) ([]byte, error) {
	seed, err := s.ring.Open(f.sealed, seedAAD(f.id, f.userID))
	if err != nil {
		return nil, fmt.Errorf("open seed of factor %s: %w", f.id, err)
	}
	return seed, nil
}

// factorTarget is the audit target of a factor.
func factorTarget(id string) audit.Target { return audit.Target{Type: "mfa_factor", ID: id} }

// EnrollTOTP creates a pending TOTP factor with a new random seed and
// returns what the person needs to add it to an authenticator app. The
// factor does nothing until ActivateTOTP sees a code from it. A person has
// at most one pending TOTP factor: enrolling again replaces it. The caller
// must make sure the person authenticated recently (with a factor, if they
// have one): enrolment adds a way to pass the second step of login.
func (s *Service) EnrollTOTP(ctx context.Context, userID string, in EnrollInput,
	m Meta) (Enrollment, error) {
	// 1. Validate.
	if err := checkLabel("account", in.Account, maxAccountBytes); err != nil {
		return Enrollment{}, fmt.Errorf("enroll totp: %w: %w", ErrInvalidInput, err)
	}
	name, err := cleanName(in.Name)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll totp: %w", err)
	}

	// 2. Make the seed and what is shown from it.
	seed, err := s.random(seedBytes)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll totp: %w", err)
	}
	id, err := s.newFactorID()
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll totp: %w", err)
	}
	sealed, err := s.ring.Seal(seed, seedAAD(id, userID))
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll totp: %w", err)
	}
	secret := seedEncoding.EncodeToString(seed)
	clear(seed)
	uri := keyURI(s.issuer, in.Account, secret)
	png, err := qrPNG(uri)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll totp: %w", err)
	}

	// 3. Store it pending, replacing an older pending one, under the cap.
	now := s.clock.Now().UTC()
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		if err := st.lockUser(ctx, userID); err != nil {
			return err
		}
		n, err := st.countActive(ctx, userID, KindTOTP)
		if err != nil {
			return err
		}
		if n >= s.cfg.MaxTOTPFactors {
			return ErrTooManyFactors
		}
		if err := st.deletePending(ctx, userID, KindTOTP); err != nil {
			return err
		}
		if err := st.insertFactor(ctx, factorRow{id: id, userID: userID, kind: KindTOTP,
			name: name, sealed: sealed, createdAt: now}); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: "mfa.totp.enroll", Target: factorTarget(id), Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": KindTOTP}}))
		return err
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll totp: %w", err)
	}
	return Enrollment{FactorID: id, Secret: secret, URI: uri, QRPNG: png,
		ExpiresAt: now.Add(s.cfg.EnrollmentTTL)}, nil
}

// ActivateTOTP activates a pending factor when code is right for it (one
// step of skew either way). The step of that code is recorded as used, so
// the same code cannot then pass VerifyTOTP. Wrong codes here are audited
// but not counted toward the rate limit: whoever activates already holds
// the seed, so there is nothing to guess.
func (s *Service) ActivateTOTP(ctx context.Context, userID, factorID, code string,
	m Meta) error {
	const action = "mfa.totp.activate"

	// 1. Validate.
	if !validFactorID(factorID) {
		return ErrNoSuchFactor
	}
	c, ok := parseTOTPCode(code)
	if !ok {
		return s.fail(ctx, action, userID, factorTarget(factorID), "malformed", m, ErrInvalidCode)
	}

	// 2. Load the pending factor.
	f, err := s.store().factor(ctx, userID, factorID)
	if errors.Is(err, ErrNoSuchFactor) {
		return ErrNoSuchFactor
	}
	if err != nil {
		return fmt.Errorf("activate totp: %w", err)
	}
	if f.kind != KindTOTP {
		return ErrNoSuchFactor
	}
	if f.active() {
		return ErrNotPending
	}
	now := s.clock.Now().UTC()
	if !now.Before(f.createdAt.Add(s.cfg.EnrollmentTTL)) {
		return ErrEnrollmentExpired
	}

	// 3. Decide.
	seed, err := s.openSeed(f)
	if err != nil {
		return fmt.Errorf("activate totp: %w", err)
	}
	cur := timeStep(now)
	step, ok, _ := matchStep(seed, c, cur, f.lastUsedStep)
	clear(seed)
	if !ok {
		return s.fail(ctx, action, userID, factorTarget(factorID), "wrong_code", m, ErrInvalidCode)
	}

	// 4. Activate under the cap, unless it was replaced meanwhile.
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		if err := st.lockUser(ctx, userID); err != nil {
			return err
		}
		n, err := st.countActive(ctx, userID, KindTOTP)
		if err != nil {
			return err
		}
		if n >= s.cfg.MaxTOTPFactors {
			return ErrTooManyFactors
		}
		done, err := st.activate(ctx, userID, factorID, step, now)
		if err != nil {
			return err
		}
		if !done {
			return ErrNotPending
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: action, Target: factorTarget(factorID), Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": KindTOTP, "skew_steps": skew(step, cur)}}))
		return err
	})
	if err != nil {
		return fmt.Errorf("activate totp: %w", err)
	}

	// 5. Tell the person.
	s.notify(ctx, "factors_changed", func(ctx context.Context) error {
		return s.notifier.FactorsChanged(ctx, userID, ChangeTOTPAdded)
	})
	return nil
}

// VerifyTOTP checks code against every active TOTP factor of the person,
// one step of skew either way, and returns the id of the factor it came
// from. A code whose step is not after the last one accepted for its
// factor is refused as a replay (RFC 6238 section 5.2), and of two
// concurrent verifications of one code exactly one succeeds.
//
// Every call counts toward the rate limit; past it the result is
// ErrTooManyAttempts whatever the code. A right code clears the count.
// Failures are ErrInvalidCode (ErrCodeReused for a replay) or ErrNoFactor;
// the caller should count ErrInvalidCode toward account lockout.
func (s *Service) VerifyTOTP(ctx context.Context, userID, code string, m Meta) (string, error) {
	const action = "mfa.totp.verify"
	user := audit.Target{Type: "user", ID: userID}

	// 1. Take a place in the rate limit.
	if err := s.reserve(ctx, userID); err != nil {
		if errors.Is(err, ErrTooManyAttempts) {
			return "", s.fail(ctx, action, userID, user, "too_many_attempts", m, err)
		}
		return "", fmt.Errorf("verify totp: %w", err)
	}

	// 2. Validate.
	c, ok := parseTOTPCode(code)
	if !ok {
		return "", s.fail(ctx, action, userID, user, "malformed", m, ErrInvalidCode)
	}

	// 3. Load the active factors.
	fs, err := s.store().factors(ctx, userID, true)
	if err != nil {
		return "", fmt.Errorf("verify totp: %w", err)
	}
	if len(fs) == 0 {
		return "", s.fail(ctx, action, userID, user, "no_factor", m, ErrNoFactor)
	}

	// 4. Decide. Every factor is checked, so the time taken does not say
	// which one matched.
	now := s.clock.Now().UTC()
	cur := timeStep(now)
	var (
		found    *factorRow
		step     uint64
		replayed bool
	)
	for i := range fs {
		seed, err := s.openSeed(fs[i])
		if err != nil {
			return "", fmt.Errorf("verify totp: %w", err)
		}
		matched, ok, replay := matchStep(seed, c, cur, fs[i].lastUsedStep)
		clear(seed)
		if ok && found == nil {
			found, step = &fs[i], matched
		}
		replayed = replayed || replay
	}
	if found == nil {
		reason, want := "wrong_code", ErrInvalidCode
		if replayed {
			reason, want = "reused", ErrCodeReused
		}
		return "", s.fail(ctx, action, userID, user, reason, m, want)
	}

	// 5. Record the step, only if no one recorded it (or a later one)
	// first.
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		done, err := st.markUsed(ctx, userID, found.id, step, now)
		if err != nil {
			return err
		}
		if !done {
			return ErrCodeReused
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: action, Target: factorTarget(found.id), Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": KindTOTP, "skew_steps": skew(step, cur)}}))
		return err
	})
	if errors.Is(err, ErrCodeReused) {
		return "", s.fail(ctx, action, userID, user, "reused", m, ErrCodeReused)
	}
	if err != nil {
		return "", fmt.Errorf("verify totp: %w", err)
	}
	s.clear(ctx, userID)
	return found.id, nil
}

// skew says how many steps a code was from the server's, for spotting
// phones whose clocks drift.
//
// #nosec G115 -- steps come from timeStep (Unix seconds / 30), far below 1<<63.
func skew(step, cur uint64) string { return strconv.FormatInt(int64(step)-int64(cur), 10) }

// Factors lists a person's factors of every kind, oldest first: the active
// ones and pending ones that can still be activated. Seeds, phone numbers
// and addresses are never returned.
func (s *Service) Factors(ctx context.Context, userID string) ([]Factor, error) {
	rows, err := s.store().factors(ctx, userID, false)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]Factor, 0, len(rows))
	for _, f := range rows {
		if !f.active() && !now.Before(f.createdAt.Add(s.cfg.EnrollmentTTL)) {
			continue
		}
		out = append(out, Factor{ID: f.id, Kind: f.kind, Name: f.name, CreatedAt: f.createdAt,
			ActivatedAt: f.activatedAt.Time, LastUsedAt: f.lastUsedAt.Time})
	}
	oob, err := s.oobFactorList(ctx, userID)
	if err != nil {
		return nil, err
	}
	out = append(out, oob...)
	slices.SortStableFunc(out, func(a, b Factor) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RenameFactor sets a factor's display name; an empty name clears it.
func (s *Service) RenameFactor(ctx context.Context, userID, factorID, name string,
	m Meta) error {
	if !validFactorID(factorID) {
		return ErrNoSuchFactor
	}
	name, err := cleanName(name)
	if err != nil {
		return fmt.Errorf("rename factor: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		done, err := st.rename(ctx, userID, factorID, name)
		if err == nil && !done {
			done, err = st.renameOOB(ctx, userID, factorID, name)
		}
		if err != nil {
			return err
		}
		if !done {
			return ErrNoSuchFactor
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: "mfa.factor.rename", Target: factorTarget(factorID),
			Outcome: audit.OutcomeSuccess}))
		return err
	})
	if err != nil {
		return fmt.Errorf("rename factor: %w", err)
	}
	return nil
}

// RemoveFactor deletes a factor of any kind of this package, pending or
// active, with its live code if it has one. Recovery codes stay:
// the person may still have a passkey, which this package does not see;
// the caller deletes them (DeleteRecoveryCodes) when no factor of any kind
// is left. The caller must make sure the person authenticated recently.
func (s *Service) RemoveFactor(ctx context.Context, userID, factorID string, m Meta) error {
	if !validFactorID(factorID) {
		return ErrNoSuchFactor
	}
	var removed factorRow
	err := s.inTx(ctx, func(tx *sql.Tx, st store) error {
		var err error
		removed, err = st.deleteFactor(ctx, userID, factorID)
		if errors.Is(err, ErrNoSuchFactor) {
			removed, err = st.deleteOOBFactor(ctx, userID, factorID)
		}
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: "mfa.factor.remove", Target: factorTarget(factorID),
			Outcome: audit.OutcomeSuccess, Details: map[string]string{"kind": removed.kind,
				"was_active": strconv.FormatBool(removed.active())}}))
		return err
	})
	if err != nil {
		return fmt.Errorf("remove factor: %w", err)
	}
	if removed.active() {
		s.notify(ctx, "factors_changed", func(ctx context.Context) error {
			return s.notifier.FactorsChanged(ctx, userID, removedChange(removed.kind))
		})
	}
	return nil
}

// HasActiveFactor reports whether the person has an active factor of this
// package that the current policy lets them use: TOTP, or a text or email
// factor whose channel is on (and, for text, whose strong-factor rule is
// met). Recovery codes alone do not count: they are a way back in, not a
// factor to be challenged for.
func (s *Service) HasActiveFactor(ctx context.Context, userID string) (bool, error) {
	ok, err := s.store().hasActive(ctx, userID)
	if err != nil || ok {
		return ok, err
	}
	return s.hasUsableOOB(ctx, userID)
}

// Adoption counts the active accounts (state 'active') and those of them
// with at least one active factor of this package (TOTP, text or email),
// for metrics. Passkeys are kept elsewhere and are not counted. The two
// kinds are counted by two statements, so a factor added between them can
// be off by one for one reading.
func (s *Service) Adoption(ctx context.Context) (withFactor, active int, err error) {
	withTOTP, active, err := s.store().adoption(ctx)
	if err != nil {
		return 0, 0, err
	}
	onlyOOB, err := s.store().countOnlyOOB(ctx)
	if err != nil {
		return 0, 0, err
	}
	return min(withTOTP+onlyOOB, active), active, nil
}

// validFactorID reports whether id has the shape newFactorID makes: "mfa_"
// and 26 symbols of lower-case base32. Anything else names no factor and
// is refused before it reaches the database or the audit log.
func validFactorID(id string) bool {
	const prefix = "mfa_"
	if len(id) != len(prefix)+26 || !strings.HasPrefix(id, prefix) {
		return false
	}
	for i := len(prefix); i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// cleanName trims a display name and checks it: valid UTF-8, no control
// characters, at most maxNameRunes characters.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name):
		return "", fmt.Errorf("%w: name: not UTF-8", ErrInvalidInput)
	case utf8.RuneCountInString(name) > maxNameRunes:
		return "", fmt.Errorf("%w: name: longer than %d characters", ErrInvalidInput,
			maxNameRunes)
	case strings.IndexFunc(name, isControl) >= 0:
		return "", fmt.Errorf("%w: name: contains control characters", ErrInvalidInput)
	}
	return name, nil
}

// SealedColumns lists the second factors' sealed values for master key
// rotation: TOTP seeds, recovery code digests and code destinations.
func SealedColumns() []keyring.Column {
	return []keyring.Column{
		{Table: "mfa_factors", Column: "secret_sealed", Keys: []string{"id", "user_id"},
			AAD: func(k []string) []byte { return seedAAD(k[0], k[1]) }},
		{Table: "mfa_recovery_codes", Column: "hash_sealed", Keys: []string{"user_id", "idx"},
			AAD: func(k []string) []byte {
				// idx is an INTEGER column read as text; a value that is not
				// a number gives an AAD that opens nothing.
				idx, err := strconv.Atoi(k[1])
				if err != nil {
					return []byte("mfa_recovery_codes.hash_sealed:invalid")
				}
				return recoveryAAD(k[0], idx)
			}},
		{Table: "mfa_oob_factors", Column: "destination_sealed", Keys: []string{"id", "user_id"},
			AAD: func(k []string) []byte { return destinationAAD(k[0], k[1]) }},
	}
}
