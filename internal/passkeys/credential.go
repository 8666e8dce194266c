package passkeys

import (
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Credential is a registered passkey as the API shows it to its owner.
// It carries no key material and not the authenticator's credential id:
// neither is secret, but nothing a client does with the list needs them,
// and what is not sent cannot leak or be relied on.
type Credential struct {
	// ID is cerrojo's id for the passkey, used to rename and remove it.
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is the last successful login; absent when never used.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// BackupEligible: the private key may be synced to other devices (a
	// synced passkey); false for a device-bound key such as most security
	// keys. It never changes for a credential.
	BackupEligible bool `json:"backup_eligible"`
	// BackupState: the key is backed up or synced now.
	BackupState bool `json:"backup_state"`
	// UserVerified: the authenticator verified the user (PIN or biometric)
	// when the passkey was registered.
	UserVerified bool `json:"user_verified"`
	// Transports are the browser's hints of how to reach the
	// authenticator ("internal", "hybrid", "usb", ...).
	Transports []string `json:"transports"`
	// AAGUID names the authenticator model in lower-case hex, 32 digits;
	// all zeros when the authenticator does not say. Without attestation
	// it is the authenticator's claim, good for showing an icon, not for
	// trusting the model.
	AAGUID string `json:"aaguid"`
}

// public is r as its owner sees it.
func (r *record) public() Credential {
	transports := r.Transports
	if transports == nil {
		transports = []string{}
	}
	return Credential{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt,
		BackupEligible: r.BackupEligible, BackupState: r.BackupState,
		UserVerified: r.UserVerified, Transports: transports, AAGUID: hex.EncodeToString(r.AAGUID)}
}

// cleanName validates a passkey name: surrounding space is trimmed, an
// empty name becomes defaultName, and a name longer than MaxNameRunes or
// holding control characters or invalid UTF-8 is refused.
func cleanName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", ErrInvalidName
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return defaultName, nil
	}
	if utf8.RuneCountInString(name) > MaxNameRunes {
		return "", ErrInvalidName
	}
	if strings.IndexFunc(name, isControl) >= 0 {
		return "", ErrInvalidName
	}
	return name, nil
}

// isControl is true for control characters and for the format characters
// that reorder or hide text (bidirectional overrides, zero-width joiners),
// which could make a list of passkeys lie about their names.
func isControl(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// cleanTransports keeps the transport hints go-webauthn gives back in
// descriptors: at most maxTransports distinct values, each at most
// maxTransportBytes of a-z, 0-9 and '-'. Others are dropped, not
// refused: a hint only helps the browser find the authenticator.
func cleanTransports(in []string) []string {
	out := []string{}
	for _, t := range in {
		if len(out) == maxTransports {
			break
		}
		if t == "" || len(t) > maxTransportBytes || strings.IndexFunc(t, notHintChar) >= 0 {
			continue
		}
		dup := false
		for _, prev := range out {
			dup = dup || prev == t
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

func notHintChar(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
}
