package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk"
)

// failingKeys is a KeySource whose backend is down.
type failingKeys struct{}

func (failingKeys) PublicKey(context.Context, string) (*sdk.PublicKey, error) {
	return nil, errors.New("connection refused")
}

// failingRevocations cannot be read.
type failingRevocations struct{}

func (failingRevocations) Revoked(context.Context, *sdk.Claims) (bool, error) {
	return false, errors.New("redis: connection refused")
}

func TestMiddleware(t *testing.T) {
	ed := edKey("ed-1", 1)
	good := token(t, ed, goodClaims())
	expired := token(t, ed, with(goodClaims(), map[string]any{
		"exp": testNow.Add(-time.Hour).Unix()}))

	cases := []struct {
		name          string
		keys          sdk.KeySource
		revocations   sdk.Revocations
		authorization []string
		status        int
		challenge     string
		code          string
	}{
		{"valid token", nil, nil, []string{"Bearer " + good}, 200, "", ""},
		{"scheme in lower case", nil, nil, []string{"bearer " + good}, 200, "", ""},
		{"no header", nil, nil, nil, 401, "Bearer", "missing_token"},
		{"basic credentials", nil, nil, []string{"Basic dXNlcjpwYXNz"}, 401, "Bearer",
			"missing_token"},
		{"empty bearer", nil, nil, []string{"Bearer "}, 400, `Bearer error="invalid_request"`,
			"invalid_request"},
		{"two tokens", nil, nil, []string{"Bearer " + good + " " + good}, 400,
			`Bearer error="invalid_request"`, "invalid_request"},
		{"two headers", nil, nil, []string{"Bearer " + good, "Bearer " + good}, 400,
			`Bearer error="invalid_request"`, "invalid_request"},
		{"expired token", nil, nil, []string{"Bearer " + expired}, 401,
			`Bearer error="invalid_token", error_description="the access token expired"`,
			"invalid_token"},
		{"garbage", nil, nil, []string{"Bearer abc"}, 401,
			`Bearer error="invalid_token", error_description="the access token is malformed"`,
			"invalid_token"},
		{"keys unreachable", failingKeys{}, nil, []string{"Bearer " + good}, 503, "",
			"unavailable"},
		{"revocation list unreachable", nil, failingRevocations{}, []string{"Bearer " + good},
			503, "", "unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys := tc.keys
			if keys == nil {
				keys = staticKeys(t, ed)
			}
			v := newVerifier(t, keys, func(c *sdk.Config) { c.Revocations = tc.revocations })
			var seen *sdk.Claims
			h := sdk.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = sdk.ClaimsFrom(r.Context())
			}))

			req := httptest.NewRequest("GET", "/orders", nil)
			for _, a := range tc.authorization {
				req.Header.Add("Authorization", a)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tc.status {
				t.Fatalf("got status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if tc.status == 200 {
				if seen == nil || seen.Subject != "user_01J8Z6" {
					t.Fatalf("handler got claims %+v", seen)
				}
				return
			}
			if seen != nil {
				t.Fatal("the handler ran for a refused request")
			}
			var p struct {
				Code   string `json:"code"`
				Status int    `json:"status"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if p.Code != tc.code || p.Status != tc.status {
				t.Errorf("got problem %+v, want code %q", p, tc.code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("got Content-Type %q", ct)
			}
			if strings.Contains(rec.Body.String(), "ed-1") {
				t.Error("the body reveals token content")
			}
		})
	}
}

func TestClaimsFromEmptyContext(t *testing.T) {
	if c, ok := sdk.ClaimsFrom(context.Background()); ok || c != nil {
		t.Fatalf("got %v, %v", c, ok)
	}
	want := &sdk.Claims{Subject: "s"}
	if c, ok := sdk.ClaimsFrom(sdk.ContextWithClaims(context.Background(), want)); !ok || c != want {
		t.Fatalf("got %v, %v", c, ok)
	}
}
