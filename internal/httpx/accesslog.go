package httpx

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// maxLoggedLen bounds user-controlled strings in the access log.
const maxLoggedLen = 256

// AccessLog writes one line per request when it ends, at info for 1xx-3xx,
// warn for 4xx and error for 5xx, and feeds the metrics. It must wrap every
// layer that can answer (Recover included) so that no response goes
// unrecorded.
func AccessLog(logger *slog.Logger, m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			if m != nil {
				m.inFlight.Inc()
				defer m.inFlight.Dec()
			}

			next.ServeHTTP(sw, r)

			elapsed := time.Since(start)
			status := sw.Status()
			ri := info(r.Context())
			route := ""
			if ri != nil {
				route = ri.route
			}
			if m != nil {
				m.observe(r.Method, route, status, elapsed)
			}

			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case status >= 400:
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{
				slog.String("request_id", RequestID(r.Context())),
				slog.String("remote_ip", RemoteIP(r.Context())),
				slog.String("method", clean(r.Method)),
				// The path only: query strings carry single-use tokens.
				slog.String("path", clean(r.URL.Path)),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("user_agent", clean(r.UserAgent())),
			}
			if ri != nil && ri.err != nil {
				attrs = append(attrs, slog.String("error", clean(ri.err.Error())))
			}
			logger.LogAttrs(r.Context(), level, "http request", attrs...)
		})
	}
}

// clean strips control characters (CR and LF above all, which forge log
// lines in text logs) and bounds the length.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return truncate(s, maxLoggedLen)
}
