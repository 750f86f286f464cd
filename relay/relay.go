// Package relay implements Relay connection plumbing: page arguments with caps, opaque keyset
// cursors and global object ids.
package relay

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/globalid"
)

// MaxPageSize caps `first` on every connection.
const MaxPageSize = 100

// Page is validated pagination: at most First items after the keyset position After or, on a
// list that pages both ways (ParsePageBefore, PaginateBefore), before the position Before.
type Page[K any] struct {
	First int
	After *K
	// Before is only ever set by ParsePageBefore, never together with After: one page is read
	// from one end.
	Before *K
}

// Limit is the number of rows to fetch: one more than First, to learn whether a next page exists.
func (p Page[K]) Limit() int { return p.First + 1 }

// ParsePage validates `first`/`after` for a connection whose cursors were made by Cursor with the
// same kind. Errors are BAD_USER_INPUT naming the argument.
func ParsePage[K any](kind string, first *int, after *string) (Page[K], error) {
	p := Page[K]{First: 20}
	if first != nil {
		if *first < 1 || *first > MaxPageSize {
			return p, domain.Invalid("first", "must be between 1 and %d", MaxPageSize)
		}
		p.First = *first
	}
	if after != nil && *after != "" {
		k, err := DecodeCursor[K](kind, *after)
		if err != nil {
			return p, err
		}
		p.After = &k
	}
	return p, nil
}

// ParsePageBefore validates `first`/`before`/`after` for a list that pages both ways (a chat's
// messages: older pages before a cursor, newer ones after it). dflt is the list's default page
// size, what `first: null` means: lists that page both ways show more than the usual 20 (the
// schema says it too). Errors are BAD_USER_INPUT naming the argument, `before` when both
// positions are given.
func ParsePageBefore[K any](kind string, dflt int, first *int, before, after *string) (Page[K], error) {
	p := Page[K]{First: dflt}
	if first != nil {
		if *first < 1 || *first > MaxPageSize {
			return p, domain.Invalid("first", "must be between 1 and %d", MaxPageSize)
		}
		p.First = *first
	}
	for _, arg := range []struct {
		name   string
		cursor *string
		key    **K
	}{{"before", before, &p.Before}, {"after", after, &p.After}} {
		if arg.cursor == nil || *arg.cursor == "" {
			continue
		}
		k, err := decodeCursor[K](kind, *arg.cursor, arg.name)
		if err != nil {
			return p, err
		}
		*arg.key = &k
	}
	if p.Before != nil && p.After != nil {
		return p, domain.Invalid("before", "give before or after, not both")
	}
	return p, nil
}

// cursorEnvelope tags a cursor with its connection kind so a cursor from one list is refused by
// another instead of silently mis-positioning.
type cursorEnvelope[K any] struct {
	Kind string `json:"k"`
	Key  K      `json:"v"`
}

// Cursor encodes a keyset position as an opaque string.
func Cursor[K any](kind string, key K) string {
	if id, ok := any(key).(uuid.UUID); ok && plainKind(kind) {
		return uuidCursor(kind, id)
	}
	b, err := json.Marshal(cursorEnvelope[K]{Kind: kind, Key: key})
	if err != nil {
		panic(fmt.Sprintf("relay: cursor key of %s must marshal: %v", kind, err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// uuidCursor is Cursor for a uuid key, byte for byte what encoding/json writes for the envelope
// (`{"k":"usr","v":"0192f0c5-…"}`), without its reflection: every edge of a page has a cursor.
func uuidCursor(kind string, id uuid.UUID) string {
	var buf [96]byte // {"k":"…","v":"…"}: 16 + a kind of at most 32 + 36
	b := append(buf[:0], `{"k":"`...)
	b = append(b, kind...)
	b = append(b, `","v":"`...)
	var text [36]byte
	hex.Encode(text[0:8], id[0:4])
	text[8] = '-'
	hex.Encode(text[9:13], id[4:6])
	text[13] = '-'
	hex.Encode(text[14:18], id[6:8])
	text[18] = '-'
	hex.Encode(text[19:23], id[8:10])
	text[23] = '-'
	hex.Encode(text[24:], id[10:])
	b = append(b, text[:]...)
	b = append(b, `"}`...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// plainKind reports whether kind is written in JSON as it is, and short enough for uuidCursor:
// letters, digits, '-' and '_' (every cursor kind is).
func plainKind(kind string) bool {
	if len(kind) > 32 {
		return false
	}
	for _, c := range []byte(kind) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// DecodeCursor decodes a cursor made by Cursor with the same kind, given as `after`.
func DecodeCursor[K any](kind, cursor string) (K, error) {
	return decodeCursor[K](kind, cursor, "after")
}

// decodeCursor decodes a cursor made by Cursor with the same kind; arg names the argument that
// carried it, for the error.
func decodeCursor[K any](kind, cursor, arg string) (K, error) {
	var env cursorEnvelope[K]
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || json.Unmarshal(b, &env) != nil || env.Kind != kind {
		return env.Key, domain.Invalid(arg, "is not a valid cursor for this list")
	}
	return env.Key, nil
}

// Edge is one item of a page with its cursor.
type Edge[T any] struct {
	Cursor string
	Node   T
}

// PageInfo describes a page for forward pagination.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Connection is one page of a list: what every service that pages returns.
type Connection[T any] struct {
	Edges    []Edge[T]
	PageInfo PageInfo
}

// Paginate turns rows fetched with Page.Limit into a Connection whose cursors are made by key
// under kind (the same kind the page's cursor was parsed with).
func Paginate[T, K any](kind string, p Page[K], rows []T, key func(T) K) Connection[T] {
	edges, info := slice(kind, p, rows, key)
	return Connection[T]{Edges: edges, PageInfo: info}
}

// slice turns rows fetched with Page.Limit into edges and page info: the extra row, when present,
// only tells that a next page exists.
func slice[T, K any](kind string, p Page[K], rows []T, key func(T) K) ([]Edge[T], PageInfo) {
	info := PageInfo{HasPreviousPage: p.After != nil}
	if len(rows) > p.First {
		rows = rows[:p.First]
		info.HasNextPage = true
	}
	edges := edgesOf(kind, rows, key, &info)
	return edges, info
}

// PaginateBefore is Paginate for the page of a two-way list that ends right before p.Before, or
// at the end of the list when Before is nil (a chat opens on its newest messages). rows are the
// Page.Limit rows nearest that end, in list order: the extra row, when present, is the first one
// and only tells that a previous page exists. A page before a cursor always has a next page: the
// cursor's own row at least.
func PaginateBefore[T, K any](kind string, p Page[K], rows []T, key func(T) K) Connection[T] {
	info := PageInfo{HasNextPage: p.Before != nil}
	if len(rows) > p.First {
		rows = rows[len(rows)-p.First:]
		info.HasPreviousPage = true
	}
	return Connection[T]{Edges: edgesOf(kind, rows, key, &info), PageInfo: info}
}

// edgesOf makes the edges of rows and sets info's start and end cursors.
func edgesOf[T, K any](kind string, rows []T, key func(T) K, info *PageInfo) []Edge[T] {
	edges := make([]Edge[T], len(rows))
	for i, r := range rows {
		edges[i] = Edge[T]{Cursor: Cursor(kind, key(r)), Node: r}
	}
	if len(edges) > 0 {
		info.StartCursor = &edges[0].Cursor
		info.EndCursor = &edges[len(edges)-1].Cursor
	}
	return edges
}

// Global id prefixes, one per Node type. Ids look like `usr_0192f0c53c1e7a3b8c4d5e6f7a8b9c0d`:
// opaque to clients, readable in logs, and typed so a session id is never taken for a user id.
const (
	KindUser          = globalid.User
	KindAuthSession   = "ses"
	KindSkill         = globalid.Skill
	KindSkillCategory = globalid.SkillCategory
	KindConversation  = "cnv"
	KindMessage       = "msg"
	KindNotification  = "ntf"
)

// Global id prefixes of skill sessions, reviews, time credits and calendar feeds.
const (
	// KindSkillSession: a teaching session (`sss`, distinct from login sessions' `ses`).
	KindSkillSession = "sss"
	KindReview       = "rev"
	KindReviewReport = "rrp"
	// KindCreditTransaction names a ledger transaction; seen by a member, it is their line of it.
	KindCreditTransaction = "ctr"
	KindCalendarFeed      = "icf"
)

// KindPayment is the global id prefix of payments.
const KindPayment = "pay"

// KindMatch is the global id prefix of matches: the pair of members (matching.PairID), read
// from the side of the member asking.
const KindMatch = "mch"

// Global id prefixes of objects that live inside another one but have an identity of their own:
// they change in place, or appear in more than one list or payload, so clients cache them by id.
// Only NoShowDispute and MentorAccount are Nodes; the others are read through their parent.
const (
	// KindMemberSkill: a member's offer or want, `msk_` + the member's and the skill's uuids
	// (64 hex digits; published in this shape before GlobalID covered it, kept for stability).
	KindMemberSkill = "msk"
	// KindSessionProposal: one time put on the table for a skill session (its row id).
	KindSessionProposal = "spp"
	// KindRefund: a refund of a payment (its row id).
	KindRefund = "rfd"
	// KindChargeback: the chargeback of a payment, named by the payment's id (a payment's one
	// charge has at most one dispute).
	KindChargeback = "chb"
	// KindNoShowDispute: the no-show dispute of a paid session, named by the session's id (one
	// per session).
	KindNoShowDispute = "nsd"
	// KindMentorAccount: a member's Stripe connected account, named by the member's id.
	KindMentorAccount = "mac"
	// KindCreditBalance: a member's time-credit balance, named by the member's id.
	KindCreditBalance = "crb"
	// KindParticipant: a member's place in a conversation (DerivedID of both ids).
	KindParticipant = "cpt"
	// KindNotificationPreference: a member's channels for one notification type (DerivedID of
	// the member's id and the type).
	KindNotificationPreference = "npf"
	// KindQuietHours: a member's quiet hours (DerivedID of the member's id), one each.
	KindQuietHours = "qth"
	// KindDigestSchedule: a member's digest schedule (DerivedID of the member's id), one each.
	KindDigestSchedule = "dgs"
	// KindPasskey: a member's passkey (its row id); read through AccountSecurity.passkeys.
	KindPasskey = "psk"
	// KindDataExport: a member's data export (its row id).
	KindDataExport = "dex"
	// KindConsent: one consent given or withdrawn (its row id).
	KindConsent = "cns"
	// KindPushDevice: a member's device registered for push (its row id).
	KindPushDevice = "pdv"
)

// derivedNamespace is the RFC 4122 name space of DerivedID. Never change it: every derived id a
// client has cached would change.
var derivedNamespace = uuid.MustParse("6f1d1c43-52a4-4b8e-9a55-2f0b1e3c7d90")

// DerivedID is the global id of an object keyed by several values (a membership, a per-type
// setting): a name-based uuid (RFC 4122 version 5) of kind and parts, so it has the shape of
// every other id, is the same on every request and instance, and does not give its parts away.
// It cannot be turned back into them: only for ids that clients cache and never send back.
func DerivedID(kind string, parts ...string) string {
	name := kind + "\x00" + strings.Join(parts, "\x00")
	return GlobalID(kind, uuid.NewSHA1(derivedNamespace, []byte(name)))
}

// MemberSkillID is the id of userID's offer or want of skillID (see KindMemberSkill).
func MemberSkillID(userID, skillID uuid.UUID) string {
	return KindMemberSkill + "_" + strings.ReplaceAll(userID.String(), "-", "") + strings.ReplaceAll(skillID.String(), "-", "")
}

// GlobalID encodes an entity id of the given kind.
func GlobalID(kind string, id uuid.UUID) string {
	return globalid.Format(kind, id)
}

// ParseGlobalID splits a global id into its kind and uuid.
func ParseGlobalID(gid string) (kind string, id uuid.UUID, ok bool) {
	kind, raw, found := strings.Cut(gid, "_")
	if !found || len(raw) != 32 {
		return "", uuid.Nil, false
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return "", uuid.Nil, false
	}
	return kind, id, true
}

// ParseID decodes a global id that must be of kind; field names the input for the error.
func ParseID(kind, gid, field string) (uuid.UUID, error) {
	k, id, ok := ParseGlobalID(gid)
	if !ok || k != kind {
		return uuid.Nil, domain.Invalid(field, "is not a valid id")
	}
	return id, nil
}

// Node is the Go type of the GraphQL Node interface: any entity with a global id. It is empty on
// purpose: the resolver of each type encodes its id, or for the most read ones (User, Skill,
// SkillCategory) the type's GlobalID method.
type Node interface{}

// Kinds of moderation (issue 16): cases, the reports in them and staff notes.
const (
	KindModerationCase   = "mcs"
	KindModerationReport = "mrp"
	KindModerationNote   = "mnt"
	// KindSanction, KindAppeal and KindAppealMessage: sanctions, their appeals and the appeals'
	// threads.
	KindSanction      = "sct"
	KindAppeal        = "apl"
	KindAppealMessage = "apm"
)
