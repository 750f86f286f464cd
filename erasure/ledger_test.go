package erasure_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/erasure"
	"github.com/skillswap/skillswap/store"
)

func TestLedgerRoundTrip(t *testing.T) {
	t.Parallel()
	in := []store.ErasureEntry{
		{UserID: uuid.New(), ErasedAt: time.Date(2026, 12, 6, 6, 0, 0, 123000, time.UTC)},
		{UserID: uuid.New(), ErasedAt: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	var buf bytes.Buffer
	if err := erasure.WriteLedger(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := erasure.ParseLedger(strings.NewReader("# saved ledger\n\n" + buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].UserID != in[0].UserID || !out[0].ErasedAt.Equal(in[0].ErasedAt) ||
		out[1].UserID != in[1].UserID || !out[1].ErasedAt.Equal(in[1].ErasedAt) {
		t.Fatalf("round trip: %+v, want %+v", out, in)
	}
}

func TestLedgerParseErrors(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"not-a-uuid 2026-12-06T06:00:00Z", uuid.NewString(), uuid.NewString() + " yesterday"} {
		if _, err := erasure.ParseLedger(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: err = %v, want an error naming line 1", bad, err)
		}
	}
}
