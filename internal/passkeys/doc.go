// Package passkeys registers WebAuthn credentials (passkeys and security
// keys) and verifies logins with them, following WebAuthn Level 3
// sections 7.1 and 7.2 through github.com/go-webauthn/webauthn. It has no
// HTTP routes: the login and account handlers call it, and pass the
// browser's JSON through unchanged in both directions.
//
// A ceremony has two calls. Begin* stores a challenge and returns its id
// with the options for navigator.credentials.create() or .get(), as JSON;
// the browser's answer goes back, as JSON, to Finish* with that id.
//
// Guarantees:
//   - A response verifies only for the configured RP ID (the rpIdHash in
//     the authenticator data), from a configured origin, for the ceremony
//     type asked, with the challenge issued, and with user presence; user
//     verification when the ceremony required it.
//   - A challenge finishes at most one ceremony: the DELETE that takes it
//     is the check, so a replayed or concurrent second Finish fails. It
//     expires ChallengeTTL after Begin by the injected clock, and is bound
//     to its ceremony kind and, for registration and second-factor login,
//     to its account. Any Finish that finds a challenge spends it, even
//     when the response is then refused.
//   - A credential belongs to one account (a unique index on the
//     credential id). In a discoverable login the user handle names the
//     account and the credential must be one of that account's, so a
//     person cannot present their own passkey as someone else.
//   - Signature counters follow section 6.1.1: when either the stored or
//     the received counter is not 0, the received one must be greater, or
//     the login is refused as a possible clone (ErrCloned) and audited as
//     mfa.passkey.clone_warning. Authenticators that always report 0, as
//     synced passkeys do, are accepted. The comparison is repeated inside
//     the UPDATE, so two concurrent logins cannot both store one value.
//   - The backup eligibility (BE) flag of a credential never changes; a
//     login reporting another value is refused. Backup state (BS) may
//     change and is stored. BS without BE is refused.
//   - Only public data is stored: credential ids, COSE public keys, flags,
//     counters, and go-webauthn's session data, which holds the challenge
//     and nothing secret once the ceremony ends.
//   - Responses are bounded and decoded strictly before go-webauthn sees
//     them (limits.go, decode.go); a malformed one gives ErrMalformed, never
//     a panic.
//   - Every change (registration, use, rename, removal) is audited in the
//     transaction that makes it, so the record exists if and only if the
//     change does. Refused ceremonies are audited on their own; if that
//     record cannot be written, the refusal still stands and the failure
//     goes to the Logger.
//
// Assumptions:
//   - RPID and Origins match the public URL of the pages that run the
//     ceremonies, as the browser sees it (behind a proxy, the public
//     origin, not the internal one). Passkeys are bound to the RP ID: a
//     new RP ID makes every registered passkey unusable.
//   - Attestation is not verified against any trust root. Registration
//     asks for none, and "none" is accepted. When an authenticator sends a
//     statement anyway, go-webauthn checks its signature, but no
//     certificate is chained to a vendor root (no FIDO Metadata Service is
//     configured). So the AAGUID, and the hardware-or-software reading of
//     the BE flag in AMR, are the authenticator's own claims. This is
//     accepted on purpose: most passkeys (phones, password managers) send
//     no attestation, so requiring it would exclude them, and attestation
//     identifies the device model to the server, which a marketplace does
//     not need. What it protects against, software pretending to be a
//     certified security key, matters only when a policy demands certified
//     hardware; such a policy would need an MDS, not configured here.
//   - No extensions are requested, and an extension output nobody asked
//     for fails the ceremony (go-webauthn's default).
//   - A credential's user_verified (uvInitialized) keeps its value from
//     registration: go-webauthn does not raise it at login unless asked,
//     and this package does not ask.
//
// The caller must:
//   - authenticate the person recently (a step-up) before BeginRegistration
//     and Remove, since both change how the account can be entered, and
//     refuse to remove the last second factor of an account whose roles
//     require one;
//   - keep each challenge id with the browser session that began it (in
//     the login challenge or the session), and rate-limit Begin* and
//     Finish*: each Begin writes a row;
//   - after FinishLogin, check the account's state and whether
//     Result.AMR is enough for the account's roles; a discoverable login
//     requires user verification, a second-factor login only prefers it;
//   - run SweepChallenges every few minutes;
//   - answer ErrMalformed and ErrChallenge as a bad request and
//     ErrRejected as failed authentication, and never send the wrapped
//     error text, which carries go-webauthn's internal detail.
package passkeys
