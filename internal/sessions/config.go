package sessions

import (
	"errors"
	"fmt"
	"time"
)

// Timeouts bound a session's life.
type Timeouts struct {
	// Idle ends a session nobody used for this long.
	Idle time.Duration
	// Absolute ends a session this long after login, used or not.
	Absolute time.Duration
}

// AtLimit says what happens when a person already has MaxPerUser sessions.
type AtLimit string

// The behaviours at the session limit.
const (
	// RefuseNew refuses the new login.
	RefuseNew AtLimit = "refuse"
	// EndOldest ends the least recently used session to make room.
	EndOldest AtLimit = "end_oldest"
)

// Config tunes sessions and refresh tokens.
type Config struct {
	// Default are the timeouts of sessions whose roles set none.
	Default Timeouts
	// ByRole overrides the timeouts for people holding a role; with several
	// roles, the shortest of each timeout applies. The pci-dss profile sets
	// 15 minutes idle for admin roles (PCI DSS v4.0.1 requirement 8.2.8).
	ByRole map[string]Timeouts
	// MaxPerUser caps a person's active sessions; 0 means no cap.
	MaxPerUser int
	// AtLimit chooses what happens at the cap.
	AtLimit AtLimit
	// RefreshIdle is how long an unused refresh token stays valid; each
	// rotation starts a new period, up to the family's absolute lifetime.
	RefreshIdle time.Duration
	// FamilyLifetime is the absolute lifetime of a refresh-token family
	// (default 30 days); after it the person logs in again.
	FamilyLifetime time.Duration
	// ReuseGrace lets a client retry a refresh whose response it lost:
	// within this time after a rotation, presenting the old token again
	// issues a fresh pair and voids the first successor instead of
	// revoking the family. Zero (the default) turns it off, which is the
	// safe choice; a few seconds is enough for flaky mobile networks.
	ReuseGrace time.Duration
	// DefaultClientID is the client of logins made through cerrojo's own
	// login endpoint.
	DefaultClientID string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Default:         Timeouts{Idle: 7 * 24 * time.Hour, Absolute: 30 * 24 * time.Hour},
		ByRole:          map[string]Timeouts{},
		AtLimit:         EndOldest,
		RefreshIdle:     7 * 24 * time.Hour,
		FamilyLifetime:  30 * 24 * time.Hour,
		DefaultClientID: "cerrojo",
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Default.Idle <= 0 || c.Default.Absolute <= 0 || c.Default.Idle > c.Default.Absolute {
		errs = append(errs, fmt.Errorf("session timeouts: idle %s and absolute %s must be "+
			"positive, idle at most absolute", c.Default.Idle, c.Default.Absolute))
	}
	for role, t := range c.ByRole {
		if t.Idle <= 0 || t.Absolute <= 0 || t.Idle > t.Absolute {
			errs = append(errs, fmt.Errorf("session timeouts of role %s: idle %s and absolute %s "+
				"must be positive, idle at most absolute", role, t.Idle, t.Absolute))
		}
	}
	if c.MaxPerUser < 0 || c.MaxPerUser > 1000 {
		errs = append(errs, fmt.Errorf("max sessions per user %d: must be 0 to 1000",
			c.MaxPerUser))
	}
	if c.AtLimit != RefuseNew && c.AtLimit != EndOldest {
		errs = append(errs, fmt.Errorf("session limit behaviour %q: must be refuse or end_oldest",
			c.AtLimit))
	}
	if c.RefreshIdle <= 0 || c.FamilyLifetime <= 0 || c.RefreshIdle > c.FamilyLifetime {
		errs = append(errs, errors.New("refresh token idle lifetime must be positive and at "+
			"most the family lifetime"))
	}
	if c.ReuseGrace < 0 || c.ReuseGrace > time.Minute {
		errs = append(errs, fmt.Errorf("refresh reuse grace %s: must be 0 to 1m", c.ReuseGrace))
	}
	return errors.Join(errs...)
}

// timeoutsFor returns the strictest timeouts among a person's roles.
func (c Config) timeoutsFor(roles []string) Timeouts {
	t := c.Default
	for _, r := range roles {
		if rt, ok := c.ByRole[r]; ok {
			t.Idle = min(t.Idle, rt.Idle)
			t.Absolute = min(t.Absolute, rt.Absolute)
		}
	}
	return t
}
