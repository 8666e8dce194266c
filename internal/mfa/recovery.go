package mfa

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// How a recovery code is kept. A code has 50 bits of entropy: too few to
// store as a plain unsalted hash, since a copy of the database could be
// searched offline. Each code therefore gets a random salt, and the
// SHA-256 of salt and code is sealed with the key ring (AES-256-GCM, the
// associated data naming the person and the index):
//
//   - a copy of the database alone reveals nothing to test guesses
//     against;
//   - the key ring opens what older master keys sealed, so codes keep
//     working after a rotation. A MAC from Ring.MAC would not: it uses the
//     primary key only, and recovery codes live for years;
//   - even someone holding both the database and the master key must
//     still search 2^50 hashes per code, each with its own salt.
//
// A slow password hash would add little over that and cost ten hashes per
// attempt, since the row a typed code belongs to is not known in advance.

// recoveryHashLabel separates these hashes from any other SHA-256 use.
const recoveryHashLabel = "cerrojo mfa recovery code v1\x00"

func recoveryDigest(salt []byte, canonical string) []byte {
	h := sha256.New()
	h.Write([]byte(recoveryHashLabel))
	h.Write(salt)
	h.Write([]byte(canonical))
	return h.Sum(nil)
}

// recoveryAAD binds a sealed hash to its person and index.
func recoveryAAD(userID string, idx int) []byte {
	return []byte("mfa_recovery_codes.hash_sealed:" + strconv.Itoa(idx) + ":" + userID)
}

// newRecoveryCode returns a random code in canonical form. The alphabet
// has 32 symbols, so the low 5 bits of a random byte pick one uniformly.
func (s *Service) newRecoveryCode() (string, error) {
	b, err := s.random(recoveryCodeLen)
	if err != nil {
		return "", err
	}
	for i := range b {
		b[i] = recoveryAlphabet[b[i]&31]
	}
	return string(b), nil
}

// GenerateRecoveryCodes makes a new set of RecoveryCodeCount codes,
// replacing the person's previous set whole, and returns them formatted
// as "ABCDE-12345". They are shown once: only sealed hashes are kept. The
// caller must make sure the person authenticated recently.
func (s *Service) GenerateRecoveryCodes(ctx context.Context, userID string,
	m Meta) ([]string, error) {
	// 1. Make distinct codes and what is stored of them.
	now := s.clock.Now().UTC()
	codes := make([]string, 0, RecoveryCodeCount)
	rows := make([]codeRow, 0, RecoveryCodeCount)
	seen := make(map[string]bool, RecoveryCodeCount)
	for len(codes) < RecoveryCodeCount {
		c, err := s.newRecoveryCode()
		if err != nil {
			return nil, fmt.Errorf("generate recovery codes: %w", err)
		}
		if seen[c] {
			continue // 1 in 2^50 per pair; retried, not refused
		}
		seen[c] = true
		salt, err := s.random(recoverySaltBytes)
		if err != nil {
			return nil, fmt.Errorf("generate recovery codes: %w", err)
		}
		idx := len(rows)
		sealed, err := s.ring.Seal(recoveryDigest(salt, c), recoveryAAD(userID, idx))
		if err != nil {
			return nil, fmt.Errorf("generate recovery codes: %w", err)
		}
		rows = append(rows, codeRow{idx: idx, salt: salt, hashSealed: sealed, createdAt: now})
		codes = append(codes, formatRecoveryCode(c))
	}

	// 2. Replace the set.
	err := s.inTx(ctx, func(tx *sql.Tx, st store) error {
		if err := st.lockUser(ctx, userID); err != nil {
			return err
		}
		old, err := st.replaceCodes(ctx, userID, rows)
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: "mfa.recovery.generate", Target: audit.Target{Type: "user", ID: userID},
			Outcome: audit.OutcomeSuccess, Details: map[string]string{
				"count": strconv.Itoa(len(rows)), "replaced": strconv.Itoa(old)}}))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("generate recovery codes: %w", err)
	}

	// 3. Tell the person.
	s.notify(ctx, "factors_changed", func(ctx context.Context) error {
		return s.notifier.FactorsChanged(ctx, userID, ChangeRecoveryCodesGenerated)
	})
	return codes, nil
}

// UseRecoveryCode spends one of the person's recovery codes and returns
// how many unused ones remain. Input is read leniently as to case, spaces
// and dashes (see parseRecoveryCode). Each code works once: of two
// concurrent uses of one code exactly one succeeds.
//
// Calls count toward the same rate limit as VerifyTOTP, and failures are
// ErrInvalidCode (ErrCodeReused for a spent code) or ErrTooManyAttempts,
// as there.
func (s *Service) UseRecoveryCode(ctx context.Context, userID, code string,
	m Meta) (int, error) {
	const action = "mfa.recovery.use"
	user := audit.Target{Type: "user", ID: userID}

	// 1. Take a place in the rate limit.
	if err := s.reserve(ctx, userID); err != nil {
		if errors.Is(err, ErrTooManyAttempts) {
			return 0, s.fail(ctx, action, userID, user, "too_many_attempts", m, err)
		}
		return 0, fmt.Errorf("use recovery code: %w", err)
	}

	// 2. Validate.
	c, ok := parseRecoveryCode(code)
	if !ok {
		return 0, s.fail(ctx, action, userID, user, "malformed", m, ErrInvalidCode)
	}

	// 3. Load the set and decide. Every stored code is compared, in
	// constant time, so the time taken does not say which one matched.
	rows, err := s.store().codes(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("use recovery code: %w", err)
	}
	match, spent := -1, false
	for i, r := range rows {
		want, err := s.ring.Open(r.hashSealed, recoveryAAD(userID, r.idx))
		if err != nil {
			return 0, fmt.Errorf("use recovery code: open hash %d: %w", r.idx, err)
		}
		eq := subtle.ConstantTimeCompare(want, recoveryDigest(r.salt, c)) == 1
		switch {
		case eq && !r.used && match < 0:
			match = i
		case eq && r.used:
			spent = true
		}
	}
	if match < 0 {
		reason, want := "wrong_code", ErrInvalidCode
		if spent {
			reason, want = "reused", ErrCodeReused
		}
		return 0, s.fail(ctx, action, userID, user, reason, m, want)
	}

	// 4. Spend it, unless a concurrent use did first.
	now := s.clock.Now().UTC()
	var remaining int
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		done, err := st.spendCode(ctx, userID, rows[match].idx, rows[match].salt, now)
		if err != nil {
			return err
		}
		if !done {
			return ErrCodeReused
		}
		if remaining, err = st.countUnused(ctx, userID); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: action, Target: user, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"remaining": strconv.Itoa(remaining)}}))
		return err
	})
	if errors.Is(err, ErrCodeReused) {
		return 0, s.fail(ctx, action, userID, user, "reused", m, ErrCodeReused)
	}
	if err != nil {
		return 0, fmt.Errorf("use recovery code: %w", err)
	}

	// 5. Clear the count and tell the person: a recovery code used by
	// someone else is exactly what they must hear about.
	s.clear(ctx, userID)
	s.notify(ctx, "recovery_code_used", func(ctx context.Context) error {
		return s.notifier.RecoveryCodeUsed(ctx, userID, remaining)
	})
	return remaining, nil
}

// RecoveryCodesLeft counts the person's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	return s.store().countUnused(ctx, userID)
}

// DeleteRecoveryCodes removes the person's recovery codes, for when their
// last factor of any kind is gone. Deleting none is not an error.
func (s *Service) DeleteRecoveryCodes(ctx context.Context, userID string, m Meta) error {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx, st store) error {
		var err error
		if n, err = st.deleteCodes(ctx, userID); err != nil || n == 0 {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: "mfa.recovery.delete", Target: audit.Target{Type: "user", ID: userID},
			Outcome: audit.OutcomeSuccess, Details: map[string]string{"count": strconv.Itoa(n)}}))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	if n > 0 {
		s.notify(ctx, "factors_changed", func(ctx context.Context) error {
			return s.notifier.FactorsChanged(ctx, userID, ChangeRecoveryCodesDeleted)
		})
	}
	return nil
}
