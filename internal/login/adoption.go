package login

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Adoption exports to Prometheus the share of accounts that hold a second
// factor, by role: what an operator watches while rolling MFA out, and
// what PCI DSS v4.0.1 8.4.1 asks to be true of admins.
//
// Accounts count when they are not disabled or pending deletion (locked
// ones count: the lock runs out). A factor counts when it is active: an
// authenticator app, a text or email factor, or a passkey. Roles are the
// unexpired bindings, the customer role of customer accounts, and "all".
// The query scans the accounts, so its result is kept for MaxAge between
// scrapes.
type Adoption struct {
	DB     *storage.DB
	Clock  clock.Clock
	Logger *slog.Logger
	// MaxAge is how long a result is reused; a minute when zero.
	MaxAge time.Duration

	mu   sync.Mutex
	at   time.Time
	rows []adoptionRow
}

type adoptionRow struct {
	role              string
	accounts, holders int64
}

var (
	adoptionAccounts = prometheus.NewDesc("cerrojo_mfa_accounts",
		"Accounts not disabled, by role (all: every such account).", []string{"role"}, nil)
	adoptionHolders = prometheus.NewDesc("cerrojo_mfa_accounts_with_factor",
		"Accounts not disabled that hold at least one active second factor, by role.",
		[]string{"role"}, nil)
	adoptionRatio = prometheus.NewDesc("cerrojo_mfa_adoption_ratio",
		"cerrojo_mfa_accounts_with_factor / cerrojo_mfa_accounts, by role.",
		[]string{"role"}, nil)
)

// Describe implements prometheus.Collector.
func (a *Adoption) Describe(ch chan<- *prometheus.Desc) {
	ch <- adoptionAccounts
	ch <- adoptionHolders
	ch <- adoptionRatio
}

// Collect implements prometheus.Collector. A failed query exports nothing
// and is logged; the scrape goes on with the other metrics.
func (a *Adoption) Collect(ch chan<- prometheus.Metric) {
	rows, err := a.current()
	if err != nil {
		if a.Logger != nil {
			a.Logger.Warn("mfa adoption metrics", "error", err.Error())
		}
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(adoptionAccounts, prometheus.GaugeValue,
			float64(r.accounts), r.role)
		ch <- prometheus.MustNewConstMetric(adoptionHolders, prometheus.GaugeValue,
			float64(r.holders), r.role)
		ratio := 0.0
		if r.accounts > 0 {
			ratio = float64(r.holders) / float64(r.accounts)
		}
		ch <- prometheus.MustNewConstMetric(adoptionRatio, prometheus.GaugeValue, ratio, r.role)
	}
}

func (a *Adoption) current() ([]adoptionRow, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	maxAge := a.MaxAge
	if maxAge == 0 {
		maxAge = time.Minute
	}
	now := a.Clock.Now()
	if a.rows != nil && now.Sub(a.at) < maxAge {
		return a.rows, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := a.query(ctx, now)
	if err != nil {
		return nil, err
	}
	a.rows, a.at = rows, now
	return rows, nil
}

// adoptionQuery counts, per role, the accounts and those holding a factor.
// It is plain SQL that SQLite and PostgreSQL both run.
const adoptionQuery = `
WITH holders AS (
    SELECT user_id FROM mfa_factors WHERE activated_at IS NOT NULL
    UNION SELECT user_id FROM mfa_oob_factors WHERE activated_at IS NOT NULL
    UNION SELECT user_id FROM passkeys
), roles AS (
    SELECT user_id, role FROM role_bindings WHERE expires_at IS NULL OR expires_at > ?
    UNION SELECT id, 'customer' FROM users WHERE kind = 'customer'
    UNION SELECT id, 'all' FROM users
)
SELECT r.role, COUNT(DISTINCT u.id), COUNT(DISTINCT h.user_id)
FROM users u
JOIN roles r ON r.user_id = u.id
LEFT JOIN holders h ON h.user_id = u.id
WHERE u.state IN ('active', 'locked')
GROUP BY r.role
ORDER BY r.role`

func (a *Adoption) query(ctx context.Context, now time.Time) ([]adoptionRow, error) {
	rs, err := a.DB.QueryContext(ctx, a.DB.Rebind(adoptionQuery), now.UTC())
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := []adoptionRow{}
	for rs.Next() {
		var r adoptionRow
		if err := rs.Scan(&r.role, &r.accounts, &r.holders); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}
