package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/habeasdata"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/mail/mailtest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// TestMasterKeyRotation rotates the master key of a database that holds
// every kind of sealed value, with nodes serving throughout: a node with
// the new key and the old one as previous serves existing secrets, the
// rotation re-encrypts everything, the old key alone is then refused, and
// a node with the new key alone still verifies TOTP codes and recovery
// codes, signs tokens, signs audit checkpoints, opens the consent ledger's
// sealed documents and authenticates OAuth clients, whose secrets are
// found by MAC.
func TestMasterKeyRotation(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		oldKey, _ := keyring.NewMasterKey()
		newKey, _ := keyring.NewMasterKey()
		base := embeddedConfig(t)
		if dialect == "postgres" {
			base.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
		}
		base.Accounts.FailureDelay = 0
		withSMTP(&base, mailtest.Start(t))
		withKeys := func(master string, previous ...string) config.Config {
			cfg := base
			cfg.MasterKey.Value = config.Secret(master)
			cfg.MasterKey.Previous = config.Secret(strings.Join(previous, ","))
			return cfg
		}

		// Before: secrets sealed under the old key.
		a := start(t, withKeys(oldKey))
		api := apiClient{t: t, base: a.url}
		const email = "rota@ejemplo.co"
		p := signUp(t, api, email, "customer")
		t0 := time.Now()
		secret, recovery, _ := enrollTOTP(t, api, p.token, t0)
		svc, clientSecret, err := a.app.Clients.Create(ctx, clients.NewClient{Name: "crm",
			Type: clients.Confidential})
		if err != nil {
			t.Fatal(err)
		}
		op := audit.Actor{Type: audit.ActorSystem, ID: "test"}
		if _, err := a.app.HabeasData.PublishPolicy(ctx, habeasdata.NewPolicy{Version: "1",
			Text: "Política", Purposes: []habeasdata.Purpose{{Code: "purchases",
				Description: "Compras"}}}, op, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		consents, err := a.app.HabeasData.RecordConsent(ctx, habeasdata.NewConsent{
			SubjectID: p.id, PolicyVersion: "1", Minor: true,
			Choices:  []habeasdata.Choice{{Purpose: "purchases", Decision: habeasdata.Granted}},
			Evidence: habeasdata.Evidence{Channel: "web", ShownText: "texto"},
			Representative: &habeasdata.Representative{Name: "Ana", Relationship: "madre",
				DocumentNumber: "52123456"}}, op, audit.Event{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.app.Audit.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		vendor := api.do("POST", "/v1/vendors", vendorBody, p.token).want(t, 201, "vendor")
		docPath := "/v1/vendors/" + vendor.str("id") + "/documents/rut"
		api.do("PUT", docPath, vendorPDF, p.token, "Content-Type", "application/pdf").
			want(t, 200, "a document sealed under the old key")
		a.stop()

		// Step 1: the new key, the old one as previous.
		b := start(t, withKeys(newKey, oldKey))
		api.base = b.url
		token := api.do("POST", "/v1/auth/login", credentials(email), "").str("mfa_token")
		api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+token+
			`","method":"recovery_code","code":"`+recovery[0]+`"}`, "").
			want(t, 200, "a recovery code sealed under the old key")

		// Step 2: rotate while the node serves.
		rot, err := b.app.RotateSecrets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		resealed := map[string]int64{}
		for _, c := range rot.Resealed {
			resealed[c.Column] = c.Resealed
		}
		if rot.Documents.Resealed != 1 {
			t.Errorf("documents resealed: %+v", rot.Documents)
		}
		for _, col := range []string{"mfa_factors.secret_sealed", "vendors.id_number_sealed",
			"mfa_recovery_codes.hash_sealed", "signing_keys.private_sealed",
			"audit_signing_keys.private_sealed", "habeas_consents.representative_doc_sealed",
			"keyring_state.sealed"} {
			if resealed[col] == 0 {
				t.Errorf("%s: nothing resealed (%v)", col, resealed)
			}
		}
		for _, c := range rot.Remaining {
			if n := c.NotPrimary(rot.Primary); n != 0 {
				t.Errorf("%s: %d values left under another key", c.Column, n)
			}
		}
		if len(rot.Retired) != 1 {
			t.Fatalf("retired %v, want the old key", rot.Retired)
		}
		b.stop()

		// The old key alone no longer starts a node.
		if _, err := tryStart(t, withKeys(oldKey)); !errors.Is(err, keyring.ErrRotatedOut) {
			t.Fatalf("the old key after the rotation: %v", err)
		}

		// Step 4: the new key alone.
		c := start(t, withKeys(newKey))
		api.base = c.url
		token = api.do("POST", "/v1/auth/login", credentials(email), "").str("mfa_token")
		s := api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+token+
			`","method":"totp","code":"`+codeAt(t, secret, t0.Add(30*time.Second))+`"}`, "").
			want(t, 200, "a TOTP seed re-encrypted")
		api.do("GET", "/v1/me", "", s.str("access_token")).want(t, 200, "a token it signed")
		token = api.do("POST", "/v1/auth/login", credentials(email), "").str("mfa_token")
		api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+token+
			`","method":"recovery_code","code":"`+recovery[1]+`"}`, "").
			want(t, 200, "a recovery code re-encrypted")
		api.do("GET", "/v1/habeas-data/check?subject_id="+p.id+"&purpose=purchases", "", "",
			"Authorization", "Basic "+basicAuth(svc.ID, clientSecret)).
			want(t, 200, "a client secret found by MAC after the rotation")
		if _, err := c.app.Audit.Checkpoint(ctx); err != nil {
			t.Fatalf("audit checkpoint after the rotation: %v", err)
		}
		tok := s.str("access_token")
		if dl := api.do("GET", docPath, "", tok).want(t, 200, "a document re-encrypted"); dl.raw !=
			vendorPDF {
			t.Fatal("the document changed in the rotation")
		}
		var sealed []byte
		if err := c.app.DB.QueryRowContext(ctx, c.app.DB.Rebind(`SELECT
			representative_doc_sealed FROM habeas_consents WHERE id = ?`),
			consents[0].ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		doc, err := c.app.Ring.Open(sealed, []byte("habeas_consents:"+consents[0].ID))
		if err != nil || string(doc) != "52123456" {
			t.Fatalf("the representative's document: %q %v", doc, err)
		}
	})
}

// TestEverySealedColumnIsRotated keeps SealedColumns complete: every column
// of the schema that holds sealed values (named sealed or *_sealed) is
// listed, so a rotation cannot leave one behind under the old key.
// keyring_checks.sealed is the one exception: each check belongs to its key.
func TestEverySealedColumnIsRotated(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		q := `SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND (p.name = 'sealed' OR p.name LIKE '%\_sealed' ESCAPE '\')`
		if db.Dialect() == storage.Postgres {
			q = `SELECT table_name || '.' || column_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND (column_name = 'sealed' OR
				column_name LIKE '%\_sealed' ESCAPE '\')`
		}
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var inSchema []string
		for rows.Next() {
			var name string
			rows.Scan(&name)
			if name != "keyring_checks.sealed" {
				inSchema = append(inSchema, name)
			}
		}
		var listed []string
		for _, c := range SealedColumns() {
			listed = append(listed, c.Name())
		}
		slices.Sort(inSchema)
		slices.Sort(listed)
		if !slices.Equal(inSchema, listed) {
			t.Fatalf("sealed columns in the schema:\n%v\nlisted in SealedColumns:\n%v",
				inSchema, listed)
		}
	})
}
