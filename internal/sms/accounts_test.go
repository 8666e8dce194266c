package sms_test

import (
	"testing"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/sms"
)

// TestParseNumberAgreesWithAccounts keeps the two readers of phone numbers
// in step: a number this package accepts is one package accounts accepts,
// in the same E.164 form, so a phone given at sign-up and the same phone
// given for text codes are the same number.
func TestParseNumberAgreesWithAccounts(t *testing.T) {
	for _, in := range []string{"+573001234567", "300 123 4567", "(300) 123-4567",
		"+57 320 1234567", "+1 415 555 2671", "+44 7911 123456", "601 234 5678",
		"300 123 4567 ext. 5", "0057 300 1234567", "3001234567", "+34 612 345 678"} {
		got, err := sms.ParseNumber(in)
		if err != nil {
			continue
		}
		want, aerr := accounts.ParsePhone(in)
		if aerr != nil || got != want {
			t.Errorf("%q: sms gives %q, accounts gives (%q, %v)", in, got, want, aerr)
		}
	}
}
