// Package sms sends text messages: the one-time codes of package mfa. It
// has one interface, Sender, and three implementations:
//
//   - HTTPSender posts each message as JSON to a gateway's HTTPS endpoint,
//     authenticating with a bearer token or HTTP basic credentials, and
//     retries the failures that may pass later.
//   - Outbox appends each message to a JSON-lines file in the data
//     directory: the embedded default, for development.
//   - Disabled refuses every message with ErrDisabled.
//
// Guarantees:
//   - A message is validated before anything is sent or written: the
//     recipient must be an E.164 number ("+573001234567"), the body plain
//     text within maxBodyRunes. ParseNumber turns what people type into
//     that form and refuses numbers that cannot receive text messages.
//   - Credentials never cross the network in clear: the gateway URL must
//     be https, except on a loopback host; certificates are verified;
//     redirects are not followed, so neither the credentials nor the
//     message are re-sent to a place the configuration did not name.
//   - A failure that may pass later (a network error, 408, 429, 5xx) is
//     tried again, up to MaxAttempts, with a doubling wait; any other
//     answer is final. Each attempt has its own time limit, and the
//     caller's context cancels everything.
//   - The package never logs. Errors carry the gateway's status and at
//     most maxErrorSnippetBytes of its answer, with control characters
//     removed and every run of maxVisibleDigits or more digits hidden, so
//     that neither a phone number nor a code the gateway echoes ends up in
//     a log line. Configurations print their secrets redacted.
//
// What the caller must protect:
//   - Keep the outbox out of production: it stores live codes in a file
//     (mode 0600).
//   - A network error after the gateway took the message cannot be told
//     from one before it: a retry may then deliver the same text twice.
//     That is accepted for one-time codes, which are the same both times.
//   - Sending costs money per message. Limit how often a person can make
//     cerrojo send one (package mfa does) before calling Send.
package sms
