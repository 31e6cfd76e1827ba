package community

import "strings"

// Imported history names some members by name only (a text log, a
// WeChat notice): they become people of their own with a name identity
// ("name:…") or an e-mail identity ("email:…"), never merged with anyone
// by themselves. A MergeProposal says one of them may be a person known
// by a platform id in the same group; staff accept it (the people are
// merged) or dismiss it.

// Identity id prefixes of members imported without a platform id
// (importer.KindOf tells them apart the same way).
const (
	NameIdentityPrefix  = "name:"
	EmailIdentityPrefix = "email:"
)

// ImportedByName reports whether an identity's external id is one an
// import made from a name or an e-mail address, not a platform id.
func ImportedByName(externalID string) bool {
	return strings.HasPrefix(externalID, NameIdentityPrefix) || strings.HasPrefix(externalID, EmailIdentityPrefix)
}

// MergeProposal proposes that Person, imported by name, is Other, known
// by a platform id: in group GroupID, Other's name or nickname is the
// name Person was imported with.
type MergeProposal struct {
	Connection string
	GroupID    int64
	GroupName  string

	Person     int64  // the person imported by name
	PersonName string // the name as imported
	NameID     string // their identity's external id (name:… or email:…)
	Messages   int    // their messages in the group

	Other     int64  // the person with a platform identity
	OtherName string // their name
	OtherID   string // their platform identity's external id
}
