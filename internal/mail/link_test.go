package mail

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckLink(t *testing.T) {
	good := []string{
		"https://mercado.example/verificar?token=abc&lang=es",
		"https://mercado.example:8443/r#fragment",
		"https://xn--espaa-rta.example/r",
		"http://localhost:8080/verificar?token=abc",
		"http://127.0.0.1/r",
		"http://[::1]:8080/r",
		"HTTPS://Mercado.Example/r",
		"https://mercado.example/" + strings.Repeat("a", MaxLinkBytes-len("https://mercado.example/")),
	}
	for _, link := range good {
		if err := checkLink(link, nil); err != nil {
			t.Errorf("checkLink(%q): %v", link, err)
		}
	}

	bad := map[string]string{
		"empty":                          "",
		"javascript":                     "javascript:alert(document.cookie)",
		"data":                           "data:text/html,<script>alert(1)</script>",
		"plain http":                     "http://mercado.example/r",
		"http to a localhost look-alike": "http://localhost.evil.example/r",
		"http to a loopback look-alike":  "http://127.0.0.1.evil.example/r",
		"ftp":                            "ftp://mercado.example/r",
		"relative":                       "/verificar?token=abc",
		"scheme-relative":                "//evil.example/r",
		"no host":                        "https:///r",
		"opaque":                         "https:evil.example",
		"user information":               "https://mercado.example@evil.example/r",
		"user and password":              "https://a:b@mercado.example/r",
		"backslash":                      `https://mercado.example\@evil.example/`,
		"space":                          "https://mercado.example/a b",
		"CRLF":                           "https://mercado.example/\r\nBcc: x@evil.example",
		"tab":                            "https://mercado.example/\t",
		"unicode host":                   "https://mercadó.example/r",
		"unicode look-alike":             "https://меrcado.example/r",
		"bad port":                       "https://mercado.example:http/r",
		"too long":                       "https://mercado.example/" + strings.Repeat("a", MaxLinkBytes),
	}
	for name, link := range bad {
		t.Run(name, func(t *testing.T) {
			if err := checkLink(link, nil); !errors.Is(err, ErrInvalidLink) {
				t.Errorf("checkLink(%q): got %v, want ErrInvalidLink", link, err)
			}
		})
	}
}

func TestCheckLinkHosts(t *testing.T) {
	hosts := []string{"mercado.example", "localhost"}
	tests := []struct {
		link string
		ok   bool
	}{
		{"https://mercado.example/r", true},
		{"https://MERCADO.EXAMPLE:443/r", true},
		{"http://localhost:8080/r", true},
		{"https://www.mercado.example/r", false},
		{"https://mercado.example.evil.example/r", false},
		{"https://evilmercado.example/r", false},
		{"http://127.0.0.1/r", false},
	}
	for _, tc := range tests {
		err := checkLink(tc.link, hosts)
		if tc.ok && err != nil {
			t.Errorf("checkLink(%q): %v", tc.link, err)
		}
		if !tc.ok && !errors.Is(err, ErrInvalidLink) {
			t.Errorf("checkLink(%q): got %v, want ErrInvalidLink", tc.link, err)
		}
	}
}
