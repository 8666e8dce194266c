// Package mail writes and sends the emails of cerrojo's accounts, MFA and
// compliance features: verification and sign-in codes, password-reset
// links, security notices, and vendor review outcomes.
//
// Three pieces, used together:
//
//   - Renderer turns typed data (VerifyEmail, PasswordReset, ...) into a
//     Message in Spanish (es-CO) or English, with a plain-text part always
//     and an HTML part built with html/template.
//   - SMTPSender delivers a Message through an SMTP server with TLS,
//     retrying temporary failures.
//   - Outbox appends a Message to a file in the data directory; it is the
//     embedded default for development when no SMTP server is configured.
//
// Guarantees:
//   - No header injection: recipients must be one bare address, subjects
//     one line; CR, LF and other control characters are refused before
//     anything is rendered or sent.
//   - Links in emails are https (http only to localhost), carry no user
//     information, have an ASCII host and, when Config.LinkHosts is set,
//     point only to those hosts. A link that fails is an error, not an
//     email.
//   - Every value in the HTML part is escaped for its context by
//     html/template; required data left empty is an error, never a blank.
//   - Credentials are never sent in plain text over the network: STARTTLS
//     is required by default, a server that does not offer it is refused
//     (no downgrade), certificates are verified, and plain-text SMTP is
//     accepted only to a loopback host.
//   - The package never logs. Codes and links go to the recipient (or the
//     outbox file, mode 0600) and nowhere else; send errors do not contain
//     the recipient's address or the message.
//
// What the caller must protect:
//   - Build links from the server's own configuration, never from request
//     input; the link rules limit damage but do not know which path on an
//     allowed host is right.
//   - Keep the outbox out of production: it stores live codes in a file.
//   - Sending takes network round trips, and retries add waits. Code that
//     must answer alike whether an account exists (recovery, sign-up) must
//     not let the time of a send show in its response: send from a
//     background task or pad the response time.
//   - Names that users choose (a store's, a passkey's) are shown as text;
//     they cannot inject markup or headers, but they can still say
//     misleading things, which is the review process's to catch.
package mail
