package dataloaders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
)

// fakeSource records its batches; it stands in for the store to test batching only (the store's
// SQL is tested against PostgreSQL).
type fakeSource struct {
	dataloaders.Source // only UsersByIDs is used by this test
	mu                 sync.Mutex
	batches            [][]uuid.UUID
	users              map[uuid.UUID]domain.User
}

func (f *fakeSource) UsersByIDs(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, ids)
	out := map[uuid.UUID]domain.User{}
	for _, id := range ids {
		if u, ok := f.users[id]; ok {
			out[id] = u
		}
	}
	return out, nil
}

func TestUserLoaderBatchesAndReportsMissing(t *testing.T) {
	t.Parallel()
	src := &fakeSource{users: map[uuid.UUID]domain.User{}}
	var ids []uuid.UUID
	for i := range 30 {
		id := uuid.New()
		ids = append(ids, id)
		src.users[id] = domain.User{ID: id, DisplayName: string(rune('A' + i))}
	}
	missing := uuid.New()
	// A wide window: the test asserts what batching does, and under -race on a loaded CI
	// machine 31 LoadThunk calls can take longer than the production 2 ms.
	ctx := dataloaders.WithLoaders(context.Background(), dataloaders.New(src, nil, 100*time.Millisecond))

	// Resolvers ask for keys as gqlgen walks the result; thunks model that without depending
	// on goroutine scheduling: every key requested within the batch window lands in one query.
	loader := dataloaders.For(ctx).Users
	thunks := make([]func() (domain.User, error), len(ids))
	for i, id := range ids {
		thunks[i] = loader.LoadThunk(ctx, id)
	}
	missingThunk := loader.LoadThunk(ctx, missing)
	got := make([]domain.User, len(ids))
	for i, th := range thunks {
		u, err := th()
		if err != nil {
			t.Fatal(err)
		}
		got[i] = u
	}
	_, missingErr := dataloaders.User(ctx, missing)
	if _, err := missingThunk(); err == nil {
		t.Fatal("missing key loaded without error")
	}

	if len(src.batches) != 1 || len(src.batches[0]) != 31 {
		t.Fatalf("batches = %d (first has %d keys), want one batch of 31", len(src.batches), len(src.batches[0]))
	}
	for i, u := range got {
		if u.ID != ids[i] {
			t.Fatalf("result %d attached to the wrong key", i)
		}
	}
	if !domain.IsKind(missingErr, domain.KindNotFound) {
		t.Fatalf("missing key: %v", missingErr)
	}
	// Loaded values are cached for the rest of the response.
	if _, err := dataloaders.User(ctx, ids[0]); err != nil || len(src.batches) != 1 {
		t.Fatalf("cached load ran another batch: %v", err)
	}
}
