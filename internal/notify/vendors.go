package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/mail"
	"github.com/cerrojo/cerrojo/internal/vendors"
)

var _ vendors.Notifier = (*Mailer)(nil)

// Reviewed implements vendors.Notifier: the owner hears the outcome of the
// review, with the reasons they can act on.
func (m *Mailer) Reviewed(ctx context.Context, ownerUserID, storeName, outcome string,
	reasons []string) error {
	reason := ""
	if len(reasons) > 0 {
		reason = reasons[0]
		for _, r := range reasons[1:] {
			reason += " " + r
		}
	}
	switch outcome {
	case vendors.StatusApproved:
		return m.toUser(ctx, ownerUserID, "vendor_review", mail.VendorReview{
			StoreName: storeName, Outcome: mail.ReviewApproved})
	case vendors.StatusRejected:
		return m.toUser(ctx, ownerUserID, "vendor_review", mail.VendorReview{
			StoreName: storeName, Outcome: mail.ReviewRejected, Reason: reason})
	case vendors.StatusSuspended:
		return m.toUser(ctx, ownerUserID, "vendor_notice", mail.VendorNotice{
			Title: "Suspendimos la tienda " + storeName,
			Paragraphs: []string{"Su tienda " + storeName + " no puede vender mientras " +
				"esté suspendida.", "Motivo: " + reason}})
	}
	return fmt.Errorf("vendor review email: unknown outcome %q", outcome)
}

// StaffInvited implements vendors.Notifier: the invitation goes to an
// address that may not have an account yet, in Spanish.
func (m *Mailer) StaffInvited(ctx context.Context, email, storeName, acceptLink string,
	expires time.Time) error {
	until := expires.In(time.FixedZone("COT", -5*3600)).Format("2006-01-02 15:04")
	return m.sendTo(ctx, accounts.User{Locale: "es-CO"}, email, "vendor_notice",
		mail.VendorNotice{Title: "Lo invitaron al equipo de " + storeName,
			Paragraphs: []string{"Lo invitaron a trabajar en la tienda " + storeName + ".",
				"Para aceptar, ingrese con este correo y abra el enlace antes del " + until +
					" (hora de Colombia). Si no esperaba esta invitación, ignórela."},
			Link: acceptLink})
}
