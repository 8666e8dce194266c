package mail

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// Email is the data of one kind of email. Its implementations are the
// structs in this file, one per message, each holding exactly what its
// template shows: leaving a field out is a compile error in the caller, and
// a required field left empty is an error from Render, never a blank in an
// email.
type Email interface {
	// kind names the templates: kind.subject, kind.text and kind.html.
	kind() string
	// check validates the data; hosts is the link allow-list.
	check(hosts []string) error
}

// VerifyEmail asks a person to confirm that an address is theirs, with a
// code to type and, optionally, a link that does the same.
type VerifyEmail struct {
	Code      string
	Link      string // optional
	ExpiresIn time.Duration
}

// SignInCode carries a one-time code for signing in with email as the
// second factor.
type SignInCode struct {
	Code      string
	ExpiresIn time.Duration
}

// PasswordReset carries the link that lets a person choose a new password.
type PasswordReset struct {
	Link      string
	ExpiresIn time.Duration
}

// PasswordChanged tells a person that their password changed.
type PasswordChanged struct {
	When time.Time
	IP   netip.Addr // optional: where the change came from
}

// EmailChanged is sent to the old address when an account's address
// changes, so that the owner learns of a takeover even after losing the
// account's mail.
type EmailChanged struct {
	NewAddress  string // shown masked
	When        time.Time
	IP          netip.Addr // optional
	RecoverLink string     // optional: undoes the change
}

// FactorAction says whether a second factor was added or removed.
type FactorAction string

// The factor actions.
const (
	FactorAdded   FactorAction = "added"
	FactorRemoved FactorAction = "removed"
)

// Added reports whether the factor was added; templates branch on it.
func (a FactorAction) Added() bool { return a == FactorAdded }

// FactorKind is a kind of second factor.
type FactorKind string

// The factor kinds.
const (
	FactorTOTP          FactorKind = "totp"
	FactorPasskey       FactorKind = "passkey"
	FactorSMS           FactorKind = "sms"
	FactorEmail         FactorKind = "email"
	FactorRecoveryCodes FactorKind = "recovery_codes"
)

// factorNames are the factor kinds as each locale names them.
//
// #nosec G101 -- display names of MFA factors, not credentials.
var factorNames = map[Locale]map[FactorKind]string{
	SpanishColombia: {
		FactorTOTP:          "Aplicación de autenticación (TOTP)",
		FactorPasskey:       "Llave de acceso (passkey)",
		FactorSMS:           "Código por SMS",
		FactorEmail:         "Código por correo electrónico",
		FactorRecoveryCodes: "Códigos de recuperación",
	},
	English: {
		FactorTOTP:          "Authenticator app (TOTP)",
		FactorPasskey:       "Passkey",
		FactorSMS:           "SMS code",
		FactorEmail:         "Email code",
		FactorRecoveryCodes: "Recovery codes",
	},
}

// FactorChanged tells a person that a sign-in factor was added to or
// removed from their account.
type FactorChanged struct {
	Action FactorAction
	Factor FactorKind
	Label  string // optional: the name the person gave it, such as "iPhone de Ana"
	When   time.Time
	IP     netip.Addr // optional
}

// SessionRevoked tells a person that a session was closed because one of
// its refresh tokens was used again after being replaced, the sign that a
// copy of it is in someone else's hands.
type SessionRevoked struct {
	When time.Time
	IP   netip.Addr // optional: where the reused token came from
}

// RecoveryCodeUsed tells a person that a recovery code was spent.
type RecoveryCodeUsed struct {
	When      time.Time
	IP        netip.Addr // optional
	Remaining int
}

// ReviewOutcome is the result of a vendor's review.
type ReviewOutcome string

// The review outcomes.
const (
	ReviewApproved         ReviewOutcome = "approved"
	ReviewRejected         ReviewOutcome = "rejected"
	ReviewChangesRequested ReviewOutcome = "changes_requested"
)

// Approved reports whether the vendor was approved.
func (o ReviewOutcome) Approved() bool { return o == ReviewApproved }

// Rejected reports whether the vendor was turned down.
func (o ReviewOutcome) Rejected() bool { return o == ReviewRejected }

// ChangesRequested reports whether the vendor must correct something.
func (o ReviewOutcome) ChangesRequested() bool { return o == ReviewChangesRequested }

// VendorReview tells a vendor how the review of their store ended.
type VendorReview struct {
	StoreName string
	Outcome   ReviewOutcome
	Reason    string // required unless approved
	Link      string // optional: the vendor's dashboard
}

// VendorNotice is any other message to a vendor: a title and paragraphs of
// plain text written by the caller in the vendor's language.
type VendorNotice struct {
	Title      string
	Paragraphs []string
	Link       string // optional
}

// HabeasDataNotice tells a titular what happened to their Habeas Data
// request (Ley 1581 de 2012 arts. 14 and 15): that it was received, that a
// reclamo is incomplete, that the term was extended (the notice the law
// requires before the first term ends), that it was answered, or that it
// is deemed withdrawn.
type HabeasDataNotice struct {
	RequestID string
	Kind      string // consulta or reclamo
	// Event is received, incomplete, extended, answered or withdrawn.
	Event   string
	DueDate string // YYYY-MM-DD: when the answer is due, or the last day to complete
	// Paragraphs are the answer, what is missing, or the reason for the
	// extension, as written by the operator; none for a receipt.
	Paragraphs []string
}

// allEmails lists one value of every kind, so that NewRenderer can check
// that each locale has every template.
var allEmails = []Email{VerifyEmail{}, SignInCode{}, PasswordReset{}, PasswordChanged{},
	EmailChanged{}, FactorChanged{}, SessionRevoked{}, RecoveryCodeUsed{}, VendorReview{},
	VendorNotice{}, HabeasDataNotice{}}

func (VerifyEmail) kind() string      { return "verify_email" }
func (SignInCode) kind() string       { return "sign_in_code" }
func (PasswordReset) kind() string    { return "password_reset" }
func (PasswordChanged) kind() string  { return "password_changed" }
func (EmailChanged) kind() string     { return "email_changed" }
func (FactorChanged) kind() string    { return "factor_changed" }
func (SessionRevoked) kind() string   { return "session_revoked" }
func (RecoveryCodeUsed) kind() string { return "recovery_code_used" }
func (VendorReview) kind() string     { return "vendor_review" }
func (VendorNotice) kind() string     { return "vendor_notice" }
func (HabeasDataNotice) kind() string { return "habeas_data_notice" }

func (e VerifyEmail) check(hosts []string) error {
	return errors.Join(checkCode(e.Code), checkOptionalLink("link", e.Link, hosts),
		checkExpiry(e.ExpiresIn))
}

func (e SignInCode) check([]string) error {
	return errors.Join(checkCode(e.Code), checkExpiry(e.ExpiresIn))
}

func (e PasswordReset) check(hosts []string) error {
	return errors.Join(checkLink(e.Link, hosts), checkExpiry(e.ExpiresIn))
}

func (e PasswordChanged) check([]string) error { return checkWhen(e.When) }

func (e EmailChanged) check(hosts []string) error {
	var addrErr error
	if err := CheckAddress(e.NewAddress); err != nil {
		addrErr = fmt.Errorf("new address: %w", err)
	}
	return errors.Join(addrErr, checkWhen(e.When),
		checkOptionalLink("recover link", e.RecoverLink, hosts))
}

func (e FactorChanged) check([]string) error {
	var errs []error
	if e.Action != FactorAdded && e.Action != FactorRemoved {
		errs = append(errs, fmt.Errorf("%w: unknown factor action %q", ErrInvalidData, e.Action))
	}
	if _, ok := factorNames[SpanishColombia][e.Factor]; !ok {
		errs = append(errs, fmt.Errorf("%w: unknown factor kind %q", ErrInvalidData, e.Factor))
	}
	if e.Label != "" {
		errs = append(errs, checkField("label", e.Label, maxFieldRunes))
	}
	return errors.Join(append(errs, checkWhen(e.When))...)
}

func (e SessionRevoked) check([]string) error { return checkWhen(e.When) }

func (e RecoveryCodeUsed) check([]string) error {
	var countErr error
	if e.Remaining < 0 || e.Remaining > maxRecoveryCodes {
		countErr = fmt.Errorf("%w: remaining codes must be 0 to %d", ErrInvalidData,
			maxRecoveryCodes)
	}
	return errors.Join(checkWhen(e.When), countErr)
}

func (e VendorReview) check(hosts []string) error {
	errs := []error{checkField("store name", e.StoreName, maxFieldRunes),
		checkOptionalLink("link", e.Link, hosts)}
	switch e.Outcome {
	case ReviewApproved:
		if e.Reason != "" {
			errs = append(errs, checkField("reason", e.Reason, maxReasonRunes))
		}
	case ReviewRejected, ReviewChangesRequested:
		errs = append(errs, checkField("reason", e.Reason, maxReasonRunes))
	default:
		errs = append(errs, fmt.Errorf("%w: unknown review outcome %q", ErrInvalidData,
			e.Outcome))
	}
	return errors.Join(errs...)
}

func (e VendorNotice) check(hosts []string) error {
	errs := []error{checkField("title", e.Title, maxFieldRunes),
		checkOptionalLink("link", e.Link, hosts)}
	if len(e.Paragraphs) == 0 || len(e.Paragraphs) > maxParagraphs {
		errs = append(errs, fmt.Errorf("%w: a vendor notice needs 1 to %d paragraphs",
			ErrInvalidData, maxParagraphs))
	}
	for i, p := range e.Paragraphs {
		if i == maxParagraphs {
			break
		}
		errs = append(errs, checkField(fmt.Sprintf("paragraph %d", i+1), p, maxParagraphRunes))
	}
	return errors.Join(errs...)
}

// habeasEvents are the events a HabeasDataNotice reports.
var habeasEvents = map[string]bool{"received": true, "incomplete": true, "extended": true,
	"answered": true, "withdrawn": true}

func (e HabeasDataNotice) check([]string) error {
	var errs []error
	if e.Kind != "consulta" && e.Kind != "reclamo" {
		errs = append(errs, fmt.Errorf("%w: kind must be consulta or reclamo", ErrInvalidData))
	}
	if !habeasEvents[e.Event] {
		errs = append(errs, fmt.Errorf("%w: unknown habeas data event %q", ErrInvalidData,
			e.Event))
	}
	errs = append(errs, checkField("request id", e.RequestID, maxFieldRunes))
	if len(e.Paragraphs) > maxNoticeParagraphs {
		errs = append(errs, fmt.Errorf("%w: a habeas data notice has at most %d paragraphs",
			ErrInvalidData, maxNoticeParagraphs))
	}
	for i, p := range e.Paragraphs {
		if i == maxNoticeParagraphs {
			break
		}
		errs = append(errs, checkField(fmt.Sprintf("paragraph %d", i+1), p, maxNoticeRunes))
	}
	return errors.Join(errs...)
}

// ErrInvalidData is wrapped by the errors Render returns for data that
// breaks a rule other than the link rules.
var ErrInvalidData = errors.New("invalid email data")

// checkCode accepts what cerrojo's codes are made of: 4 to 16 ASCII
// letters and digits, optionally grouped with hyphens.
func checkCode(code string) error {
	if len(code) < 4 || len(code) > 16 {
		return fmt.Errorf("%w: the code must be 4 to 16 characters", ErrInvalidData)
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-') {
			return fmt.Errorf("%w: the code may hold only ASCII letters, digits and hyphens",
				ErrInvalidData)
		}
	}
	return nil
}

func checkExpiry(d time.Duration) error {
	if d < time.Minute || d > maxExpiry {
		return fmt.Errorf("%w: the expiry must be 1 minute to %s", ErrInvalidData, maxExpiry)
	}
	return nil
}

func checkWhen(t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%w: the time of the event is missing", ErrInvalidData)
	}
	return nil
}

func checkOptionalLink(what, link string, hosts []string) error {
	if link == "" {
		return nil
	}
	if err := checkLink(link, hosts); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// checkField accepts one line of human text: not blank, valid UTF-8, at
// most limit characters, no control or bidirectional formatting characters.
func checkField(what, s string, limit int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: the %s is empty", ErrInvalidData, what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: the %s is not valid UTF-8", ErrInvalidData, what)
	case utf8.RuneCountInString(s) > limit:
		return fmt.Errorf("%w: the %s is longer than %d characters", ErrInvalidData, what, limit)
	case strings.ContainsFunc(s, isControlOrBidi):
		return fmt.Errorf("%w: the %s contains a control character or a line break",
			ErrInvalidData, what)
	}
	return nil
}
