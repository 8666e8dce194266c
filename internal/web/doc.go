// Package web serves cerrojo's hosted pages under /ui/: sign in (password,
// second factor, passkeys, social buttons), sign up with email
// verification, password reset, the OpenID Connect consent page and the
// account page. The pages are server-rendered html/template documents whose
// small scripts, served from /ui/static/, call cerrojo's public JSON API
// like any other client; this package adds only what a browser needs on
// top: a cookie session, CSRF defences and the authorize continuation.
//
// Guarantees:
//   - No page carries inline script or event-handler attributes, and every
//     response under /ui/ has a strict Content-Security-Policy (script-src
//     'self', no 'unsafe-inline'; httpx.PagePolicy), so injected markup
//     cannot run (OWASP ASVS 5.0 3.4.3).
//   - The browser session cookie holds 256 random bits; the database holds
//     only their SHA-256 and the cerrojo session id. It is HttpOnly,
//     SameSite=Lax, Path=/, and Secure with the __Host- prefix when
//     public_url is https (ASVS 5.0 3.3.1, 3.3.2, 3.3.4). It is good only
//     while the cerrojo session behind it is active (sessions.Service.Check):
//     ending the session anywhere ends the page session too.
//   - The cookie authenticates only /ui/ routes; cerrojo's JSON API under
//     /v1/ reads bearer tokens and never cookies. The account page obtains
//     short-lived access tokens with POST /ui/token and keeps them in
//     memory only.
//   - Every POST under /ui/ needs both a CSRF token bound to the browser (an
//     HMAC under the key ring over a random per-browser cookie value) and a
//     same-origin request (Sec-Fetch-Site, else Origin); anything else is
//     refused with 403 before the handler runs (ASVS 5.0 3.5.1, 3.5.2).
//   - Pages are Spanish (es-CO) by default and English with ?lang=en or an
//     Accept-Language preferring English; forms have labels, autocomplete
//     tokens and errors announced through aria-live regions (WCAG 2.2
//     1.3.1, 1.3.5, 3.3.1, 4.1.3).
package web
