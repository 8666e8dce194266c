package mfa

import (
	"context"
	"fmt"

	"github.com/cerrojo/cerrojo/internal/audit"
)

// The rate limit on wrong codes. Each verification takes its place in the
// count before any code is checked (reserve), and a success clears the
// count. Counting first, rather than checking a count and adding to it
// after a failure, means concurrent guesses cannot slip past the limit
// together: each one gets its own number from an atomic increment, on
// every node. The window is fixed from its first attempt, so attempts
// refused while it lasts do not prolong it.

// reserve counts one attempt by userID and returns ErrTooManyAttempts when
// it is past the limit.
func (s *Service) reserve(ctx context.Context, userID string) error {
	n, err := s.counters.Incr(ctx, s.counterKey(userID), s.cfg.FailureWindow)
	if err != nil {
		return fmt.Errorf("count attempt: %w", err)
	}
	if n > int64(s.cfg.MaxFailures) {
		return ErrTooManyAttempts
	}
	return nil
}

// clear ends userID's window after a right code. The code was accepted
// and committed already, so a failure here is logged, not returned: the
// worst it does is leave earlier wrong codes counted.
func (s *Service) clear(ctx context.Context, userID string) {
	if err := s.counters.Reset(ctx, s.counterKey(userID)); err != nil {
		s.logger.WarnContext(ctx, "reset mfa attempt counter", "error", err.Error())
	}
}

// fail records a refused code in the audit log, outside any transaction,
// since it changes nothing else, and returns want. If the log cannot take
// the record the error says so instead: a failure that leaves no trace is
// worse than a refused request.
func (s *Service) fail(ctx context.Context, action, userID string, target audit.Target,
	reason string, m Meta, want error) error {
	_, err := s.audit.Record(ctx, m.event(audit.Event{Actor: person(userID), Action: action,
		Target: target, Outcome: audit.OutcomeFailure,
		Details: map[string]string{"reason": reason}}))
	if err != nil {
		return fmt.Errorf("%s: record failure: %w", action, err)
	}
	return want
}
