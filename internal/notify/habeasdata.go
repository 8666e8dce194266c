package notify

import (
	"context"
	"errors"
	"strings"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/habeasdata"
	"github.com/cerrojo/cerrojo/internal/mail"
)

var (
	_ habeasdata.Notifier        = (*Mailer)(nil)
	_ habeasdata.RecipientFinder = (*Mailer)(nil)
)

// RequestNotice implements habeasdata.Notifier: the titular hears about
// their consulta or reclamo in their language. A titular without an account
// (a request filed by an operator for someone else) gets no email; the
// operator answers through the channel the request came by.
func (m *Mailer) RequestNotice(ctx context.Context, subjectID string,
	n habeasdata.Notice) error {
	e := mail.HabeasDataNotice{RequestID: n.RequestID, Kind: n.Kind, Event: n.Event,
		DueDate: n.DueDate, Paragraphs: paragraphs(n.Text)}
	if n.To != "" {
		u := accounts.User{Locale: n.Locale}
		return m.sendTo(ctx, u, n.To, "habeas_data_notice", e)
	}
	err := m.toUser(ctx, subjectID, "habeas_data_notice", e)
	if errors.Is(err, accounts.ErrNotFound) {
		return nil
	}
	return err
}

// Recipient implements habeasdata.RecipientFinder.
func (m *Mailer) Recipient(ctx context.Context, subjectID string) (string, string, error) {
	u, err := m.Users.UserByID(ctx, subjectID)
	if err != nil {
		return "", "", err
	}
	return u.Email.Address, u.Locale, nil
}

// paragraphs splits an operator's text on blank-free lines.
func paragraphs(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
