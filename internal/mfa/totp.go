package mfa

import (
	"crypto/hmac"
	"crypto/sha1" // #nosec G505 -- RFC 6238 TOTP as authenticator apps compute it is HMAC-SHA1
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"rsc.io/qr"
)

// seedEncoding is how a seed is shown to people and written into the
// otpauth URI: RFC 4648 base32, upper case, without padding, as the key-uri
// format of authenticator apps expects.
var seedEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// pow10 holds 10^d for the code lengths hotp accepts.
var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// hotp computes an HOTP value of the given number of digits (6 to 8) for
// key and counter, with HMAC-SHA-1.
//
// Specification: RFC 4226 section 5.3.
func hotp(key []byte, counter uint64, digits int) string {
	// Step 1: HS = HMAC-SHA-1(K, C), C as 8 bytes big-endian.
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	hs := m.Sum(nil)

	// Step 2: dynamic truncation. The low 4 bits of the last byte choose
	// where 31 bits are read; the top bit is masked so the value is the
	// same whether the reader treats it as signed or unsigned.
	offset := hs[len(hs)-1] & 0x0f
	bin := binary.BigEndian.Uint32(hs[offset:offset+4]) & 0x7fffffff

	// Step 3: reduce modulo 10^digits and keep the leading zeros.
	v := bin % pow10[digits]
	var out [8]byte
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out[:digits])
}

// totpAt computes a TOTP value for time step step.
//
// Specification: RFC 6238 section 4. TOTP is HOTP with the counter
// T = floor((unix time - T0) / X); here T0 = 0 and X = TOTPPeriod, and
// the caller computes T with timeStep.
func totpAt(key []byte, step uint64, digits int) string {
	return hotp(key, step, digits)
}

// timeStep is T of RFC 6238 section 4.2 for t, with T0 = 0. A time before
// the Unix epoch is step 0; no real clock reads that.
func timeStep(t time.Time) uint64 {
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u) / uint64(TOTPPeriod/time.Second)
}

// matchStep checks code against the steps around now (RFC 6238 section
// 5.2: one step either way) and returns the latest step whose code equals
// it and that is after lastUsed. replay reports that the code matched only
// steps at or before lastUsed. Every candidate is computed and compared in
// constant time, so the time taken does not say which step matched.
func matchStep(key []byte, code string, now, lastUsed uint64) (step uint64, ok, replay bool) {
	for d := -totpSkew; d <= totpSkew; d++ {
		if d < 0 && now < uint64(-d) {
			continue
		}
		// #nosec G115 -- now is a timeStep (Unix seconds / 30, far below 1<<63) and
		// now+d >= 0 by the check above.
		s := uint64(int64(now) + int64(d))
		eq := subtle.ConstantTimeCompare([]byte(totpAt(key, s, TOTPDigits)), []byte(code)) == 1
		switch {
		case eq && s > lastUsed:
			step, ok = s, true // later candidates overwrite: the latest step wins
		case eq:
			replay = true
		}
	}
	return step, ok, replay && !ok
}

// keyURI returns the otpauth URI that authenticator apps read from a QR
// code, in the key-uri format: otpauth://totp/ISSUER:ACCOUNT?secret=...
// The label's parts are path-escaped and the parameters query-escaped with
// spaces as %20, since some apps show a '+' literally.
func keyURI(issuer, account, secret string) string {
	esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(url.PathEscape(issuer))
	b.WriteByte(':')
	b.WriteString(url.PathEscape(account))
	b.WriteString("?secret=")
	b.WriteString(secret)
	b.WriteString("&issuer=")
	b.WriteString(esc(issuer))
	b.WriteString("&algorithm=SHA1&digits=")
	b.WriteString(strconv.Itoa(TOTPDigits))
	b.WriteString("&period=")
	b.WriteString(strconv.Itoa(int(TOTPPeriod / time.Second)))
	return b.String()
}

// qrPNG renders uri as a QR code in PNG form, with error correction level
// M (about 15% of the symbol can be damaged), which phone cameras read
// reliably off a screen.
func qrPNG(uri string) ([]byte, error) {
	c, err := qr.Encode(uri, qr.M)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return c.PNG(), nil
}

// errBadLabel is wrapped by checkLabel's errors.
var errBadLabel = errors.New("not a valid label")

// checkLabel validates an issuer or account name for the otpauth URI. The
// key-uri format forbids a colon in either, since it separates them;
// control characters would be invisible in the app.
func checkLabel(field, s string, maxBytes int) error {
	switch {
	case s == "":
		return fmt.Errorf("%s: %w: empty", field, errBadLabel)
	case len(s) > maxBytes:
		return fmt.Errorf("%s: %w: longer than %d bytes", field, errBadLabel, maxBytes)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: %w: not UTF-8", field, errBadLabel)
	case strings.ContainsRune(s, ':'):
		return fmt.Errorf("%s: %w: contains a colon", field, errBadLabel)
	case strings.IndexFunc(s, isControl) >= 0:
		return fmt.Errorf("%s: %w: contains control characters", field, errBadLabel)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s: %w: starts or ends with a space", field, errBadLabel)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }
