package search

import (
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
)

// Clients hold cursors: one made through Cursor must be the very string the backend's own key
// made before Cursor existed, and read back as that key.
func TestCursorKeepsEachBackendsKey(t *testing.T) {
	id := uuid.MustParse("0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0d")
	check := func(kind string, key any, read func(relay.Page[Cursor]) (any, error)) {
		t.Helper()
		s := relay.Cursor(kind, cursorAt(key))
		if want := relay.Cursor(kind, key); s != want {
			t.Fatalf("%s cursor %s, want %s", kind, s, want)
		}
		c, err := relay.DecodeCursor[Cursor](kind, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := read(relay.Page[Cursor]{First: 20, After: &c})
		if err != nil || got != key {
			t.Fatalf("%s reads back %+v, %v; want %+v", kind, got, err, key)
		}
	}
	check(cursorSkillsPG, pgSkillCursor{Score: 0.25, ID: id}, func(p relay.Page[Cursor]) (any, error) {
		k, err := keyAfter[pgSkillCursor](p)
		return *k, err
	})
	check(cursorMembersPG, pgMemberCursor{Score: 0, Distance: 1200.5, ID: id}, func(p relay.Page[Cursor]) (any, error) {
		k, err := keyAfter[pgMemberCursor](p)
		return *k, err
	})
	check(cursorMembersTS, tsCursor{Offset: 40}, func(p relay.Page[Cursor]) (any, error) {
		k, err := keyAfter[tsCursor](p)
		return *k, err
	})

	// A key of another shape under the right kind is refused on `after`, as before.
	c, err := relay.DecodeCursor[Cursor](cursorSkillsTS, relay.Cursor(cursorSkillsTS, map[string]string{"o": "many"}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = offsetOf(relay.Page[Cursor]{First: 20, After: &c})
	var de *domain.Error
	if de, _ = err.(*domain.Error); de == nil || de.Kind != domain.KindInvalid || de.Field != "after" {
		t.Fatalf("malformed offset: %v", err)
	}
	if k, err := keyAfter[tsCursor](relay.Page[Cursor]{First: 20}); k != nil || err != nil {
		t.Fatalf("no cursor: %v, %v", k, err)
	}
}
