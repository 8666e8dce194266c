package passkeys

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// Result is a verified passkey login.
type Result struct {
	// UserID is the account that signed in. For a discoverable login it
	// comes from the authenticator's user handle, checked against the
	// owner of the credential.
	UserID string `json:"user_id"`
	// CredentialID is cerrojo's id of the passkey used (Credential.ID).
	CredentialID string `json:"credential_id"`
	// UserVerified: the authenticator verified the person (PIN or
	// biometric) for this login, not only their presence.
	UserVerified bool `json:"user_verified"`
	// AMR are the RFC 8176 method values this login proves; see AMR.
	AMR []string `json:"amr"`
}

// AMR returns the RFC 8176 authentication method values of a passkey
// login, for the amr claim and for sdk/authz.LevelFromAMR:
//
//   - "swk" (proof of possession of a software-secured key) when the
//     credential is backup eligible: a synced passkey's private key leaves
//     the device to be copied to the person's other devices through their
//     platform account, so it is not bound to one piece of hardware;
//   - "hwk" (proof of possession of a hardware-secured key) otherwise: a
//     device-bound key, such as a security key or a TPM-bound platform
//     key. Without attestation this rests on the authenticator's own BE
//     flag, not on a verified model;
//   - and "user" when the authenticator verified the user (the UV flag).
//     RFC 8176 defines "user" as a test of user presence. Every WebAuthn
//     assertion has user presence (UP), which adds nothing to possession,
//     so UP alone is not reported; user verification is a PIN or a
//     biometric, and WebAuthn does not say which, so neither "pin" nor
//     "fpt" or "face" can be claimed. "user" is therefore reported only
//     with UV, where it marks the second factor: ["hwk", "user"] is two
//     methods, which LevelFromAMR counts as multi-factor.
func AMR(backupEligible, userVerified bool) []string {
	key := "hwk"
	if backupEligible {
		key = "swk"
	}
	if userVerified {
		return []string{key, "user"}
	}
	return []string{key}
}

// BeginLogin starts a passkey login (WebAuthn Level 3 section 7.2). With a
// userID, as a second factor after a password, the options list that
// account's passkeys and prefer user verification; it returns
// ErrNoPasskeys when there are none. With userID "", a discoverable
// (passwordless) login, the options list nothing, the browser offers the
// passkeys it holds for the RP ID, and user verification is required,
// since the passkey is then the only thing presented.
//
// It returns the challenge id and the options for
// navigator.credentials.get() in the JSON form that
// PublicKeyCredential.parseRequestOptionsFromJSON() reads.
func (s *Service) BeginLogin(ctx context.Context, userID string) (string, json.RawMessage, error) {
	var (
		assertion *protocol.CredentialAssertion
		session   *webauthn.SessionData
		err       error
	)
	if userID == "" {
		assertion, session, err = s.rp.BeginDiscoverableLogin(
			webauthn.WithUserVerification(protocol.VerificationRequired))
	} else {
		var acct *account
		acct, _, err = s.store.account(ctx, s.db, userID)
		if err != nil {
			return "", nil, err
		}
		if len(acct.creds) == 0 {
			return "", nil, ErrNoPasskeys
		}
		assertion, session, err = s.rp.BeginLogin(acct,
			webauthn.WithUserVerification(protocol.VerificationPreferred))
	}
	if err != nil {
		return "", nil, fmt.Errorf("begin login: %w", err)
	}
	options, err := json.Marshal(assertion.Response)
	if err != nil {
		return "", nil, fmt.Errorf("begin login: encode options: %w", err)
	}

	id, err := s.begin(ctx, kindLogin, userID, session)
	if err != nil {
		return "", nil, fmt.Errorf("begin login: %w", err)
	}
	return id, options, nil
}

// FinishLogin verifies the browser's answer to BeginLogin (response: the
// JSON of the PublicKeyCredential that navigator.credentials.get()
// returned). The challenge must be unexpired and unused; any call that
// finds it spends it, whatever the outcome.
//
// On success it stores the new signature counter, backup state and time
// of use, audits mfa.passkey.use, and returns who signed in and how. It
// refuses with ErrChallenge, ErrMalformed or ErrRejected; ErrCloned, a
// kind of ErrRejected, when the signature counter did not advance (audited
// as mfa.passkey.clone_warning). Other refusals are audited as a failed
// mfa.passkey.use.
//
// The caller decides what the login is worth: the account's state (a
// disabled account must not sign in), whether the AMR suffices for the
// account's roles, and the rate of attempts.
func (s *Service) FinishLogin(ctx context.Context, challengeID string, response []byte,
	m Meta) (Result, error) {
	parsed, parseErr := parseAssertion(response)

	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	ch, err := s.store.takeChallenge(ctx, challengeID, kindLogin, "", now)
	if err != nil {
		return Result{}, err
	}
	actor := anonymous
	if ch.UserID != "" {
		actor = person(ch.UserID)
	}
	if parseErr != nil {
		return Result{}, s.refuse(ctx, "mfa.passkey.use", actor, audit.Target{},
			nil, parseErr, m)
	}
	session, err := ch.session()
	if err != nil {
		return Result{}, err
	}

	acct, recs, cred, err := s.verifyAssertion(ctx, ch.UserID, session, parsed)
	at := attempt{actor: actor, rec: find(recs, parsed.RawID), parsed: parsed}
	if acct != nil {
		at.actor = person(acct.id)
	}
	if err != nil {
		return Result{}, s.refuseLogin(ctx, at, err, m)
	}
	if at.rec == nil { // go-webauthn found the credential among the records
		return Result{}, errors.New("finish login: verified credential has no record")
	}

	uv := parsed.Response.AuthenticatorData.Flags.HasUserVerified()
	res := Result{UserID: acct.id, CredentialID: at.rec.ID, UserVerified: uv,
		AMR: AMR(cred.Flags.BackupEligible, uv)}
	if err := s.recordUse(ctx, at, cred, res, ch.UserID == "", now, m); err != nil {
		return Result{}, s.refuseLogin(ctx, at, err, m)
	}
	return res, nil
}

// attempt is who tried to sign in with which passkey, as far as known,
// for the audit records of a login.
type attempt struct {
	actor  audit.Actor
	rec    *record // nil when the credential is none of the account's
	parsed *protocol.ParsedCredentialAssertionData
}

func (at attempt) target() audit.Target {
	if at.rec == nil {
		return audit.Target{}
	}
	return passkeyTarget(at.rec.ID)
}

// refuseLogin audits a refused login and returns err: a clone warning for
// ErrCloned, a failed mfa.passkey.use for other refusals. Other errors are
// internal and are returned as they are.
func (s *Service) refuseLogin(ctx context.Context, at attempt, err error, m Meta) error {
	switch {
	case errors.Is(err, ErrCloned):
		return s.refuse(ctx, "mfa.passkey.clone_warning", at.actor, at.target(),
			counters(at.rec, at.parsed), err, m)
	case errors.Is(err, ErrRejected):
		return s.refuse(ctx, "mfa.passkey.use", at.actor, at.target(), nil, err, m)
	}
	return fmt.Errorf("finish login: %w", err)
}

// recordUse stores what a verified login changes (signature counter,
// backup state, time of use) and audits it, in one transaction.
func (s *Service) recordUse(ctx context.Context, at attempt, cred *webauthn.Credential,
	res Result, discoverable bool, now time.Time, m Meta) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		// The counter rule runs again inside the UPDATE, against the
		// stored value at this moment: another login may have moved it
		// since the records were read.
		ok, err := s.store.used(ctx, tx, at.rec.ID, cred.Authenticator.SignCount,
			cred.Flags.BackupState, cred.Flags.UserVerified, now)
		if err != nil {
			return err
		}
		if !ok {
			stored, exists, err := s.store.signCount(ctx, tx, at.rec.ID)
			if err != nil {
				return err
			}
			if !exists {
				return fmt.Errorf("%w: the passkey was removed during the login", ErrRejected)
			}
			at.rec.SignCount = stored // for the clone warning's details
			return ErrCloned
		}

		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: at.actor,
			Action: "mfa.passkey.use", Outcome: audit.OutcomeSuccess, Target: at.target(),
			Details: map[string]string{
				"amr":          strings.Join(res.AMR, " "),
				"discoverable": strconv.FormatBool(discoverable),
				"backup_state": strconv.FormatBool(cred.Flags.BackupState),
			}}))
		return err
	})
}

// verifyAssertion runs WebAuthn Level 3 section 7.2's checks through
// go-webauthn. It returns the account (when one was found, even on a
// refusal, for the audit record), its passkeys, and the verified
// credential with its new counter and flags. A response that fails a
// check gives ErrRejected; a counter that did not advance, ErrCloned.
func (s *Service) verifyAssertion(ctx context.Context, userID string,
	session webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData) (*account,
	[]record, *webauthn.Credential, error) {
	var (
		acct *account
		recs []record
		cred *webauthn.Credential
		err  error
	)
	if userID != "" {
		// Second factor: the account is the challenge's. go-webauthn
		// checks that the credential is one of those allowed, that it
		// belongs to the account, and that a user handle, if sent, is
		// the account's.
		if acct, recs, err = s.store.account(ctx, s.db, userID); err != nil {
			return nil, nil, nil, err
		}
		cred, err = s.rp.ValidateLogin(acct, session, parsed)
	} else {
		// Discoverable: the user handle names the account; the
		// credential must then be one of that account's, so a user
		// handle naming someone else with one's own credential fails.
		var lookupErr error
		lookup := func(_, userHandle []byte) (webauthn.User, error) {
			if len(userHandle) > maxUserHandleBytes || !utf8.Valid(userHandle) {
				return nil, ErrUnknownUser
			}
			acct, recs, lookupErr = s.store.account(ctx, s.db, string(userHandle))
			if lookupErr != nil {
				acct = nil
				return nil, lookupErr
			}
			return acct, nil
		}
		_, cred, err = s.rp.ValidatePasskeyLogin(lookup, session, parsed)
		if lookupErr != nil && !errors.Is(lookupErr, ErrUnknownUser) {
			return nil, nil, nil, lookupErr
		}
	}
	if err != nil {
		return acct, recs, nil, fmt.Errorf("%w: %w", ErrRejected, err)
	}

	// Section 6.1.1: a counter that is not greater than the stored one,
	// when either is not 0, may mean a cloned authenticator. go-webauthn
	// only flags it; cerrojo refuses the login.
	if cred.Authenticator.CloneWarning {
		return acct, recs, nil, ErrCloned
	}
	return acct, recs, cred, nil
}

// find returns the record of credential id, or nil.
func find(recs []record, credentialID []byte) *record {
	for i := range recs {
		if string(recs[i].CredentialID) == string(credentialID) {
			return &recs[i]
		}
	}
	return nil
}

// counters are the audit details of a clone warning: the stored and the
// received signature counter.
func counters(rec *record, parsed *protocol.ParsedCredentialAssertionData) map[string]string {
	d := map[string]string{"received_sign_count": strconv.FormatUint(
		uint64(parsed.Response.AuthenticatorData.Counter), 10)}
	if rec != nil {
		d["stored_sign_count"] = strconv.FormatUint(uint64(rec.SignCount), 10)
	}
	return d
}
