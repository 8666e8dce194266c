package mail

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// ErrInvalidLink is wrapped by the error returned when a link in an
// email's data fails the link rules.
var ErrInvalidLink = errors.New("invalid link")

// checkLink enforces the rules for a link shown in an email. Links carry
// single-use tokens and people click them trusting the sender, so a link
// that an attacker managed to shape (through a redirect parameter, a
// tenant setting, a bug in the caller) must not reach an inbox:
//
//  1. at most MaxLinkBytes, with no spaces, control characters or
//     backslashes (which browsers read as slashes);
//  2. an absolute URL, https with a host, or http only to localhost and
//     loopback addresses for development;
//  3. no user information: https://bank.example@evil.example shows one
//     host and opens another;
//  4. an ASCII host, so that look-alike Unicode names cannot pass (IDNs
//     must be given in their xn-- form);
//  5. when hosts is not empty, a host from that list.
func checkLink(raw string, hosts []string) error {
	if raw == "" {
		return fmt.Errorf("%w: the link is empty", ErrInvalidLink)
	}
	if len(raw) > MaxLinkBytes {
		return fmt.Errorf("%w: the link is longer than %d bytes", ErrInvalidLink, MaxLinkBytes)
	}
	if strings.ContainsFunc(raw, func(r rune) bool {
		return r == '\\' || r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		return fmt.Errorf("%w: the link contains a space, a control character, a backslash "+
			"or a character outside ASCII (percent-encode it)", ErrInvalidLink)
	}

	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: the link is not a URL", ErrInvalidLink)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: the link must be an absolute URL with a host", ErrInvalidLink)
	}
	if u.User != nil {
		return fmt.Errorf("%w: the link must not contain user information before the host",
			ErrInvalidLink)
	}
	host := strings.ToLower(u.Hostname())
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(host) {
			return fmt.Errorf("%w: the link must use https (http is allowed only for "+
				"localhost)", ErrInvalidLink)
		}
	default:
		return fmt.Errorf("%w: the link must use https", ErrInvalidLink)
	}

	if len(hosts) > 0 && !containsFold(hosts, host) {
		return fmt.Errorf("%w: the link's host is not one of the allowed hosts", ErrInvalidLink)
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
