package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/config"
)

// TestLoggerScrubs checks that the process log, in both formats, masks card
// numbers and drops tokens and secret-named attributes.
func TestLoggerScrubs(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log := newLogger(config.LogConfig{Level: "info", Format: format}, &buf)
		log.Info("gateway answered", "body", "card 4111111111111111 refused",
			"refresh_token", "crj_rt_c2VjcmV0c2VjcmV0c2VjcmV0")
		out := buf.String()
		if strings.Contains(out, "4111111111111111") || strings.Contains(out, "c2VjcmV0") ||
			!strings.Contains(out, "411111******1111") {
			t.Errorf("%s log line: %s", format, out)
		}
	}
}
