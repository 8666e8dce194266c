package app

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/counters"
	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/habeasdata"
	"github.com/cerrojo/cerrojo/internal/incidents"
	"github.com/cerrojo/cerrojo/internal/login"
	"github.com/cerrojo/cerrojo/internal/mail"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/notify"
	"github.com/cerrojo/cerrojo/internal/oauth"
	"github.com/cerrojo/cerrojo/internal/openid"
	"github.com/cerrojo/cerrojo/internal/passkeys"
	"github.com/cerrojo/cerrojo/internal/password"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/internal/sms"
	"github.com/cerrojo/cerrojo/internal/social"
	"github.com/cerrojo/cerrojo/internal/tokens"
	"github.com/cerrojo/cerrojo/internal/vendors"
	"github.com/cerrojo/cerrojo/internal/web"
	policy "github.com/cerrojo/cerrojo/sdk/authz"
)

// capabilities are the services a node runs beyond its infrastructure.
type capabilities struct {
	Tokens      *tokens.Service
	Accounts    *accounts.Service
	Sessions    *sessions.Service
	Clients     *clients.Registry
	Authz       *authz.Service
	MFA         *mfa.Service
	Passkeys    *passkeys.Service
	Challenges  *login.Challenges
	Mail        mail.Sender
	SQLCounters *counters.SQL
	HabeasData  *habeasdata.Service
	Incidents   *incidents.Service
	Vendors     *vendors.Service
	Social      *social.Service
	DIAN        *dian.Service
	OpenID      *openid.Provider
	Web         *web.Handlers
	mailer      *notify.Mailer
	login       *login.Handlers
}

// adminRoles get the admin idle timeout (sessions.admin_idle_timeout).
var adminRoles = []string{"admin", "super_admin"}

func (a *App) openCapabilities(ctx context.Context) error {
	cfg := a.Config
	var err error

	a.Tokens, err = tokens.New(ctx, tokens.Options{Config: TokensConfig(cfg),
		Store: tokens.NewSQLStore(a.DB), Ring: a.Ring, Clock: a.Clock, Logger: a.Logger})
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}

	var firebase *password.FirebaseProject
	if fb := cfg.Password.Firebase; fb.SignerKey != "" {
		firebase, err = password.NewFirebaseProject(fb.SignerKey.Reveal(), fb.SaltSeparator,
			fb.Rounds, fb.MemCost)
		if err != nil {
			return fmt.Errorf("password.firebase: %w", err)
		}
	}
	// #nosec G115 -- config.Validate (validate_more.go) bounds these to 19456..1<<20 KiB,
	// 2..20 passes and 1..16 lanes, well inside uint32 and uint8.
	hasher, err := password.NewHasher(password.Config{
		Firebase: firebase,
		Params: password.Params{MemoryKiB: uint32(cfg.Password.Argon2MemoryKiB),
			Iterations:  uint32(cfg.Password.Argon2Iterations),
			Parallelism: uint8(cfg.Password.Argon2Parallelism),
			SaltLen:     password.DefaultParams().SaltLen, KeyLen: password.DefaultParams().KeyLen},
		MaxConcurrent: cfg.Password.MaxConcurrent,
	})
	if err != nil {
		return fmt.Errorf("password hashing: %w", err)
	}
	policy := password.Policy{MinLength: cfg.Password.MinLength}
	if err := policy.Validate(); err != nil {
		return fmt.Errorf("password policy: %w", err)
	}
	var breach password.BreachChecker
	if cfg.Password.PwnedURL != "" {
		breach, err = password.NewPwnedClient(password.PwnedConfig{BaseURL: cfg.Password.PwnedURL})
		if err != nil {
			return fmt.Errorf("password.pwned_url: %w", err)
		}
	}

	a.SQLCounters = counters.NewSQL(a.DB, a.Clock)
	var count counters.Counters = a.SQLCounters
	if a.Redis != nil {
		count = counters.Fallback{Primary: counters.NewRedis(a.Redis, "cerrojo:counters:"),
			Secondary: a.SQLCounters, Logger: a.Logger}
	}

	mailCfg, err := a.mailConfig()
	if err != nil {
		return err
	}
	renderer, err := mail.NewRenderer(mailCfg)
	if err != nil {
		return fmt.Errorf("mail templates: %w", err)
	}
	a.Mail, err = mail.NewSender(mailCfg, cfg.DataDir, a.Clock)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if cfg.Mail.SMTP.Host == "" {
		a.Logger.Info("no SMTP server configured: emails go to the outbox file in the data "+
			"directory, for development only", "outbox", cfg.DataDir+"/outbox.mbox")
	}

	store := accounts.NewStore(a.DB)
	mailer := &notify.Mailer{Renderer: renderer, Sender: a.Mail, Users: store, Clock: a.Clock}
	a.mailer = mailer

	a.Accounts = accounts.New(accounts.Options{
		Store: store, Hasher: hasher, Policy: policy, Breach: breach, Counters: count,
		Ring: a.Ring, Audit: a.Audit, Notifier: mailer, Clock: a.Clock, Logger: a.Logger,
		Config: accounts.Config{
			LockoutThreshold: cfg.Accounts.LockoutThreshold,
			LockoutWindow:    cfg.Accounts.LockoutWindow.D(),
			LockoutDuration:  cfg.Accounts.LockoutDuration.D(),
			IPThreshold:      cfg.Accounts.IPThreshold,
			FailureDelay:     cfg.Accounts.FailureDelay.D(),
			FailureDelayMax:  cfg.Accounts.FailureDelayMax.D(),
			BaseURL:          linkBase(cfg),
		},
	})

	pol, err := loadPolicy(cfg.Authz.PolicyFile)
	if err != nil {
		return err
	}
	a.Authz = authz.New(authz.Options{DB: a.DB, Policy: pol, Audit: a.Audit, Clock: a.Clock,
		Logger: a.Logger, AuditAllowed: cfg.Authz.AuditAllowed,
		ApprovedVendors: a.approvedVendors})
	a.Logger.Info("authorization policy loaded", "version", pol.Version(), "digest", pol.Digest(),
		"file", cfg.Authz.PolicyFile)

	sesCfg := sessions.DefaultConfig()
	sesCfg.Default = sessions.Timeouts{Idle: cfg.Sessions.IdleTimeout.D(),
		Absolute: cfg.Sessions.AbsoluteTimeout.D()}
	if d := cfg.Sessions.AdminIdleTimeout.D(); d > 0 {
		for _, r := range adminRoles {
			sesCfg.ByRole[r] = sessions.Timeouts{Idle: d, Absolute: sesCfg.Default.Absolute}
		}
	}
	sesCfg.MaxPerUser = cfg.Sessions.MaxPerUser
	sesCfg.AtLimit = sessions.AtLimit(cfg.Sessions.AtLimit)
	sesCfg.RefreshIdle = cfg.Sessions.RefreshIdle.D()
	sesCfg.FamilyLifetime = cfg.Sessions.RefreshFamilyLifetime.D()
	sesCfg.ReuseGrace = cfg.Sessions.RefreshReuseGrace.D()
	if err := sesCfg.Validate(); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	a.Sessions = sessions.New(sessions.Options{DB: a.DB, Minter: a.Tokens,
		AccessTTL: cfg.Tokens.AccessTokenTTL.D(), Audit: a.Audit, Notifier: mailer,
		Clock: a.Clock, Logger: a.Logger, Config: sesCfg, Roles: a.Authz.Roles})

	a.Clients = clients.New(a.DB, a.Ring)
	if err := a.openFactors(count, mailer); err != nil {
		return err
	}
	if err := a.openWeb(); err != nil {
		return err
	}
	if err := a.openOpenID(); err != nil {
		return err
	}
	if err := a.openSocial(); err != nil {
		return err
	}
	a.openHabeasData()
	if err := a.openVendors(); err != nil {
		return err
	}
	return a.openDIAN()
}

// openFactors starts the second-factor services: TOTP, recovery, email and
// text codes (package mfa), passkeys, and sign-in challenges.
func (a *App) openFactors(count counters.Counters, mailer *notify.Mailer) error {
	cfg := a.Config
	issuer := cfg.MFA.Issuer
	if issuer == "" {
		issuer = strings.ReplaceAll(cfg.Mail.SiteName, ":", " ")
	}
	rpID, origins, err := webAuthnParties(cfg)
	if err != nil {
		return err
	}
	a.Passkeys, err = passkeys.New(passkeys.Options{DB: a.DB, Audit: a.Audit, Clock: a.Clock,
		Logger: a.Logger, RPID: rpID, RPDisplayName: cfg.Mail.SiteName, Origins: origins})
	if err != nil {
		return fmt.Errorf("mfa.webauthn_rp_id / mfa.webauthn_origins: %w", err)
	}

	texts, err := sms.New(sms.Config{Provider: cfg.SMS.Provider,
		OutboxMaxBytes: cfg.SMS.OutboxMaxBytes,
		HTTP: sms.HTTPConfig{URL: cfg.SMS.HTTP.URL, Token: cfg.SMS.HTTP.Token,
			Username: cfg.SMS.HTTP.Username, Password: cfg.SMS.HTTP.Password,
			From: cfg.SMS.From, Timeout: cfg.SMS.HTTP.Timeout.D(),
			MaxAttempts: cfg.SMS.HTTP.MaxAttempts}}, cfg.DataDir, a.Clock)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	if cfg.MFA.SMSCodes && cfg.SMS.Provider == sms.ProviderOutbox {
		a.Logger.Info("no SMS gateway configured: text messages go to the outbox file in the "+
			"data directory, for development only", "outbox", cfg.DataDir+"/"+sms.OutboxFile)
	}
	hasPasskey := func(ctx context.Context, userID string) (bool, error) {
		n, err := a.Passkeys.Count(ctx, userID)
		return n > 0, err
	}
	a.MFA, err = mfa.New(mfa.Options{DB: a.DB, Ring: a.Ring, Audit: a.Audit, Counters: count,
		Notifier: mailer, SMS: texts, EmailCode: mailer.EmailCode, StrongFactor: hasPasskey,
		Issuer: issuer, Clock: a.Clock, Logger: a.Logger,
		Config: mfa.Config{MaxFailures: cfg.MFA.MaxFailures,
			FailureWindow: cfg.MFA.FailureWindow.D(), SMSCodes: cfg.MFA.SMSCodes,
			SMSRequiresStrongFactor: cfg.MFA.SMSRequiresStrongFactor,
			EmailCodes:              cfg.MFA.EmailCodes, CodeTTL: cfg.MFA.CodeTTL.D()}})
	if err != nil {
		return fmt.Errorf("mfa: %w", err)
	}
	a.Challenges = &login.Challenges{DB: a.DB, Clock: a.Clock}
	return nil
}

// webAuthnParties returns the passkeys' RP ID and origins: the configured
// ones, or those of public_url. WebAuthn forbids an IP address as RP ID,
// so a public_url on a loopback address (the embedded default) becomes
// localhost, which browsers treat as a secure context.
func webAuthnParties(cfg config.Config) (string, []string, error) {
	origins := config.List(cfg.MFA.WebAuthnOrigins)
	rpID := cfg.MFA.WebAuthnRPID
	u, err := url.Parse(cfg.PublicURL)
	if err != nil {
		return "", nil, fmt.Errorf("public_url: %w", err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		host = "localhost"
		u.Host = net.JoinHostPort(host, u.Port())
		if u.Port() == "" {
			u.Host = host
		}
	}
	if rpID == "" {
		rpID = host
	}
	if len(origins) == 0 {
		origins = []string{u.Scheme + "://" + u.Host}
	}
	return rpID, origins, nil
}

// requiredRoles are the roles whose holders must hold a second factor:
// mfa.required_roles, and super_admin whatever it says, since a super admin
// can grant any role (and the policy lets them act only at level 2).
func requiredRoles(cfg config.Config) []string {
	roles := config.List(cfg.MFA.RequiredRoles)
	if !slices.Contains(roles, "super_admin") {
		roles = append(roles, "super_admin")
	}
	return roles
}

// loadPolicy reads the authorization policy from path, or returns the
// default one when path is empty. An invalid policy stops the node: there
// is no safe policy to fall back to.
func loadPolicy(path string) (*policy.Policy, error) {
	if path == "" {
		return policy.Default(), nil
	}
	// #nosec G304 -- authz.policy_file, a path the operator sets in the configuration.
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authz.policy_file: %w", err)
	}
	p, err := policy.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("authz.policy_file %s: %w", path, err)
	}
	return p, nil
}

func linkBase(cfg config.Config) string {
	if cfg.Accounts.LinkBaseURL != "" {
		return cfg.Accounts.LinkBaseURL
	}
	return cfg.PublicURL
}

// mailConfig copies the mail settings, and allows links only to the host of
// public_url.
func (a *App) mailConfig() (mail.Config, error) {
	c := a.Config.Mail
	out := mail.DefaultConfig()
	out.From, out.SiteName, out.SupportURL = c.From, c.SiteName, c.SupportURL
	out.SMTP.Host, out.SMTP.Port = c.SMTP.Host, c.SMTP.Port
	out.SMTP.Username, out.SMTP.Password = c.SMTP.Username, c.SMTP.Password
	out.SMTP.TLS = mail.TLSMode(c.SMTP.TLS)
	out.SMTP.Timeout, out.SMTP.MaxAttempts = c.SMTP.Timeout.D(), c.SMTP.MaxAttempts
	out.SMTP.RetryBackoff = c.SMTP.RetryBackoff.D()
	out.Outbox.MaxBytes = c.OutboxMaxBytes
	for _, base := range []string{a.Config.PublicURL, linkBase(a.Config)} {
		if u, err := url.Parse(base); err == nil {
			out.LinkHosts = append(out.LinkHosts, u.Hostname())
		}
	}
	if err := out.Validate(); err != nil {
		return mail.Config{}, err
	}
	return out, nil
}

// capabilityRoutes registers accounts, sessions, login and OAuth routes.
func (a *App) capabilityRoutes() {
	public := a.Server.Router()
	requireSession := a.Sessions.RequireSession(a.Tokens.Verifier())

	a.Tokens.Routes(public)
	lg := &login.Handlers{Accounts: a.Accounts, Sessions: a.Sessions, MFA: a.MFA,
		Passkeys: a.Passkeys, Challenges: a.Challenges, Clock: a.Clock, Limits: a.Limits,
		Notices: a.mailer, Logger: a.Logger,
		Policy: login.Policy{Required: a.Config.MFA.Required,
			RequiredRoles: requiredRoles(a.Config), Roles: a.Authz.Roles,
			StepUpMaxAge: a.Config.MFA.StepUpMaxAge.D()}}
	a.login = lg
	lg.Routes(public, requireSession)
	lg.MeRoutes(public, requireSession)
	a.socialRoutes(public, requireSession, lg)
	acct := &accounts.Handlers{Service: a.Accounts, Sessions: a.Sessions}
	acct.PublicRoutes(public)
	acct.MeRoutes(public, requireSession, lg.RequireRecent)
	ses := &sessions.Handlers{Service: a.Sessions,
		RevocationPoll: a.Config.Sessions.RevocationPoll.D()}
	ses.Routes(public, requireSession)
	(&oauth.Handlers{Sessions: a.Sessions, Clients: a.Clients,
		Verifier: a.Tokens.Verifier(), Provider: a.OpenID.Handler()}).Routes(public)
	a.OpenID.Routes(public)
	a.OpenID.MeRoutes(public, requireSession)

	az := &authz.Handlers{Service: a.Authz, Verifier: a.Tokens.Verifier(), Sessions: a.Sessions,
		BindingsMaxAge: a.Config.Authz.BindingsMaxAge.D(),
		PolicyMaxAge:   a.Config.Authz.PolicyMaxAge.D()}
	az.ServiceRoutes(public, a.Clients.RequireConfidential)
	az.PersonRoutes(public, requireSession, lg.RequireRecent)

	vh := &vendors.Handlers{Service: a.Vendors}
	vh.PublicRoutes(public, requireSession)
	hd := &habeasdata.Handlers{Service: a.HabeasData}
	hd.PublicRoutes(public, requireSession, lg.RequireRecent, a.Clients.RequireConfidential)

	a.Web.Routes(public)
	a.dianRoutes(public)
	if a.Admin != nil {
		admin := a.Admin.Router()
		hd.AdminRoutes(admin)
		vh.AdminRoutes(admin)
		(&incidents.Handlers{Service: a.Incidents}).AdminRoutes(admin)
		acct.AdminRoutes(admin)
		ses.AdminRoutes(admin)
		az.AdminRoutes(admin)
		lg.AdminRoutes(admin)
		a.OpenID.AdminRoutes(admin)
	}
}

// capabilityLoops are the capabilities' periodic work.
func (a *App) capabilityLoops(run func(name string, fn func(context.Context) error)) {
	run("signing_keys", a.Tokens.Run)
	run("habeas_data", a.habeasDataLoop)
	run("sweep", func(ctx context.Context) error {
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if err := a.SQLCounters.Sweep(ctx); err != nil {
				a.Logger.Warn("sweep failure counters", "error", err.Error())
			}
			now := a.Clock.Now()
			if err := a.Sessions.Store().SweepRevocations(ctx, now); err != nil {
				a.Logger.Warn("sweep revocations", "error", err.Error())
			}
			if err := a.Challenges.Sweep(ctx, now); err != nil {
				a.Logger.Warn("sweep sign-in challenges", "error", err.Error())
			}
			if _, err := a.Passkeys.SweepChallenges(ctx, now); err != nil {
				a.Logger.Warn("sweep passkey challenges", "error", err.Error())
			}
			if err := a.OpenID.Sweep(ctx); err != nil {
				a.Logger.Warn("sweep authorization requests", "error", err.Error())
			}
			if err := a.Social.Sweep(ctx); err != nil {
				a.Logger.Warn("sweep social sign-ins", "error", err.Error())
			}
		}
	})
}
