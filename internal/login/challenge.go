package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Purpose says what a challenge is for.
type Purpose string

// The purposes of a challenge.
const (
	// PurposeVerify: the person has a second factor and must use it.
	PurposeVerify Purpose = "verify"
	// PurposeEnroll: the person must have a second factor (their role or
	// the node requires one) and has none; the challenge lets them enrol
	// one and nothing else. This is the restricted session of PCI DSS 8.4:
	// it reaches no API but enrolment.
	PurposeEnroll Purpose = "enroll"
)

func (p Purpose) ttl() time.Duration {
	if p == PurposeEnroll {
		return EnrollTTL
	}
	return ChallengeTTL
}

// Bounds of a challenge, each with its reason.
const (
	// ChallengeTTL is how long a person has to produce the second factor:
	// long enough to find a phone, short enough that a stolen token is
	// soon worthless.
	ChallengeTTL = 5 * time.Minute
	// EnrollTTL is how long an enrolment challenge lasts: installing an
	// authenticator app or finding a security key takes longer than using
	// one.
	EnrollTTL = 15 * time.Minute
	// MaxChallengeAttempts caps wrong answers to one challenge. Past it the
	// person signs in with the password again, which counts toward lockout.
	MaxChallengeAttempts = 5
)

// challengePrefix marks challenge tokens for people and secret scanners.
const challengePrefix = "crj_mfa_"

// Errors of challenges; the handlers map each to a problem.
var (
	ErrChallengeInvalid = errors.New("login: the sign-in challenge is invalid, used or expired")
	ErrChallengeSpent   = errors.New("login: too many wrong answers to this sign-in challenge")
)

// Challenge is a sign-in waiting for its second factor.
type Challenge struct {
	ID        string
	UserID    string
	Purpose   Purpose
	AMR       []string // the methods already passed, such as ["pwd"]
	AuthTime  time.Time
	Attempts  int
	ExpiresAt time.Time
}

// Challenges keeps sign-in challenges.
type Challenges struct {
	DB    *storage.DB
	Clock clock.Clock
	Rand  io.Reader // crypto/rand when nil
}

func (c *Challenges) random(n int) ([]byte, error) {
	r := c.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

func hashChallenge(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Create starts a challenge for userID after the methods amr succeeded at
// authTime, and returns the token the client must present.
func (c *Challenges) Create(ctx context.Context, userID string, p Purpose, amr []string,
	authTime time.Time) (string, Challenge, error) {
	idb, err := c.random(16)
	if err != nil {
		return "", Challenge{}, err
	}
	secret, err := c.random(32)
	if err != nil {
		return "", Challenge{}, err
	}
	now := c.Clock.Now().UTC()
	ch := Challenge{ID: "chl_" + base64.RawURLEncoding.EncodeToString(idb), UserID: userID,
		Purpose: p, AMR: amr, AuthTime: authTime.UTC(), ExpiresAt: now.Add(p.ttl())}
	token := challengePrefix + base64.RawURLEncoding.EncodeToString(secret)
	_, err = c.DB.ExecContext(ctx, c.DB.Rebind(`INSERT INTO login_challenges (id, token_hash,
		user_id, purpose, amr, auth_time, attempts, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`), ch.ID, hashChallenge(token), userID, string(p),
		strings.Join(amr, " "), ch.AuthTime, now, ch.ExpiresAt)
	if err != nil {
		return "", Challenge{}, fmt.Errorf("create challenge: %w", err)
	}
	return token, ch, nil
}

// Open returns the live challenge for token, of purpose p. A token that is
// unknown, used, expired, of another purpose, or out of attempts is
// ErrChallengeInvalid or ErrChallengeSpent, alike for every cause the
// client could not have known.
func (c *Challenges) Open(ctx context.Context, token string, p Purpose) (Challenge, error) {
	if !strings.HasPrefix(token, challengePrefix) || len(token) > 128 {
		return Challenge{}, ErrChallengeInvalid
	}
	rows, err := c.DB.QueryContext(ctx, c.DB.Rebind(`SELECT id, user_id, purpose, amr,
		auth_time, attempts, expires_at, used_at FROM login_challenges WHERE token_hash = ?`),
		hashChallenge(token))
	if err != nil {
		return Challenge{}, fmt.Errorf("load challenge: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Challenge{}, fmt.Errorf("load challenge: %w", err)
		}
		return Challenge{}, ErrChallengeInvalid
	}
	var ch Challenge
	var purpose, amr string
	var used sql.NullTime
	if err := rows.Scan(&ch.ID, &ch.UserID, &purpose, &amr, &ch.AuthTime, &ch.Attempts,
		&ch.ExpiresAt, &used); err != nil {
		return Challenge{}, fmt.Errorf("load challenge: %w", err)
	}
	ch.Purpose, ch.AMR = Purpose(purpose), strings.Fields(amr)
	switch {
	case used.Valid, ch.Purpose != p, !c.Clock.Now().Before(ch.ExpiresAt):
		return Challenge{}, ErrChallengeInvalid
	case ch.Attempts >= MaxChallengeAttempts:
		return Challenge{}, ErrChallengeSpent
	}
	return ch, nil
}

// Fail counts a wrong answer to the challenge.
func (c *Challenges) Fail(ctx context.Context, id string) error {
	_, err := c.DB.ExecContext(ctx, c.DB.Rebind(
		`UPDATE login_challenges SET attempts = attempts + 1 WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("count challenge attempt: %w", err)
	}
	return nil
}

// Spend marks the challenge used. Only one caller wins: of two requests
// completing the same challenge at once, the second gets
// ErrChallengeInvalid and no session.
func (c *Challenges) Spend(ctx context.Context, id string) error {
	now := c.Clock.Now().UTC()
	res, err := c.DB.ExecContext(ctx, c.DB.Rebind(`UPDATE login_challenges SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND expires_at > ?`), now, id, now)
	if err != nil {
		return fmt.Errorf("spend challenge: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrChallengeInvalid
	}
	return nil
}

// Sweep deletes challenges that expired before now.
func (c *Challenges) Sweep(ctx context.Context, now time.Time) error {
	_, err := c.DB.ExecContext(ctx, c.DB.Rebind(
		`DELETE FROM login_challenges WHERE expires_at < ?`), now.UTC())
	if err != nil {
		return fmt.Errorf("sweep challenges: %w", err)
	}
	return nil
}
