package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMessageValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Message
		ok   bool
	}{
		{"code message", testMessage, true},
		{"line feeds", Message{To: "+14155552671", Body: "Código:\n123456"}, true},
		{"longest body", Message{To: "+573001234567", Body: strings.Repeat("ñ", maxBodyRunes)},
			true},
		{"shortest number", Message{To: "+1234567", Body: "x"}, true},
		{"longest number", Message{To: "+123456789012345", Body: "x"}, true},
		{"body too long", Message{To: "+573001234567",
			Body: strings.Repeat("a", maxBodyRunes+1)}, false},
		{"empty body", Message{To: "+573001234567"}, false},
		{"carriage return", Message{To: "+573001234567", Body: "a\rb"}, false},
		{"NUL", Message{To: "+573001234567", Body: "a\x00b"}, false},
		{"C1 control", Message{To: "+573001234567", Body: "a\u0085b"}, false},
		{"not UTF-8", Message{To: "+573001234567", Body: "a\xffb"}, false},
		{"number too short", Message{To: "+123456", Body: "x"}, false},
		{"number too long", Message{To: "+1234567890123456", Body: "x"}, false},
		{"national form", Message{To: "3001234567", Body: "x"}, false},
		{"spaces", Message{To: "+57 300 123 4567", Body: "x"}, false},
		{"leading zero", Message{To: "+0573001234567", Body: "x"}, false},
		{"double plus", Message{To: "++573001234567", Body: "x"}, false},
		{"empty", Message{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if tc.ok && err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("got %v, want ErrInvalidMessage", err)
			}
		})
	}
}

func TestMessagePrintsRedacted(t *testing.T) {
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "message", testMessage)
	for _, out := range []string{fmt.Sprint(testMessage), fmt.Sprintf("%+v", testMessage),
		fmt.Sprintf("%#v", testMessage), logged.String()} {
		if strings.Contains(out, "123456") || strings.Contains(out, "3001234567") {
			t.Errorf("%q shows the code or the number", out)
		}
	}
}

func TestDisabledRefuses(t *testing.T) {
	var s Sender = Disabled{}
	if err := s.Send(context.Background(), testMessage); !errors.Is(err, ErrDisabled) {
		t.Errorf("got %v, want ErrDisabled", err)
	}
}

func TestNewPicksTheProvider(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		cfg     Config
		want    string
		wantErr bool
	}{
		{Config{}, "*sms.Outbox", false},
		{Config{Provider: ProviderOutbox}, "*sms.Outbox", false},
		{Config{Provider: ProviderDisabled}, "sms.Disabled", false},
		{Config{Provider: ProviderHTTP, HTTP: HTTPConfig{URL: "https://sms.example.co/send"}},
			"*sms.HTTPSender", false},
		{Config{Provider: ProviderHTTP}, "", true},
		{Config{Provider: "carrier-pigeon"}, "", true},
		{Config{OutboxMaxBytes: minOutboxBytes - 1}, "", true},
	} {
		s, err := New(tc.cfg, dir, nil)
		if tc.wantErr {
			if err == nil || s != nil {
				t.Errorf("%+v: got (%T, %v), want (nil, an error)", tc.cfg, s, err)
			}
			continue
		}
		if err != nil || fmt.Sprintf("%T", s) != tc.want {
			t.Errorf("%+v: got (%T, %v), want %s", tc.cfg, s, err, tc.want)
		}
	}
}
