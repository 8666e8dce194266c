package vendors

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/docid"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// maxList caps an admin listing.
const maxList = 200

// ValidStatus reports whether st is a vendor status.
func ValidStatus(st string) bool {
	switch st {
	case StatusDraft, StatusSubmitted, StatusInReview, StatusApproved, StatusRejected,
		StatusSuspended:
		return true
	}
	return false
}

// List returns vendors for operators. With status "" it is the review
// queue: submitted and in_review vendors, oldest submission first; with a
// status, the vendors in it, oldest first. At most 200 are returned.
func (s *Service) List(ctx context.Context, status string) ([]*Vendor, error) {
	q := `SELECT ` + vendorColumns + ` FROM vendors WHERE status IN (?, ?)
		ORDER BY submitted_at, id`
	args := []any{StatusSubmitted, StatusInReview}
	if status != "" {
		if !ValidStatus(status) {
			return nil, invalid("/status", "invalid_value", "is not a vendor status")
		}
		q = `SELECT ` + vendorColumns + ` FROM vendors WHERE status = ?
			ORDER BY COALESCE(submitted_at, created_at), id`
		args = []any{status}
	}
	rows, err := s.opts.DB.QueryContext(ctx, s.opts.DB.Rebind(q+
		" LIMIT "+strconv.Itoa(maxList)), args...)
	if err != nil {
		return nil, fmt.Errorf("vendors: list: %w", err)
	}
	out := []*Vendor{}
	for rows.Next() {
		v, err := scanVendor(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("vendors: list: %w", err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vendors: list: %w", err)
	}
	for _, v := range out {
		if err := s.complete(ctx, s.opts.DB, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Identification returns the vendor's identity number in clear; the
// viewing is audited.
func (s *Service) Identification(ctx context.Context, by audit.Actor, vendorID string,
	meta audit.Event) (FullIdentification, error) {
	v, err := s.load(ctx, s.opts.DB, vendorID)
	if err != nil {
		return FullIdentification{}, err
	}
	num, err := s.opts.Ring.Open(v.sealed.id, aadID(v.ID))
	if err != nil {
		return FullIdentification{}, fmt.Errorf("vendors: open identification: %w", err)
	}
	d, err := docid.Parse(docid.Code(v.Identification.Type), string(num))
	if err != nil {
		return FullIdentification{}, fmt.Errorf("vendors: stored identification: %w", err)
	}
	err = s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		return s.append(ctx, tx, event(meta, by, "vendor.identification_viewed", vendorID,
			map[string]string{"id_type": strconv.Itoa(v.Identification.Type),
				"id_number": audit.MaskDocument(d.Number())}))
	})
	if err != nil {
		return FullIdentification{}, err
	}
	return FullIdentification{Type: int(d.Code()), Number: d.Number(),
		Formatted: d.Formatted()}, nil
}

// maskReviewer keeps a reviewer's email out of the audit log's details.
func maskReviewer(r string) string {
	if strings.Contains(r, "@") {
		return audit.MaskEmail(r)
	}
	return r
}

// Approve records reviewer's approval of the vendor's current review
// round. With RequiredApprovals 2 the first approval moves the vendor to
// in_review and a second one, by a different reviewer, approves it.
func (s *Service) Approve(ctx context.Context, by audit.Actor, reviewer, vendorID string,
	meta audit.Event) (*Vendor, error) {
	reviewer, err := checkReviewer(reviewer)
	if err != nil {
		return nil, err
	}
	var approved bool
	var notice *Vendor
	err = s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lock(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if cur.Status != StatusSubmitted && cur.Status != StatusInReview {
			return &StateError{Status: cur.Status, Action: "approve"}
		}
		now := s.now()
		_, err = tx.ExecContext(ctx, s.opts.DB.Rebind(`INSERT INTO vendor_approvals
			(vendor_id, review_round, reviewer, approved_at) VALUES (?, ?, ?, ?)`),
			vendorID, cur.ReviewRound, reviewer, now)
		if storage.IsUniqueViolation(err) {
			return ErrSameReviewer
		}
		if err != nil {
			return fmt.Errorf("vendors: approval: %w", err)
		}
		var n int
		err = tx.QueryRowContext(ctx, s.opts.DB.Rebind(`SELECT COUNT(*) FROM vendor_approvals
			WHERE vendor_id = ? AND review_round = ?`), vendorID, cur.ReviewRound).Scan(&n)
		if err != nil {
			return fmt.Errorf("vendors: approvals: %w", err)
		}
		to := StatusInReview
		if n >= s.opts.RequiredApprovals {
			to, approved, notice = StatusApproved, true, cur
		}
		_, err = tx.ExecContext(ctx, s.opts.DB.Rebind(`UPDATE vendors SET status = ?,
			status_reasons = '[]', updated_at = ? WHERE id = ?`), to, now, vendorID)
		if err != nil {
			return fmt.Errorf("vendors: approve: %w", err)
		}
		action := "vendor.approval_recorded"
		if approved {
			action = "vendor.approved"
		}
		return s.append(ctx, tx, event(meta, by, action, vendorID, map[string]string{
			"reviewer": maskReviewer(reviewer), "status_from": cur.Status, "status_to": to,
			"review_round": strconv.Itoa(cur.ReviewRound),
			"approvals":    fmt.Sprintf("%d/%d", n, s.opts.RequiredApprovals)}))
	})
	if err != nil {
		return nil, err
	}
	if approved {
		s.notifyReview(notice, OutcomeApproved, nil)
	}
	return s.get(ctx, vendorID)
}

// Reject ends the review round with reasons the vendor can read; the
// owner can edit and submit again.
func (s *Service) Reject(ctx context.Context, by audit.Actor, reviewer, vendorID string,
	reasons []string, meta audit.Event) (*Vendor, error) {
	reviewer, err := checkReviewer(reviewer)
	if err != nil {
		return nil, err
	}
	reasons, err = checkReasons("/reasons", reasons)
	if err != nil {
		return nil, err
	}
	v, err := s.transition(ctx, by, vendorID, "reject", StatusRejected, reasons,
		"vendor.rejected", map[string]string{"reviewer": maskReviewer(reviewer)}, meta,
		StatusSubmitted, StatusInReview)
	if err != nil {
		return nil, err
	}
	s.notifyReview(v, OutcomeRejected, reasons)
	return s.get(ctx, vendorID)
}

// Suspend takes an approved vendor out of the marketplace, with a reason.
func (s *Service) Suspend(ctx context.Context, by audit.Actor, reviewer, vendorID,
	reason string, meta audit.Event) (*Vendor, error) {
	reasons, err := checkReasons("/reason", []string{reason})
	if err != nil {
		return nil, err
	}
	details := map[string]string{}
	if r := strings.TrimSpace(reviewer); r != "" {
		if r, err = checkReviewer(r); err != nil {
			return nil, err
		}
		details["reviewer"] = maskReviewer(r)
	}
	v, err := s.transition(ctx, by, vendorID, "suspend", StatusSuspended, reasons,
		"vendor.suspended", details, meta, StatusApproved)
	if err != nil {
		return nil, err
	}
	s.notifyReview(v, OutcomeSuspended, reasons)
	return s.get(ctx, vendorID)
}

// Reinstate returns a suspended vendor to approved.
func (s *Service) Reinstate(ctx context.Context, by audit.Actor, reviewer, vendorID string,
	meta audit.Event) (*Vendor, error) {
	details := map[string]string{}
	if r := strings.TrimSpace(reviewer); r != "" {
		r, err := checkReviewer(r)
		if err != nil {
			return nil, err
		}
		details["reviewer"] = maskReviewer(r)
	}
	if _, err := s.transition(ctx, by, vendorID, "reinstate", StatusApproved, []string{},
		"vendor.reinstated", details, meta, StatusSuspended); err != nil {
		return nil, err
	}
	return s.get(ctx, vendorID)
}

// transition moves the vendor from one of from to to, with reasons, and
// audits it. It returns the vendor as it was.
func (s *Service) transition(ctx context.Context, by audit.Actor, vendorID, verb, to string,
	reasons []string, action string, details map[string]string, meta audit.Event,
	from ...string) (*Vendor, error) {
	raw, err := json.Marshal(reasons)
	if err != nil {
		return nil, err
	}
	var cur *Vendor
	err = s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err = s.lock(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || cur.Status == f
		}
		if !ok {
			return &StateError{Status: cur.Status, Action: verb}
		}
		_, err = tx.ExecContext(ctx, s.opts.DB.Rebind(`UPDATE vendors SET status = ?,
			status_reasons = ?, updated_at = ? WHERE id = ?`), to, string(raw), s.now(),
			vendorID)
		if err != nil {
			return fmt.Errorf("vendors: %s: %w", verb, err)
		}
		details["status_from"], details["status_to"] = cur.Status, to
		details["review_round"] = strconv.Itoa(cur.ReviewRound)
		details["reasons_count"] = strconv.Itoa(len(reasons))
		return s.append(ctx, tx, event(meta, by, action, vendorID, details))
	})
	if err != nil {
		return nil, err
	}
	return cur, nil
}

func (s *Service) notifyReview(v *Vendor, outcome string, reasons []string) {
	if v == nil {
		return
	}
	owner, name := v.OwnerUserID, v.TradeName
	s.notify("reviewed", v.ID, func(ctx context.Context) error {
		return s.opts.Notifier.Reviewed(ctx, owner, name, outcome, reasons)
	})
}
