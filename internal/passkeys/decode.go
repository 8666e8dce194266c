package passkeys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/go-webauthn/webauthn/protocol"
)

// checkJSON is the validation step before go-webauthn decodes a browser's
// response: it bounds the size and nesting and refuses what encoding/json
// would quietly accept, namely invalid UTF-8, duplicate member names (the
// last one would win, so two parsers could read two different responses;
// encoding/json matches names without regard to case, so "id" and "ID"
// count as the same name) and trailing data.
//
// Unknown members are accepted: browsers add members to the
// PublicKeyCredential JSON over time (authenticatorAttachment,
// response.publicKey, ...). go-webauthn ignores the ones it does not know,
// and nothing is trusted from a member that is not covered by the
// signature or checked against the ceremony.
func checkJSON(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty response")
	}
	if len(b) > MaxResponseBytes {
		return fmt.Errorf("response is longer than %d bytes", MaxResponseBytes)
	}
	if !utf8.Valid(b) {
		return errors.New("response is not valid UTF-8")
	}

	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := walkValue(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("response has data after the JSON value")
	}
	return nil
}

// walkValue reads one JSON value from dec, checking the depth and the
// member names of every object in it.
func walkValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("response is not JSON: %w", err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	if depth >= maxJSONDepth {
		return fmt.Errorf("response nests deeper than %d levels", maxJSONDepth)
	}

	switch delim {
	case '{':
		seen := make(map[string]bool)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("response is not JSON: %w", err)
			}
			name, _ := tok.(string)
			key := foldName(name)
			if seen[key] {
				return fmt.Errorf("response repeats the member %q", httpx.Clip(name, 40))
			}
			seen[key] = true
			if err := walkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := walkValue(dec, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return fmt.Errorf("response is not JSON: %w", err)
	}
	return nil
}

// parseCreation decodes the JSON of the PublicKeyCredential that
// navigator.credentials.create() returned (its toJSON() form). The result
// is only decoded: the caller verifies it.
func parseCreation(b []byte) (*protocol.ParsedCredentialCreationData, error) {
	if err := checkJSON(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	p, err := protocol.ParseCredentialCreationResponseBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p, nil
}

// parseAssertion decodes the JSON navigator.credentials.get() returned.
// The result is only decoded: the caller verifies it.
func parseAssertion(b []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if err := checkJSON(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	p, err := protocol.ParseCredentialRequestResponseBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p, nil
}

// foldName maps every name that encoding/json would match with s (its
// matching is Unicode case folding, as strings.EqualFold) to one string:
// each character becomes the smallest of its case-folding orbit.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
