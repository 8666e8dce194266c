package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// ErrTemporary is wrapped by a send error whose last attempt failed in a
// way that may pass later: a 4xx reply (RFC 5321 section 4.2.1), a network
// error or a timeout. A queue may try the message again.
var ErrTemporary = errors.New("temporary failure")

// ErrRejected is wrapped by a send error when the server refused the
// message for good with a 5xx reply: sending it again unchanged fails
// again. A bad recipient address and wrong credentials both end here.
var ErrRejected = errors.New("rejected by the server")

// deliveryError is what SMTPSender.Send returns when it gives up. Its text
// names the attempts and the failure but not the recipient; the cause
// stays reachable through errors.As for callers that need go-mail's
// details.
type deliveryError struct {
	attempts int
	kind     error // ErrTemporary, ErrRejected or nil for other permanent failures
	text     string
	cause    error
}

func (e *deliveryError) Error() string {
	times := "attempt"
	if e.attempts > 1 {
		times = "attempts"
	}
	return fmt.Sprintf("send mail: gave up after %d %s: %s", e.attempts, times, e.text)
}

func (e *deliveryError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.cause}
	}
	return []error{e.kind, e.cause}
}

// classify sorts a failed attempt: ErrTemporary when trying again may
// help, ErrRejected for a 5xx reply, nil for any other permanent failure.
// Anything not known to be temporary is permanent, so that a mistake here
// costs a lost message rather than a retry loop against a server that
// will never accept it.
func classify(err error) error {
	// 1. TLS and certificate failures are configuration or an attack in
	//    progress; neither goes away by itself.
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var badCert x509.CertificateInvalidError
	var alert tls.AlertError
	var record tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &badHost) ||
		errors.As(err, &badCert) || errors.As(err, &alert) || errors.As(err, &record) {
		return nil
	}

	// 2. A reply code, wherever go-mail keeps it: RFC 5321 section 4.2.1
	//    makes 4yz transient and 5yz permanent.
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		if code := sendErr.ErrorCode(); code != 0 {
			return replyClass(code)
		}
		// No reply code: the connection broke during the exchange.
		switch sendErr.Reason {
		case gomail.ErrConnCheck, gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo,
			gomail.ErrSMTPData, gomail.ErrWriteContent, gomail.ErrSMTPDataClose:
			return ErrTemporary
		}
		return nil
	}
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return replyClass(reply.Code)
	}

	// 3. The network: refused, reset, timed out, closed under us when the
	//    attempt's time ran out.
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) {
		return ErrTemporary
	}
	return nil
}

func replyClass(code int) error {
	switch {
	case code >= 400 && code < 500:
		return ErrTemporary
	case code >= 500 && code < 600:
		return ErrRejected
	}
	return nil
}

// redact returns err's text without the recipient's address, which
// go-mail puts into some of its errors: send errors are logged, and an
// address is personal data the log does not need.
func redact(err error, to string) string {
	return strings.ReplaceAll(err.Error(), to, "<recipient>")
}
