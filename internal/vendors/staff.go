package vendors

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/storage"
)

const invitationPurpose = "cerrojo vendor invitation v1"

// Member is a staff member of a vendor.
type Member struct {
	UserID    string    `json:"user_id"`
	Role      string    `json:"role"`
	InvitedBy string    `json:"invited_by"`
	JoinedAt  time.Time `json:"joined_at"`
}

// Invitation is a pending invitation, as the owner sees it.
type Invitation struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Staff is a vendor's members and pending invitations.
type Staff struct {
	Members     []Member     `json:"members"`
	Invitations []Invitation `json:"invitations"`
}

func validStaffRole(r string) bool { return r == RoleStaff || r == RoleManager }

func (s *Service) tokenMAC(token string) []byte {
	return s.opts.Ring.MAC(invitationPurpose, []byte(token))
}

// Invite invites email into the owner's vendor with a vendor-scoped role;
// the link with a single-use token is emailed after commit.
func (s *Service) Invite(ctx context.Context, ownerID, vendorID, email, role string,
	meta audit.Event) (Invitation, error) {
	var ve ValidationError
	addr, err := accounts.ParseEmail(email)
	if err != nil {
		ve.add("/email", "invalid_value", "is not a valid email address")
	}
	if !validStaffRole(role) {
		ve.add("/role", "invalid_value", "must be vendor_staff or vendor_manager")
	}
	if err := ve.err(); err != nil {
		return Invitation{}, err
	}
	v, err := s.Get(ctx, ownerID, vendorID)
	if err != nil {
		return Invitation{}, err
	}
	if v.Status == StatusSuspended {
		return Invitation{}, &StateError{Status: v.Status, Action: "invite staff to"}
	}
	id, err := s.newID("vin_")
	if err != nil {
		return Invitation{}, err
	}
	token, err := s.random(32) // 256 bits
	if err != nil {
		return Invitation{}, err
	}
	now := s.now()
	inv := Invitation{ID: id, Email: addr.Address, Role: role, CreatedAt: now,
		ExpiresAt: now.Add(s.opts.InvitationTTL)}
	by := audit.Actor{Type: audit.ActorPerson, ID: ownerID}
	err = s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.opts.DB.Rebind(`INSERT INTO vendor_invitations (id,
			vendor_id, email, email_normalized, role, token_mac, invited_by, created_at,
			expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), id, vendorID, addr.Address,
			addr.Normalized, role, s.tokenMAC(token), ownerID, now, inv.ExpiresAt)
		if err != nil {
			return fmt.Errorf("vendors: invite: %w", err)
		}
		return s.append(ctx, tx, event(meta, by, "vendor.staff_invited", vendorID,
			map[string]string{"invitation_id": id, "email": audit.MaskEmail(addr.Address),
				"role": role}))
	})
	if err != nil {
		return Invitation{}, err
	}
	link, store := s.opts.AcceptURL+token, v.TradeName
	s.notify("staff_invited", vendorID, func(ctx context.Context) error {
		return s.opts.Notifier.StaffInvited(ctx, addr.Address, store, link, inv.ExpiresAt)
	})
	return inv, nil
}

// Accept uses an invitation token for userID, whose verified email must be
// the invited one, and grants the role.
func (s *Service) Accept(ctx context.Context, userID, token string,
	meta audit.Event) (Member, error) {
	if token == "" || len(token) > 256 {
		return Member{}, ErrInvitationNotFound
	}
	var m Member
	var vendorID string
	by := audit.Actor{Type: audit.ActorPerson, ID: userID}
	err := s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		var id, emailNorm, role, invitedBy string
		var expires time.Time
		var accepted sql.NullTime
		err := tx.QueryRowContext(ctx, s.opts.DB.Rebind(`SELECT id, vendor_id,
			email_normalized, role, invited_by, expires_at, accepted_at
			FROM vendor_invitations WHERE token_mac = ?`), s.tokenMAC(token)).Scan(&id,
			&vendorID, &emailNorm, &role, &invitedBy, &expires, &accepted)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvitationNotFound
		}
		if err != nil {
			return fmt.Errorf("vendors: invitation: %w", err)
		}
		now := s.now()
		switch {
		case accepted.Valid:
			return ErrInvitationUsed
		case !now.Before(expires):
			return ErrInvitationExpired
		}
		var userEmail string
		var verified bool
		err = tx.QueryRowContext(ctx, s.opts.DB.Rebind(`SELECT email_normalized,
			email_verified FROM users WHERE id = ?`), userID).Scan(&userEmail, &verified)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrWrongInvitee
		}
		if err != nil {
			return fmt.Errorf("vendors: invitee: %w", err)
		}
		if !verified || userEmail != emailNorm {
			return ErrWrongInvitee
		}
		v, err := s.lock(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if v.OwnerUserID == userID {
			return ErrAlreadyMember
		}
		res, err := tx.ExecContext(ctx, s.opts.DB.Rebind(`UPDATE vendor_invitations SET
			accepted_at = ?, accepted_by = ? WHERE id = ? AND accepted_at IS NULL`),
			now, userID, id)
		if err != nil {
			return fmt.Errorf("vendors: accept: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrInvitationUsed
		}
		_, err = tx.ExecContext(ctx, s.opts.DB.Rebind(`INSERT INTO vendor_staff (vendor_id,
			user_id, role, invited_by, joined_at) VALUES (?, ?, ?, ?, ?)`),
			vendorID, userID, role, invitedBy, now)
		if storage.IsUniqueViolation(err) {
			return ErrAlreadyMember
		}
		if err != nil {
			return fmt.Errorf("vendors: add member: %w", err)
		}
		if err := s.opts.Roles.Grant(ctx, tx, userID, role, vendorID); err != nil {
			return fmt.Errorf("vendors: grant: %w", err)
		}
		m = Member{UserID: userID, Role: role, InvitedBy: invitedBy, JoinedAt: now}
		return s.append(ctx, tx, event(meta, by, "vendor.staff_joined", vendorID,
			map[string]string{"invitation_id": id, "role": role}))
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// Remove takes a member off the owner's vendor: the role binding is revoked
// and every session of the member ends, so access stops at once.
func (s *Service) Remove(ctx context.Context, ownerID, vendorID, userID string,
	meta audit.Event) error {
	by := audit.Actor{Type: audit.ActorPerson, ID: ownerID}
	return s.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		v, err := s.lock(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if v.OwnerUserID != ownerID {
			return ErrNotFound
		}
		var role string
		err = tx.QueryRowContext(ctx, s.opts.DB.Rebind(`SELECT role FROM vendor_staff
			WHERE vendor_id = ? AND user_id = ?`), vendorID, userID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotMember
		}
		if err != nil {
			return fmt.Errorf("vendors: member: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.opts.DB.Rebind(`DELETE FROM vendor_staff
			WHERE vendor_id = ? AND user_id = ?`), vendorID, userID); err != nil {
			return fmt.Errorf("vendors: remove member: %w", err)
		}
		if err := s.opts.Roles.Revoke(ctx, tx, userID, role, vendorID); err != nil {
			return fmt.Errorf("vendors: revoke: %w", err)
		}
		if err := s.opts.Sessions.EndAllSessions(ctx, tx, userID, "",
			"vendor_staff_removed"); err != nil {
			return fmt.Errorf("vendors: end sessions: %w", err)
		}
		return s.append(ctx, tx, event(meta, by, "vendor.staff_removed", vendorID,
			map[string]string{"member": userID, "role": role}))
	})
}

// ListStaff returns the owner's vendor's members and pending invitations.
func (s *Service) ListStaff(ctx context.Context, ownerID, vendorID string) (Staff, error) {
	if _, err := s.Get(ctx, ownerID, vendorID); err != nil {
		return Staff{}, err
	}
	st := Staff{Members: []Member{}, Invitations: []Invitation{}}
	rows, err := s.opts.DB.QueryContext(ctx, s.opts.DB.Rebind(`SELECT user_id, role,
		invited_by, joined_at FROM vendor_staff WHERE vendor_id = ? ORDER BY joined_at,
		user_id`), vendorID)
	if err != nil {
		return Staff{}, fmt.Errorf("vendors: staff: %w", err)
	}
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.UserID, &m.Role, &m.InvitedBy, &m.JoinedAt); err != nil {
			rows.Close()
			return Staff{}, fmt.Errorf("vendors: staff: %w", err)
		}
		m.JoinedAt = m.JoinedAt.UTC()
		st.Members = append(st.Members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Staff{}, fmt.Errorf("vendors: staff: %w", err)
	}
	rows, err = s.opts.DB.QueryContext(ctx, s.opts.DB.Rebind(`SELECT id, email, role,
		created_at, expires_at FROM vendor_invitations WHERE vendor_id = ?
		AND accepted_at IS NULL AND expires_at > ? ORDER BY created_at, id`),
		vendorID, s.now())
	if err != nil {
		return Staff{}, fmt.Errorf("vendors: invitations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i Invitation
		if err := rows.Scan(&i.ID, &i.Email, &i.Role, &i.CreatedAt, &i.ExpiresAt); err != nil {
			return Staff{}, fmt.Errorf("vendors: invitations: %w", err)
		}
		i.CreatedAt, i.ExpiresAt = i.CreatedAt.UTC(), i.ExpiresAt.UTC()
		st.Invitations = append(st.Invitations, i)
	}
	return st, rows.Err()
}
