package roger

// Role is what an admin may do in the portal.
type Role string

// The roles, from most to least allowed.
const (
	// RoleOwner manages the admins besides everything an admin does.
	RoleOwner Role = "owner"
	// RoleAdmin manages replicators, API keys and notification channels.
	RoleAdmin Role = "admin"
	// RoleReadOnly sees everything and changes nothing.
	RoleReadOnly Role = "read-only"
)

// Roles are the roles, in the order the portal offers them.
var Roles = []Role{RoleOwner, RoleAdmin, RoleReadOnly}

// ParseRole reads a role's name; an unknown name is EINVALID.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Errorf(EINVALID, "%q is not a role: choose owner, admin or read-only.", s)
}

// Label is the role as the portal shows it.
func (r Role) Label() string {
	switch r {
	case RoleOwner:
		return "Owner"
	case RoleAdmin:
		return "Admin"
	case RoleReadOnly:
		return "Read-only"
	}
	return string(r)
}

// CanChange reports whether the role may change anything in the
// organisation (its own password and signing out aside).
func (r Role) CanChange() bool { return r == RoleOwner || r == RoleAdmin }

// CanManageAdmins reports whether the role may add, remove and reset
// admins and change their roles.
func (r Role) CanManageAdmins() bool { return r == RoleOwner }
