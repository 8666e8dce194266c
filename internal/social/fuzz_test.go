package social

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/audit/audittest"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// FuzzParseCallback feeds callback query strings and form bodies: parsing
// never panics, and what it accepts has a state, a code or an error, and
// no parameter over its cap.
func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{"state=abc&code=xyz", "state=a&error=access_denied",
		"state=a&code=b&iss=https%3A%2F%2Faccounts.google.com",
		`state=a&code=b&user=%7B%22name%22%3A%7B%22firstName%22%3A%22A%22%7D%7D`,
		"state=a&state=b&code=c", "code=x", "state=" + strings.Repeat("a", 3000) + "&code=x",
		"user=%7B%7D&state=s&code=c", "state=%00&code=%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := ParseCallback(v)
		if err != nil {
			var pr *httpx.Problem
			if !errors.As(err, &pr) || pr.Status != 400 {
				t.Fatalf("error is not a 400 problem: %v", err)
			}
			return
		}
		if p.State == "" || p.Code == "" && p.Error == "" {
			t.Fatalf("accepted without state or code: %+v", p)
		}
		for _, s := range []string{p.State, p.Code, p.Error, p.Issuer} {
			if len(s) > MaxParamBytes {
				t.Fatalf("accepted a parameter of %d bytes", len(s))
			}
		}
		if len(p.AppleName) > MaxAppleUserBytes {
			t.Fatalf("apple name of %d bytes", len(p.AppleName))
		}
	})
}

// FuzzCheckReturnTo: whatever return_to is accepted, the page the callback
// redirects to stays on this site.
func FuzzCheckReturnTo(f *testing.F) {
	for _, s := range []string{"/ui/login", "//evil.example", "/\\evil", "/%2F%2Fevil",
		"https://evil", "/a?b=c", "/a#b", " /a", "/\t/evil", "\\/evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := checkReturnTo(s)
		if err != nil {
			return
		}
		u, perr := url.Parse(got + "#social_result=h")
		if perr != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") {
			t.Fatalf("accepted %q, which leaves the site (%v)", got, perr)
		}
	})
}

// FuzzResultRequest feeds bodies to the result route's decoding and
// handling: every answer is a client error, never a panic or a 500, and
// no guessed handle signs anyone in.
func FuzzResultRequest(f *testing.F) {
	for _, s := range []string{`{"handle":"abc"}`, `{"handle":""}`, `{}`, `[]`,
		`{"handle":"a","handle":"b"}`, `{"handle":null}`, `{"handle":"` +
			strings.Repeat("x", 5000) + `"}`, "\xff"} {
		f.Add([]byte(s))
	}
	master := make([]byte, 32)
	ring, err := keyring.New(rand.Reader, master)
	if err != nil {
		f.Fatal(err)
	}
	svc, err := New(Options{DB: storagetest.SQLite(f), Ring: ring,
		Audit: &audittest.Recorder{}, PublicURL: "http://127.0.0.1:8080"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ResultRequest
		err := httpx.DecodeJSONBytes(body, &req)
		if err == nil {
			_, err = svc.Result(context.Background(), req.Handle, meta)
		}
		var pr *httpx.Problem
		if !errors.As(err, &pr) || pr.Status >= 500 {
			t.Fatalf("answer to %q: %v", body, err)
		}
	})
}
