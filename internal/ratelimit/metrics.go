package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the rate limiter's Prometheus series. The class label takes
// only the values of Classes, so no client can create series.
type Metrics struct {
	degraded prometheus.Gauge
	limited  *prometheus.CounterVec
}

// NewMetrics registers the rate limiter's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		degraded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cerrojo_ratelimit_degraded",
			Help: "1 while Redis is unreachable and rate limits are kept per node, else 0.",
		}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cerrojo_ratelimit_limited_total",
			Help: "Requests refused with 429 because a rate limit was reached, by route class.",
		}, []string{"class"}),
	}
	for _, c := range Classes() {
		m.limited.WithLabelValues(string(c)) // start every series at zero
	}
	reg.MustRegister(m.degraded, m.limited)
	return m
}

func (m *Metrics) setDegraded(on bool) {
	if m == nil {
		return
	}
	if on {
		m.degraded.Set(1)
	} else {
		m.degraded.Set(0)
	}
}

func (m *Metrics) countLimited(c Class) {
	if m == nil {
		return
	}
	m.limited.WithLabelValues(string(c)).Inc()
}
