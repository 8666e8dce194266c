package app

import (
	"context"
	"math"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/redisconn/redistest"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// register opens and verifies nothing: login works for unverified accounts.
func register(t *testing.T, api apiClient, email, pw string) {
	t.Helper()
	api.do("POST", "/v1/accounts", `{"email":"`+email+`","password":"`+pw+
		`","name":"Cliente Prueba","kind":"customer"}`, "").want(t, 202, "register "+email)
}

// TestLockoutHoldsAcrossNodes runs two nodes on one PostgreSQL and one
// Redis and spreads wrong passwords over both: the account locks after the
// threshold counted across nodes, and the right password then fails on
// either node.
func TestLockoutHoldsAcrossNodes(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Database.URL = config.CredentialURL(storagetest.PostgresSchemaURL(t))
	cfg.Redis.URL = config.CredentialURL(redistest.URL(t))
	key, _ := keyring.NewMasterKey()
	cfg.MasterKey.Value = config.Secret(key)
	// The growing delays are tested in package accounts; here they would
	// only make the test slow.
	cfg.Accounts.FailureDelay = 0
	cfg.RateLimit.Enabled = false // TestRateLimits covers them

	a, b := start(t, cfg), start(t, cfg)
	apiA, apiB := apiClient{t: t, base: a.url}, apiClient{t: t, base: b.url}
	email := "lockout-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@ejemplo.co"
	const pw = "clave correcta y larga 1"
	register(t, apiA, email, pw)

	threshold := cfg.Accounts.LockoutThreshold
	for i := range threshold {
		api := apiA
		if i%2 == 1 {
			api = apiB
		}
		api.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"wrong guess"}`, "").
			want(t, 401, "wrong password "+strconv.Itoa(i+1))
	}
	apiA.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"`+pw+`"}`, "").
		want(t, 401, "right password on node A after the lockout")
	apiB.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"`+pw+`"}`, "").
		want(t, 401, "right password on node B after the lockout")

	e, _ := accounts.ParseEmail(email)
	u, err := a.app.Accounts.Store.UserByEmail(context.Background(), e.Normalized)
	if err != nil || u.State != accounts.StateLocked {
		t.Fatalf("account state %s, %v; want locked", u.State, err)
	}
}

// TestLoginDoesNotRevealAccounts sends wrong passwords for registered emails
// and for unknown ones, interleaved, and checks that the answers are
// identical and that their times come from one distribution: a two-sided
// Mann-Whitney U test must not reject equality at the 0.1% level. Each email
// is tried once, so lockout delays play no part; both kinds spend one
// Argon2id hash (a dummy one for unknown emails).
func TestLoginDoesNotRevealAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical timing test")
	}
	cfg := embeddedConfig(t)
	cfg.Accounts.IPThreshold = 1000
	n := start(t, cfg)
	api := apiClient{t: t, base: n.url}

	const samples = 40
	for i := range samples {
		register(t, api, "known"+strconv.Itoa(i)+"@ejemplo.co", "clave correcta y larga 1")
	}
	n.app.Accounts.Wait()

	var known, unknown []float64
	var knownBody, unknownBody string
	for i := range samples {
		// Alternate which kind goes first, so that nothing that follows a
		// request (a WAL checkpoint, a GC cycle) favours one kind.
		kinds := []string{"known", "unknown"}
		if i%2 == 1 {
			kinds[0], kinds[1] = kinds[1], kinds[0]
		}
		for _, kind := range kinds {
			email := kind + strconv.Itoa(i) + "@ejemplo.co"
			start := time.Now()
			r := api.do("POST", "/v1/auth/login", `{"email":"`+email+`","password":"wrong pass"}`, "").
				want(t, 401, kind)
			elapsed := float64(time.Since(start).Microseconds())
			if kind == "known" {
				known = append(known, elapsed)
				knownBody = stripRequestID(r.raw)
			} else {
				unknown = append(unknown, elapsed)
				unknownBody = stripRequestID(r.raw)
			}
		}
	}
	if knownBody != unknownBody {
		t.Errorf("bodies differ:\n%s\n%s", knownBody, unknownBody)
	}
	z := mannWhitneyZ(known, unknown)
	t.Logf("median known %.1f ms, unknown %.1f ms, Mann-Whitney z = %.2f", median(known)/1000,
		median(unknown)/1000, z)
	// |z| > 3.29 is p < 0.001, two-sided.
	if math.Abs(z) > 3.29 {
		t.Errorf("login times differ between known and unknown emails (z = %.2f)", z)
	}
}

// mannWhitneyZ is the normal approximation of the Mann-Whitney U statistic
// (with ranks averaged over ties), fine for samples of 20 or more.
func mannWhitneyZ(a, b []float64) float64 {
	type obs struct {
		v     float64
		fromA bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	ranks := make([]float64, len(all))
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		for k := i; k < j; k++ {
			ranks[k] = float64(i+j+1) / 2
		}
		i = j
	}
	var rankA float64
	for i, o := range all {
		if o.fromA {
			rankA += ranks[i]
		}
	}
	n1, n2 := float64(len(a)), float64(len(b))
	u := rankA - n1*(n1+1)/2
	mean := n1 * n2 / 2
	sd := math.Sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
	return (u - mean) / sd
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
