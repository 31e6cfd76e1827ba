package community

// A member's profile: who they are on each platform, every stint in every
// group with who brought them in, and the partner seats they hold.

// PersonStint is one membership of a person, with its group's name and
// the inviter's name.
type PersonStint struct {
	Membership
	Group   string
	Inviter string // "" when nobody is named
}

// PersonSeat is an open partner seat a person holds.
type PersonSeat struct {
	Seat
	Level  PartnerLevel
	Entity string // the tree node's name
}

// PersonProfile is a person with their identities, memberships and open
// partner seats.
type PersonProfile struct {
	Person     Person
	Identities []Identity
	Stints     []PersonStint // oldest first, left ones included
	Seats      []PersonSeat
}

// PersonMatch is a person found by name, with the groups they are in now
// (so that two people of the same name can be told apart).
type PersonMatch struct {
	Person
	Groups     []int64  // open memberships, by group id
	GroupNames []string // the same groups' names, in the same order
}
