package pipeline

import "time"

// The kinds of points recorded besides the check-ins' (Points).
const (
	PointsPost  = "post"  // a substantive post: three lines or more
	PointsAward = "award" // given by staff, in the chat or the console
	// PointsCheckin marks a check-in in a member's points history (the
	// check-ins are kept by Checkins).
	PointsCheckin = "checkin"
)

// PointsEntry is points a member got in a group: for a substantive post
// (Ref its message id) or from staff (Ref the command's event, or the
// console form's; Actor, ActorName and Reason who gave them and why).
type PointsEntry struct {
	GroupID, PersonID int64
	Day               string // YYYY-MM-DD in the server's time zone
	Kind              string // PointsPost or PointsAward
	Points            int
	Ref               string
	Actor             string // as the audit log names them: staff:<platform id>, staff:<account>
	ActorName         string // as the member's history shows them
	Reason            string
	At                time.Time
}

// PointsRank is a member's place on a group's points board.
type PointsRank struct {
	PersonID int64
	Name     string
	Points   int
}
