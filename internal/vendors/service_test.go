package vendors

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func fieldErr(t *testing.T, err error, field string) FieldError {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a validation error on %s", err, field)
	}
	for _, f := range ve.Fields {
		if f.Field == field {
			return f
		}
	}
	t.Fatalf("no error on %s in %v", field, ve)
	return FieldError{}
}

func TestCreateNormalizesNITAndRefusesDuplicates(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		v := f.create(t, juridica())
		if v.Status != StatusDraft || v.Identification.Masked != "***1153" ||
			v.Identification.Type != 31 {
			t.Fatalf("vendor = %+v", v)
		}
		for _, n := range []string{"900.373.115-3", "900373115 3", "9003731153",
			" 900 373 115 - 3 "} {
			in := juridica()
			in.Identification.Number = n
			_, err := f.svc.Create(ctx, "other", in, meta)
			if !errors.Is(err, ErrAlreadyRegistered) {
				t.Errorf("%q: err = %v, want already registered", n, err)
			}
		}
		in := juridica()
		in.Identification.Number = "900.373.115-4"
		_, err := f.svc.Create(ctx, "other", in, meta)
		fe := fieldErr(t, err, "/identification/number")
		if fe.Code != "check_digit_mismatch" ||
			!strings.Contains(fe.Message, "expected digit is 3") {
			t.Errorf("field error = %+v", fe)
		}
		var idx string
		f.db.QueryRow(`SELECT id_index FROM vendors`).Scan(&idx)
		if len(idx) != 64 {
			t.Errorf("blind index = %q", idx)
		}
		f.wantAudit(t, "vendor.created")
		var n int
		f.db.QueryRow(`SELECT COUNT(*) FROM role_bindings WHERE role = 'vendor_owner'`).Scan(&n)
		if n != 1 {
			t.Errorf("owner bindings = %d", n)
		}
		for _, r := range f.records(t, "vendor.created") {
			for _, d := range r.Details {
				if strings.Contains(d, "900373115") {
					t.Errorf("audit details hold the NIT: %v", r.Details)
				}
			}
		}
	})
}

func TestIdentificationAndTaxRules(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		v := f.create(t, natural())
		if v.Identification.Type != 13 || v.Identification.Masked != "***4050" {
			t.Fatalf("natural = %+v", v.Identification)
		}
		cases := []struct {
			name, field, code string
			edit              func(*Input)
		}{
			{"cedula juridica", "/identification/type", "inconsistent", func(in *Input) {
				in.Identification = Identification{Type: 13, Number: "52.123.456"}
			}},
			{"passport", "/identification/type", "invalid_value", func(in *Input) {
				in.Identification = Identification{Type: 41, Number: "AB123456"}
			}},
			{"R-99-PN juridica", "/tax_responsibilities", "inconsistent", func(in *Input) {
				in.TaxResponsibilities = []string{"R-99-PN"}
			}},
			{"O-48 and O-49", "/tax_responsibilities", "inconsistent", func(in *Input) {
				in.TaxResponsibilities = []string{"O-48", "O-49"}
			}},
			{"bad format", "/tax_responsibilities/1", "invalid_value", func(in *Input) {
				in.TaxResponsibilities = []string{"O-13", "X-1"}
			}},
			{"no tax", "/tax_responsibilities", "required", func(in *Input) {
				in.TaxResponsibilities = nil
			}},
			{"municipio prefix", "/address/municipio", "inconsistent", func(in *Input) {
				in.Address.Municipio = "05001"
			}},
			{"departamento", "/address/departamento", "invalid_value", func(in *Input) {
				in.Address.Departamento = "8"
			}},
			{"account type", "/bank_account/account_type", "invalid_value", func(in *Input) {
				in.Bank.Type = "nomina"
			}},
			{"email", "/contact/email", "invalid_value", func(in *Input) {
				in.Contact.Email = "no-at"
			}},
		}
		for _, c := range cases {
			in := juridica()
			in.Identification.Number = "800197268-4"
			c.edit(&in)
			_, err := f.svc.Create(ctx, "other", in, meta)
			if fe := fieldErr(t, err, c.field); fe.Code != c.code {
				t.Errorf("%s: code = %s, want %s", c.name, fe.Code, c.code)
			}
		}
		// A natural person may use a NIT too, and R-99-PN.
		in := natural()
		in.Identification = Identification{Type: 31, Number: "860034313-7"}
		if _, err := f.svc.Create(ctx, "other", in, meta); err != nil {
			t.Errorf("natural with NIT: %v", err)
		}
	})
}

func TestBankAndIdentityAreSealed(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		v := f.create(t, juridica())
		if v.Bank.Masked != "****8901" {
			t.Errorf("bank masked = %q", v.Bank.Masked)
		}
		var bank, id []byte
		if err := f.db.QueryRow(`SELECT bank_account_sealed, id_number_sealed FROM vendors`).
			Scan(&bank, &id); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(bank, []byte("12345678901")) || bytes.Contains(bank, []byte("456789")) {
			t.Error("bank account stored in clear")
		}
		if bytes.Contains(id, []byte("900373115")) {
			t.Error("identity number stored in clear")
		}
		full, err := f.svc.Identification(ctx, ops, v.ID, meta)
		if err != nil || full.Number != "900373115-3" || full.Formatted != "900.373.115-3" {
			t.Errorf("identification = %+v, %v", full, err)
		}
		f.wantAudit(t, "vendor.identification_viewed")
	})
}

func TestStatusMachine(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		v := f.create(t, juridica())
		state := func(want string) {
			t.Helper()
			if got := f.status(t, v.ID); got != want {
				t.Fatalf("status = %s, want %s", got, want)
			}
		}
		conflict := func(name string, err error) {
			t.Helper()
			if !errors.Is(err, ErrState) {
				t.Errorf("%s: err = %v, want an illegal transition", name, err)
			}
		}
		approve := func() error {
			_, err := f.svc.Approve(ctx, ops, "rev@x.co", v.ID, meta)
			return err
		}
		reject := func() error {
			_, err := f.svc.Reject(ctx, ops, "rev@x.co", v.ID, []string{"RUT ilegible"}, meta)
			return err
		}
		suspend := func() error {
			_, err := f.svc.Suspend(ctx, ops, "", v.ID, "fraude", meta)
			return err
		}
		reinstate := func() error {
			_, err := f.svc.Reinstate(ctx, ops, "", v.ID, meta)
			return err
		}
		submit := func() error { _, err := f.svc.Submit(ctx, "owner", v.ID, meta); return err }
		edit := func() error {
			name := "Otro nombre"
			_, err := f.svc.Update(ctx, "owner", v.ID, Patch{TradeName: &name}, meta)
			return err
		}
		// draft: only edit and submit.
		conflict("approve draft", approve())
		conflict("reject draft", reject())
		conflict("suspend draft", suspend())
		conflict("reinstate draft", reinstate())
		if err := submit(); !errors.Is(err, ErrDocumentsMissing) {
			t.Fatalf("submit without documents: %v", err)
		}
		var md *MissingDocumentsError
		if errors.As(submit(), &md); len(md.Kinds) != 4 {
			t.Errorf("missing = %v", md.Kinds)
		}
		if err := edit(); err != nil {
			t.Fatal(err)
		}
		f.uploadAll(t, v)
		if err := submit(); err != nil {
			t.Fatal(err)
		}
		state(StatusSubmitted)
		// submitted: no edit, resubmit, suspend, reinstate, upload.
		conflict("edit submitted", edit())
		conflict("submit submitted", submit())
		conflict("suspend submitted", suspend())
		conflict("reinstate submitted", reinstate())
		_, err := f.svc.Upload(ctx, "owner", v.ID, DocRUT, ctPDF,
			bytes.NewReader(pdf), meta)
		conflict("upload submitted", err)
		if _, err := f.svc.Reject(ctx, ops, "rev@x.co", v.ID, nil, meta); err == nil {
			t.Error("reject without reasons accepted")
		}
		if err := reject(); err != nil {
			t.Fatal(err)
		}
		state(StatusRejected)
		got, _ := f.svc.Get(ctx, "owner", v.ID)
		if !slices.Equal(got.Reasons, []string{"RUT ilegible"}) {
			t.Errorf("reasons = %v", got.Reasons)
		}
		conflict("approve rejected", approve())
		conflict("suspend rejected", suspend())
		conflict("reinstate rejected", reinstate())
		if err := edit(); err != nil {
			t.Fatalf("edit rejected: %v", err)
		}
		if err := submit(); err != nil {
			t.Fatalf("resubmit: %v", err)
		}
		state(StatusSubmitted)
		if err := approve(); err != nil {
			t.Fatal(err)
		}
		state(StatusApproved)
		conflict("edit approved", edit())
		conflict("submit approved", submit())
		conflict("approve approved", approve())
		conflict("reject approved", reject())
		conflict("reinstate approved", reinstate())
		if _, err := f.svc.Suspend(ctx, ops, "", v.ID, " ", meta); err == nil {
			t.Error("suspend without reason accepted")
		}
		if err := suspend(); err != nil {
			t.Fatal(err)
		}
		state(StatusSuspended)
		conflict("approve suspended", approve())
		conflict("reject suspended", reject())
		conflict("suspend suspended", suspend())
		conflict("edit suspended", edit())
		conflict("submit suspended", submit())
		if err := reinstate(); err != nil {
			t.Fatal(err)
		}
		state(StatusApproved)
		f.wantAudit(t, "vendor.created", "vendor.updated", "vendor.document_uploaded",
			"vendor.submitted", "vendor.rejected", "vendor.approved", "vendor.suspended",
			"vendor.reinstated")
		var outcomes []string
		for _, n := range f.sent() {
			outcomes = append(outcomes, n.outcome)
			if n.to != "owner" {
				t.Errorf("notice to %s", n.to)
			}
		}
		if !slices.Equal(outcomes, []string{"rejected", "approved", "suspended"}) {
			t.Errorf("notices = %v", outcomes)
		}
	})
}

func TestFourEyes(t *testing.T) {
	eachDB(t, 2, func(t *testing.T, f *fixture) {
		v := f.submitted(t)
		if _, err := f.svc.Approve(ctx, ops, "", v.ID, meta); err == nil {
			t.Error("approval without reviewer accepted")
		}
		got, err := f.svc.Approve(ctx, ops, "Ana@Cerrojo.co", v.ID, meta)
		if err != nil || got.Status != StatusInReview || got.Approvals != 1 {
			t.Fatalf("first approval: %+v, %v", got, err)
		}
		if _, err := f.svc.Approve(ctx, ops, "ana@cerrojo.co", v.ID, meta); !errors.Is(err,
			ErrSameReviewer) {
			t.Fatalf("same reviewer twice: %v", err)
		}
		if st := f.status(t, v.ID); st != StatusInReview {
			t.Fatalf("status = %s", st)
		}
		got, err = f.svc.Approve(ctx, ops, "luis@cerrojo.co", v.ID, meta)
		if err != nil || got.Status != StatusApproved {
			t.Fatalf("second approval: %+v, %v", got, err)
		}
		f.wantAudit(t, "vendor.approval_recorded", "vendor.approved")
		for _, r := range f.records(t, "vendor.approval_recorded") {
			if r.Details["reviewer"] == "ana@cerrojo.co" {
				t.Error("reviewer email in clear in the audit log")
			}
		}

		// A rejection by anyone ends the round; the next round starts over.
		w := f.create(t, natural())
		f.uploadAll(t, w)
		f.svc.Submit(ctx, "owner", w.ID, meta)
		f.svc.Approve(ctx, ops, "ana@cerrojo.co", w.ID, meta)
		if _, err := f.svc.Reject(ctx, ops, "luis@cerrojo.co", w.ID,
			[]string{"Certificado bancario vencido"}, meta); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Submit(ctx, "owner", w.ID, meta); err != nil {
			t.Fatal(err)
		}
		got, _ = f.svc.Approve(ctx, ops, "ana@cerrojo.co", w.ID, meta)
		if got.Status != StatusInReview || got.ReviewRound != 2 {
			t.Errorf("new round: %+v", got)
		}
	})
}

func TestQueue(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		a := f.submitted(t)
		f.clock.Advance(time.Hour)
		in := natural()
		b := f.create(t, in)
		f.uploadAll(t, b)
		f.svc.Submit(ctx, "owner", b.ID, meta)
		third := natural()
		third.Identification.Number = "79.000.001"
		f.create(t, third)
		q, err := f.svc.List(ctx, "")
		if err != nil || len(q) != 2 || q[0].ID != a.ID || q[1].ID != b.ID {
			t.Fatalf("queue = %v, %v", q, err)
		}
		drafts, _ := f.svc.List(ctx, StatusDraft)
		if len(drafts) != 1 {
			t.Errorf("drafts = %d", len(drafts))
		}
		if _, err := f.svc.List(ctx, "bogus"); err == nil {
			t.Error("bad status accepted")
		}
	})
}

func TestDocuments(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		v := f.create(t, natural())
		if _, err := f.svc.Upload(ctx, "owner", v.ID, DocCamaraComercio, ctPDF,
			bytes.NewReader(pdf), meta); err == nil {
			t.Error("cámara de comercio accepted for a natural person")
		}
		if _, err := f.svc.Upload(ctx, "other", v.ID, DocRUT, ctPDF,
			bytes.NewReader(pdf), meta); !errors.Is(err, ErrNotFound) {
			t.Errorf("other's upload: %v", err)
		}
		d1, err := f.svc.Upload(ctx, "owner", v.ID, DocRUT, ctPDF,
			bytes.NewReader(pdf), meta)
		if err != nil {
			t.Fatal(err)
		}
		pdf2 := append([]byte("%PDF-1.7\n%x\n"), pdf[9:]...)
		d2, err := f.svc.Upload(ctx, "owner", v.ID, DocRUT, ctPDF,
			bytes.NewReader(pdf2), meta)
		if err != nil || d2.SHA256 == d1.SHA256 {
			t.Fatalf("replace: %v", err)
		}
		var n int
		f.db.QueryRow(`SELECT COUNT(*) FROM vendor_documents`).Scan(&n)
		if n != 1 {
			t.Errorf("documents = %d, want 1", n)
		}
		d, content, err := f.svc.Download(ctx, "owner", v.ID, DocRUT, meta)
		if err != nil || !bytes.Equal(content, pdf2) || d.Filename() != "rut.pdf" {
			t.Fatalf("download: %v", err)
		}
		if _, _, err := f.svc.Download(ctx, "other", v.ID, DocRUT, meta); !errors.Is(err,
			ErrNotFound) {
			t.Errorf("other's download: %v", err)
		}
		if _, _, err := f.svc.AdminDownload(ctx, ops, v.ID, DocIdentity, meta); !errors.Is(err,
			ErrNotFound) {
			t.Errorf("missing document: %v", err)
		}
		if got := len(f.records(t, "vendor.document_downloaded")); got != 1 {
			t.Errorf("download records = %d", got)
		}
	})
}

func TestStaff(t *testing.T) {
	eachDB(t, 1, func(t *testing.T, f *fixture) {
		v := f.create(t, juridica())
		f.db.Exec(f.db.Rebind(`UPDATE users SET email_verified = ? WHERE id = 'staff1'`), true)
		if _, err := f.svc.Invite(ctx, "other", v.ID, "staff1@ejemplo.co", RoleStaff,
			meta); !errors.Is(err, ErrNotFound) {
			t.Errorf("invite by non-owner: %v", err)
		}
		if _, err := f.svc.Invite(ctx, "owner", v.ID, "staff1@ejemplo.co", "admin",
			meta); err == nil {
			t.Error("bad role accepted")
		}
		if _, err := f.svc.Invite(ctx, "owner", v.ID, "Staff1@Ejemplo.co", RoleManager,
			meta); err != nil {
			t.Fatal(err)
		}
		sent := f.sent()
		if len(sent) != 1 || !strings.HasPrefix(sent[0].link,
			"https://cerrojo.test/vendor-invitations/accept?token=") {
			t.Fatalf("sent = %+v", sent)
		}
		token := strings.TrimPrefix(sent[0].link,
			"https://cerrojo.test/vendor-invitations/accept?token=")
		if len(token) < 51 {
			t.Errorf("token too short: %d", len(token))
		}
		var stored int
		f.db.QueryRow(f.db.Rebind(`SELECT COUNT(*) FROM vendor_invitations
			WHERE CAST(token_mac AS TEXT) LIKE ?`), "%"+token+"%").Scan(&stored)
		if stored != 0 {
			t.Error("token stored in clear")
		}
		if _, err := f.svc.Accept(ctx, "other", token, meta); !errors.Is(err, ErrWrongInvitee) {
			t.Errorf("wrong person: %v", err)
		}
		if _, err := f.svc.Accept(ctx, "staff1", token+"x", meta); !errors.Is(err,
			ErrInvitationNotFound) {
			t.Errorf("bad token: %v", err)
		}
		if _, err := f.svc.Accept(ctx, "staff1", token, meta); err != nil {
			t.Fatal(err)
		}
		binding := func() int {
			var n int
			f.db.QueryRow(f.db.Rebind(`SELECT COUNT(*) FROM role_bindings WHERE user_id = ?
				AND role = ? AND vendor_id = ?`), "staff1", RoleManager, v.ID).Scan(&n)
			return n
		}
		if binding() != 1 {
			t.Fatal("no role binding after acceptance")
		}
		if _, err := f.svc.Accept(ctx, "staff1", token, meta); !errors.Is(err, ErrInvitationUsed) {
			t.Errorf("reuse: %v", err)
		}
		st, err := f.svc.ListStaff(ctx, "owner", v.ID)
		if err != nil || len(st.Members) != 1 || len(st.Invitations) != 0 {
			t.Fatalf("staff = %+v, %v", st, err)
		}
		if err := f.svc.Remove(ctx, "other", v.ID, "staff1", meta); !errors.Is(err, ErrNotFound) {
			t.Errorf("remove by non-owner: %v", err)
		}
		if err := f.svc.Remove(ctx, "owner", v.ID, "staff1", meta); err != nil {
			t.Fatal(err)
		}
		if binding() != 0 {
			t.Error("binding left after removal")
		}
		if !slices.Equal(f.ended.calls, []string{"staff1||vendor_staff_removed"}) {
			t.Errorf("sessions ended = %v", f.ended.calls)
		}
		if err := f.svc.Remove(ctx, "owner", v.ID, "staff1", meta); !errors.Is(err, ErrNotMember) {
			t.Errorf("second removal: %v", err)
		}

		// Expiry.
		f.svc.Invite(ctx, "owner", v.ID, "staff1@ejemplo.co", RoleStaff, meta)
		sent = f.sent()
		token = strings.TrimPrefix(sent[len(sent)-1].link,
			"https://cerrojo.test/vendor-invitations/accept?token=")
		f.clock.Advance(DefaultInvitationTTL + time.Second)
		if _, err := f.svc.Accept(ctx, "staff1", token, meta); !errors.Is(err,
			ErrInvitationExpired) {
			t.Errorf("expired: %v", err)
		}
		f.wantAudit(t, "vendor.staff_invited", "vendor.staff_joined", "vendor.staff_removed")
	})
}
