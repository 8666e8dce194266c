package dian_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/beevik/etree"

	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/dian/diantest"
)

// FuzzAnswer sends arbitrary bytes, as a SOAP 1.2 answer, to each of the
// client's operations through the local DIAN server: whatever the DIAN (or
// someone between it and us) sends, the client returns a result or a
// *dian.Error with a problem code, and never panics.
func FuzzAnswer(f *testing.F) {
	ok := dian.Response{IsValid: true, StatusCode: "00", StatusDescription: "Procesado",
		XMLDocumentKey: cufe, XMLBytes: []byte("<ApplicationResponse/>"),
		ErrorMessages: []string{"Regla: FAD06"}}
	f.Add(diantest.Status(ok))
	f.Add(diantest.StatusZip(ok, dian.Response{IsValid: false, StatusCode: "99"}))
	f.Add(diantest.NumberingRanges("100", "ok", dian.NumberingRange{ResolutionNumber: "18760",
		Prefix: "SETP", FromNumber: 990000000, ToNumber: 995000000,
		ValidDateFrom: "2019-01-19", ValidDateTo: "2030-01-19", TechnicalKey: "fc8eac42"}))
	f.Add(diantest.Fault("Sender", "a:InvalidSecurity", "An error occurred"))
	f.Add([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">` +
		`<s:Body/></s:Envelope>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`))

	r := newRig(f, func(cfg *dian.ClientConfig) {
		cfg.MaxAttempts = 1
		cfg.MaxResponseBytes = 64 << 10
	})
	var answer atomic.Pointer[[]byte]
	r.srv.Respond = func(string, *etree.Element) (int, []byte) { return 200, *answer.Load() }

	f.Fuzz(func(t *testing.T, body []byte) {
		answer.Store(&body)
		ctx := context.Background()
		check := func(op string, err error) {
			if err == nil {
				return
			}
			var de *dian.Error
			if !errors.As(err, &de) || de.Code == "" {
				t.Fatalf("%s: %v is not a *dian.Error with a code", op, err)
			}
			if p := dian.Problem(err); p.Status < 400 || p.Code != de.Code {
				t.Fatalf("%s: problem %+v for %v", op, p, err)
			}
		}
		st, err := r.client.GetStatus(ctx, cufe)
		check("GetStatus", err)
		if err == nil && (st == nil || !st.IsValid) {
			t.Fatalf("GetStatus succeeded with %+v", st)
		}
		zip, err := r.client.GetStatusZip(ctx, cufe)
		check("GetStatusZip", err)
		if err == nil && len(zip) == 0 {
			t.Fatal("GetStatusZip succeeded with no response")
		}
		ranges, err := r.client.GetNumberingRange(ctx, "900373115", "900373115",
			"56f2ae4e-9812-4fad-9255-08fcfcd5ccb0")
		check("GetNumberingRange", err)
		for _, nr := range ranges {
			if nr.FromNumber > nr.ToNumber {
				t.Fatalf("range %+v accepted with from > to", nr)
			}
		}
		if bytes.Contains(body, []byte("<!DOCTYPE")) && err == nil {
			t.Fatal("an answer with a DTD was accepted")
		}
	})
}
