package password

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policy is the password policy for new and changed passwords (NIST SP
// 800-63B-4 section 3.1.1.2; OWASP ASVS 5.0 section 6.2). It has length
// limits, context words and a blocklist, and no composition rules: NIST
// forbids them (SHALL NOT) and ASVS 6.2.5 asks that none be imposed.
//
// The zero value is DefaultPolicy.
type Policy struct {
	// MinLength is the minimum length in code points after Normalize; 0
	// means 8. At least 8: ASVS 6.2.1's minimum, and NIST SP 800-63B-4's
	// for passwords used with a second factor. NIST SP 800-63B-4 asks for
	// 15 where the password is the only factor, and ASVS 6.2.1 strongly
	// recommends 15; set 15 when the deployment does not require MFA.
	MinLength int

	// MaxLength is the maximum length in code points after Normalize; 0
	// means 128. From 64 (NIST; ASVS 6.2.9) to 256, so that an accepted
	// password always fits in MaxPasswordBytes.
	MaxLength int
}

// DefaultPolicy returns the default policy: 8 to 128 code points.
func DefaultPolicy() Policy {
	return Policy{MinLength: policyMinLength, MaxLength: defaultMaxLength}
}

// PCIDSSPolicy returns the pci-dss profile's policy: 12 to 128 code points
// (PCI DSS v4.0 requirement 8.3.6).
//
// NOTE: 8.3.6 also asks passwords to contain both numeric and alphabetic
// characters. This policy does not check that, because it is a composition
// rule that NIST SP 800-63B-4 forbids; an assessor may ask the marketplace
// to justify the difference (PCI DSS allows a customised approach), and the
// pci-dss evidence report should say so.
func PCIDSSPolicy() Policy {
	return Policy{MinLength: pciMinLength, MaxLength: defaultMaxLength}
}

// effective fills the zero fields with the defaults.
func (p Policy) effective() Policy {
	if p.MinLength == 0 {
		p.MinLength = policyMinLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = defaultMaxLength
	}
	return p
}

// Validate checks the bounds given on the fields.
func (p Policy) Validate() error {
	e := p.effective()
	if e.MaxLength < policyMinMaxLength || e.MaxLength > policyMaxMaxLength {
		return configError("policy max length", e.MaxLength,
			fmt.Sprintf("%d to %d", policyMinMaxLength, policyMaxMaxLength))
	}
	if e.MinLength < policyMinLength || e.MinLength > e.MaxLength {
		return configError("policy min length", e.MinLength,
			fmt.Sprintf("%d to max length %d", policyMinLength, e.MaxLength))
	}
	return nil
}

// Context is what is known about the person choosing the password, for the
// context-specific words check (ASVS 5.0 requirements 6.1.2 and 6.2.11).
type Context struct {
	// Email is the account's email address; its local part is checked.
	Email string

	// Name is the person's full name as they gave it.
	Name string
}

// Check returns every rule pw breaks, or nil if it may be used. It does not
// call the breached-password service; see CheckBreach.
//
// Rules, in order:
//  1. invalid_utf8: pw is not valid UTF-8; nothing else is checked.
//  2. too_long: over MaxPasswordBytes bytes, before or after Normalize;
//     nothing else is checked, to bound the work.
//  3. too_short / too_long: fewer than MinLength or more than MaxLength
//     code points after Normalize (each code point counts as one, NIST SP
//     800-63B-4 section 3.1.1.2).
//  4. contains_email: contains a part of the email's local part of at
//     least 4 characters (see splitContext).
//  5. contains_name: contains a part of the name of at least 4 characters.
//  6. common: is in the embedded list of common passwords (IsCommon).
//
// Comparisons in 4 to 6 ignore case and accents ("JOSÉ" contains "jose").
func (p Policy) Check(pw string, c Context) []Violation {
	e := p.effective()
	if !utf8.ValidString(pw) {
		return []Violation{{Code: CodeInvalidUTF8}}
	}
	if len(pw) > MaxPasswordBytes {
		return []Violation{{Code: CodeTooLong, Limit: e.MaxLength}}
	}
	norm := Normalize(pw)
	if len(norm) > MaxPasswordBytes {
		return []Violation{{Code: CodeTooLong, Limit: e.MaxLength}}
	}

	var out []Violation
	switch n := utf8.RuneCountInString(norm); {
	case n < e.MinLength:
		out = append(out, Violation{Code: CodeTooShort, Limit: e.MinLength})
	case n > e.MaxLength:
		out = append(out, Violation{Code: CodeTooLong, Limit: e.MaxLength})
	}

	folded := fold(norm)
	local, _, _ := cutLast(c.Email, "@")
	if containsAny(folded, splitContext(local)) {
		out = append(out, Violation{Code: CodeContainsEmail})
	}
	if containsAny(folded, splitContext(c.Name)) {
		out = append(out, Violation{Code: CodeContainsName})
	}
	if isCommonFolded(folded) {
		out = append(out, Violation{Code: CodeCommon})
	}
	return out
}

// CheckBreach asks bc whether pw appears in known breaches (ASVS 5.0
// requirement 6.2.12; NIST SP 800-63B-4 section 3.1.1.2) and returns a
// breached violation if it does. A nil bc checks nothing, and neither does
// a password over MaxPasswordBytes, which Check rejects.
//
// When the service cannot answer, CheckBreach returns an error wrapping
// ErrBreachCheckUnavailable and no violation: the password was neither
// accepted nor rejected, and the caller decides. cerrojo's default is to
// fail open, accepting the password and logging a warning ("password
// breach check unavailable"), so that an outage of a third-party service
// does not stop sign-ups and password changes; the local Check still ran.
// A deployment that prefers to fail closed rejects on this error.
func (p Policy) CheckBreach(ctx context.Context, bc BreachChecker, pw string) ([]Violation,
	error) {
	if bc == nil || len(pw) > MaxPasswordBytes {
		return nil, nil // an over-long password already fails Check
	}
	n, err := bc.Breached(ctx, pw)
	if err != nil {
		if !errors.Is(err, ErrBreachCheckUnavailable) {
			err = fmt.Errorf("%w: %w", ErrBreachCheckUnavailable, err)
		}
		return nil, err
	}
	if n > 0 {
		return []Violation{{Code: CodeBreached}}, nil
	}
	return nil, nil
}

// splitContext folds s and splits it into the words a password may not
// contain: each run of letters and each run of digits of at least
// minContextPart code points.
// "juan.perez85" gives "juan" and "perez"; "María José" gives "maria" and
// "jose"; "Ana Gil" gives nothing, since each part is under four letters.
func splitContext(s string) []string {
	if len(s) > maxContextBytes {
		s = s[:maxContextBytes]
	}
	s = fold(s)

	var parts []string
	start, kind := 0, 0 // kind: 0 none, 1 letters, 2 digits
	flush := func(end int) {
		if kind != 0 && utf8.RuneCountInString(s[start:end]) >= minContextPart {
			parts = append(parts, s[start:end])
		}
	}
	for i, r := range s {
		k := 0
		switch {
		case unicode.IsLetter(r):
			k = 1
		case unicode.IsDigit(r):
			k = 2
		}
		if k != kind {
			flush(i)
			start, kind = i, k
		}
	}
	flush(len(s))
	return parts
}

// containsAny reports whether s contains any of parts.
func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
