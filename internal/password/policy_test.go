package password

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestPolicyCheck(t *testing.T) {
	juan := Context{Email: "juan.perez85@correo.com.co", Name: "Juan Pérez Gómez"}
	ana := Context{Email: "ana@x.co", Name: "Ana Gil"}
	cases := []struct {
		name   string
		policy Policy
		pw     string
		c      Context
		want   []Code
	}{
		{"accepts an unusual passphrase", Policy{}, "cafetal neblina tucán 42", juan, nil},
		{"accepts exactly the minimum", Policy{}, "vq7#ka2z", Context{}, nil},
		{"rejects one under the minimum", Policy{}, "vq7#ka2", Context{}, []Code{CodeTooShort}},
		{"counts code points, not bytes", Policy{}, "ñandúes", Context{}, []Code{CodeTooShort}},
		{"counts after NFKC", Policy{}, "ａｑｚｋｗｍ２", Context{}, []Code{CodeTooShort}},
		{"pci profile wants twelve", PCIDSSPolicy(), "vq7#ka2z-mp", Context{},
			[]Code{CodeTooShort}},
		{"pci profile accepts twelve", PCIDSSPolicy(), "vq7#ka2z-mpx", Context{}, nil},
		{"accepts exactly the maximum", Policy{}, strings.Repeat("vq7#", 32), Context{}, nil},
		{"rejects one over the maximum", Policy{}, strings.Repeat("vq7#", 32) + "x", Context{},
			[]Code{CodeTooLong}},
		{"rejects over the byte cap without more checks", Policy{},
			strings.Repeat("ñ", MaxPasswordBytes/2+1), juan, []Code{CodeTooLong}},
		{"rejects invalid utf-8 alone", Policy{}, "abc\xffdefgh", juan, []Code{CodeInvalidUTF8}},
		{"rejects the email's local part", Policy{}, "xjuan.perez85x", juan,
			[]Code{CodeContainsEmail, CodeContainsName}},
		{"rejects a part of the local part", Policy{}, "mi clave perez!", juan,
			[]Code{CodeContainsEmail, CodeContainsName}},
		{"rejects the digits of the local part", Policy{}, "tucán-1985-lluvia",
			Context{Email: "maria1985@x.co"}, []Code{CodeContainsEmail}},
		{"rejects the name ignoring case", Policy{}, "GOMEZ es mi clave", juan,
			[]Code{CodeContainsName}},
		{"rejects the name ignoring accents", Policy{}, "el gran gomez 2024", juan,
			[]Code{CodeContainsName}},
		{"rejects the accented name typed with accents", Policy{}, "soy juanito pérez", juan,
			[]Code{CodeContainsEmail, CodeContainsName}},
		{"ignores name parts under four letters", Policy{}, "anagilanagil", ana, nil},
		{"ignores the email's domain", Policy{}, "correo colombiano 7", juan, nil},
		{"rejects a common password", Policy{}, "password1", Context{}, []Code{CodeCommon}},
		{"rejects a common password in capitals", Policy{}, "PASSWORD1", Context{},
			[]Code{CodeCommon}},
		{"rejects a common spanish password with its accent", Policy{}, "contraseña",
			Context{}, []Code{CodeCommon}},
		{"rejects a short common password twice over", Policy{}, "123456", Context{},
			[]Code{CodeTooShort, CodeCommon}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []Code
			for _, v := range tc.policy.Check(tc.pw, tc.c) {
				got = append(got, v.Code)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Check: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPolicyCheckReportsLimits(t *testing.T) {
	p := Policy{MinLength: 10, MaxLength: 64}
	if got := p.Check("vq7#ka2", Context{}); len(got) != 1 || got[0].Limit != 10 {
		t.Fatalf("too short: got %+v, want one violation with limit 10", got)
	}
	if got := p.Check(strings.Repeat("vq7#", 17), Context{}); len(got) != 1 ||
		got[0].Limit != 64 {
		t.Fatalf("too long: got %+v, want one violation with limit 64", got)
	}
}

func TestPolicyValidate(t *testing.T) {
	cases := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"zero value is the default", Policy{}, true},
		{"default", DefaultPolicy(), true},
		{"pci-dss", PCIDSSPolicy(), true},
		{"minimum of 7", Policy{MinLength: 7}, false},
		{"negative minimum", Policy{MinLength: -1}, false},
		{"minimum of 15", Policy{MinLength: 15}, true},
		{"maximum of 63", Policy{MaxLength: 63}, false},
		{"maximum of 64", Policy{MaxLength: 64}, true},
		{"maximum at the cap", Policy{MaxLength: 256}, true},
		{"maximum just over the cap", Policy{MaxLength: 257}, false},
		{"minimum over the maximum", Policy{MinLength: 100, MaxLength: 64}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
				t.Fatalf("Validate: got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestSplitContext(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"juan.perez85", []string{"juan", "perez"}},
		{"María José Núñez-Ávila", []string{"maria", "jose", "nunez", "avila"}},
		{"maria1985", []string{"maria", "1985"}},
		{"Ana Gil", nil},
		{"", nil},
		{strings.Repeat("a", 2*maxContextBytes), []string{strings.Repeat("a", maxContextBytes)}},
	}
	for _, tc := range cases {
		t.Run(tc.in[:min(len(tc.in), 30)], func(t *testing.T) {
			if got := splitContext(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("splitContext(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestViolationMessage(t *testing.T) {
	cases := []struct {
		name string
		v    Violation
		lang string
		want string
	}{
		{"spanish by default", Violation{Code: CodeTooShort, Limit: 8}, "",
			"La contraseña debe tener al menos 8 caracteres."},
		{"spanish for es-CO", Violation{Code: CodeCommon}, "es-CO",
			"Esta contraseña es muy común y fácil de adivinar. Elija otra."},
		{"english for en", Violation{Code: CodeTooLong, Limit: 128}, "en",
			"The password cannot have more than 128 characters."},
		{"english for en-US in any case", Violation{Code: CodeContainsName}, "EN-us",
			"The password cannot contain your name."},
		{"spanish for a language we lack", Violation{Code: CodeBreached}, "pt-BR",
			"Esta contraseña apareció en filtraciones de datos conocidas. Elija otra."},
		{"a generic text for an unknown code", Violation{Code: "nope"}, "en",
			"The password is not valid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.Message(tc.lang); got != tc.want {
				t.Fatalf("Message(%q): got %q, want %q", tc.lang, got, tc.want)
			}
		})
	}
	for code, text := range messages {
		if text[0] == "" || text[1] == "" {
			t.Errorf("code %s: got an empty message, want both languages", code)
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"ascii is unchanged", "Pa ss  word!", "Pa ss  word!"},
		{"composed spanish is unchanged", "contraseña", "contraseña"},
		{"decomposed tilde composes", "contrasen\u0303a", "contraseña"},
		{"full-width becomes ascii", "ｐａｓｓ１", "pass1"},
		{"ligature splits", "\ufb01esta", "fiesta"},
		{"case is kept", "ÑANDÚ", "ÑANDÚ"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Fatalf("Normalize(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
