package password

import (
	"fmt"
	"strings"
)

// Code is a stable machine code for a policy violation, safe to send to
// clients and to match on; the messages may change, the codes do not.
type Code string

// The violation codes.
const (
	CodeTooShort      Code = "too_short"
	CodeTooLong       Code = "too_long"
	CodeContainsEmail Code = "contains_email"
	CodeContainsName  Code = "contains_name"
	CodeCommon        Code = "common"
	CodeBreached      Code = "breached"
	CodeInvalidUTF8   Code = "invalid_utf8"
)

// Violation is one rule a password breaks. It never holds the password.
type Violation struct {
	Code Code

	// Limit is the length bound for CodeTooShort and CodeTooLong, in code
	// points; 0 for the other codes.
	Limit int
}

// messages holds the Spanish (Colombia) and English text of each code; a
// "%d" is replaced with Limit. The Spanish uses "usted", the usual form of
// address with customers in Colombian commerce.
var messages = map[Code][2]string{
	CodeTooShort: {
		"La contraseña debe tener al menos %d caracteres.",
		"The password must have at least %d characters.",
	},
	CodeTooLong: {
		"La contraseña no puede tener más de %d caracteres.",
		"The password cannot have more than %d characters.",
	},
	CodeContainsEmail: {
		"La contraseña no puede contener su correo electrónico.",
		"The password cannot contain your email address.",
	},
	CodeContainsName: {
		"La contraseña no puede contener su nombre.",
		"The password cannot contain your name.",
	},
	CodeCommon: {
		"Esta contraseña es muy común y fácil de adivinar. Elija otra.",
		"This password is very common and easy to guess. Choose another one.",
	},
	CodeBreached: {
		"Esta contraseña apareció en filtraciones de datos conocidas. Elija otra.",
		"This password has appeared in known data breaches. Choose another one.",
	},
	CodeInvalidUTF8: {
		"La contraseña contiene caracteres no válidos.",
		"The password contains invalid characters.",
	},
}

// Message returns the user-facing text for v in lang, a BCP 47 tag such as
// "es-CO" or "en". English is used for "en" and "en-*"; every other tag,
// and "", gets Spanish, cerrojo's first language.
func (v Violation) Message(lang string) string {
	i := 0
	if l := strings.ToLower(lang); l == "en" || strings.HasPrefix(l, "en-") {
		i = 1
	}
	text, ok := messages[v.Code]
	if !ok {
		return [2]string{"La contraseña no es válida.", "The password is not valid."}[i]
	}
	if strings.Contains(text[i], "%d") {
		return fmt.Sprintf(text[i], v.Limit)
	}
	return text[i]
}
