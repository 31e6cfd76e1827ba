package community

import "github.com/qunzhu/qunzhu/internal/errkind"

// Staff roles in a group (the seed's 社群内部结构): one 群主, the director;
// 秘书长, the assistant director; 店小二, who keep the conversation going;
// and the members. A group has exactly one 群主: appointing one moves the
// role, and the one who held it becomes a member or a secretary.

// Leader reports whether r is one of the roles only a manager appoints or
// takes away: 群主 and 秘书长.
func (r Role) Leader() bool { return r == RoleOwner || r == RoleSecretary }

// RoleChange asks for a member's role in a group to change.
type RoleChange struct {
	OrgID    int64
	GroupID  int64
	PersonID int64
	Role     Role
	// FormerOwner is what the current 群主 becomes when Role is RoleOwner:
	// RoleMember (the default) or RoleSecretary.
	FormerOwner Role
	// Sync queues the platform calls (chat.ActSetRole) that make the
	// change on the platform; set it only where the platform can.
	Sync  bool
	Actor string
}

// Validate checks the roles and fills in the default FormerOwner.
func (c *RoleChange) Validate() error {
	if !c.Role.Valid() {
		return errkind.Errorf(errkind.Invalid, "role %q: want owner, secretary, assistant or member", c.Role)
	}
	if c.FormerOwner == "" {
		c.FormerOwner = RoleMember
	}
	if c.FormerOwner != RoleMember && c.FormerOwner != RoleSecretary {
		return errkind.Errorf(errkind.Invalid, "former_owner %q: the group's current owner becomes a member or a secretary", c.FormerOwner)
	}
	if c.GroupID <= 0 || c.PersonID <= 0 {
		return errkind.New(errkind.Invalid, "a role change needs a group and a person")
	}
	return nil
}

// RoleChanged reports what a role change did.
type RoleChanged struct {
	From Role // the person's role before
	// FormerOwner is the person who was the group's owner and now has the
	// change's FormerOwner role; 0 when no owner was moved.
	FormerOwner int64
	Synced      int // platform calls queued
}

// PlatformRole is the platform call a role change needs: a member who
// becomes staff is made an admin ("admin"), staff who become a member lose
// it ("member"); between staff roles, or between members, nothing changes
// on the platform (its admins have no ranks qunzhu maps to).
func PlatformRole(from, to Role) (text string, needed bool) {
	switch {
	case from.Staff() == to.Staff():
		return "", false
	case to.Staff():
		return "admin", true
	}
	return "member", true
}

// PlatformStaff is a group's staff as its platform has them, in the
// platform's user ids: its owner and admins, and every staff account of
// the platform in it (WeCom: the corp members in a customer group, whom
// application messages reach). The platform's owner is the group's 群主
// and its admins are 店小二; FormerAdmins were admins until this change.
type PlatformStaff struct {
	Owner        string
	Admins       []string
	Staff        []string
	FormerAdmins []string
}
