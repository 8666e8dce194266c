package passkeys

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// BeginRegistration starts adding a passkey to userID's account (WebAuthn
// Level 3 section 7.1). It returns the challenge id, which the client
// sends back to FinishRegistration, and the options for
// navigator.credentials.create() in the JSON form that
// PublicKeyCredential.parseCreationOptionsFromJSON() reads.
//
// The options exclude the account's passkeys, so an authenticator that
// holds one already declines; ask for a discoverable credential
// (residentKey "preferred") so that it can later sign in without a user
// name; prefer user verification; and ask for no attestation.
//
// The caller must have authenticated userID recently (a step-up): adding a
// passkey adds a way into the account.
func (s *Service) BeginRegistration(ctx context.Context, userID string) (string,
	json.RawMessage, error) {
	acct, _, err := s.store.account(ctx, s.db, userID)
	if err != nil {
		return "", nil, err
	}
	if len(acct.creds) >= MaxPasskeysPerUser {
		return "", nil, ErrTooMany
	}

	creation, session, err := s.rp.BeginRegistration(acct,
		webauthn.WithCredentialParameters(algorithms),
		webauthn.WithExclusions(acct.descriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			RequireResidentKey: protocol.ResidentKeyNotRequired(),
			UserVerification:   protocol.VerificationPreferred,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return "", nil, fmt.Errorf("begin registration: %w", err)
	}
	options, err := json.Marshal(creation.Response)
	if err != nil {
		return "", nil, fmt.Errorf("begin registration: encode options: %w", err)
	}

	id, err := s.begin(ctx, kindRegister, userID, session)
	if err != nil {
		return "", nil, fmt.Errorf("begin registration: %w", err)
	}
	return id, options, nil
}

// FinishRegistration verifies the browser's answer to BeginRegistration
// (response: the JSON of the PublicKeyCredential that
// navigator.credentials.create() returned) and stores the new passkey
// under name. The challenge must be userID's, unexpired and unused; any
// call that finds it spends it, whatever the outcome, so a failed ceremony
// starts again from BeginRegistration.
//
// It returns ErrInvalidName (the challenge is kept), ErrChallenge,
// ErrMalformed, ErrRejected (ErrAlreadyRegistered among them), ErrTooMany
// or ErrUnknownUser. Once the challenge is spent, the success or refusal
// is audited as mfa.passkey.register.
func (s *Service) FinishRegistration(ctx context.Context, userID, challengeID string,
	response []byte, name string, m Meta) (Credential, error) {
	name, err := cleanName(name)
	if err != nil {
		return Credential{}, err
	}
	parsed, parseErr := parseCreation(response)

	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	ch, err := s.store.takeChallenge(ctx, challengeID, kindRegister, userID, now)
	if err != nil {
		return Credential{}, err
	}
	refuse := func(err error) (Credential, error) {
		return Credential{}, s.refuse(ctx, "mfa.passkey.register", person(userID),
			audit.Target{Type: "user", ID: userID}, nil, err, m)
	}
	if parseErr != nil {
		return refuse(parseErr)
	}
	session, err := ch.session()
	if err != nil {
		return Credential{}, err
	}

	rec, err := s.verifyCreation(ctx, userID, session, parsed)
	if err != nil {
		if errors.Is(err, ErrRejected) {
			return refuse(err)
		}
		return Credential{}, err
	}
	rec.Name, rec.CreatedAt = name, now
	if rec.ID, err = s.newID("pk_"); err != nil {
		return Credential{}, err
	}

	err = s.save(ctx, rec, m)
	if errors.Is(err, ErrTooMany) || errors.Is(err, ErrAlreadyRegistered) {
		return refuse(err)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("finish registration: %w", err)
	}
	return rec.public(), nil
}

// save stores a verified passkey and audits it, in one transaction, once
// more counting the account's passkeys against MaxPasskeysPerUser: another
// registration may have finished since the ceremony began.
func (s *Service) save(ctx context.Context, rec *record, m Meta) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		acct, _, err := s.store.account(ctx, tx, rec.UserID) // locks the account
		if err != nil {
			return err
		}
		if len(acct.creds) >= MaxPasskeysPerUser {
			return ErrTooMany
		}
		if err := s.store.insert(ctx, tx, rec); err != nil {
			return err
		}

		_, err = s.audit.Append(ctx, tx, m.event(audit.Event{Actor: person(rec.UserID),
			Action: "mfa.passkey.register", Outcome: audit.OutcomeSuccess,
			Target: passkeyTarget(rec.ID), Details: map[string]string{
				"aaguid":             hex.EncodeToString(rec.AAGUID),
				"attestation_format": rec.AttestationFormat,
				"backup_eligible":    strconv.FormatBool(rec.BackupEligible),
				"user_verified":      strconv.FormatBool(rec.UserVerified),
			}}))
		return err
	})
}

// verifyCreation runs WebAuthn Level 3 section 7.1's checks through
// go-webauthn and returns the credential record to store, without id,
// name or time. A response that fails a check gives ErrRejected.
func (s *Service) verifyCreation(ctx context.Context, userID string,
	session webauthn.SessionData, parsed *protocol.ParsedCredentialCreationData) (*record, error) {
	acct, _, err := s.store.account(ctx, s.db, userID)
	if err != nil {
		return nil, err
	}

	// The checks of section 7.1: client data type, challenge, origin and
	// cross-origin; RP ID hash; user presence (and verification when
	// required); BE and BS consistent; the key's algorithm one of those
	// offered; the attestation statement, when there is one.
	cred, err := s.rp.CreateCredential(acct, session, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRejected, err)
	}

	// Section 7.1 also asks that the credential id be registered to no
	// account yet. The unique index on credential_id enforces it at the
	// INSERT; this loop only answers early for the likelier case, a
	// client that ignored excludeCredentials for its own account.
	for i := range acct.creds {
		if string(acct.creds[i].ID) == string(cred.ID) {
			return nil, ErrAlreadyRegistered
		}
	}

	transports := make([]string, len(cred.Transport))
	for i, t := range cred.Transport {
		transports[i] = string(t)
	}
	return &record{
		UserID:            userID,
		CredentialID:      cred.ID,
		PublicKey:         cred.PublicKey,
		AttestationType:   cred.AttestationType,
		AttestationFormat: cred.AttestationFormat,
		AAGUID:            cred.Authenticator.AAGUID,
		SignCount:         cred.Authenticator.SignCount,
		Transports:        cleanTransports(transports),
		BackupEligible:    cred.Flags.BackupEligible,
		BackupState:       cred.Flags.BackupState,
		UserVerified:      cred.Flags.UserVerified,
	}, nil
}
