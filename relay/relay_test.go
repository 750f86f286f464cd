package relay

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
)

func TestParsePage(t *testing.T) {
	ptr := func(i int) *int { return &i }
	str := func(s string) *string { return &s }
	good := Cursor("users", uuid.MustParse("0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0d"))
	tests := []struct {
		name      string
		first     *int
		after     *string
		wantFirst int
		wantField string
	}{
		{"default", nil, nil, 20, ""},
		{"max", ptr(100), nil, 100, ""},
		{"over max", ptr(101), nil, 0, "first"},
		{"zero", ptr(0), nil, 0, "first"},
		{"negative", ptr(-5), nil, 0, "first"},
		{"garbage cursor", nil, str("%%%"), 0, "after"},
		{"cursor of another list", nil, str(Cursor("sessions", uuid.New())), 0, "after"},
		{"good cursor", ptr(5), &good, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePage[uuid.UUID]("users", tt.first, tt.after)
			if tt.wantField != "" {
				var de *domain.Error
				if err == nil || !asDomain(err, &de) || de.Kind != domain.KindInvalid || de.Field != tt.wantField {
					t.Fatalf("want invalid %s, got %v", tt.wantField, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.First != tt.wantFirst {
				t.Fatalf("First = %d, want %d", p.First, tt.wantFirst)
			}
		})
	}
}

func asDomain(err error, de **domain.Error) bool {
	e, ok := err.(*domain.Error)
	*de = e
	return ok
}

func TestSlice(t *testing.T) {
	rows := []int{1, 2, 3}
	edges, info := slice("ints", Page[int]{First: 2}, rows, func(i int) int { return i })
	if len(edges) != 2 || !info.HasNextPage || info.HasPreviousPage {
		t.Fatalf("got %d edges, info %+v", len(edges), info)
	}
	k, err := DecodeCursor[int]("ints", *info.EndCursor)
	if err != nil || k != 2 {
		t.Fatalf("end cursor decodes to %d, %v", k, err)
	}
	edges, info = slice("ints", Page[int]{First: 5, After: &k}, rows[2:], func(i int) int { return i })
	if len(edges) != 1 || info.HasNextPage || !info.HasPreviousPage {
		t.Fatalf("last page: %d edges, info %+v", len(edges), info)
	}
}

func TestParsePageBefore(t *testing.T) {
	ptr := func(i int) *int { return &i }
	str := func(s string) *string { return &s }
	seq := func(n int64) *string { c := Cursor("messages", n); return &c }
	tests := []struct {
		name          string
		first         *int
		before, after *string
		want          Page[int64]
		wantField     string
	}{
		{"default is the list's", nil, nil, nil, Page[int64]{First: 30}, ""},
		{"empty cursors are none", ptr(5), str(""), str(""), Page[int64]{First: 5}, ""},
		{"before", nil, seq(16), nil, Page[int64]{First: 30, Before: new(int64(16))}, ""},
		{"after", ptr(10), nil, seq(0), Page[int64]{First: 10, After: new(int64(0))}, ""},
		{"over max", ptr(101), nil, nil, Page[int64]{}, "first"},
		{"garbage before", nil, str("%%%"), nil, Page[int64]{}, "before"},
		{"foreign after", nil, nil, str(Cursor("notifications", int64(3))), Page[int64]{}, "after"},
		{"both", nil, seq(5), seq(1), Page[int64]{}, "before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePageBefore[int64]("messages", 30, tt.first, tt.before, tt.after)
			if tt.wantField != "" {
				var de *domain.Error
				if err == nil || !asDomain(err, &de) || de.Kind != domain.KindInvalid || de.Field != tt.wantField {
					t.Fatalf("want invalid %s, got %v", tt.wantField, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			same := func(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
			if p.First != tt.want.First || !same(p.Before, tt.want.Before) || !same(p.After, tt.want.After) {
				t.Fatalf("page = %+v, want %+v", p, tt.want)
			}
		})
	}
}

func TestPaginateBefore(t *testing.T) {
	key := func(i int) int { return i }
	// The newest page: the extra (oldest) row says older ones exist; nothing is newer.
	c := PaginateBefore("ints", Page[int]{First: 2}, []int{1, 2, 3}, key)
	if len(c.Edges) != 2 || c.Edges[0].Node != 2 || c.Edges[1].Node != 3 || !c.PageInfo.HasPreviousPage || c.PageInfo.HasNextPage {
		t.Fatalf("newest page: %+v", c)
	}
	if k, err := DecodeCursor[int]("ints", *c.PageInfo.StartCursor); err != nil || k != 2 {
		t.Fatalf("start cursor decodes to %d, %v", k, err)
	}
	// Before a cursor, at the start of the list: its own row follows, nothing precedes.
	before := 3
	c = PaginateBefore("ints", Page[int]{First: 5, Before: &before}, []int{1, 2}, key)
	if len(c.Edges) != 2 || c.PageInfo.HasPreviousPage || !c.PageInfo.HasNextPage || *c.PageInfo.EndCursor != c.Edges[1].Cursor {
		t.Fatalf("first page: %+v", c)
	}
	c = PaginateBefore("ints", Page[int]{First: 5}, []int{}, key)
	if len(c.Edges) != 0 || c.PageInfo.StartCursor != nil || c.PageInfo.EndCursor != nil {
		t.Fatalf("empty page: %+v", c)
	}
}

func TestGlobalID(t *testing.T) {
	id := uuid.New()
	gid := GlobalID(KindUser, id)
	got, err := ParseID(KindUser, gid, "userId")
	if err != nil || got != id {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "usr_", "usr_zz", GlobalID(KindAuthSession, id), id.String()} {
		if _, err := ParseID(KindUser, bad, "userId"); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("ParseID(%q) = %v, want invalid", bad, err)
		}
	}
}

// TestDerivedID: a derived id is a function of its kind and parts only (the same on every
// instance and run: the constant below was computed once and must never change), distinct for
// other parts or another kind, and shaped like every global id.
func TestDerivedID(t *testing.T) {
	a, b := uuid.MustParse("0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0d"), uuid.MustParse("0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0e")
	id := DerivedID(KindParticipant, a.String(), b.String())
	if id != DerivedID(KindParticipant, a.String(), b.String()) {
		t.Fatal("not deterministic")
	}
	if id != "cpt_178eda9cb8be5e5a80e0aa7308c17881" {
		t.Fatalf("DerivedID = %s: ids clients cached would change (derivedNamespace or the name layout moved)", id)
	}
	kind, _, ok := ParseGlobalID(id)
	if !ok || kind != KindParticipant {
		t.Fatalf("%s does not parse as a %s id", id, KindParticipant)
	}
	for _, other := range []string{
		DerivedID(KindParticipant, b.String(), a.String()),
		DerivedID(KindParticipant, a.String()+b.String()),
		DerivedID(KindNotificationPreference, a.String(), b.String()),
	} {
		if other == id || other[4:] == id[4:] {
			t.Errorf("%s collides with %s", other, id)
		}
	}
}

// TestUUIDCursorsAreWhatJSONWrites: a uuid key's cursor, made without encoding/json, is the same
// string as the envelope encoding/json writes (cursors clients hold keep working), and decodes.
func TestUUIDCursorsAreWhatJSONWrites(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"users", "matches_v2", "ses-1", "a", strings.Repeat("k", 32), strings.Repeat("k", 33), `odd"kind`, "é"} {
		for range 20 {
			id := uuid.New()
			b, err := json.Marshal(map[string]any{"k": kind, "v": id})
			if err != nil {
				t.Fatal(err)
			}
			want := base64.RawURLEncoding.EncodeToString(b)
			if got := Cursor(kind, id); got != want {
				t.Fatalf("kind %q, key %s: cursor %s, encoding/json's %s", kind, id, got, want)
			}
			if back, err := DecodeCursor[uuid.UUID](kind, want); err != nil || back != id {
				t.Fatalf("kind %q: decoded %s, %v", kind, back, err)
			}
		}
	}
}
