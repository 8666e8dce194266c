package habeasdata

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DueSoonDays is how near its last day an open request counts as due soon
// in /metrics: two business days leave time to answer or to extend.
const DueSoonDays = 2

var (
	requestsOpen = prometheus.NewDesc("cerrojo_habeas_requests_open",
		"Habeas Data requests whose term runs (complete and not answered), by kind.",
		[]string{"kind"}, nil)
	requestsIncomplete = prometheus.NewDesc("cerrojo_habeas_requests_incomplete",
		"Reclamos waiting for the titular to complete them.", nil, nil)
	requestsOverdue = prometheus.NewDesc("cerrojo_habeas_requests_overdue",
		"Open Habeas Data requests past their last day (extension included), by kind.",
		[]string{"kind"}, nil)
	requestsDueSoon = prometheus.NewDesc("cerrojo_habeas_requests_due_soon",
		"Open Habeas Data requests due within 2 business days, not yet overdue, by kind.",
		[]string{"kind"}, nil)
)

// Metrics exports the request backlog to Prometheus, so that an operator
// can alert before a legal term is missed.
type Metrics struct{ Service *Service }

// Describe implements prometheus.Collector.
func (m Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsOpen
	ch <- requestsIncomplete
	ch <- requestsOverdue
	ch <- requestsDueSoon
}

// Collect implements prometheus.Collector. A failed query exports nothing
// and is logged.
func (m Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := m.Service
	open, err := s.List(ctx, Filter{Status: StatusOpen})
	if err == nil {
		var incomplete []Request
		incomplete, err = s.List(ctx, Filter{Status: StatusIncomplete})
		if err == nil {
			ch <- prometheus.MustNewConstMetric(requestsIncomplete, prometheus.GaugeValue,
				float64(len(incomplete)))
		}
	}
	if err != nil {
		s.Logger.Warn("habeas data metrics", "error", err.Error())
		return
	}
	counts := map[string]*[3]int{KindConsulta: {}, KindReclamo: {}}
	for _, r := range open {
		c := counts[r.Kind]
		c[0]++
		switch {
		case r.Overdue:
			c[1]++
		case r.BusinessDaysLeft != nil && *r.BusinessDaysLeft <= DueSoonDays:
			c[2]++
		}
	}
	for kind, c := range counts {
		ch <- prometheus.MustNewConstMetric(requestsOpen, prometheus.GaugeValue,
			float64(c[0]), kind)
		ch <- prometheus.MustNewConstMetric(requestsOverdue, prometheus.GaugeValue,
			float64(c[1]), kind)
		ch <- prometheus.MustNewConstMetric(requestsDueSoon, prometheus.GaugeValue,
			float64(c[2]), kind)
	}
}
