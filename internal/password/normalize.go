package password

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns pw in Unicode Normalization Form KC (UAX #15). It is
// what Hasher.Hash hashes and what Policy.Check measures.
//
// NIST SP 800-63B-4 section 3.1.1.2 (SP 800-63B section 5.1.1.2 in rev 3)
// asks verifiers that accept Unicode to apply NFKC or NFKD before hashing,
// so that the same password typed on two keyboards or operating systems
// gives the same bytes: "ñ" as one code point (macOS and Windows differ in
// what they send for some accented letters), full-width "ｐａｓｓ" from an
// Asian input method, the "ﬁ" ligature. NFKC keeps composed letters
// composed, so Spanish text usually comes out byte for byte as typed.
//
// Nothing else is changed: no trimming, no case folding, no collapsing of
// spaces (OWASP ASVS 5.0 requirement 6.2.8: verify the password as
// received). Invalid UTF-8 is left as it is.
func Normalize(pw string) string { return norm.NFKC.String(pw) }

// fold returns s in a form for case- and accent-insensitive comparison:
// compatibility decomposition (NFKD), combining marks removed, lower case.
// "José" and "JOSE" both fold to "jose", "Peña" to "pena". It is used only
// to compare, never to hash.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
