package mfa

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/sms"
)

// This file keeps the out-of-band factors: a phone number that receives
// codes by text message, or the account's email address that receives
// them by email. Enrolment sends a first code; the factor is pending until
// that code comes back (ActivateOOB). After that, SendCode sends a code
// for each sign-in or step-up and VerifyOOB checks it.
//
// A factor has at most one live code: sending another replaces it. Only
// an HMAC of the code is stored, keyed by the key ring and bound to the
// factor and person. A code is tried at most maxCodeTries times, counted
// before it is compared, and spent with a conditional update, so of two
// requests carrying it at once exactly one passes.

// The kinds of out-of-band factors, which are also the channels codes go
// through.
const (
	KindSMS   = "sms"
	KindEmail = "email"
)

// EmailCodeFunc sends code to address, which is userID's account address,
// by email. It must send synchronously, so a failure reaches the person,
// and must never log the code.
type EmailCodeFunc func(ctx context.Context, userID, address, code string,
	expires time.Time) error

// OOBEnrollment is a pending text or email factor whose first code is on
// its way.
type OOBEnrollment struct {
	FactorID string
	// Hint shows where the code went, masked: "+57 300 ••• ••67" or
	// "a•••@example.com".
	Hint string
	// ExpiresAt is when the code sent expires.
	ExpiresAt time.Time
}

// ThrottledError is returned when a code may not be sent yet. errors.Is
// reports it as ErrThrottled.
type ThrottledError struct {
	// RetryAfter is how long to wait before asking again, rounded up to a
	// whole second.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("mfa: too many codes sent; try again in %s", e.RetryAfter)
}

// Is makes errors.Is(err, ErrThrottled) hold.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

func throttled(d time.Duration) *ThrottledError {
	return &ThrottledError{RetryAfter: max((d + time.Second - 1).Truncate(time.Second),
		time.Second)}
}

// destinationAAD binds a sealed destination to its row, as seedAAD does
// for seeds.
func destinationAAD(factorID, userID string) []byte {
	return []byte("mfa_oob_factors.destination_sealed:" + factorID + ":" + userID)
}

func (s *Service) openDestination(f oobRow) (string, error) {
	d, err := s.ring.Open(f.sealed, destinationAAD(f.id, f.userID))
	if err != nil {
		return "", fmt.Errorf("open destination of factor %s: %w", f.id, err)
	}
	return string(d), nil
}

// codeMAC is what is stored of a code. The code comes first: it has a
// fixed length, so the concatenation is unambiguous.
func (s *Service) codeMAC(factorID, userID, code string) []byte {
	return s.ring.MAC("mfa.oob.code", []byte(code+":"+factorID+":"+userID))
}

// newOOBCode returns OOBCodeDigits uniformly random decimal digits. A
// 32-bit value is drawn again when it falls in the last, partial block of
// 10^6, so every code is equally likely.
func (s *Service) newOOBCode() (string, error) {
	const space = 1_000_000
	const limit = (1 << 32) / space * space
	for {
		b, err := s.random(4)
		if err != nil {
			return "", err
		}
		if v := binary.BigEndian.Uint32(b); v < limit {
			return fmt.Sprintf("%0*d", OOBCodeDigits, v%space), nil
		}
	}
}

// EnrollSMS adds a pending text-message factor for phone, which is read
// as people type it (sms.ParseNumber), and sends it a first code. The
// factor does nothing until ActivateOOB sees that code. Enrolling again
// replaces a pending factor. If the code cannot be delivered the error
// wraps ErrDelivery and the pending factor stays, for SendCode to retry.
// Policy: Config.SMSCodes and Config.SMSRequiresStrongFactor. The caller
// must make sure the person authenticated recently (with a factor, if
// they have one).
func (s *Service) EnrollSMS(ctx context.Context, userID, phone string,
	m Meta) (OOBEnrollment, error) {
	const action = "mfa.sms.enroll"
	if err := s.allowChannel(ctx, userID, KindSMS, userTarget(userID), action, m); err != nil {
		return OOBEnrollment{}, err
	}
	number, err := sms.ParseNumber(phone)
	if err != nil {
		return OOBEnrollment{}, fmt.Errorf("enroll sms: %w: %w", ErrInvalidPhone, err)
	}
	return s.enrollOOB(ctx, userID, KindSMS, number, sms.MaskNumber(number), m)
}

// EnrollEmail adds a pending email factor for the account's address, which
// must be verified, and sends it a first code. As for EnrollSMS, the
// factor does nothing until ActivateOOB sees that code. Policy:
// Config.EmailCodes.
func (s *Service) EnrollEmail(ctx context.Context, userID string, m Meta) (OOBEnrollment,
	error) {
	const action = "mfa.email.enroll"
	if err := s.allowChannel(ctx, userID, KindEmail, userTarget(userID), action, m); err != nil {
		return OOBEnrollment{}, err
	}
	acct, err := s.store().account(ctx, userID)
	if err != nil {
		return OOBEnrollment{}, fmt.Errorf("enroll email: %w", err)
	}
	if !acct.verified {
		return OOBEnrollment{}, s.fail(ctx, action, userID, userTarget(userID),
			"email_not_verified", m, ErrEmailNotVerified)
	}
	return s.enrollOOB(ctx, userID, KindEmail, acct.email, maskAddress(acct.email), m)
}

// enrollOOB stores a pending factor of channel for destination, with its
// first code, and sends the code.
func (s *Service) enrollOOB(ctx context.Context, userID, channel, destination, hint string,
	m Meta) (OOBEnrollment, error) {
	action := "mfa." + channel + ".enroll"

	// 1. Make the factor and its first code.
	id, err := s.newFactorID()
	if err != nil {
		return OOBEnrollment{}, fmt.Errorf("%s: %w", action, err)
	}
	sealed, err := s.ring.Seal([]byte(destination), destinationAAD(id, userID))
	if err != nil {
		return OOBEnrollment{}, fmt.Errorf("%s: %w", action, err)
	}
	code, err := s.newOOBCode()
	if err != nil {
		return OOBEnrollment{}, fmt.Errorf("%s: %w", action, err)
	}
	now := s.clock.Now().UTC()
	expires := s.codeExpiry(now, now, false)

	// 2. Store it pending, replacing an older pending one, under the caps.
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		if err := st.lockUser(ctx, userID); err != nil {
			return err
		}
		if err := s.checkNewDestination(ctx, st, userID, channel, destination); err != nil {
			return err
		}
		if err := checkSendLimits(ctx, st, userID, "", now); err != nil {
			return err
		}
		if err := st.deletePendingOOB(ctx, userID, channel); err != nil {
			return err
		}
		if err := st.insertOOB(ctx, oobRow{id: id, userID: userID, channel: channel,
			sealed: sealed, hint: hint, createdAt: now}); err != nil {
			return err
		}
		if err := s.storeCode(ctx, st, userID, id, code, now, expires); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: action, Target: factorTarget(id), Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": channel}}))
		return err
	})
	if errors.Is(err, ErrThrottled) {
		return OOBEnrollment{}, s.fail(ctx, action, userID, userTarget(userID), "throttled", m,
			err)
	}
	if err != nil {
		return OOBEnrollment{}, fmt.Errorf("%s: %w", action, err)
	}

	// 3. Send the code.
	if err := s.deliver(ctx, channel, userID, id, destination, code, now, expires,
		m); err != nil {
		return OOBEnrollment{}, err
	}
	return OOBEnrollment{FactorID: id, Hint: hint, ExpiresAt: expires}, nil
}

// checkNewDestination refuses a destination the person already has as an
// active factor, and a factor past the channel's cap. It opens each
// active factor's destination; there are at most maxSMSFactors.
func (s *Service) checkNewDestination(ctx context.Context, st store, userID, channel,
	destination string) error {
	active, err := st.oobFactors(ctx, userID, channel)
	if err != nil {
		return err
	}
	for _, f := range active {
		d, err := s.openDestination(f)
		if err != nil {
			return err
		}
		if sameDestination(channel, d, destination) {
			return ErrAlreadyEnrolled
		}
	}
	if len(active) >= channelCap(channel) {
		return ErrTooManyFactors
	}
	return nil
}

// channelCap is how many active factors of channel a person may have.
func channelCap(channel string) int {
	if channel == KindEmail {
		return maxEmailFactors
	}
	return maxSMSFactors
}

// sameDestination compares two destinations of a channel. Phone numbers
// are E.164 already; addresses are compared without regard to case, as
// mail providers treat them.
func sameDestination(channel, a, b string) bool {
	if channel == KindEmail {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// SendCode sends a new code to a factor, replacing its previous one, and
// returns when the code expires. For an active factor the code is for
// VerifyOOB (sign-in, step-up); for a pending one it is a new activation
// code. A factor gets at most one code per sendCooldown and a person at
// most maxSends codes per sendWindow, enrolments included, counted in the
// database every node shares; past that the error is a *ThrottledError.
// A code whose delivery fails (ErrDelivery) still counts toward both
// limits. The caller must have checked the password (or the session)
// first.
func (s *Service) SendCode(ctx context.Context, userID, factorID string,
	m Meta) (time.Time, error) {
	const action = "mfa.oob.send"

	// 1. Load the factor and check the policy.
	if !validFactorID(factorID) {
		return time.Time{}, ErrNoSuchFactor
	}
	f, err := s.store().oobFactor(ctx, userID, factorID)
	if err != nil {
		return time.Time{}, wrapOp("send code", err)
	}
	now := s.clock.Now().UTC()
	if !f.active() && !now.Before(f.createdAt.Add(s.cfg.EnrollmentTTL)) {
		return time.Time{}, ErrEnrollmentExpired
	}
	target := factorTarget(f.id)
	if err := s.allowChannel(ctx, userID, f.channel, target, action, m); err != nil {
		return time.Time{}, err
	}
	destination, err := s.openDestination(f)
	if err != nil {
		return time.Time{}, fmt.Errorf("send code: %w", err)
	}
	if f.channel == KindEmail {
		if err := s.checkAddress(ctx, userID, destination, target, action, m); err != nil {
			return time.Time{}, err
		}
	}

	// 2. Issue the code, under the limits.
	code, err := s.newOOBCode()
	if err != nil {
		return time.Time{}, fmt.Errorf("send code: %w", err)
	}
	expires := s.codeExpiry(now, f.createdAt, f.active())
	purpose := "sign_in"
	if !f.active() {
		purpose = "activate"
	}
	err = s.inTx(ctx, func(tx *sql.Tx, st store) error {
		if err := st.lockUser(ctx, userID); err != nil {
			return err
		}
		if err := st.lockOOBFactor(ctx, userID, f.id); err != nil {
			return err
		}
		if err := checkSendLimits(ctx, st, userID, f.id, now); err != nil {
			return err
		}
		if err := s.storeCode(ctx, st, userID, f.id, code, now, expires); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(userID),
			Action: action, Target: target, Outcome: audit.OutcomeSuccess,
			Details: map[string]string{"kind": f.channel, "purpose": purpose}}))
		return err
	})
	if errors.Is(err, ErrThrottled) {
		return time.Time{}, s.fail(ctx, action, userID, target, "throttled", m, err)
	}
	if err != nil {
		return time.Time{}, wrapOp("send code", err)
	}

	// 3. Send it.
	if err := s.deliver(ctx, f.channel, userID, f.id, destination, code, now, expires,
		m); err != nil {
		return time.Time{}, err
	}
	return expires, nil
}

// codeExpiry is when a code sent at now to a factor created at created
// expires: after Config.CodeTTL, but for a pending factor no later than
// the end of its enrolment.
func (s *Service) codeExpiry(now, created time.Time, active bool) time.Time {
	exp := now.Add(s.cfg.CodeTTL)
	if end := created.Add(s.cfg.EnrollmentTTL); !active && end.Before(exp) {
		return end
	}
	return exp
}

// checkSendLimits returns a *ThrottledError when factorID (if any) had a
// code less than sendCooldown ago, or the person had maxSends codes in
// the last sendWindow. It runs under lockUser, so two sends cannot both
// pass it.
func checkSendLimits(ctx context.Context, st store, userID, factorID string,
	now time.Time) error {
	if factorID != "" {
		last, ok, err := st.lastSent(ctx, factorID)
		if err != nil {
			return err
		}
		if next := last.Add(sendCooldown); ok && now.Before(next) {
			return throttled(next.Sub(now))
		}
	}
	n, oldest, err := st.countSends(ctx, userID, now.Add(-sendWindow))
	if err != nil {
		return err
	}
	if n >= maxSends {
		return throttled(oldest.Add(sendWindow).Sub(now))
	}
	return nil
}

// storeCode keeps the MAC of code as the factor's live code and counts
// the send.
func (s *Service) storeCode(ctx context.Context, st store, userID, factorID, code string,
	now, expires time.Time) error {
	if err := st.putCode(ctx, oobCode{factorID: factorID, userID: userID,
		mac: s.codeMAC(factorID, userID, code), sentAt: now, expiresAt: expires}); err != nil {
		return err
	}
	return st.recordSend(ctx, userID, now)
}

// deliver hands the code to the provider of its channel, synchronously,
// so the person learns of a failure. A failure is audited; the code is
// neither logged nor audited.
func (s *Service) deliver(ctx context.Context, channel, userID, factorID, destination,
	code string, now, expires time.Time, m Meta) error {
	var err error
	switch channel {
	case KindSMS:
		var locale string
		if locale, err = s.locale(ctx, userID); err == nil {
			err = s.sms.Send(ctx, sms.Message{To: destination,
				Body: smsBody(locale, s.issuer, code, expires.Sub(now))})
		}
	case KindEmail:
		err = s.emailCode(ctx, userID, destination, code, expires)
	default:
		err = fmt.Errorf("unknown channel %q", channel)
	}
	if err == nil {
		return nil
	}
	return s.fail(ctx, "mfa.oob.deliver", userID, factorTarget(factorID), "delivery_failed", m,
		fmt.Errorf("%w: %w", ErrDelivery, err))
}

func (s *Service) locale(ctx context.Context, userID string) (string, error) {
	acct, err := s.store().account(ctx, userID)
	if err != nil {
		return "", err
	}
	return acct.locale, nil
}

// smsBody is the text of a code message, in the person's language. It is
// kept short: with the accents of Spanish a text is sent as UCS-2, which
// fits 70 characters in one segment, and every segment is billed.
func smsBody(locale, issuer, code string, ttl time.Duration) string {
	minutes := int((ttl + time.Minute - 1) / time.Minute)
	if strings.HasPrefix(strings.ToLower(locale), "en") {
		return fmt.Sprintf("%s: your code is %s. It expires in %d min. Do not share it.",
			issuer, code, minutes)
	}
	return fmt.Sprintf("%s: su código es %s. Vence en %d min. No lo comparta.",
		issuer, code, minutes)
}

// checkAddress refuses to send an email code unless the factor's address
// is still the account's, and verified: codes must not follow an address
// the account has left.
func (s *Service) checkAddress(ctx context.Context, userID, destination string,
	target audit.Target, action string, m Meta) error {
	acct, err := s.store().account(ctx, userID)
	if err != nil {
		return err
	}
	switch {
	case !sameDestination(KindEmail, acct.email, destination):
		return s.fail(ctx, action, userID, target, "address_changed", m, ErrAddressChanged)
	case !acct.verified:
		return s.fail(ctx, action, userID, target, "email_not_verified", m, ErrEmailNotVerified)
	}
	return nil
}

// allowChannel applies the configured policy to an operation on a factor
// of channel, auditing a refusal.
func (s *Service) allowChannel(ctx context.Context, userID, channel string,
	target audit.Target, action string, m Meta) error {
	switch channel {
	case KindSMS:
		if !s.cfg.SMSCodes {
			return s.fail(ctx, action, userID, target, "sms_disabled", m, ErrSMSDisabled)
		}
		if !s.cfg.SMSRequiresStrongFactor {
			return nil
		}
		ok, err := s.hasStrongFactor(ctx, userID)
		if err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		if !ok {
			return s.fail(ctx, action, userID, target, "strong_factor_required", m,
				ErrStrongFactorRequired)
		}
	case KindEmail:
		if !s.cfg.EmailCodes {
			return s.fail(ctx, action, userID, target, "email_disabled", m,
				ErrEmailCodesDisabled)
		}
	}
	return nil
}

// hasStrongFactor reports whether the person holds an active TOTP factor
// or, by Options.StrongFactor, a passkey.
func (s *Service) hasStrongFactor(ctx context.Context, userID string) (bool, error) {
	n, err := s.store().countActive(ctx, userID, KindTOTP)
	if err != nil || n > 0 {
		return n > 0, err
	}
	if s.strongFactor == nil {
		return false, nil
	}
	ok, err := s.strongFactor(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("check strong factor: %w", err)
	}
	return ok, nil
}

// Usable reports whether the person may use a factor of kind now, under
// the configured policy: TOTP always; codes by email when Config.EmailCodes
// is on; codes by text message when Config.SMSCodes is on and, with
// Config.SMSRequiresStrongFactor, the person also holds a TOTP factor or a
// passkey. Sign-in lists only usable factors.
func (s *Service) Usable(ctx context.Context, userID, kind string) (bool, error) {
	switch kind {
	case KindEmail:
		return s.cfg.EmailCodes, nil
	case KindSMS:
		if !s.cfg.SMSCodes {
			return false, nil
		}
		if !s.cfg.SMSRequiresStrongFactor {
			return true, nil
		}
		return s.hasStrongFactor(ctx, userID)
	}
	return true, nil
}

// hasUsableOOB reports whether the person has an active text or email
// factor that the current policy lets them use.
func (s *Service) hasUsableOOB(ctx context.Context, userID string) (bool, error) {
	ch, err := s.store().activeChannels(ctx, userID)
	if err != nil {
		return false, err
	}
	if ch[KindEmail] && s.cfg.EmailCodes {
		return true, nil
	}
	if !ch[KindSMS] || !s.cfg.SMSCodes {
		return false, nil
	}
	if !s.cfg.SMSRequiresStrongFactor {
		return true, nil
	}
	return s.hasStrongFactor(ctx, userID)
}

// oobFactorList returns the person's text and email factors as listings
// show them.
func (s *Service) oobFactorList(ctx context.Context, userID string) ([]Factor, error) {
	rows, err := s.store().oobFactors(ctx, userID, "")
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]Factor, 0, len(rows))
	for _, f := range rows {
		if !f.active() && !now.Before(f.createdAt.Add(s.cfg.EnrollmentTTL)) {
			continue
		}
		out = append(out, Factor{ID: f.id, Kind: f.channel, Name: f.name, Hint: f.hint,
			CreatedAt: f.createdAt, ActivatedAt: f.activatedAt.Time,
			LastUsedAt: f.lastUsedAt.Time})
	}
	return out, nil
}

// removedChange is what the Notifier hears when a factor of kind is
// removed.
func removedChange(kind string) Change {
	switch kind {
	case KindSMS:
		return ChangeSMSRemoved
	case KindEmail:
		return ChangeEmailRemoved
	}
	return ChangeFactorRemoved
}

// maskAddress shows an address as "a•••@example.com": its first
// character and its domain.
func maskAddress(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at < 1 {
		return "•••"
	}
	r, _ := utf8.DecodeRuneInString(a)
	return string(r) + "•••" + a[at:]
}

func userTarget(userID string) audit.Target { return audit.Target{Type: "user", ID: userID} }

// wrapOp names op in err, except for the errors callers tell apart, which
// pass unchanged.
func wrapOp(op string, err error) error {
	if errors.Is(err, ErrNoSuchFactor) || errors.Is(err, ErrUnknownUser) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// LogValue implements slog.LogValuer: an enrolment holds no secret, but
// the hint is personal data the log does not need.
func (e OOBEnrollment) LogValue() slog.Value {
	return slog.GroupValue(slog.String("factor_id", e.FactorID))
}

// sameMAC compares two code MACs in constant time.
func sameMAC(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
