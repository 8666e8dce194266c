package app

import (
	"context"
	"fmt"

	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/httpx"
)

// openDIAN starts the DIAN capability (docs/dian.md): the certificate
// store, sealed with the key ring, and the web service client for the
// configured environment. A node without a certificate starts: the CUFE
// routes need none, and calls to the DIAN answer dian_no_certificate
// until one is imported. A certificate that expires within 30 days is
// warned about at start.
func (a *App) openDIAN() error {
	cfg, err := DIANClientConfig(a.Config.DIAN.Environment, a.Config.DIAN.Endpoint)
	if err != nil {
		return err
	}
	c := a.Config.DIAN
	cfg.Timeout, cfg.MaxAttempts = c.Timeout.D(), c.MaxAttempts
	cfg.Backoff, cfg.MaxBackoff = c.RetryBackoff.D(), 16*c.RetryBackoff.D()
	cfg.MaxResponseBytes = c.MaxResponseBytes
	certs := &dian.CertStore{DB: a.DB, Ring: a.Ring, Audit: a.Audit, Clock: a.Clock}
	client, err := dian.NewClient(dian.ClientOptions{Config: cfg, Signer: certs.Signer,
		Audit: a.Audit, Logger: a.Logger, Clock: a.Clock})
	if err != nil {
		return fmt.Errorf("dian: %w", err)
	}
	a.DIAN = &dian.Service{Certs: certs, Client: client,
		TechnicalKey: c.TechnicalKey.Reveal(), SoftwarePIN: c.SoftwarePIN.Reveal()}
	msg, warn, err := a.DIAN.CertificateNotice(context.Background())
	switch {
	case err != nil:
		a.Logger.Warn("dian: the certificate's status cannot be read", "error", err.Error())
	case warn:
		a.Logger.Warn(msg)
	case msg != "":
		a.Logger.Info(msg)
	}
	return nil
}

// DIANClientConfig is the client configuration for dian.environment and
// dian.endpoint, with the package's defaults for the rest.
func DIANClientConfig(environment, endpoint string) (dian.ClientConfig, error) {
	env, err := dian.ParseEnvironment(environment)
	if err != nil {
		return dian.ClientConfig{}, fmt.Errorf("dian.environment: %w", err)
	}
	cfg := dian.DefaultClientConfig()
	cfg.Environment, cfg.Endpoint = env, endpoint
	return cfg, nil
}

// dianRoutes registers the DIAN's public routes: CUFE/CUDE verification
// and QR parsing, which read no stored data.
func (a *App) dianRoutes(public *httpx.Router) {
	a.DIAN.Routes(public)
}
