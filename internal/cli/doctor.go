package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/redisconn"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// finding is one result of `cerrojo doctor`.
type finding struct {
	Check  string `json:"check"`
	Status string `json:"status"` // ok, warn or error
	Detail string `json:"detail"`
}

// Clock skew against the database that doctor warns about and refuses: a
// TOTP code is valid 30 seconds either way, and token lifetimes and legal
// deadlines are reckoned on this clock.
const (
	skewWarn  = 2 * time.Second
	skewError = 15 * time.Second
)

// runDoctor checks a deployment and says plainly what is wrong or risky.
// It changes nothing: it creates no data directory, key or database.
func runDoctor(ctx context.Context, env Env, args []string) error {
	fset := newFlags("doctor", env)
	configPath := configFlag(fset)
	asJSON := fset.Bool("json", false, "print JSON instead of text")
	fset.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo doctor [--config FILE] [--json]")
		fmt.Fprintln(env.Stderr, "Checks the configuration, the database, Redis, migrations, "+
			"clock skew, signing keys and settings risky in production. Changes nothing; exits "+
			"1 when something is wrong.")
		fset.PrintDefaults()
	}
	if err := parse(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return usageError{"doctor takes no arguments"}
	}

	var out []finding
	add := func(check, status, detail string) {
		out = append(out, finding{Check: check, Status: status, Detail: detail})
	}
	cfg, _, err := loadConfig(env, *configPath)
	if err != nil {
		add("configuration", "error", err.Error())
	} else {
		add("configuration", "ok", "valid")
		doctorDeployment(ctx, cfg, add)
	}

	if *asJSON {
		if err := writeJSON(env, out); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		for _, f := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Status, f.Check, f.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	errs, warns := 0, 0
	for _, f := range out {
		switch f.Status {
		case "error":
			errs++
		case "warn":
			warns++
		}
	}
	if errs > 0 {
		return fmt.Errorf("%d problems and %d warnings", errs, warns)
	}
	return nil
}

func doctorDeployment(ctx context.Context, cfg config.Config,
	add func(check, status, detail string)) {
	doctorDatabase(ctx, cfg, add)
	if cfg.Redis.URL != "" {
		c, err := redisconn.Open(cfg.Redis.URL.Reveal())
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			err = redisconn.Ping(pctx, c)
			cancel()
			_ = c.Close() // the ping's error is the finding; closing is cleanup
		}
		if err != nil {
			add("redis", "error", "not reachable: "+err.Error())
		} else {
			add("redis", "ok", "reachable")
		}
	}
	for _, f := range productionRisks(cfg) {
		add(f.Check, f.Status, f.Detail)
	}
}

func doctorDatabase(ctx context.Context, cfg config.Config,
	add func(check, status, detail string)) {
	if cfg.Embedded() {
		path := filepath.Join(cfg.DataDir, app.SQLiteFileName)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			add("database", "ok", "embedded SQLite not created yet: `cerrojo serve` creates "+
				path)
			return
		}
	}
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		add("database", "error", "cannot open: "+err.Error())
		return
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		add("database", "error", "not reachable: "+err.Error())
		return
	}
	add("database", "ok", "reachable ("+string(db.Dialect())+")")

	status, err := db.MigrationStatus(ctx)
	if err != nil {
		add("migrations", "error", err.Error())
		return
	}
	pending := 0
	for _, m := range status {
		if !m.Applied {
			pending++
		}
	}
	switch {
	case pending == 0:
		add("migrations", "ok", "up to date")
	case cfg.Database.MigrateOnStart:
		add("migrations", "warn", fmt.Sprintf("%d pending; `cerrojo serve` applies them "+
			"(database.migrate_on_start)", pending))
	default:
		add("migrations", "error", fmt.Sprintf("%d pending and database.migrate_on_start is "+
			"off: run `cerrojo migrate up`", pending))
	}

	if db.Dialect() == storage.Postgres {
		var dbNow time.Time
		if err := db.QueryRowContext(ctx, "SELECT now()").Scan(&dbNow); err == nil {
			skew := time.Since(dbNow).Abs()
			switch {
			case skew > skewError:
				add("clock", "error",
					fmt.Sprintf("%s apart from the database's clock; fix NTP", skew))
			case skew > skewWarn:
				add("clock", "warn", fmt.Sprintf("%s apart from the database's clock", skew))
			default:
				add("clock", "ok", "within "+skewWarn.String()+" of the database's clock")
			}
		}
	}
	if pending > 0 {
		return // the key tables may not exist yet
	}
	doctorKeys(ctx, cfg, db, add)
	doctorDIAN(ctx, db, add)
}

func doctorKeys(ctx context.Context, cfg config.Config, db *storage.DB,
	add func(check, status, detail string)) {
	checks, err := keyring.NewSQLStore(db).Checks(ctx)
	if err != nil {
		add("master key", "error", err.Error())
		return
	}
	key, src, err := keyring.LoadMasterKeyIfExists(cfg)
	switch {
	case len(checks) == 0 && (err == nil || errors.Is(err, fs.ErrNotExist)):
		// VerifyDatabase would record the key: doctor changes nothing.
		add("master key", "ok", "none recorded in the database yet: `cerrojo serve` records it")
	case errors.Is(err, fs.ErrNotExist):
		add("master key", "error", "no master key: the database was set up with one that is "+
			"not at "+src.Path)
	case err != nil:
		add("master key", "error", err.Error())
	default:
		ring, err := keyring.NewFromConfig(rand.Reader, key, cfg)
		if err == nil {
			err = keyring.VerifyDatabase(ctx, ring, keyring.NewSQLStore(db), time.Now())
		}
		if err != nil {
			add("master key", "error", err.Error())
		} else {
			add("master key", "ok", "matches the database (from "+src.Kind+")")
		}
		if cfg.MasterKey.Previous != "" {
			add("master key", "warn", "master_key.previous is set: a rotation is under way; "+
				"run `cerrojo secrets rotate`, then remove it")
		}
		if src.LooseMode != 0 {
			add("master key", "error", fmt.Sprintf("%s can be read by other users (mode %s); "+
				"chmod 600 it", src.Path, src.LooseMode))
		}
	}

	keys, err := tokens.NewKeys(app.TokensConfig(cfg), tokens.NewSQLStore(db), nil,
		clock.System{}).List(ctx)
	if err != nil {
		add("signing keys", "error", err.Error())
		return
	}
	current, next := 0, 0
	for _, k := range keys {
		switch k.State {
		case tokens.StateCurrent:
			current++
		case tokens.StateNext:
			next++
		}
	}
	switch {
	case len(keys) == 0:
		add("signing keys", "ok", "none yet: `cerrojo serve` creates them")
	case current != 1:
		add("signing keys", "error", fmt.Sprintf("%d current keys, want 1", current))
	case next == 0:
		add("signing keys", "warn", "no next key published: the next rotation will have to "+
			"wait for JWKS caches")
	default:
		add("signing keys", "ok", "one current, one next")
	}
}

// productionRisks are settings that are fine on a laptop and risky when
// people reach the node: public_url on a host other than loopback is taken
// to mean production.
func productionRisks(cfg config.Config) []finding {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || isLoopbackHost(u.Hostname()) {
		return nil
	}
	var out []finding
	risk := func(status, check, detail string) {
		out = append(out, finding{Check: check, Status: status, Detail: detail})
	}
	if u.Scheme != "https" {
		risk("error", "public_url", "not https: people's passwords and tokens would cross the "+
			"network in clear")
	}
	if cfg.HTTP.TLSCertFile == "" && cfg.HTTP.TrustedProxies == "" {
		risk("warn", "tls", "no http.tls_cert_file and no http.trusted_proxies: either cerrojo "+
			"serves TLS itself or a TLS proxy in front is listed")
	}
	if cfg.MasterKey.Value == "" && cfg.MasterKey.File == "" {
		risk("warn", "master key", "kept in data_dir beside the database: whoever copies one "+
			"copies both; use master_key.file on another volume or a secret manager")
	}
	if cfg.Embedded() {
		risk("warn", "database", "embedded SQLite: one node only; use PostgreSQL for more "+
			"(docs/operations.md)")
	}
	if cfg.Mail.SMTP.Host == "" {
		risk("error", "mail", "no mail.smtp.host: verification codes and notices go to a file")
	}
	if cfg.MFA.SMSCodes && cfg.SMS.Provider == "outbox" {
		risk("warn", "sms", "mfa.sms_codes is on and sms.provider is outbox: texts go to a "+
			"file; set sms.provider http or turn mfa.sms_codes off")
	}
	if !cfg.RateLimit.Enabled {
		risk("warn", "rate limits", "ratelimit.enabled is off")
	}
	// A wildcard origin cannot be configured (config.Validate refuses it);
	// what remains risky is an origin over plain HTTP, whose pages anyone
	// on the network path can change, and which then calls the API with
	// people's tokens.
	for _, o := range config.List(cfg.HTTP.CORSOrigins) {
		if ou, err := url.Parse(o); err == nil && ou.Scheme == "http" &&
			!isLoopbackHost(ou.Hostname()) {
			risk("warn", "cors", "http.cors_origins allows "+o+", served over plain HTTP")
		}
	}
	if cfg.Setup.AllowFrom != "" {
		risk("warn", "setup", "setup.allow_from lets other machines reach the first-run page; "+
			"clear it once the first super admin exists")
	}
	if strings.EqualFold(cfg.Log.Level, "debug") {
		risk("warn", "log", "log.level debug writes more about requests than production needs")
	}
	if host, _, err := net.SplitHostPort(cfg.Admin.ListenAddr); err == nil &&
		cfg.Admin.ListenAddr != "" && !isLoopbackHost(host) {
		risk("warn", "admin listener", cfg.Admin.ListenAddr+" is not loopback: keep the "+
			"admin API on a management network (PCI DSS 1.3), though it admits only "+
			"operators' tokens")
	}
	if cfg.Profile != config.ProfilePCIDSS {
		risk("warn", "profile", "not pci-dss: a marketplace that takes cards should run "+
			"profile pci-dss")
	}
	return out
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
