package globalid_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/globalid"
)

// The format is published: clients store these ids. It is the kind, an underscore and the
// uuid's hex digits without dashes, lower case.
func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind, id, want string
	}{
		{globalid.User, "0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0d", "usr_0192f0c53c1e7a3b8c4d5e6f7a8b9c0d"},
		{globalid.Skill, "FFFFFFFF-0000-4000-8000-00000000000A", "skl_ffffffff00004000800000000000000a"},
		{globalid.SkillCategory, "00000000-0000-0000-0000-000000000000", "cat_00000000000000000000000000000000"},
	} {
		got := globalid.Format(tc.kind, uuid.MustParse(tc.id))
		if got != tc.want || got != tc.kind+"_"+strings.ReplaceAll(strings.ToLower(tc.id), "-", "") {
			t.Errorf("Format(%s, %s) = %s, want %s", tc.kind, tc.id, got, tc.want)
		}
	}
}
