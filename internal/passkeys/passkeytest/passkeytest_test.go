package passkeytest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
)

func TestReadOptions(t *testing.T) {
	bare := json.RawMessage(`{"challenge":"Y2g","rp":{"id":"cuenta.ejemplo.co"},` +
		`"rpId":"cuenta.ejemplo.co","user":{"id":"dXNyX2FuYQ"},` +
		`"excludeCredentials":[{"type":"public-key","id":"AQ"}],` +
		`"allowCredentials":[{"type":"public-key","id":"Ag"}],"userVerification":"required"}`)
	want := Options{Challenge: "Y2g", RPID: "cuenta.ejemplo.co",
		Exclude: []Descriptor{{ID: "AQ"}}, Allow: []Descriptor{{ID: "Ag"}},
		UserVerification: "required"}
	want.RP.ID, want.User.ID = "cuenta.ejemplo.co", "dXNyX2FuYQ"

	for name, raw := range map[string]json.RawMessage{
		"bare":    bare,
		"wrapped": MustJSON(t, map[string]any{"publicKey": bare, "mediation": "conditional"}),
	} {
		t.Run(name, func(t *testing.T) {
			if got := ReadOptions(t, raw); !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestExcludedBy(t *testing.T) {
	a := New(t, "https://cuenta.ejemplo.co")
	opts := MustJSON(t, map[string]any{"publicKey": map[string]any{
		"excludeCredentials": []map[string]string{{"id": B64.EncodeToString(a.CredID)}},
	}})
	if !a.ExcludedBy(t, opts) {
		t.Error("not excluded by its own credential ID")
	}
	if New(t, "https://cuenta.ejemplo.co").ExcludedBy(t, opts) {
		t.Error("excluded by another credential ID")
	}
}

func TestCBOR(t *testing.T) {
	// Examples from RFC 8949 appendix A.
	for _, tc := range []struct {
		in   any
		want string
	}{
		{0, "00"}, {23, "17"}, {24, "1818"}, {1000, "1903e8"}, {1000000, "1a000f4240"},
		{1 << 40, "1b0000010000000000"}, {-1, "20"}, {-1000, "3903e7"},
		{[]byte{1, 2, 3, 4}, "4401020304"}, {"IETF", "6449455446"}, {"", "60"},
		{[]Pair{{K: 1, V: 2}, {K: 3, V: 4}}, "a201020304"}, {[]Pair(nil), "a0"},
	} {
		if got := hex.EncodeToString(CBOR(nil, tc.in)); got != tc.want {
			t.Errorf("CBOR(%v): got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestGetCounts(t *testing.T) {
	a := New(t, "https://cuenta.ejemplo.co")
	a.Counting = true
	opts := json.RawMessage(`{"challenge":"Y2g","rpId":"cuenta.ejemplo.co"}`)
	for want := uint32(1); want <= 2; want++ {
		var resp struct {
			Response struct {
				AuthenticatorData string `json:"authenticatorData"`
			} `json:"response"`
		}
		if err := json.Unmarshal(a.Get(t, opts), &resp); err != nil {
			t.Fatal(err)
		}
		authData, err := B64.DecodeString(resp.Response.AuthenticatorData)
		if err != nil {
			t.Fatal(err)
		}
		p := Params{RPID: "cuenta.ejemplo.co", Flags: FlagUP | FlagUV, Counter: want}
		if !bytes.Equal(authData, AuthenticatorData(p)) {
			t.Errorf("assertion %d: authenticator data %x, want %x", want, authData,
				AuthenticatorData(p))
		}
	}
}
