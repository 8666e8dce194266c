package sdk

import (
	"bufio"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"strings"
	"testing"
)

// TestRFC8037Vector checks the signature step against RFC 8037 appendix
// A.4: the Ed25519 JWS there verifies with the key of appendix A.1, and
// stops verifying when one byte of the signing input changes.
func TestRFC8037Vector(t *testing.T) {
	f, err := os.Open("testdata/rfc8037-a4.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, val, _ := strings.Cut(line, " ")
		v[k] = val
	}

	x, err := base64.RawURLEncoding.DecodeString(v["x"])
	if err != nil {
		t.Fatal(err)
	}
	d, err := base64.RawURLEncoding.DecodeString(v["d"])
	if err != nil {
		t.Fatal(err)
	}
	if got := ed25519.NewKeyFromSeed(d).Public().(ed25519.PublicKey); !got.Equal(ed25519.PublicKey(x)) {
		t.Fatal("the vector's d does not give its x")
	}
	key, err := NewPublicKey("rfc8037", EdDSA, ed25519.PublicKey(x))
	if err != nil {
		t.Fatal(err)
	}

	jws := v["jws"]
	dot := strings.LastIndexByte(jws, '.')
	sig, err := base64.RawURLEncoding.DecodeString(jws[dot+1:])
	if err != nil {
		t.Fatal(err)
	}
	if !key.verify([]byte(jws[:dot]), sig) {
		t.Fatal("the RFC 8037 A.4 signature does not verify")
	}
	tampered := []byte(jws[:dot])
	tampered[len(tampered)-1] ^= 1
	if key.verify(tampered, sig) {
		t.Fatal("a tampered signing input verifies")
	}
}
