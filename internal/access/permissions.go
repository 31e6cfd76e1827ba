package access

import "github.com/qunzhu/qunzhu/internal/errkind"

// Permission is something a console account may do. Every write in the
// console and the API names one; Allowed decides it from the account's
// role alone, and the caller then checks that the group or node acted on
// lies in the account's scope (a manager's scope is the organisation).
// docs/permissions.md is this table in words; TestPermissionTable keeps
// the two in step.
type Permission string

// The permissions, grouped as the console's workflows are.
const (
	// Structure: the tree and the groups in it.
	EditTree       Permission = "tree.edit"       // create, rename, move, delete nodes
	EditGroup      Permission = "group.edit"      // kind, node, capacity, lifecycle, profile, invite link, checklist, tags
	ApplyTemplate  Permission = "template.apply"  // apply a template, bind its tasks
	EditTemplates  Permission = "template.edit"   // write the organisation's group templates
	SetStaffRole   Permission = "group.staff"     // make someone 店小二 or a member again
	SetLeaderRole  Permission = "group.leaders"   // make someone 群主 or 秘书长
	ArchiveGroup   Permission = "group.archive"   // archive a dead group
	ManagePartners Permission = "partners.manage" // levels, admissions, seats, eligibility cases
	ManageGrowth   Permission = "growth.manage"   // campaigns, invite codes, posters

	// Content.
	WriteScript     Permission = "script.write"    // write, edit and submit scripts
	ReviewScript    Permission = "script.review"   // approve or reject scripts
	OverrideLint    Permission = "script.override" // approve what the lint flags, with a reason
	PlanPush        Permission = "push.plan"       // plan, move and cancel pushes
	EditDutyRoster  Permission = "duty.edit"
	ContentSettings Permission = "content.settings" // whether writers may approve their own scripts (a team of one)

	// Groups' life.
	RunEvents      Permission = "events.run"      // open, close, cancel events; check people in
	HandleAlerts   Permission = "alerts.handle"   // resolve alerts
	ProposePurge   Permission = "purge.decide"    // review and carry out purge proposals
	DigestSettings Permission = "digest.settings" // when the daily digest is made, whether it is posted in the staff group
	EditRules      Permission = "rules.edit"      // the rules of groups in scope
	Moderate       Permission = "moderation.act"  // decide reports: dismiss, warn, mute, kick
	BanOrgWide     Permission = "moderation.ban"  // organisation-wide bans and appeals
	MergePeople    Permission = "people.merge"    // merge two people's records (they are one person)
	ImportData     Permission = "data.import"     // import chat exports

	// Administration.
	ManageAccounts    Permission = "accounts.manage"
	ManageTokens      Permission = "tokens.manage"
	ManageConnections Permission = "connections.manage"
	ReadAudit         Permission = "audit.read"
)

// Permissions lists every permission in the order docs/permissions.md
// shows them.
var Permissions = []Permission{
	EditTree, EditGroup, ApplyTemplate, EditTemplates, SetStaffRole, SetLeaderRole, ArchiveGroup, ManagePartners, ManageGrowth,
	WriteScript, ReviewScript, OverrideLint, PlanPush, EditDutyRoster, ContentSettings,
	RunEvents, HandleAlerts, ProposePurge, DigestSettings, EditRules, Moderate, BanOrgWide, MergePeople, ImportData,
	ManageAccounts, ManageTokens, ManageConnections, ReadAudit,
}

// grants is the table: what each role may do. A manager may do
// everything. A secretary (秘书长) runs the groups of her scope: she
// pushes content, handles reports, runs events, edits her groups' rules
// and imports their history, but does not appoint 群主/秘书长, run the partner programme, ban
// organisation-wide or administer the installation. An assistant (店小二)
// follows pushes up, writes scripts, handles reports and checks people in.
// A viewer writes nothing.
var grants = map[Role]map[Permission]bool{
	Secretary: set(EditTree, EditGroup, ApplyTemplate, SetStaffRole, ArchiveGroup, ManageGrowth,
		WriteScript, ReviewScript, PlanPush, EditDutyRoster,
		RunEvents, HandleAlerts, ProposePurge, EditRules, Moderate, ImportData),
	Assistant: set(WriteScript, RunEvents, HandleAlerts, Moderate),
	Viewer:    {},
}

func set(ps ...Permission) map[Permission]bool {
	m := make(map[Permission]bool, len(ps))
	for _, p := range ps {
		m[p] = true
	}
	return m
}

// Allowed reports whether a role may do p (anywhere in its scope).
func Allowed(r Role, p Permission) bool {
	if r == Manager {
		return true
	}
	return grants[r][p]
}

// May reports whether the account may do p in its scope.
func (u User) May(p Permission) bool { return Allowed(u.Role, p) }

// Check refuses, as errkind.Forbidden, what the account's role may not do.
func (u User) Check(p Permission) error {
	if u.May(p) {
		return nil
	}
	return errkind.Errorf(errkind.Forbidden, "%s may not %s", u.Role, p)
}

// StaffPermission is what making someone role (a group role: owner,
// secretary, assistant, member) needs: appointing a 群主 or 秘书长 is
// SetLeaderRole, anything else SetStaffRole.
func StaffPermission(role string) Permission {
	if role == "owner" || role == "secretary" {
		return SetLeaderRole
	}
	return SetStaffRole
}

// DecisionPermission is what deciding a report with action needs (the
// chat action upholding it takes, "" for none): a ban is organisation-wide,
// so BanOrgWide; a warning, deletion or removal in the report's group is
// Moderate.
func DecisionPermission(action string) Permission {
	if action == "ban" {
		return BanOrgWide
	}
	return Moderate
}
