package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/store"
)

func TestParseLSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want store.LSN
		bad  bool
	}{
		{in: "0/0", want: 0},
		{in: "0/16B3748", want: 0x16B3748},
		{in: "16/B374D848", want: 0x16_B374D848},
		{in: "FFFFFFFF/FFFFFFFF", want: 0xFFFFFFFF_FFFFFFFF},
		{in: "16B374D848", bad: true},
		{in: "1/G", bad: true},
		{in: "100000000/0", bad: true},
	} {
		got, err := store.ParseLSN(tc.in)
		if (err != nil) != tc.bad {
			t.Fatalf("ParseLSN(%q) error %v, want error %v", tc.in, err, tc.bad)
		}
		if tc.bad {
			continue
		}
		if got != tc.want || got.String() != tc.in {
			t.Fatalf("ParseLSN(%q) = %v (%s), want %v", tc.in, uint64(got), got, uint64(tc.want))
		}
	}
}

func TestMemoryMarksKeepTheHighestUntilExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := store.NewMemoryMarks()
	a, b := uuid.New(), uuid.New()
	if _, ok, _ := m.Get(ctx, a); ok {
		t.Fatal("mark before any write")
	}
	_ = m.Mark(ctx, a, 200, time.Hour)
	_ = m.Mark(ctx, a, 100, time.Hour) // an older position never lowers the mark
	if got, ok, _ := m.Get(ctx, a); !ok || got != 200 {
		t.Fatalf("mark %v %v, want 200", got, ok)
	}
	_ = m.Mark(ctx, b, 300, -time.Second) // already expired
	if _, ok, _ := m.Get(ctx, b); ok {
		t.Fatal("expired mark still read")
	}
}
