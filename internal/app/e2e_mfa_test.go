package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/mail/mailtest"
	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/sms"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// mfaNode starts a node on dialect with an SMTP server and the given
// changes to its configuration.
func mfaNode(t *testing.T, dialect string, edit func(*config.Config)) (*node, *mailtest.Server) {
	t.Helper()
	cfg := embeddedConfig(t)
	if dialect == "postgres" {
		cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
		key, _ := keyring.NewMasterKey()
		cfg.MasterKey.Value = config.Secret(key)
	}
	cfg.Accounts.FailureDelay = 0
	smtp := mailtest.Start(t)
	withSMTP(&cfg, smtp)
	if edit != nil {
		edit(&cfg)
	}
	return start(t, cfg), smtp
}

func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) { fn(t, dialect) })
	}
}

// claimsOf reads an access token's payload without verifying it: the test
// looks at what was issued.
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// amrOf returns the acr and amr of an access token.
func amrOf(t *testing.T, token string) (string, []string) {
	t.Helper()
	c := claimsOf(t, token)
	acr, _ := c["acr"].(string)
	var amr []string
	list, _ := c["amr"].([]any)
	for _, m := range list {
		s, _ := m.(string)
		amr = append(amr, s)
	}
	return acr, amr
}

// codeAt is what an authenticator app shows for secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func credentials(email string) string {
	return `{"email":"` + email + `","password":"` + journeyPassword + `"}`
}

// ageSession moves the session's last authentication back by d, as if the
// person had signed in that long ago.
func ageSession(t *testing.T, n *node, token string, d time.Duration) {
	t.Helper()
	sid, _ := claimsOf(t, token)["sid"].(string)
	db := n.app.DB
	_, err := db.ExecContext(context.Background(), db.Rebind(
		`UPDATE sessions SET auth_time = ? WHERE id = ?`), time.Now().Add(-d).UTC(), sid)
	if err != nil {
		t.Fatal(err)
	}
}

// enrollTOTP adds and activates an authenticator-app factor with the
// session token and returns its secret, the recovery codes that came with
// it, and the access token of the session stepped up by the activation.
func enrollTOTP(t *testing.T, api apiClient, token string,
	at time.Time) (string, []string, string) {
	t.Helper()
	e := api.do("POST", "/v1/me/mfa/totp", `{"name":"Teléfono"}`, token).want(t, 200, "enrol")
	if e.header.Get("Cache-Control") != "no-store" {
		t.Errorf("enrolment answer is cacheable: %q", e.header.Get("Cache-Control"))
	}
	secret, id := e.str("secret"), e.str("factor_id")
	img, err := base64.StdEncoding.DecodeString(e.str("qr_png"))
	if err != nil {
		t.Fatalf("qr_png: %v", err)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("qr_png is not a PNG: %v", err)
	}
	if !strings.HasPrefix(e.str("otpauth_uri"), "otpauth://totp/") ||
		!strings.Contains(e.str("otpauth_uri"), "secret="+secret) {
		t.Errorf("otpauth_uri: %q", e.str("otpauth_uri"))
	}
	r := api.do("POST", "/v1/me/mfa/totp/"+id+"/activate", `{"code":"000000"}`, token)
	if r.status != 401 || r.str("code") != "invalid_code" {
		if codeAt(t, secret, at) != "000000" {
			t.Fatalf("activation with a wrong code: %d %s", r.status, r.raw)
		}
	}
	a := api.do("POST", "/v1/me/mfa/totp/"+id+"/activate",
		`{"code":"`+codeAt(t, secret, at)+`"}`, token).want(t, 200, "activate")
	var out struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	json.Unmarshal([]byte(a.raw), &out)
	if acr, amr := amrOf(t, a.str("access_token")); acr != "mfa" || !slices.Contains(amr, "otp") {
		t.Errorf("session after activating a factor: acr %q amr %v", acr, amr)
	}
	return secret, out.RecoveryCodes, a.str("access_token")
}

// TestTOTPSignIn follows a customer who adds an authenticator app: the
// password then yields a challenge, not a session; the app's code or a
// recovery code completes it; codes and challenges work once; wrong codes
// count toward lockout.
func TestTOTPSignIn(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, smtp := mfaNode(t, dialect, nil)
		api := apiClient{t: t, base: n.url}
		const email = "ana.totp@ejemplo.co"
		p := signUp(t, api, email, "customer")

		t0 := time.Now()
		secret, recovery, _ := enrollTOTP(t, api, p.token, t0)
		if len(recovery) != 10 {
			t.Fatalf("first factor came with %d recovery codes, want 10", len(recovery))
		}
		smtp.WaitFor(t, email, "Se agregó un método de verificación", 10*time.Second)

		// 1. The password alone now gives a challenge.
		r := api.do("POST", "/v1/auth/login", credentials(email), "").want(t, 200, "login")
		if r.body["mfa_required"] != true || r.str("access_token") != "" ||
			!strings.HasPrefix(r.str("mfa_token"), "crj_mfa_") {
			t.Fatalf("login with a factor: %s", r.raw)
		}
		var methods []string
		for _, f := range r.body["factors"].([]any) {
			methods = append(methods, f.(map[string]any)["method"].(string))
		}
		if !slices.Equal(methods, []string{"totp", "recovery_code"}) {
			t.Errorf("factors offered: %v", methods)
		}
		token := r.str("mfa_token")
		api.do("GET", "/v1/me", "", token).want(t, 401, "the challenge token as a bearer token")

		// 2. The activation code was spent; a wrong one counts; the next
		// step's code passes.
		verify := func(token, body string) reply {
			return api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+token+`",`+body+`}`, "")
		}
		first, next := codeAt(t, secret, t0), codeAt(t, secret, t0.Add(30*time.Second))
		if r := verify(token, `"method":"totp","code":"`+first+`"`); r.status != 401 {
			t.Fatalf("replayed activation code: %d %s", r.status, r.raw)
		}
		verify(token, `"method":"carrier_pigeon"`).want(t, 400, "unknown method")
		s := verify(token, `"method":"totp","code":"`+next+`"`).
			want(t, 200, "right code")
		acr, amr := amrOf(t, s.str("access_token"))
		if acr != "mfa" || !slices.Equal(amr, []string{"pwd", "otp"}) ||
			s.str("refresh_token") == "" {
			t.Errorf("session after TOTP: acr %q amr %v: %s", acr, amr, s.raw)
		}
		verify(token, `"method":"totp","code":"`+next+`"`).
			want(t, 401, "the challenge a second time")

		// 3. A recovery code works once, and the person hears of it.
		token = api.do("POST", "/v1/auth/login", credentials(email), "").str("mfa_token")
		s = verify(token, `"method":"recovery_code","code":"`+recovery[0]+`"`).
			want(t, 200, "recovery code")
		if _, amr := amrOf(t, s.str("access_token")); !slices.Equal(amr, []string{"pwd", "otp"}) {
			t.Errorf("amr after a recovery code: %v", amr)
		}
		smtp.WaitFor(t, email, "Se usó un código de recuperación", 10*time.Second)
		token = api.do("POST", "/v1/auth/login", credentials(email), "").str("mfa_token")
		verify(token, `"method":"recovery_code","code":"`+recovery[0]+`"`).
			want(t, 401, "the same recovery code again")
		status := api.do("GET", "/v1/me/mfa", "", s.str("access_token")).want(t, 200, "status")
		if status.body["recovery_codes_left"] != float64(9) {
			t.Errorf("recovery codes left: %s", status.raw)
		}

		// 4. Wrong codes count toward the account's lockout: k wrong codes
		// and threshold-k wrong passwords lock it. (The recovery code reused
		// above counts too; the successful sign-in before it reset the count.)
		k := 1
		for range 5 {
			r := verify(token, `"method":"totp","code":"999999"`)
			if r.str("code") == "invalid_code" {
				k++
			}
		}
		if k < 2 {
			t.Fatalf("no wrong code was refused as invalid_code")
		}
		// A right password in between starts a challenge and clears nothing:
		// only a complete sign-in does.
		api.do("POST", "/v1/auth/login", credentials(email), "").want(t, 200, "right password")
		wrong := `{"email":"` + email + `","password":"not the password"}`
		for range n.app.Config.Accounts.LockoutThreshold - k {
			api.do("POST", "/v1/auth/login", wrong, "").want(t, 401, "wrong password")
		}
		api.do("POST", "/v1/auth/login", credentials(email), "").
			want(t, 401, "right password once wrong codes and passwords reach the threshold")
	})
}

// TestStepUp checks that sensitive operations demand a recent
// authentication at the person's level, and that step-up provides it.
func TestStepUp(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, _ := mfaNode(t, dialect, nil)
		api := apiClient{t: t, base: n.url}
		admin := adminAPI(t, n, "admin")

		// A person without a factor steps up with the password.
		plain := signUp(t, api, "sin.factor@ejemplo.co", "customer")
		ageSession(t, n, plain.token, time.Hour)
		r := api.do("POST", "/v1/me/password", `{"current_password":"`+journeyPassword+
			`","new_password":"otra clave bastante larga 7"}`, plain.token)
		challenge := r.header.Get("WWW-Authenticate")
		if r.status != 401 || r.str("code") != "step_up_required" ||
			!strings.Contains(challenge, "insufficient_user_authentication") ||
			!strings.Contains(challenge, `acr_values="pwd"`) {
			t.Fatalf("password change on an old session: %d %v %s", r.status, r.header, r.raw)
		}
		api.do("POST", "/v1/me/mfa/totp", `{}`, plain.token).want(t, 401, "enrol on an old session")
		api.do("POST", "/v1/auth/step-up", `{"method":"password","password":"wrong"}`, plain.token).
			want(t, 401, "step-up with a wrong password")
		up := api.do("POST", "/v1/auth/step-up", `{"method":"password","password":"`+
			journeyPassword+`"}`, plain.token).want(t, 200, "step-up with the password")
		api.do("POST", "/v1/me/email", `{"email":"nuevo@ejemplo.co"}`, up.str("access_token")).
			want(t, 202, "email change after the step-up")

		// A person with a factor needs it: the password is not enough.
		p := signUp(t, api, "con.factor@ejemplo.co", "vendor")
		_, recovery, _ := enrollTOTP(t, api, p.token, time.Now())
		ageSession(t, n, p.token, time.Hour)
		r = api.do("DELETE", "/v1/me/mfa/recovery-codes", "", p.token)
		challenge = r.header.Get("WWW-Authenticate")
		if r.status != 401 || !strings.Contains(challenge, `acr_values="mfa"`) {
			t.Fatalf("deleting recovery codes on an old session: %d %s", r.status, r.raw)
		}
		up = api.do("POST", "/v1/auth/step-up", `{"method":"password","password":"`+
			journeyPassword+`"}`, p.token).want(t, 200, "password step-up")
		if up.body["acr"] != "pwd" {
			t.Errorf("password step-up of a person with a factor: %s", up.raw)
		}
		api.do("POST", "/v1/me/mfa/recovery-codes", `{}`, up.str("access_token")).
			want(t, 401, "new recovery codes after a password-only step-up")
		up = api.do("POST", "/v1/auth/step-up", `{"method":"recovery_code","code":"`+
			recovery[3]+`"}`, up.str("access_token")).want(t, 200, "step-up with a factor")
		acr, amr := amrOf(t, up.str("access_token"))
		if acr != "mfa" || !slices.Contains(amr, "otp") {
			t.Errorf("after a factor step-up: acr %q amr %v", acr, amr)
		}
		fresh := up.str("access_token")
		codes := api.do("POST", "/v1/me/mfa/recovery-codes", `{}`, fresh).want(t, 200, "new codes")
		if codes.header.Get("Cache-Control") != "no-store" {
			t.Error("recovery codes are cacheable")
		}

		// Every sensitive operation asks the same of an old session, before
		// looking at its input.
		stale := api.do("POST", "/v1/auth/login", credentials("con.factor@ejemplo.co"), "").
			str("mfa_token")
		newSet, _ := codes.body["recovery_codes"].([]any)
		if len(newSet) != 10 {
			t.Fatalf("new recovery codes: %s", codes.raw)
		}
		old := api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+stale+
			`","method":"recovery_code","code":"`+newSet[0].(string)+`"}`, "").
			want(t, 200, "sign in").str("access_token")
		ageSession(t, n, old, 16*time.Minute)
		for _, op := range [][2]string{
			{"POST", "/v1/me/password"}, {"POST", "/v1/me/email"},
			{"POST", "/v1/me/mfa/totp"}, {"DELETE", "/v1/me/mfa/factors/mfa_x"},
			{"POST", "/v1/me/mfa/recovery-codes"}, {"DELETE", "/v1/me/mfa/recovery-codes"},
			{"POST", "/v1/me/mfa/sms"}, {"POST", "/v1/me/mfa/email"},
			{"POST", "/v1/me/passkeys/options"}, {"POST", "/v1/me/passkeys"},
			{"DELETE", "/v1/me/passkeys/pk_x"},
			{"POST", "/v1/authz/users/" + p.id + "/bindings"},
			{"DELETE", "/v1/authz/users/" + p.id + "/bindings/vendor_staff"},
		} {
			body := ""
			if op[0] == "POST" {
				body = "{}"
			}
			r := api.do(op[0], op[1], body, old)
			if r.status != 401 || r.str("code") != "step_up_required" {
				t.Errorf("%s %s on a 16-minute-old session: %d %s", op[0], op[1], r.status, r.raw)
			}
		}

		// Granting a role is sensitive too.
		staff := signUp(t, api, "personal@ejemplo.co", "vendor")
		admin.do("POST", "/v1/admin/users/"+p.id+"/bindings",
			`{"role":"vendor_owner","vendor":"ven_x"}`, "").want(t, 201, "make owner")
		ageSession(t, n, fresh, time.Hour)
		api.do("POST", "/v1/authz/users/"+staff.id+"/bindings",
			`{"role":"vendor_staff","vendor":"ven_x"}`, fresh).
			want(t, 401, "grant on an old session")
	})
}

// TestRequiredFactorRestrictsSession checks the policy of PCI DSS 8.4.1: a
// person in a role that requires a factor and holds none gets an
// enrolment challenge that reaches nothing else, and enrolling completes
// the sign-in; the last factor cannot be removed.
func TestRequiredFactorRestrictsSession(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, _ := mfaNode(t, dialect, func(c *config.Config) {
			c.MFA.RequiredRoles = "admin,super_admin"
		})
		api := apiClient{t: t, base: n.url}
		admin := adminAPI(t, n, "super_admin")

		const email = "operadora@ejemplo.co"
		p := signUp(t, api, email, "customer")
		admin.do("POST", "/v1/admin/users/"+p.id+"/bindings", `{"role":"admin"}`, "").
			want(t, 201, "make admin")

		r := api.do("POST", "/v1/auth/login", credentials(email), "").want(t, 200, "admin login")
		if r.body["mfa_enrollment_required"] != true || r.str("access_token") != "" {
			t.Fatalf("admin without a factor: %s", r.raw)
		}
		token := r.str("mfa_token")
		api.do("GET", "/v1/me", "", token).want(t, 401, "the enrolment token as a bearer token")
		api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+token+
			`","method":"totp","code":"123456"}`, "").want(t, 401, "enrolment token as a challenge")

		e := api.do("POST", "/v1/auth/mfa/enroll/totp", `{"mfa_token":"`+token+`"}`, "").
			want(t, 200, "enrol through the challenge")
		api.do("POST", "/v1/auth/mfa/enroll/totp/activate", `{"mfa_token":"`+token+
			`","factor_id":"`+e.str("factor_id")+`","code":"000001"}`, "")
		s := api.do("POST", "/v1/auth/mfa/enroll/totp/activate", `{"mfa_token":"`+token+
			`","factor_id":"`+e.str("factor_id")+`","code":"`+
			codeAt(t, e.str("secret"), time.Now())+`"}`, "").
			want(t, 200, "activate through the challenge")
		acr, amr := amrOf(t, s.str("access_token"))
		if acr != "mfa" || !slices.Equal(amr, []string{"pwd", "otp"}) {
			t.Errorf("session after enrolment: acr %q amr %v", acr, amr)
		}
		if codes, _ := s.body["recovery_codes"].([]any); len(codes) != 10 {
			t.Errorf("enrolment gave %d recovery codes", len(codes))
		}
		api.do("POST", "/v1/auth/mfa/enroll/totp", `{"mfa_token":"`+token+`"}`, "").
			want(t, 401, "the enrolment challenge after use")

		st := api.do("GET", "/v1/me/mfa", "", s.str("access_token")).want(t, 200, "status")
		if st.body["required"] != true {
			t.Errorf("status of an admin: %s", st.raw)
		}
		api.do("DELETE", "/v1/me/mfa/factors/"+e.str("factor_id"), "", s.str("access_token")).
			want(t, 409, "removing the only factor of an admin")

		// An operator resets the factors of a person who lost them: a reason
		// is required, and the next sign-in asks for enrolment again.
		admin.do("POST", "/v1/admin/users/"+p.id+"/mfa/reset", `{"reason":""}`, "").
			want(t, 400, "reset without a reason")
		admin.do("POST", "/v1/admin/users/usr_nobody/mfa/reset", `{"reason":"ticket 1"}`, "").
			want(t, 404, "reset of an unknown account")
		reset := admin.do("POST", "/v1/admin/users/"+p.id+"/mfa/reset",
			`{"reason":"ticket 4711, identity checked by video call"}`, "").want(t, 200, "reset")
		if reset.body["factors_removed"] != float64(1) {
			t.Errorf("reset: %s", reset.raw)
		}
		r = api.do("POST", "/v1/auth/login", credentials(email), "").want(t, 200, "login")
		if r.body["mfa_enrollment_required"] != true {
			t.Errorf("login after the reset: %s", r.raw)
		}
		var reason string
		err := n.app.DB.QueryRowContext(context.Background(), n.app.DB.Rebind(
			`SELECT details FROM audit_records WHERE action = ? AND target_id = ?`),
			"mfa.reset", p.id).Scan(&reason)
		if err != nil || !strings.Contains(reason, "ticket 4711") {
			t.Errorf("audit of the reset: %q %v", reason, err)
		}
	})
}

// passkeyOptions returns the challenge id and options of a passkey
// options answer.
func passkeyOptions(t *testing.T, r reply) (string, json.RawMessage) {
	t.Helper()
	var out struct {
		ChallengeID string          `json:"challenge_id"`
		PublicKey   json.RawMessage `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil || out.ChallengeID == "" {
		t.Fatalf("passkey options: %v %s", err, r.raw)
	}
	return out.ChallengeID, out.PublicKey
}

// passkeyAnswer is the body that carries a ceremony's answer.
func passkeyAnswer(extra, challenge string, credential []byte) string {
	return `{` + extra + `"challenge_id":"` + challenge + `","credential":` +
		string(credential) + `}`
}

// TestPasskeys registers a passkey through the API with a software
// authenticator, then uses it as a second factor after the password, as a
// passwordless sign-in and to step up; a passkey answer from the wrong
// origin, or one replayed, is refused; people list, rename and remove.
func TestPasskeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, smtp := mfaNode(t, dialect, nil)
		api := apiClient{t: t, base: n.url}
		const email = "llave@ejemplo.co"
		p := signUp(t, api, email, "customer")
		// The embedded default's public_url is on 127.0.0.1, which WebAuthn
		// cannot use: the RP is localhost, and the page's origin with it.
		rpID, origins, err := webAuthnParties(n.app.Config)
		if err != nil || rpID != "localhost" || origins[0] != "http://localhost:8080" {
			t.Fatalf("passkey parties of the default: %q %v %v", rpID, origins, err)
		}
		key := passkeytest.New(t, origins[0])

		// 1. Register.
		id, opts := passkeyOptions(t, api.do("POST", "/v1/me/passkeys/options", `{}`, p.token).
			want(t, 200, "registration options"))
		reg := api.do("POST", "/v1/me/passkeys", passkeyAnswer(`"name":"Portátil",`, id,
			key.Create(t, opts)), p.token).want(t, 201, "register")
		var registered struct {
			Passkey struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"passkey"`
			RecoveryCodes []string `json:"recovery_codes"`
		}
		json.Unmarshal([]byte(reg.raw), &registered)
		if registered.Passkey.Name != "Portátil" || len(registered.RecoveryCodes) != 10 {
			t.Fatalf("registration: %s", reg.raw)
		}

		// 2. A second factor after the password.
		r := api.do("POST", "/v1/auth/login", credentials(email), "").want(t, 200, "login")
		token := r.str("mfa_token")
		if r.body["mfa_required"] != true {
			t.Fatalf("login with a passkey: %s", r.raw)
		}
		id, opts = passkeyOptions(t, api.do("POST", "/v1/auth/mfa/passkey-options",
			`{"mfa_token":"`+token+`"}`, "").want(t, 200, "assertion options"))
		forged := key.Get(t, opts, passkeytest.WithOrigin("https://phishing.example"))
		api.do("POST", "/v1/auth/mfa/verify", passkeyAnswer(`"mfa_token":"`+token+
			`","method":"passkey",`, id, forged), "").want(t, 401, "answer from another origin")
		id, opts = passkeyOptions(t, api.do("POST", "/v1/auth/mfa/passkey-options",
			`{"mfa_token":"`+token+`"}`, "").want(t, 200, "assertion options again"))
		answer := key.Get(t, opts)
		s := api.do("POST", "/v1/auth/mfa/verify", passkeyAnswer(`"mfa_token":"`+token+
			`","method":"passkey",`, id, answer), "").want(t, 200, "passkey as second factor")
		acr, amr := amrOf(t, s.str("access_token"))
		if acr != "mfa" || !slices.Equal(amr, []string{"pwd", "hwk", "user"}) {
			t.Errorf("after a passkey: acr %q amr %v", acr, amr)
		}

		// 3. Passwordless, and the same answer replayed.
		id, opts = passkeyOptions(t, api.do("POST", "/v1/auth/passkey/options", `{}`, "").
			want(t, 200, "discoverable options"))
		answer = key.Get(t, opts)
		s = api.do("POST", "/v1/auth/passkey", passkeyAnswer("", id, answer), "").
			want(t, 200, "passwordless")
		if _, amr := amrOf(t, s.str("access_token")); !slices.Equal(amr, []string{"hwk", "user"}) {
			t.Errorf("passwordless amr: %v", amr)
		}
		api.do("POST", "/v1/auth/passkey", passkeyAnswer("", id, answer), "").
			want(t, 400, "replayed passwordless answer")
		// Without user verification the passkey is one factor only.
		id, opts = passkeyOptions(t, api.do("POST", "/v1/auth/passkey/options", `{}`, "").
			want(t, 200, "discoverable options"))
		api.do("POST", "/v1/auth/passkey", passkeyAnswer("", id,
			key.Get(t, opts, passkeytest.WithFlags(0, passkeytest.FlagUV))), "").
			want(t, 401, "passwordless without user verification")

		// 4. Step up with the passkey.
		fresh := s.str("access_token")
		ageSession(t, n, fresh, time.Hour)
		api.do("DELETE", "/v1/me/passkeys/"+registered.Passkey.ID, "", fresh).
			want(t, 401, "removal on an old session")
		id, opts = passkeyOptions(t, api.do("POST", "/v1/auth/step-up/passkey-options", `{}`,
			fresh).want(t, 200, "step-up options"))
		up := api.do("POST", "/v1/auth/step-up", passkeyAnswer(`"method":"passkey",`, id,
			key.Get(t, opts)), fresh).want(t, 200, "step-up with the passkey")
		fresh = up.str("access_token")

		// 5. List, rename, remove.
		api.do("PATCH", "/v1/me/passkeys/"+registered.Passkey.ID, `{"name":"Llave azul"}`, fresh).
			want(t, 204, "rename")
		list := api.do("GET", "/v1/me/passkeys", "", fresh).want(t, 200, "list")
		if !strings.Contains(list.raw, "Llave azul") {
			t.Errorf("list after rename: %s", list.raw)
		}
		api.do("DELETE", "/v1/me/passkeys/pk_nothere", "", fresh).want(t, 404, "remove unknown")
		api.do("DELETE", "/v1/me/passkeys/"+registered.Passkey.ID, "", fresh).want(t, 204, "remove")
		smtp.WaitFor(t, email, "Se agregó un método de verificación", 10*time.Second)
		smtp.WaitFor(t, email, "Se quitó un método de verificación", 10*time.Second)
		r = api.do("POST", "/v1/auth/login", credentials(email), "").want(t, 200, "login")
		if r.body["mfa_required"] == true {
			t.Errorf("recovery codes alone still demand a second factor: %s", r.raw)
		}
	})
}

// TestMFAAdoptionMetrics checks the adoption gauges on /metrics: accounts
// and factor holders by role, and their ratio.
func TestMFAAdoptionMetrics(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, _ := mfaNode(t, dialect, nil)
		api := apiClient{t: t, base: n.url}

		a := signUp(t, api, "uno@ejemplo.co", "customer")
		signUp(t, api, "dos@ejemplo.co", "customer")
		boss := signUp(t, api, "jefa@ejemplo.co", "vendor")
		enrollTOTP(t, api, a.token, time.Now())
		enrollTOTP(t, api, boss.token, time.Now())
		grantRole(t, n, boss.id, "admin")

		body := api.do("GET", "/metrics", "", "").want(t, 200, "metrics").raw
		for _, line := range []string{
			`cerrojo_mfa_accounts{role="all"} 3`,
			`cerrojo_mfa_accounts_with_factor{role="all"} 2`,
			`cerrojo_mfa_accounts{role="customer"} 2`,
			`cerrojo_mfa_adoption_ratio{role="customer"} 0.5`,
			`cerrojo_mfa_adoption_ratio{role="admin"} 1`,
		} {
			if !strings.Contains(body, line+"\n") {
				t.Errorf("metrics lack %q", line)
			}
		}
	})
}

// verifyEmail confirms the address of a new account with the code the
// SMTP server received.
func verifyEmail(t *testing.T, api apiClient, smtp *mailtest.Server, email string) {
	t.Helper()
	msg := smtp.WaitFor(t, email, "Confirme su correo", 10*time.Second)
	m := sixDigits.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("no code in the verification email:\n%s", msg.Text)
	}
	api.do("POST", "/v1/accounts/email-verification", `{"email":"`+email+`","code":"`+m[1]+
		`"}`, "").want(t, 200, "verify email")
}

// lastText returns the code of the newest text message to number in the
// node's development outbox.
func lastText(t *testing.T, n *node, number string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(n.app.Config.DataDir, sms.OutboxFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var e sms.OutboxEntry
		if json.Unmarshal([]byte(lines[i]), &e) == nil && e.To == number {
			if m := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(e.Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no text to %s in the outbox:\n%s", number, raw)
	return ""
}

// lastEmailCode returns the code of the newest sign-in code email to addr.
func lastEmailCode(t *testing.T, smtp *mailtest.Server, addr string) string {
	t.Helper()
	msg := smtp.WaitFor(t, addr, "Su código para ingresar", 10*time.Second)
	m := sixDigits.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("no code in the email:\n%s", msg.Text)
	}
	return m[1]
}

// TestCodeFactors adds a text-message and an email factor through the
// API, reads their codes where they were delivered (the development SMS
// outbox, an SMTP server), and signs in with each: amr sms and mail. Text
// codes need a stronger factor first; codes are throttled.
func TestCodeFactors(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		n, smtp := mfaNode(t, dialect, nil)
		api := apiClient{t: t, base: n.url}
		const email, phone = "codigos@ejemplo.co", "+573001234567"
		p := signUp(t, api, email, "customer")
		verifyEmail(t, api, smtp, email)

		// 1. Text codes are a backup: not before a stronger factor.
		r := api.do("POST", "/v1/me/mfa/sms", `{"phone":"300 123 4567"}`, p.token)
		if r.status != 409 || r.str("code") != "strong_factor_required" {
			t.Fatalf("text factor without a stronger one: %d %s", r.status, r.raw)
		}
		_, _, token := enrollTOTP(t, api, p.token, time.Now())
		p.token = token // stepped up by the activation
		api.do("POST", "/v1/me/mfa/sms", `{"phone":"601 123 4567"}`, p.token).
			want(t, 400, "a landline")

		// 2. Enrol the phone and the address with the codes they received.
		e := api.do("POST", "/v1/me/mfa/sms", `{"phone":"300 123 4567","name":"Celular"}`,
			p.token).want(t, 200, "text factor")
		smsID := e.str("factor_id")
		if e.str("hint") == "" || strings.Contains(e.str("hint"), "1234567") {
			t.Errorf("hint of the phone: %q", e.str("hint"))
		}
		api.do("POST", "/v1/me/mfa/codes/"+smsID+"/activate", `{"code":"`+
			lastText(t, n, phone)+`"}`, p.token).want(t, 200, "activate the phone")
		e = api.do("POST", "/v1/me/mfa/email", `{}`, p.token).want(t, 200, "email factor")
		mailID := e.str("factor_id")
		api.do("POST", "/v1/me/mfa/codes/"+mailID+"/activate", `{"code":"`+
			lastEmailCode(t, smtp, email)+`"}`, p.token).want(t, 200, "activate the address")

		// 3. Sign in with a text code.
		login := api.do("POST", "/v1/auth/login", credentials(email), "").want(t, 200, "login")
		var offered []string
		for _, f := range login.body["factors"].([]any) {
			offered = append(offered, f.(map[string]any)["method"].(string))
		}
		if !slices.Equal(offered, []string{"totp", "sms", "email", "recovery_code"}) {
			t.Errorf("methods offered: %v", offered)
		}
		token = login.str("mfa_token")
		// As if the activation codes had gone out a minute ago: one code per
		// factor per 30 seconds.
		_, err := n.app.DB.ExecContext(context.Background(), n.app.DB.Rebind(
			`UPDATE mfa_oob_codes SET sent_at = ?`), time.Now().Add(-time.Minute).UTC())
		if err != nil {
			t.Fatal(err)
		}
		api.do("POST", "/v1/auth/mfa/send-code", `{"mfa_token":"`+token+`","factor_id":"`+
			smsID+`"}`, "").want(t, 200, "send a text code")
		again := api.do("POST", "/v1/auth/mfa/send-code", `{"mfa_token":"`+token+
			`","factor_id":"`+smsID+`"}`, "")
		if again.status != 429 || again.str("code") != "too_many_codes" ||
			again.header.Get("Retry-After") == "" {
			t.Errorf("a second code at once: %d %v %s", again.status, again.header, again.raw)
		}
		s := api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+token+
			`","method":"sms","factor_id":"`+smsID+`","code":"`+lastText(t, n, phone)+`"}`, "").
			want(t, 200, "text code")
		if acr, amr := amrOf(t, s.str("access_token")); acr != "mfa" ||
			!slices.Equal(amr, []string{"pwd", "sms"}) {
			t.Errorf("after a text code: acr %q amr %v", acr, amr)
		}

		// 4. And with an email code.
		token = api.do("POST", "/v1/auth/login", credentials(email), "").str("mfa_token")
		api.do("POST", "/v1/auth/mfa/send-code", `{"mfa_token":"`+token+`","factor_id":"`+
			mailID+`"}`, "").want(t, 200, "send an email code")
		s = api.do("POST", "/v1/auth/mfa/verify", `{"mfa_token":"`+token+
			`","method":"email","factor_id":"`+mailID+`","code":"`+
			lastEmailCode(t, smtp, email)+`"}`, "").want(t, 200, "email code")
		if _, amr := amrOf(t, s.str("access_token")); !slices.Equal(amr, []string{"pwd", "mail"}) {
			t.Errorf("after an email code: amr %v", amr)
		}

		// 5. The person heard of each new factor.
		smtp.WaitFor(t, email, "Se agregó un método de verificación", 10*time.Second)
	})
}

// TestSuperAdminAlwaysNeedsAFactor: under the default configuration, with
// no mfa.required_roles, a super admin without a factor still signs in only
// to the enrolment challenge, since a super admin can grant any role.
func TestSuperAdminAlwaysNeedsAFactor(t *testing.T) {
	n, _ := mfaNode(t, "sqlite", nil)
	api := apiClient{t: t, base: n.url}
	admin := adminAPI(t, n, "super_admin")
	p := signUp(t, api, "raiz@ejemplo.co", "customer")
	admin.do("POST", "/v1/admin/users/"+p.id+"/bindings", `{"role":"super_admin"}`, "").
		want(t, 201, "make super admin")
	r := api.do("POST", "/v1/auth/login", credentials("raiz@ejemplo.co"), "").
		want(t, 200, "login")
	if r.body["mfa_enrollment_required"] != true || r.str("access_token") != "" {
		t.Fatalf("super admin without a factor: %s", r.raw)
	}
}
