package oauth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func formRequest(target, contentType, body string) *http.Request {
	r := httptest.NewRequest("POST", target, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

func TestReadFormRefuses(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	cases := []struct {
		name, target, ct, body string
		status                 int
	}{
		{"json", "/oauth2/token", "application/json", `{"grant_type":"x"}`, 400},
		{"repeated", "/oauth2/token", form, "grant_type=a&grant_type=b", 400},
		{"query", "/oauth2/token?client_secret=s", form, "grant_type=a", 400},
		{"bad escape", "/oauth2/token", form, "grant_type=%zz", 400},
		{"too big", "/oauth2/token", form, "a=" + strings.Repeat("x", maxFormBytes), 413},
	}
	for _, c := range cases {
		_, err := readForm(formRequest(c.target, c.ct, c.body))
		var oe *oauthError
		if !errors.As(err, &oe) || oe.status != c.status || oe.Code != "invalid_request" {
			t.Errorf("%s: %v, want invalid_request %d", c.name, err, c.status)
		}
	}
	got, err := readForm(formRequest("/oauth2/token", form+"; charset=utf-8",
		"grant_type=authorization_code&code=c"))
	if err != nil || got.Get("code") != "c" {
		t.Fatalf("a good form: %v %v", got, err)
	}
}

// FuzzReadForm: any body and media type either parses into a form in
// which no parameter repeats, or is refused with an OAuth error; nothing
// panics.
func FuzzReadForm(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=x")
	f.Add("application/x-www-form-urlencoded", "a=1&a=2")
	f.Add("text/plain", "a=1")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "%")
	f.Fuzz(func(t *testing.T, ct, body string) {
		form, err := readForm(formRequest("/oauth2/token", ct, body))
		if err != nil {
			var oe *oauthError
			if !errors.As(err, &oe) || oe.status < 400 || oe.status > 499 {
				t.Fatalf("refusal %v is not a 4xx OAuth error", err)
			}
			return
		}
		for k, v := range form {
			if len(v) != 1 {
				t.Fatalf("parameter %q appears %d times", k, len(v))
			}
		}
	})
}
