package search

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/store"
)

// Keeping the index in step.
//
// Every change of a member's searchable data (profile, availability, skills, account status,
// erasure) calls Queue.QueueReindex inside its transaction: the job exists if and only if the
// change commits. There is at most one pending job per member, but not through River's unique
// jobs: River's uniqueness must cover running jobs, so a change committed while the member's job
// runs (and may already have read the old data) would be dropped. Instead a row in
// search_reindex_requests marks "a job is queued and has not started": the change that creates the
// row inserts the job, later changes find the row and rely on that job; the worker deletes the row
// first (waiting for changes that hold it to commit) and then reads the member, so every change is
// either read by a job that had not started or queues a new one. Indexing one member is serialised
// by an advisory lock so an older read never overwrites a newer document.

// Queue inserts reindex jobs in the caller's transaction; it implements profiles.Indexer.
type Queue struct{}

// QueueReindex queues the reindexing of a member; q must be a transaction (store.InTx).
func (Queue) QueueReindex(ctx context.Context, q *store.Queries, userID uuid.UUID) error {
	enqueue, err := q.RequestMemberReindex(ctx, userID)
	if err != nil {
		return fmt.Errorf("queue member reindex: %w", err)
	}
	if !enqueue {
		return nil
	}
	return q.EnqueueJob(ctx, ReindexMemberArgs{UserID: userID}, nil)
}

// QueueSkillReindex queues the reindexing of a skill and of its members (skill approved, renamed,
// moved to another category, merged or rejected); q must be a transaction.
func (Queue) QueueSkillReindex(ctx context.Context, q *store.Queries, skillID uuid.UUID) error {
	return q.EnqueueJob(ctx, ReindexSkillArgs{SkillID: skillID}, nil)
}

// ReindexMemberArgs asks for one member's search document to be rebuilt.
type ReindexMemberArgs struct {
	UserID uuid.UUID `json:"user_id"`
}

// Kind implements river.JobArgs.
func (ReindexMemberArgs) Kind() string { return "reindex_member" }

// InsertOpts puts reindex jobs on the default queue.
func (ReindexMemberArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault}
}

// ReindexMemberWorker rebuilds a member's document.
type ReindexMemberWorker struct {
	river.WorkerDefaults[ReindexMemberArgs]
	Store   *store.Store
	Backend Backend
}

// Work claims the member's pending request, then indexes the member from PostgreSQL.
func (w *ReindexMemberWorker) Work(ctx context.Context, job *river.Job[ReindexMemberArgs]) error {
	if err := w.Store.Q().ClaimMemberReindex(ctx, job.Args.UserID); err != nil {
		return fmt.Errorf("reindex member: %w", err)
	}
	if err := w.Backend.IndexMember(ctx, job.Args.UserID); err != nil {
		return fmt.Errorf("reindex member: %w", err)
	}
	return nil
}

// ReindexSkillArgs asks for a skill's document, and those of its members, to be rebuilt.
type ReindexSkillArgs struct {
	SkillID uuid.UUID `json:"skill_id"`
}

// Kind implements river.JobArgs.
func (ReindexSkillArgs) Kind() string { return "reindex_skill" }

// InsertOpts puts reindex jobs on the default queue.
func (ReindexSkillArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault}
}

// ReindexSkillWorker rebuilds a skill's document and its members'.
type ReindexSkillWorker struct {
	river.WorkerDefaults[ReindexSkillArgs]
	Backend Backend
}

// Work implements river.Worker.
func (w *ReindexSkillWorker) Work(ctx context.Context, job *river.Job[ReindexSkillArgs]) error {
	if err := w.Backend.IndexSkill(ctx, job.Args.SkillID); err != nil {
		return fmt.Errorf("reindex skill: %w", err)
	}
	return nil
}

// Timeout gives a skill with many members more time than the default job timeout.
func (w *ReindexSkillWorker) Timeout(*river.Job[ReindexSkillArgs]) time.Duration {
	return 10 * time.Minute
}

// Jobs registers the reindex workers, which write to backend; st holds the pending requests.
func Jobs(st *store.Store, backend Backend) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &ReindexMemberWorker{Store: st, Backend: backend})
		river.AddWorker(w, &ReindexSkillWorker{Backend: backend})
		return nil
	}
}

// reindexBatch is how many members one bulk write carries.
const reindexBatch = 1000

// fullIndexer is what the two backends offer for ReindexAll.
type fullIndexer interface {
	indexMembers(ctx context.Context, ids []uuid.UUID) error
	reindexSkills(ctx context.Context) error
	pruneIndexedBefore(ctx context.Context, unixMillis int64) error
}

// reindexWorkers is how many batches ReindexAll writes at once.
const reindexWorkers = 4

// ReindexAll rebuilds the whole index from PostgreSQL (seeds, benchmarks, a new Typesense
// cluster): every skill, then every member in batches of 1000 (one read and one write per batch,
// four batches at a time; unchanged PostgreSQL rows are not rewritten), then it removes documents
// that no longer have a source. Searches keep working meanwhile.
func ReindexAll(ctx context.Context, st *store.Store, b Backend) error {
	start := time.Now()
	full, ok := b.(fullIndexer)
	if ok {
		if err := full.reindexSkills(ctx); err != nil {
			return fmt.Errorf("reindex all: %w", err)
		}
	}
	index := func(ctx context.Context, ids []uuid.UUID) error {
		if ok {
			return full.indexMembers(ctx, ids)
		}
		for _, id := range ids {
			if err := b.IndexMember(ctx, id); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan []uuid.UUID)
	var wg sync.WaitGroup
	for range reindexWorkers {
		wg.Go(func() {
			for ids := range batches {
				if err := index(ctx, ids); err != nil {
					cancel(err)
				}
			}
		})
	}
	var after uuid.UUID
	var err error
	for ctx.Err() == nil {
		var ids []uuid.UUID
		if ids, err = st.Q().MemberIDsAfter(ctx, after, reindexBatch); err != nil || len(ids) == 0 {
			break
		}
		select {
		case batches <- ids:
		case <-ctx.Done():
		}
		after = ids[len(ids)-1]
	}
	close(batches)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		err = cause
	}
	if err != nil {
		return fmt.Errorf("reindex all: %w", err)
	}
	if ok {
		if err := full.pruneIndexedBefore(ctx, start.UnixMilli()); err != nil {
			return fmt.Errorf("reindex all: %w", err)
		}
	}
	return nil
}
