package sms

import (
	"fmt"

	"github.com/cerrojo/cerrojo/internal/clock"
)

// The providers New knows.
const (
	// ProviderOutbox writes messages to a file in the data directory, for
	// development. It is the default.
	ProviderOutbox = "outbox"
	// ProviderHTTP posts messages to a gateway (HTTPSender).
	ProviderHTTP = "http"
	// ProviderDisabled sends nothing (Disabled).
	ProviderDisabled = "disabled"
)

// Config chooses and configures a Sender.
type Config struct {
	// Provider is outbox, http or disabled; empty means outbox.
	Provider string
	// OutboxMaxBytes rotates the outbox file; 0 means 10 MiB.
	OutboxMaxBytes int64
	// HTTP configures the gateway of provider http.
	HTTP HTTPConfig
}

// New returns the Sender cfg asks for. The outbox lives in dataDir.
func New(cfg Config, dataDir string, clk clock.Clock) (Sender, error) {
	switch cfg.Provider {
	case "", ProviderOutbox:
		o, err := NewOutbox(dataDir, cfg.OutboxMaxBytes, clk)
		if err != nil {
			return nil, err
		}
		return o, nil
	case ProviderHTTP:
		h, err := NewHTTPSender(cfg.HTTP)
		if err != nil {
			return nil, err
		}
		return h, nil
	case ProviderDisabled:
		return Disabled{}, nil
	}
	return nil, fmt.Errorf("new sms sender: sms.provider: %q must be outbox, http or disabled",
		cfg.Provider)
}
