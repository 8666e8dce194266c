package incidents

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Collector exports to Prometheus what an operator alerts on: incidents
// still open, and those whose report to the SIC is late or nearly due. It
// queries the register at each scrape; the register is small.
type Collector struct {
	store       *Store
	clock       clock.Clock
	logger      *slog.Logger
	dueSoonDays int
}

// NewCollector returns a collector over db. clock and logger may be nil
// (the system clock, slog.Default). An incident counts as due soon when its
// term ends within DefaultDueSoonDays business days and it is not reported.
func NewCollector(db *storage.DB, c clock.Clock, logger *slog.Logger) *Collector {
	if c == nil {
		c = clock.System{}
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Collector{store: NewStore(db), clock: c, logger: logger,
		dueSoonDays: DefaultDueSoonDays}
}

var (
	metricOpen = prometheus.NewDesc("cerrojo_incidents_open",
		"Security incidents not closed (open or contained).", nil, nil)
	metricOverdue = prometheus.NewDesc("cerrojo_incidents_sic_overdue",
		"Incidents not reported to the SIC whose 15-business-day term has passed.", nil, nil)
	metricDueSoon = prometheus.NewDesc("cerrojo_incidents_sic_due_soon",
		"Incidents not reported to the SIC whose term ends within 3 business days.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- metricOpen
	ch <- metricOverdue
	ch <- metricDueSoon
}

// Collect implements prometheus.Collector. A failed query exports nothing
// and is logged; the scrape goes on with the other metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	open, overdue, dueSoon, err := c.counts()
	if err != nil {
		c.logger.Warn("incident metrics", "error", err.Error())
		return
	}
	ch <- prometheus.MustNewConstMetric(metricOpen, prometheus.GaugeValue, float64(open))
	ch <- prometheus.MustNewConstMetric(metricOverdue, prometheus.GaugeValue, float64(overdue))
	ch <- prometheus.MustNewConstMetric(metricDueSoon, prometheus.GaugeValue, float64(dueSoon))
}

func (c *Collector) counts() (open, overdue, dueSoon int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if open, err = c.store.CountNotClosed(ctx); err != nil {
		return 0, 0, 0, err
	}
	pending, err := c.store.Pending(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	today := calendar.DateOf(c.clock.Now())
	for _, inc := range pending {
		st, err := deadlineState(inc, today, c.dueSoonDays)
		if err != nil {
			return 0, 0, 0, err
		}
		if st.Overdue {
			overdue++
		} else if st.DueSoon {
			dueSoon++
		}
	}
	return open, overdue, dueSoon, nil
}
