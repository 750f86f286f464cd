// Package globalid is the format of the API's global ids (the GraphQL Node.id): a kind prefix, an
// underscore and the uuid's 32 hex digits, e.g. `usr_0192f0c53c1e7a3b8c4d5e6f7a8b9c0d`. It has
// no dependency of its own, so the domain's most read types (User, Skill, SkillCategory) can
// give their id themselves: gqlgen then resolves those ids as plain methods, without the
// goroutine it starts for a resolver (issue 18). Package relay names every other kind and parses
// ids.
package globalid

import (
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
)

// Kinds of the types whose ids the domain gives (relay.KindUser and so on are these).
const (
	User          = "usr"
	Skill         = "skl"
	SkillCategory = "cat"
)

// Format encodes id as a global id of kind.
func Format(kind string, id uuid.UUID) string {
	var hexID [32]byte
	hex.Encode(hexID[:], id[:])
	var b strings.Builder // one allocation: ids are written for every object of a page
	b.Grow(len(kind) + 1 + len(hexID))
	b.WriteString(kind)
	b.WriteByte('_')
	b.Write(hexID[:])
	return b.String()
}
