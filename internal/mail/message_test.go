package mail

import (
	"errors"
	"strings"
	"testing"
)

func validMessage() Message {
	return Message{To: "ana@example.co", Subject: "Su código de verificación",
		Text: "Hola:\n\nSu código es 123456.\n", HTML: "<p>Su código es 123456.</p>\n"}
}

func TestCheckAddress(t *testing.T) {
	good := []string{
		"ana@example.co",
		"ana.maria+pedidos@sub.example.com.co",
		"no-reply@localhost",
		"muñoz@example.co", // RFC 6532
		strings.Repeat("a", maxLocalPartBytes) + "@example.co",
		"a@" + strings.Repeat("b", MaxAddressBytes-2),
	}
	for _, addr := range good {
		if err := CheckAddress(addr); err != nil {
			t.Errorf("CheckAddress(%q): %v", addr, err)
		}
	}

	bad := map[string]string{
		"empty":                 "",
		"no at":                 "ana.example.co",
		"two ats":               "ana@b@example.co",
		"empty local part":      "@example.co",
		"empty domain":          "ana@",
		"CRLF header injection": "ana@example.co\r\nBcc: todos@example.co",
		"LF only":               "ana@example.co\nBcc: todos@example.co",
		"CR only":               "ana@example.co\rX",
		"NUL":                   "ana@example.co\x00",
		"space":                 "ana maria@example.co",
		"display name":          "Ana <ana@example.co>",
		"angle brackets":        "<ana@example.co>",
		"list":                  "ana@example.co,beto@example.co",
		"semicolon list":        "ana@example.co;beto@example.co",
		"comment":               "ana@example.co (Ana)",
		"quoted local part":     `"ana maria"@example.co`,
		"domain literal":        "ana@[127.0.0.1]",
		"bidi override":         "ana\u202e@example.co",
		"invalid UTF-8":         "an\xffa@example.co",
		"dot at start":          ".ana@example.co",
		"double dot":            "ana..maria@example.co",
		"local part too long":   strings.Repeat("a", maxLocalPartBytes+1) + "@example.co",
		"address too long":      "a@" + strings.Repeat("b", MaxAddressBytes-1),
	}
	for name, addr := range bad {
		t.Run(name, func(t *testing.T) {
			if err := CheckAddress(addr); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("CheckAddress(%q): got %v, want ErrInvalidMessage", addr, err)
			}
		})
	}
}

func TestMessageValidate(t *testing.T) {
	if err := validMessage().Validate(); err != nil {
		t.Fatalf("valid message: %v", err)
	}
	textOnly := validMessage()
	textOnly.HTML = ""
	if err := textOnly.Validate(); err != nil {
		t.Errorf("message without HTML: %v", err)
	}
	longest := validMessage()
	longest.Subject = strings.Repeat("á", MaxSubjectRunes)
	longest.Text = strings.Repeat("x", MaxBodyBytes)
	if err := longest.Validate(); err != nil {
		t.Errorf("message at every cap: %v", err)
	}

	tests := []struct {
		name   string
		mutate func(*Message)
	}{
		{"subject with CRLF", func(m *Message) { m.Subject = "Hola\r\nBcc: todos@example.co" }},
		{"subject with LF", func(m *Message) { m.Subject = "Hola\nBcc: todos@example.co" }},
		{"subject with CR", func(m *Message) { m.Subject = "Hola\rX" }},
		{"subject with tab", func(m *Message) { m.Subject = "Hola\tX" }},
		{"subject with bidi control", func(m *Message) { m.Subject = "Hola \u2066X" }},
		{"empty subject", func(m *Message) { m.Subject = "" }},
		{"blank subject", func(m *Message) { m.Subject = "   " }},
		{"subject with trailing space", func(m *Message) { m.Subject = "Hola " }},
		{"subject too long", func(m *Message) { m.Subject = strings.Repeat("á", MaxSubjectRunes+1) }},
		{"subject not UTF-8", func(m *Message) { m.Subject = "Hola \xff" }},
		{"bad recipient", func(m *Message) { m.To = "ana@example.co\r\nBcc: x@example.co" }},
		{"empty text", func(m *Message) { m.Text = "" }},
		{"text too large", func(m *Message) { m.Text = strings.Repeat("x", MaxBodyBytes+1) }},
		{"HTML too large", func(m *Message) { m.HTML = strings.Repeat("x", MaxBodyBytes+1) }},
		{"text with CR", func(m *Message) { m.Text = "a\r\nb" }},
		{"text with NUL", func(m *Message) { m.Text = "a\x00b" }},
		{"HTML with escape", func(m *Message) { m.HTML = "a\x1bb" }},
		{"text not UTF-8", func(m *Message) { m.Text = "a\xffb" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := validMessage()
			tc.mutate(&m)
			if err := m.Validate(); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("got %v, want ErrInvalidMessage", err)
			}
		})
	}
}
