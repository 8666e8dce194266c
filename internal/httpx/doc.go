// Package httpx is the HTTP plumbing every capability's handlers share: the
// middleware that runs on every route, the router, strict JSON decoding and
// RFC 9457 problem documents.
//
// Guarantees, on every route:
//   - each request has an id (X-Request-Id, taken from the client when it
//     is well formed, generated otherwise), echoed in the response and in
//     every problem document and log line about it;
//   - one JSON access-log line per request, at a level chosen by the
//     status; the query string is never logged, because links carry
//     single-use tokens in it;
//   - a panic becomes a 500 problem document, never a dropped connection
//     with a stack trace to the client;
//   - the body is capped, and JSON is decoded strictly (unknown fields,
//     duplicate keys, trailing data, wrong types and invalid UTF-8 are 4xx
//     answers that name the problem);
//   - security headers are set before any handler runs;
//   - errors that are not problem documents are logged once, with the
//     request id, and answered with a generic 500: internal detail never
//     leaves the process.
package httpx
