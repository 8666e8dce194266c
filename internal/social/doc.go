// Package social is social login: cerrojo as the relying party of Google,
// Microsoft and Apple (OpenID Connect), Facebook (OAuth 2.0 and the Graph
// API) and any OpenID Connect provider configured by issuer, client id and
// secret (config social.providers, docs/social-login.md).
//
// A sign-in goes start → provider → callback → result: the start redirects
// to the provider; the callback exchanges the code and verifies who the
// provider says the person is, then sends the browser back to the page
// with a one-time result handle in the URL fragment; the page posts the
// handle to the result route, which answers exactly as a right password
// is answered (package login), or asks for linking.
//
// Guarantees:
//   - Every request uses PKCE S256 (RFC 7636), a state and, for OpenID
//     Connect, a nonce (OpenID Connect Core 1.0 section 3.1.2.1). The
//     state is single use, valid StateTTL, stored only as a MAC, bound to
//     the provider it was made for, and bound to the browser by a random
//     HttpOnly cookie whose MAC it keeps: a callback carrying someone
//     else's state fails in this browser, which stops login CSRF (RFC
//     6749 section 10.12). The PKCE verifier and the nonce are keyed MACs
//     of the state, so nothing secret is stored.
//   - ID tokens are accepted only with a valid signature by the issuer's
//     published keys (RS256, ES256 or PS256), the configured issuer
//     (Microsoft's multi-tenant endpoints: the issuer of the token's own
//     tenant), this client as audience, an unexpired lifetime and this
//     request's nonce (OpenID Connect Core 1.0 section 3.1.3.7; OWASP ASVS
//     5.0 6.8.2, 10.5.1, 10.5.4).
//   - Identities are keyed by (provider name, subject), never by email
//     (OWASP ASVS 5.0 6.8.1). An email that already has an account is
//     never linked by itself: the answer is a link token, usable only by
//     the owner of the account with that email after a recent
//     authentication.
//   - A social sign-in is a first factor like a password: it goes through
//     login's decision, so a person with a second factor gets an MFA
//     challenge, not a session, and MFA policy applies.
//   - Result handles and link tokens are single use, short-lived
//     (ResultTTL, LinkTTL) and stored only as MACs; handles travel in the
//     URL fragment, which servers never see.
//   - Client secrets come from the configuration, whose types redact them;
//     they are never logged.
//   - Every sign-in, refusal, link and unlink is an audit event
//     (login.social, account.social_link, account.social_unlink).
package social
